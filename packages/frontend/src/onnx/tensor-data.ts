// TensorProto payloads -> HostTensor data, for every dtype: raw_data (little-endian, sub-byte codes packed
// low bits first) and the typed fields (float_data, int32_data, int64_data, uint64_data, double_data,
// string_data). Coded floats (float16 .. float4e2m1) become their exact values via per-dtype lookup tables.

import {
  CompileError, DTYPE_INFO, decodeFloat, isCodedFloatDType, codeToInt, unpackSubByte,
  type CodedFloatDType, type DType, type TensorData,
} from '@tensorc/ir';
import { decodeUtf8 } from './wire.js';

/** The typed (non-raw) payload fields of a TensorProto, as read. */
export interface TypedFields {
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly bigint[];
  readonly uint64Data: readonly bigint[];
  readonly doubleData: readonly number[];
  readonly stringData: readonly Uint8Array[];
}

/** Bytes raw_data needs for `count` elements of `dtype` (sub-byte dtypes packed); strings cannot be raw. */
export function rawByteLength(dtype: DType, count: number): number {
  const bits = DTYPE_INFO[dtype].bits;
  return bits >= 8 ? count * (bits / 8) : Math.ceil((count * bits) / 8);
}

const codeTables = new Map<CodedFloatDType, Float64Array>();

/** Value of every code of a coded float dtype, built once per dtype (2^16 entries at most). */
function codeTable(d: CodedFloatDType): Float64Array {
  let t = codeTables.get(d);
  if (t === undefined) {
    t = new Float64Array(2 ** DTYPE_INFO[d].bits);
    for (let c = 0; c < t.length; c++) t[c] = decodeFloat(c, d);
    codeTables.set(d, t);
  }
  return t;
}

/** Element codes (one per element, unsigned) -> values of a dtype that is stored as codes. */
function codesToValues(dtype: DType, codes: ArrayLike<number>, count: number): Float64Array {
  const out = new Float64Array(count);
  if (isCodedFloatDType(dtype)) {
    const table = codeTable(dtype);
    const mask = table.length - 1;
    for (let i = 0; i < count; i++) out[i] = table[codes[i]! & mask]!;
  } else if (dtype === 'bool') {
    for (let i = 0; i < count; i++) out[i] = codes[i]! !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < count; i++) out[i] = codeToInt(codes[i]!, dtype);
  }
  return out;
}

function subByteBits(dtype: DType): 4 | 2 | undefined {
  const bits = DTYPE_INFO[dtype].bits;
  return bits === 4 || bits === 2 ? bits : undefined;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type ElementArrayCtor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/** raw_data as a typed array of `count` elements (copied first when misaligned); little-endian hosts only. */
function typedView<T>(ctor: ElementArrayCtor<T>, raw: Uint8Array, count: number): T {
  const bytes = raw.byteOffset % ctor.BYTES_PER_ELEMENT === 0 ? raw : new Uint8Array(raw);
  return new ctor(bytes.buffer, bytes.byteOffset, count);
}

/** Decodes raw_data, whose length the caller has already checked against rawByteLength. */
export function rawToData(dtype: DType, count: number, raw: Uint8Array): TensorData {
  const sub = subByteBits(dtype);
  if (sub !== undefined) return codesToValues(dtype, unpackSubByte(raw, sub, count), count);
  if (dtype === 'string') throw new CompileError('INVALID_MODEL', 'string tensors cannot use raw_data');
  if (!LITTLE_ENDIAN) return rawToDataPortable(dtype, count, raw);
  switch (dtype) {
    case 'float32': return new Float64Array(typedView(Float32Array, raw, count));
    case 'float64': return new Float64Array(typedView(Float64Array, raw, count));
    case 'int8': return new Float64Array(typedView(Int8Array, raw, count));
    case 'uint8': return new Float64Array(raw);
    case 'int16': return new Float64Array(typedView(Int16Array, raw, count));
    case 'uint16': return new Float64Array(typedView(Uint16Array, raw, count));
    case 'int32': return new Float64Array(typedView(Int32Array, raw, count));
    case 'uint32': return new Float64Array(typedView(Uint32Array, raw, count));
    case 'int64': return BigInt64Array.from(typedView(BigInt64Array, raw, count));
    case 'uint64': return BigUint64Array.from(typedView(BigUint64Array, raw, count));
    case 'float16': case 'bfloat16': return codesToValues(dtype, typedView(Uint16Array, raw, count), count);
    default: return rawToDataPortable(dtype, count, raw);
  }
}

/** The same decoding through a DataView: any host byte order, any alignment. */
export function rawToDataPortable(dtype: DType, count: number, raw: Uint8Array): TensorData {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const num = (read: (i: number) => number): Float64Array => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = read(i);
    return out;
  };
  switch (dtype) {
    case 'float32': return num((i) => dv.getFloat32(i * 4, true));
    case 'float64': return num((i) => dv.getFloat64(i * 8, true));
    case 'int8': return num((i) => dv.getInt8(i));
    case 'uint8': return num((i) => dv.getUint8(i));
    case 'int16': return num((i) => dv.getInt16(i * 2, true));
    case 'uint16': return num((i) => dv.getUint16(i * 2, true));
    case 'int32': return num((i) => dv.getInt32(i * 4, true));
    case 'uint32': return num((i) => dv.getUint32(i * 4, true));
    case 'int64': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getBigInt64(i * 8, true);
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getBigUint64(i * 8, true);
      return out;
    }
    case 'float16': case 'bfloat16': {
      const codes = new Uint16Array(count);
      for (let i = 0; i < count; i++) codes[i] = dv.getUint16(i * 2, true);
      return codesToValues(dtype, codes, count);
    }
    case 'bool': case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      return codesToValues(dtype, raw, count);
    case 'string': case 'int4': case 'uint4': case 'int2': case 'uint2': case 'float4e2m1':
      throw new CompileError('INTERNAL', `${dtype} reached the byte-wise raw_data path`);
    default: {
      const never: never = dtype;
      throw new CompileError('INTERNAL', `rawToData: ${String(never)}`);
    }
  }
}

