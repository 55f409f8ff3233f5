// Constant tensors in the text form, exact for every dtype: `tensor<f32[2]>[1.5, -0]` for up to
// INLINE_TENSOR_LIMIT elements, strings as JSON, larger tensors as `hex"..."` (each element's little-endian
// storage code at the dtype's width: 4 bytes for f32, 1 byte for i8, fp8 and sub-byte types, 8 for i64...).
// Data that is not exactly representable in its dtype (an invariant break) prints as `hex64"..."`, the raw
// float64 bytes, so printing never loses information.

import { DTYPE_INFO, type DType, isBigIntDType } from '../dtype.js';
import { decodeFloat, encodeFloat, isCodedFloatDType } from '../numeric/floats.js';
import { codeToInt, intRange, intToCode, isIntDType } from '../numeric/ints.js';
import type { HostTensor, TensorData } from '../tensor.js';
import { printNumber, printType, quote } from './print-scalar.js';
import type { TokenStream } from './token-stream.js';

/** Tensors with more elements than this print as hex (exact and compact). */
export const INLINE_TENSOR_LIMIT = 16;

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Bytes per element in `hex` form. */
const widthOf = (d: DType): number => Math.max(1, DTYPE_INFO[d].bits / 8);

/** The storage code of v in dtype d, or undefined when v is not exactly a value of d. */
function codeOf(v: number, d: DType): number | undefined {
  if (d === 'float64') return undefined; // written with setFloat64 directly
  if (d === 'float32') return Number.isNaN(v) || Object.is(Math.fround(v), v) ? 0 : undefined;
  if (isCodedFloatDType(d)) {
    const c = encodeFloat(v, d, false);
    const back = decodeFloat(c, d);
    return Object.is(back, v) || (Number.isNaN(back) && Number.isNaN(v)) ? c : undefined;
  }
  if (!Number.isInteger(v) || Object.is(v, -0)) return undefined;
  if (d === 'bool') return v === 0 || v === 1 ? v : undefined;
  if (!isIntDType(d)) return undefined;
  const r = intRange(d);
  return v >= Number(r.min) && v <= Number(r.max) ? intToCode(v, d) : undefined;
}

/** Little-endian storage bytes at the dtype's width, or undefined when some value needs hex64. */
function nativeBytes(t: HostTensor): Uint8Array | undefined {
  const w = widthOf(t.dtype);
  const n = t.data.length;
  const bytes = new Uint8Array(n * w);
  const view = new DataView(bytes.buffer);
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) {
    if (!isBigIntDType(t.dtype)) return undefined;
    for (let i = 0; i < n; i++) view.setBigUint64(i * 8, BigInt.asUintN(64, t.data[i]!), true);
    return bytes;
  }
  if (!(t.data instanceof Float64Array) || isBigIntDType(t.dtype)) return undefined;
  for (let i = 0; i < n; i++) {
    const v = t.data[i]!;
    if (t.dtype === 'float64') { view.setFloat64(i * 8, v, true); continue; }
    const code = codeOf(v, t.dtype);
    if (code === undefined) return undefined;
    if (t.dtype === 'float32') view.setFloat32(i * 4, v, true);
    else if (w === 1) view.setUint8(i, code);
    else if (w === 2) view.setUint16(i * 2, code, true);
    else view.setUint32(i * 4, code, true);
  }
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  const parts: string[] = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX_PAIRS[bytes[i]!]!;
  return parts.join('');
}

export function printTensor(t: HostTensor): string {
  const head = `tensor<${printType({ kind: 'tensor', dtype: t.dtype, shape: t.shape })}>`;
  if (t.dtype === 'string') return `${head}[${(t.data as readonly string[]).map(quote).join(', ')}]`;
  if (t.data.length <= INLINE_TENSOR_LIMIT) {
    const items = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : printNumber(v)));
    return `${head}[${items.join(', ')}]`;
  }
  const native = nativeBytes(t);
  if (native) return `${head}hex"${toHex(native)}"`;
  const raw = t.data as Float64Array | BigInt64Array | BigUint64Array;
  return `${head}hex64"${toHex(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))}"`;
}

