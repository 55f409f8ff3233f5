// TensorProto -> HostTensor. Reads dims, data_type and the payload (raw_data, a typed field, or external
// data), checks that the payload holds exactly the elements the dims need before allocating anything, and
// refuses tensors over 2^31 elements (LIMIT_EXCEEDED).

import { CompileError, dtypeFromOnnx, hostTensor, type DType, type HostTensor } from '@tensorc/ir';
import { readExternalData } from './external-data.js';
import type { DecodeContext } from './raw-model.js';
import { rawByteLength, rawToData, typedToData, type TypedFields } from './tensor-data.js';
import {
  invalid, readBytes, readInt32, readRepeatedFloat32, readRepeatedFloat64, readRepeatedInt32, readRepeatedInt64,
  readRepeatedUint64, readString, walkMessage,
} from './wire.js';

/** Tensors with more elements than this are refused. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

const DATA_LOCATION_EXTERNAL = 1;

interface TensorFields extends TypedFields {
  name: string;
  dims: bigint[];
  dataType: number;
  raw: Uint8Array | undefined;
  external: Map<string, string>;
  dataLocation: number;
  segmented: boolean;
}

function readStringPair(bytes: Uint8Array, what: string): [string, string] {
  let key = '';
  let value = '';
  walkMessage(bytes, what, (field, wire, r) => {
    if (field === 1) key = readString(r, wire, what);
    else if (field === 2) value = readString(r, wire, what);
    else return false;
    return true;
  });
  return [key, value];
}

function parseTensorProto(bytes: Uint8Array): TensorFields {
  const what = 'TensorProto';
  const t: TensorFields = {
    name: '', dims: [], dataType: 0, raw: undefined, external: new Map(), dataLocation: 0, segmented: false,
    floatData: [], int32Data: [], int64Data: [], uint64Data: [], doubleData: [], stringData: [],
  };
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: readRepeatedInt64(r, wire, what, t.dims); return true;
      case 2: t.dataType = readInt32(r, wire, what); return true;
      case 3: readBytes(r, wire, what); t.segmented = true; return true;
      case 4: readRepeatedFloat32(r, wire, what, t.floatData as number[]); return true;
      case 5: readRepeatedInt32(r, wire, what, t.int32Data as number[]); return true;
      case 6: (t.stringData as Uint8Array[]).push(readBytes(r, wire, what)); return true;
      case 7: readRepeatedInt64(r, wire, what, t.int64Data as bigint[]); return true;
      case 8: t.name = readString(r, wire, what); return true;
      case 9: t.raw = readBytes(r, wire, what); return true;
      case 10: readRepeatedFloat64(r, wire, what, t.doubleData as number[]); return true;
      case 11: readRepeatedUint64(r, wire, what, t.uint64Data as bigint[]); return true;
      case 13: {
        const [k, v] = readStringPair(readBytes(r, wire, what), 'TensorProto.external_data');
        t.external.set(k, v);
        return true;
      }
      case 14: t.dataLocation = readInt32(r, wire, what); return true;
      default: return false;
    }
  });
  return t;
}

/** Dims as numbers and the element count; bad dims are INVALID_MODEL, a count over the cap LIMIT_EXCEEDED. */
function checkedShape(name: string, dims: readonly bigint[]): { shape: number[]; count: number } {
  const shape = dims.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CompileError('INVALID_MODEL', `tensor "${name}" has an invalid dim ${d} in [${dims.join(', ')}]`);
    }
    return Number(d);
  });
  if (shape.includes(0)) return { shape, count: 0 };
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw new CompileError('LIMIT_EXCEEDED', `tensor "${name}" [${shape.join(', ')}] has more than 2^31 elements`);
    }
  }
  return { shape, count };
}

function tensorDType(name: string, code: number): DType {
  const d = dtypeFromOnnx(code);
  if (d !== undefined) return d;
  if (code === 0) throw new CompileError('INVALID_MODEL', `tensor "${name}" has no data_type`);
  const known: Record<number, string> = { 14: 'COMPLEX64', 15: 'COMPLEX128' };
  throw new CompileError('TYPE_ERROR', `tensor "${name}" has data type ${known[code] ?? code}, which tensorc does not support`);
}

/** Decodes one serialized TensorProto. `fallbackName` names it in errors when the proto has no name. */
export function decodeTensor(bytes: Uint8Array, ctx: DecodeContext, fallbackName = ''): { name: string; value: HostTensor } {
  const t = parseTensorProto(bytes);
  const name = t.name || fallbackName;
  if (t.segmented) throw new CompileError('INVALID_MODEL', `tensor "${name}" is segmented (TensorProto.segment), which is not supported`);
  const dtype = tensorDType(name, t.dataType);
  const { shape, count } = checkedShape(name, t.dims);
  const fail = (why: string): CompileError =>
    new CompileError('INVALID_MODEL', `tensor "${name}" (${dtype} [${shape.join(', ')}]) ${why}`);
  let raw = t.raw;
  if (t.dataLocation === DATA_LOCATION_EXTERNAL) {
    if (dtype === 'string') throw fail('uses external data, which string tensors cannot');
    raw = readExternalData(name, t.external, ctx.baseDir, rawByteLength(dtype, count));
  } else if (t.dataLocation !== 0) {
    throw invalid('TensorProto', `tensor "${name}" has unknown data_location ${t.dataLocation}`);
  }
  if (raw !== undefined && dtype !== 'string') {
    const need = rawByteLength(dtype, count);
    if (raw.length !== need) throw fail(`has ${raw.length} bytes of raw_data, the dims need ${need}`);
    return { name, value: hostTensor(dtype, shape, rawToData(dtype, count, raw)) };
  }
  return { name, value: hostTensor(dtype, shape, typedToData(dtype, count, t, fail)) };
}