/** The typed field a dtype is stored in and how many entries `count` elements take there. */
function typedField(dtype: DType, count: number, f: TypedFields): { name: string; length: number; need: number } {
  const sub = subByteBits(dtype);
  switch (dtype) {
    case 'float32': return { name: 'float_data', length: f.floatData.length, need: count };
    case 'float64': return { name: 'double_data', length: f.doubleData.length, need: count };
    case 'int64': return { name: 'int64_data', length: f.int64Data.length, need: count };
    case 'uint32': case 'uint64': return { name: 'uint64_data', length: f.uint64Data.length, need: count };
    case 'string': return { name: 'string_data', length: f.stringData.length, need: count };
    default:
      // int32_data carries the small ints, bool, float16/bfloat16 bits and float8 codes one per entry,
      // and the 4-/2-bit dtypes as packed bytes, one byte per entry.
      return { name: 'int32_data', length: f.int32Data.length, need: sub !== undefined ? Math.ceil((count * sub) / 8) : count };
  }
}

/** Decodes the typed fields; throws INVALID_MODEL (via `fail`) when the field's length does not fit the dims. */
export function typedToData(dtype: DType, count: number, f: TypedFields, fail: (why: string) => CompileError): TensorData {
  const field = typedField(dtype, count, f);
  if (field.length !== field.need) {
    throw fail(field.length === 0 && count > 0
      ? `has no data (neither raw_data nor ${field.name}) for its ${count} elements`
      : `${field.name} has ${field.length} entries, the dims need ${field.need}`);
  }
  const sub = subByteBits(dtype);
  if (sub !== undefined) {
    const bytes = Uint8Array.from(f.int32Data, (v) => v & 0xff);
    return codesToValues(dtype, unpackSubByte(bytes, sub, count), count);
  }
  switch (dtype) {
    case 'float32': return Float64Array.from(f.floatData);
    case 'float64': return Float64Array.from(f.doubleData);
    case 'int64': return BigInt64Array.from(f.int64Data);
    case 'uint64': return BigUint64Array.from(f.uint64Data, (v) => BigInt.asUintN(64, v));
    case 'uint32': return Float64Array.from(f.uint64Data, (v) => Number(BigInt.asUintN(32, v)));
    case 'string': return f.stringData.map(decodeUtf8);
    case 'int32': return Float64Array.from(f.int32Data, (v) => v | 0);
    case 'int8': return Float64Array.from(f.int32Data, (v) => (v << 24) >> 24);
    case 'uint8': return Float64Array.from(f.int32Data, (v) => v & 0xff);
    case 'int16': return Float64Array.from(f.int32Data, (v) => (v << 16) >> 16);
    case 'uint16': return Float64Array.from(f.int32Data, (v) => v & 0xffff);
    case 'bool': case 'float16': case 'bfloat16': case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2':
    case 'float8e5m2fnuz': case 'float8e8m0':
      return codesToValues(dtype, f.int32Data.map((v) => v >>> 0), count);
    case 'int4': case 'uint4': case 'int2': case 'uint2': case 'float4e2m1':
      throw new CompileError('INTERNAL', `sub-byte dtype ${dtype} reached the element-wise path`);
    default: {
      const never: never = dtype;
      throw new CompileError('INTERNAL', `typedToData: ${String(never)}`);
    }
  }
}
