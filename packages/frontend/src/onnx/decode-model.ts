// ModelProto bytes -> LoweringModel: the entry point of the ONNX decoder. Reads ir_version, producer,
// opset imports, local functions and the main graph, then inlines the functions. Any malformed input ends in
// a CompileError (INVALID_MODEL for bad bytes, IO_ERROR for external data, LIMIT_EXCEEDED for huge tensors).

import { CompileError, type HostTensor } from '@tensorc/ir';
import type { LoweringModel } from '../lowering-model.js';
import { decodeFunction } from './decode-function.js';
import { decodeGraph } from './decode-graph.js';
import { decodeTensor } from './decode-tensor.js';
import { inlineFunctions } from './inline-functions.js';
import { normalizeDomain, type DecodeContext, type RawFunction } from './raw-model.js';
import { readBytes, readSafeInt, readString, walkMessage, type Reader } from './wire.js';

function decodeOpset(bytes: Uint8Array): [string, number] {
  const what = 'OperatorSetIdProto';
  let domain = '';
  let version = 0;
  walkMessage(bytes, what, (field, wire, r) => {
    if (field === 1) domain = readString(r, wire, what);
    else if (field === 2) version = readSafeInt(r, wire, what);
    else return false;
    return true;
  });
  return [normalizeDomain(domain), version];
}

function checkBytes(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new CompileError('INVALID_MODEL', 'not an ONNX model: expected the model bytes as a Uint8Array');
  if (bytes.length === 0) throw new CompileError('INVALID_MODEL', 'not an ONNX model: the input is empty');
}

/**
 * Decodes a serialized ONNX ModelProto. `baseDir` is the folder external-data locations are relative to;
 * it is required only when the model has external data.
 */
export function toLoweringModel(bytes: Uint8Array, baseDir?: string): LoweringModel {
  checkBytes(bytes);
  const ctx: DecodeContext = { baseDir };
  const what = 'ModelProto';
  let irVersion = 0;
  let producer = '';
  let graphBytes: Uint8Array | undefined;
  const opsets = new Map<string, number>();
  const functionBytes: Uint8Array[] = [];
  const readField = (field: number, wire: number, r: Reader): boolean => {
    switch (field) {
      case 1: irVersion = readSafeInt(r, wire, what); return true;
      case 2: producer = readString(r, wire, what); return true;
      case 7: graphBytes = readBytes(r, wire, what); return true;
      case 8: {
        const [domain, version] = decodeOpset(readBytes(r, wire, what));
        opsets.set(domain, version);
        return true;
      }
      case 25: functionBytes.push(readBytes(r, wire, what)); return true;
      default: return false;
    }
  };
  try {
    walkMessage(bytes, what, readField);
  } catch (e) {
    // Broken at the outermost level: most likely not an ONNX file at all.
    if (e instanceof CompileError && e.code === 'INVALID_MODEL') throw new CompileError('INVALID_MODEL', `not an ONNX model (or a corrupt one): ${e.message}`);
    throw e;
  }
  if (graphBytes === undefined) throw new CompileError('INVALID_MODEL', 'not an ONNX model: it has no graph (ModelProto.graph is missing)');
  const raw = decodeGraph(graphBytes, ctx, 0);
  const functions: RawFunction[] = functionBytes.map((b) => decodeFunction(b, ctx));
  return { irVersion, producer, opsets, graph: inlineFunctions(raw, functions) };
}

/**
 * Decodes a serialized TensorProto on its own (e.g. an input_0.pb of the ONNX test data). `baseDir` is needed
 * only for external data.
 */
export function decodeTensorProto(bytes: Uint8Array, baseDir?: string): { name: string; value: HostTensor } {
  if (!(bytes instanceof Uint8Array)) throw new CompileError('INVALID_MODEL', 'expected the tensor bytes as a Uint8Array');
  return decodeTensor(bytes, { baseDir });
}