/** Reads `tensor<type>` followed by a list, `hex"..."` or `hex64"..."`. */
export function readTensor(s: TokenStream): HostTensor {
  s.expectIdent('tensor');
  s.expectPunct('<');
  const at = s.peek();
  const type = s.tensorType();
  s.expectPunct('>');
  const shape = type.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : s.fail('constant shapes are static', at)));
  const dtype = type.dtype;
  const n = shape.reduce((a, b) => a * b, 1);
  const start = s.peek();
  const data = readData(s, dtype);
  if (data.length !== n) s.fail(`tensor has ${data.length} elements for shape [${shape.join(',')}]`, start);
  return { dtype, shape, data };
}

function readData(s: TokenStream, dtype: DType): TensorData {
  if (dtype === 'string') return s.list('[', ']', () => s.string());
  if (s.isIdent('hex') || s.isIdent('hex64')) {
    const raw64 = s.next().text === 'hex64';
    const t = s.peek();
    const hex = s.string(`expected the quoted hex bytes`);
    const bytes = fromHex(hex) ?? s.fail('malformed hex bytes (lower-case pairs expected)', t);
    const w = raw64 ? 8 : widthOf(dtype);
    if (bytes.length % w !== 0) s.fail(`hex length is not a multiple of ${w} bytes`, t);
    if (raw64 && isBigIntDType(dtype)) s.fail('hex64 holds float64 data, not 64-bit integers', t);
    return fromBytes(bytes, raw64 ? 'float64' : dtype) ?? s.fail(`a hex code is not a ${dtype} value`, t);
  }
  if (!s.isPunct('[')) s.fail('expected tensor data: [...], hex"..." or hex64"..."');
  if (isBigIntDType(dtype)) {
    const items = s.list('[', ']', () => {
      const t = s.peek();
      const v = s.bigint(`expected a ${dtype} integer`);
      const wrapped = dtype === 'int64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
      return wrapped === v ? v : s.fail(`${v} is out of the ${dtype} range`, t);
    });
    return dtype === 'int64' ? BigInt64Array.from(items) : BigUint64Array.from(items);
  }
  return Float64Array.from(s.list('[', ']', () => s.number()));
}

/** Value of a lower-case hex digit by char code, -1 for anything else. */
const HEX_DIGIT = Int8Array.from({ length: 128 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1));

function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const hi = HEX_DIGIT[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_DIGIT[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return undefined;
    bytes[i] = hi * 16 + lo;
  }
  return bytes;
}

/** Decodes storage codes of `dtype` (float64 for hex64); undefined when a code is out of range. */
function fromBytes(bytes: Uint8Array, dtype: DType): TensorData | undefined {
  const view = new DataView(bytes.buffer);
  const w = widthOf(dtype);
  const n = bytes.length / w;
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = dtype === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = dtype === 'int64' ? view.getBigInt64(i * 8, true) : view.getBigUint64(i * 8, true);
    return out;
  }
  const out = new Float64Array(n);
  const limit = 2 ** DTYPE_INFO[dtype].bits;
  for (let i = 0; i < n; i++) {
    if (dtype === 'float64') { out[i] = view.getFloat64(i * 8, true); continue; }
    if (dtype === 'float32') { out[i] = view.getFloat32(i * 4, true); continue; }
    const code = w === 1 ? view.getUint8(i) : w === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
    if (dtype === 'bool') {
      if (code > 1) return undefined;
      out[i] = code;
    } else {
      if (code >= limit) return undefined;
      out[i] = isCodedFloatDType(dtype) ? decodeFloat(code, dtype) : codeToInt(code, dtype);
    }
  }
  return out;
}
