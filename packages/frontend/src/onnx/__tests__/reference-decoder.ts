// Test-only reference: decodes ONNX messages with protobufjs *reflection* over the schema shipped with the
// backend test data, independently of the hand-written decoder, so tests can compare the two on every file
// of the suite. Not part of the package (the package never reads a .proto at run time).

import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { dtypeFromOnnx, toHostTensor, unpackSubByte, type HostTensor, type UserTensorData } from '@tensorc/ir';

export const BACKEND_TESTS = process.env['ONNX_BACKEND_TESTS'] ?? '/work/shared/onnx-backend-tests';
export const haveBackendTests = (): boolean => fs.existsSync(path.join(BACKEND_TESTS, 'index.json'));

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

let root: protobuf.Root | undefined;
function schema(): protobuf.Root {
  root ??= new protobuf.Root().loadSync(path.join(BACKEND_TESTS, 'schema/onnx/onnx.proto'), { keepCase: true });
  return root;
}

export const decodeTensorMessage = (bytes: Uint8Array): Obj => schema().lookupType('onnx.TensorProto').decode(bytes);
export const decodeModelMessage = (bytes: Uint8Array): Obj => schema().lookupType('onnx.ModelProto').decode(bytes);

const big = (v: unknown): bigint => BigInt(String(v));
const copy = (raw: Uint8Array): ArrayBuffer => Uint8Array.from(raw).buffer; // Buffer.slice would be a view

/** The HostTensor of a reflection-decoded TensorProto (no external data). */
export function referenceTensor(t: Obj): HostTensor {
  const type = dtypeFromOnnx(t.data_type);
  if (type === undefined) throw new Error(`unknown data_type ${t.data_type}`);
  const dims: number[] = (t.dims ?? []).map((d: unknown) => Number(String(d)));
  const n = dims.reduce((a, b) => a * b, 1);
  const raw: Uint8Array | undefined = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const i32: number[] = t.int32_data ?? [];
  let data: UserTensorData;
  switch (type) {
    case 'string': data = (t.string_data ?? []).map((b: Uint8Array) => Buffer.from(b).toString('utf8')); break;
    case 'float32': data = raw ? new Float32Array(copy(raw)) : Float32Array.from(t.float_data ?? []); break;
    case 'float64': data = raw ? new Float64Array(copy(raw)) : Float64Array.from(t.double_data ?? []); break;
    case 'int64': data = raw ? new BigInt64Array(copy(raw)) : BigInt64Array.from((t.int64_data ?? []).map(big)); break;
    case 'uint64': data = raw ? new BigUint64Array(copy(raw)) : BigUint64Array.from((t.uint64_data ?? []).map((v: unknown) => BigInt.asUintN(64, big(v)))); break;
    case 'int32': data = raw ? new Int32Array(copy(raw)) : Int32Array.from(i32); break;
    case 'uint32': data = raw ? new Uint32Array(copy(raw)) : Uint32Array.from((t.uint64_data ?? []).map((v: unknown) => Number(big(v)))); break;
    case 'int16': data = raw ? new Int16Array(copy(raw)) : Int16Array.from(i32); break;
    case 'int8': data = raw ? new Int8Array(copy(raw)) : Int8Array.from(i32); break;
    case 'uint16': case 'float16': case 'bfloat16': data = raw ? new Uint16Array(copy(raw)) : Uint16Array.from(i32); break;
    case 'bool': data = Uint8Array.from(raw ?? i32, (v) => (v ? 1 : 0)); break;
    case 'uint8': case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      data = raw ? new Uint8Array(copy(raw)) : Uint8Array.from(i32);
      break;
    case 'int4': case 'uint4': case 'float4e2m1': data = unpackSubByte(raw ?? Uint8Array.from(i32), 4, n); break;
    case 'int2': case 'uint2': data = unpackSubByte(raw ?? Uint8Array.from(i32), 2, n); break;
    default: throw new Error(`no reference for ${type}`);
  }
  return toHostTensor(type, dims, data);
}

/** Attribute values as plain data, the same shape the decoder's AttrValue has (graphs summarized by node op types). */
export function referenceAttribute(a: Obj): unknown {
  switch (a.type) {
    case 1: return { kind: 'float', value: a.f ?? 0 };
    case 2: return { kind: 'int', value: Number(String(a.i ?? 0)) };
    case 3: return { kind: 'string', value: Buffer.from(a.s ?? []).toString('utf8') };
    case 4: return { kind: 'tensor', value: referenceTensor(a.t) };
    case 5: return { kind: 'graph', value: referenceGraphSummary(a.g) };
    case 6: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { kind: 'ints', value: (a.ints ?? []).map((v: unknown) => Number(String(v))) };
    case 8: return { kind: 'strings', value: (a.strings ?? []).map((s: Uint8Array) => Buffer.from(s).toString('utf8')) };
    case 10: return { kind: 'graphs', value: (a.graphs ?? []).map(referenceGraphSummary) };
    default: return undefined;
  }
}

/** A graph's nodes as { opType, domain, inputs, outputs, attributes } with attributes as plain data. */
export function referenceGraphSummary(g: Obj): unknown {
  return (g.node ?? []).map((n: Obj) => ({
    opType: n.op_type,
    domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes: Object.fromEntries(
      (n.attribute ?? []).filter((a: Obj) => a.type !== 13 && a.type !== 14).map((a: Obj) => [a.name, referenceAttribute(a)]),
    ),
  }));
}
