// Test-data reader: an input_i.pb / output_i.pb holds a TensorProto, SequenceProto or OptionalProto (the
// graph's declared type says which). Tensors go through the frontend's own TensorProto decoder, so the
// conformance run also exercises it; sequences and optionals are unwrapped here (onnx-data.proto fields).

import type { HostTensor, RuntimeValue } from '@tensorc/ir';
import { decodeTensorProto } from '../../src/onnx/index.js';
import { WIRE_LEN, readBytes, readInt32, walkMessage } from '../../src/onnx/wire.js';
import type { LoweringType } from '../../src/lowering-model.js';

const ELEM_TENSOR = 1;
const ELEM_SEQUENCE = 3;
const ELEM_OPTIONAL = 5;

function readSequence(bytes: Uint8Array): HostTensor[] {
  const out: HostTensor[] = [];
  walkMessage(bytes, 'SequenceProto', (field, wire, r) => {
    if (field === 3 && wire === WIRE_LEN) { out.push(decodeTensorProto(readBytes(r, wire, 'tensor_values')).value); return true; }
    if (field === 5 || field === 6 || field === 7) throw new Error('nested sequences/maps/optionals in test data are not supported');
    return false;
  });
  return out;
}

function readOptional(bytes: Uint8Array): RuntimeValue {
  let elemType = 0;
  let value: RuntimeValue = null;
  walkMessage(bytes, 'OptionalProto', (field, wire, r) => {
    if (field === 2) { elemType = readInt32(r, wire, 'elem_type'); return true; }
    if (field === 3) { value = decodeTensorProto(readBytes(r, wire, 'tensor_value')).value; return true; }
    if (field === 5) { value = readSequence(readBytes(r, wire, 'sequence_value')); return true; }
    return false;
  });
  if (elemType !== ELEM_TENSOR && elemType !== ELEM_SEQUENCE && elemType !== 0 && elemType !== ELEM_OPTIONAL) throw new Error(`optional of elem_type ${elemType}`);
  return value;
}

/** Decodes one test value file according to the declared type of the graph input/output it belongs to. */
export function readValue(bytes: Uint8Array, type: LoweringType): RuntimeValue {
  switch (type.kind) {
    case 'sequence': return readSequence(bytes);
    case 'optional': return readOptional(bytes);
    default: return decodeTensorProto(bytes).value;
  }
}
