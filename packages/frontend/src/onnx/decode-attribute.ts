// AttributeProto -> RawAttr. The value is chosen by the `type` field, or for very old models that leave it
// 0 by which value field is present. Graphs decode recursively; TYPE_PROTO(S) attributes are dropped (nothing
// tensorc lowers reads them); sparse tensors and tensor lists are refused with UNSUPPORTED_ATTRIBUTE.

import { CompileError } from '@tensorc/ir';
import { decodeGraph } from './decode-graph.js';
import { decodeTensor } from './decode-tensor.js';
import type { DecodeContext, RawAttr, RawAttrValue } from './raw-model.js';
import {
  decodeUtf8, readBytes, readFloat32, readInt64, readRepeatedFloat32, readRepeatedInt64, readString, readInt32,
  walkMessage,
} from './wire.js';

const enum AttrType {
  UNDEFINED = 0, FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7, STRINGS = 8,
  TENSORS = 9, GRAPHS = 10, SPARSE_TENSOR = 11, SPARSE_TENSORS = 12, TYPE_PROTO = 13, TYPE_PROTOS = 14,
}

interface AttrFields {
  name: string;
  ref: string | undefined;
  type: number;
  f: number | undefined;
  i: bigint | undefined;
  s: Uint8Array | undefined;
  t: Uint8Array | undefined;
  g: Uint8Array | undefined;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: Uint8Array[];
  graphs: Uint8Array[];
  sparse: boolean;
  typeProto: boolean;
}

function parseAttribute(bytes: Uint8Array): AttrFields {
  const what = 'AttributeProto';
  const a: AttrFields = {
    name: '', ref: undefined, type: 0, f: undefined, i: undefined, s: undefined, t: undefined, g: undefined,
    floats: [], ints: [], strings: [], tensors: [], graphs: [], sparse: false, typeProto: false,
  };
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: a.name = readString(r, wire, what); return true;
      case 21: a.ref = readString(r, wire, what); return true;
      case 20: a.type = readInt32(r, wire, what); return true;
      case 2: a.f = readFloat32(r, wire, what); return true;
      case 3: a.i = readInt64(r, wire, what); return true;
      case 4: a.s = readBytes(r, wire, what); return true;
      case 5: a.t = readBytes(r, wire, what); return true;
      case 6: a.g = readBytes(r, wire, what); return true;
      case 7: readRepeatedFloat32(r, wire, what, a.floats); return true;
      case 8: readRepeatedInt64(r, wire, what, a.ints); return true;
      case 9: a.strings.push(readBytes(r, wire, what)); return true;
      case 10: a.tensors.push(readBytes(r, wire, what)); return true;
      case 11: a.graphs.push(readBytes(r, wire, what)); return true;
      case 22: case 23: readBytes(r, wire, what); a.sparse = true; return true;
      case 14: case 15: readBytes(r, wire, what); a.typeProto = true; return true;
      default: return false;
    }
  });
  return a;
}

/** The type of an attribute written without `type`, from the field that carries a value. */
function inferType(a: AttrFields): number {
  if (a.f !== undefined) return AttrType.FLOAT;
  if (a.i !== undefined) return AttrType.INT;
  if (a.s !== undefined) return AttrType.STRING;
  if (a.t !== undefined) return AttrType.TENSOR;
  if (a.g !== undefined) return AttrType.GRAPH;
  if (a.floats.length > 0) return AttrType.FLOATS;
  if (a.ints.length > 0) return AttrType.INTS;
  if (a.strings.length > 0) return AttrType.STRINGS;
  if (a.tensors.length > 0) return AttrType.TENSORS;
  if (a.graphs.length > 0) return AttrType.GRAPHS;
  if (a.sparse) return AttrType.SPARSE_TENSOR;
  if (a.typeProto) return AttrType.TYPE_PROTO;
  return AttrType.UNDEFINED;
}

/**
 * Decodes one AttributeProto of node `where`. Returns undefined for attributes that are dropped: TYPE_PROTO(S),
 * and untyped attributes with no value at all (old models; nothing tells which empty list they meant).
 */
export function decodeAttribute(
  bytes: Uint8Array,
  ctx: DecodeContext,
  depth: number,
  where: { node: string; opType: string },
): RawAttr | undefined {
  const a = parseAttribute(bytes);
  if (a.ref !== undefined && a.ref !== '') return { name: a.name, ref: a.ref, value: undefined };
  const type = a.type !== AttrType.UNDEFINED ? a.type : inferType(a);
  const missing = (field: string): CompileError =>
    new CompileError('INVALID_MODEL', `attribute "${a.name}" has type ${type} but no ${field}`, where);
  const unsupported = (kind: string): CompileError =>
    new CompileError('UNSUPPORTED_ATTRIBUTE', `attribute "${a.name}" is a ${kind}, which tensorc does not support`, where);
  let value: RawAttrValue;
  switch (type) {
    case AttrType.UNDEFINED: return undefined;
    case AttrType.TYPE_PROTO: case AttrType.TYPE_PROTOS: return undefined;
    case AttrType.FLOAT: value = { kind: 'float', value: a.f ?? 0 }; break;
    case AttrType.INT: value = { kind: 'int', value: Number(a.i ?? 0n) }; break;
    case AttrType.STRING: value = { kind: 'string', value: a.s === undefined ? '' : decodeUtf8(a.s) }; break;
    case AttrType.FLOATS: value = { kind: 'floats', value: a.floats }; break;
    case AttrType.INTS: value = { kind: 'ints', value: a.ints.map(Number) }; break;
    case AttrType.STRINGS: value = { kind: 'strings', value: a.strings.map(decodeUtf8) }; break;
    case AttrType.TENSOR: {
      if (a.t === undefined) throw missing('tensor');
      value = { kind: 'tensor', value: decodeTensor(a.t, ctx, `${where.node}.${a.name}`).value };
      break;
    }
    case AttrType.GRAPH: {
      if (a.g === undefined) throw missing('graph');
      value = { kind: 'graph', value: decodeGraph(a.g, ctx, depth + 1) };
      break;
    }
    case AttrType.GRAPHS: value = { kind: 'graphs', value: a.graphs.map((g) => decodeGraph(g, ctx, depth + 1)) }; break;
    case AttrType.TENSORS: throw unsupported('list of tensors (TENSORS)');
    case AttrType.SPARSE_TENSOR: case AttrType.SPARSE_TENSORS: throw unsupported('sparse tensor');
    default: throw new CompileError('INVALID_MODEL', `attribute "${a.name}" has unknown type ${type}`, where);
  }
  return { name: a.name, ref: undefined, value };
}
