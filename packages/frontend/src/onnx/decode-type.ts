// ValueInfoProto / TypeProto -> LoweringType. Tensors keep dtype and shape (fixed dims as numbers, named
// dims as strings, unknown as null); sequences and optionals nest; maps, sparse tensors and element types
// tensorc has no dtype for become { kind: 'unknown' } so that only the nodes that use them fail.

import { CompileError, dtypeFromOnnx } from '@tensorc/ir';
import type { LoweringType } from '../lowering-model.js';
import { MAX_NESTING, type RawValueInfo } from './raw-model.js';
import { readBytes, readInt32, readInt64, readString, walkMessage } from './wire.js';

const UNKNOWN: LoweringType = { kind: 'unknown' };

function decodeDim(bytes: Uint8Array): number | string | null {
  const what = 'TensorShapeProto.Dimension';
  let dim: number | string | null = null;
  walkMessage(bytes, what, (field, wire, r) => {
    if (field === 1) {
      const v = readInt64(r, wire, what);
      // Negative sizes are written by some exporters for "unknown".
      dim = v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
    } else if (field === 2) {
      const p = readString(r, wire, what);
      dim = p === '' ? null : p;
    } else {
      return false;
    }
    return true;
  });
  return dim;
}

function decodeShape(bytes: Uint8Array): (number | string | null)[] {
  const what = 'TensorShapeProto';
  const dims: (number | string | null)[] = [];
  walkMessage(bytes, what, (field, wire, r) => {
    if (field !== 1) return false;
    dims.push(decodeDim(readBytes(r, wire, what)));
    return true;
  });
  return dims;
}

function decodeTensorType(bytes: Uint8Array): LoweringType {
  const what = 'TypeProto.Tensor';
  let elem = 0;
  let shape: (number | string | null)[] | null = null;
  walkMessage(bytes, what, (field, wire, r) => {
    if (field === 1) elem = readInt32(r, wire, what);
    else if (field === 2) shape = decodeShape(readBytes(r, wire, what));
    else return false;
    return true;
  });
  const dtype = dtypeFromOnnx(elem);
  return dtype === undefined ? UNKNOWN : { kind: 'tensor', dtype, shape };
}

/** Sequence and Optional both hold one `elem_type` TypeProto in field 1. */
function decodeElemType(bytes: Uint8Array, what: string, depth: number): LoweringType | null {
  let elem: LoweringType | null = null;
  walkMessage(bytes, what, (field, wire, r) => {
    if (field !== 1) return false;
    elem = decodeType(readBytes(r, wire, what), depth + 1);
    return true;
  });
  return elem;
}

export function decodeType(bytes: Uint8Array, depth = 0): LoweringType {
  const what = 'TypeProto';
  if (depth > MAX_NESTING) throw new CompileError('LIMIT_EXCEEDED', `value types are nested deeper than ${MAX_NESTING} levels`);
  let t: LoweringType = UNKNOWN;
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: t = decodeTensorType(readBytes(r, wire, what)); return true;
      case 4: t = { kind: 'sequence', elem: decodeElemType(readBytes(r, wire, what), 'TypeProto.Sequence', depth) }; return true;
      case 9: t = { kind: 'optional', elem: decodeElemType(readBytes(r, wire, what), 'TypeProto.Optional', depth) }; return true;
      case 5: case 8: readBytes(r, wire, what); t = UNKNOWN; return true; // map, sparse tensor
      default: return false;
    }
  });
  return t;
}

export function decodeValueInfo(bytes: Uint8Array): RawValueInfo {
  const what = 'ValueInfoProto';
  let name = '';
  let type: LoweringType = UNKNOWN;
  walkMessage(bytes, what, (field, wire, r) => {
    if (field === 1) name = readString(r, wire, what);
    else if (field === 2) type = decodeType(readBytes(r, wire, what));
    else return false;
    return true;
  });
  return { name, type };
}
