// The boundary between user-facing tensors ({ type, dims, data } as onnxruntime-web shapes them) and the IR's
// HostTensor: float16/bfloat16 travel as Uint16Array bit patterns, float8/float4/e8m0 and the sub-byte ints as
// Uint8Array with one element code per entry (int4/int2 as their two's-complement code: -1 is 15 / 3), bool as
// Uint8Array 0/1. Also ONNX's packing of 4- and 2-bit codes into bytes (first element in the low bits).

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import { hostTensor, type HostTensor } from '../tensor.js';
import { decodeFloat, encodeFloat, isCodedFloatDType } from './floats.js';
import { codeToInt, intToCode } from './ints.js';

export type UserTensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

export interface UserTensor {
  type: DType;
  dims: number[];
  data: UserTensorData;
}

type NumberArrayCtor =
  | Float32ArrayConstructor | Float64ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor;

/** How a dtype's elements are laid out in a user tensor. */
type Layout =
  | { readonly k: 'number'; readonly ctor: NumberArrayCtor } // the value itself
  | { readonly k: 'code'; readonly ctor: Uint8ArrayConstructor | Uint16ArrayConstructor; readonly bits: number } // a code
  | { readonly k: 'bigint'; readonly ctor: BigInt64ArrayConstructor | BigUint64ArrayConstructor }
  | { readonly k: 'string' };

function layoutOf(d: DType): Layout {
  switch (d) {
    case 'float32': return { k: 'number', ctor: Float32Array };
    case 'float64': return { k: 'number', ctor: Float64Array };
    case 'int8': return { k: 'number', ctor: Int8Array };
    case 'int16': return { k: 'number', ctor: Int16Array };
    case 'int32': return { k: 'number', ctor: Int32Array };
    case 'uint8': return { k: 'number', ctor: Uint8Array };
    case 'uint16': return { k: 'number', ctor: Uint16Array };
    case 'uint32': return { k: 'number', ctor: Uint32Array };
    case 'bool': return { k: 'code', ctor: Uint8Array, bits: 8 };
    case 'int64': return { k: 'bigint', ctor: BigInt64Array };
    case 'uint64': return { k: 'bigint', ctor: BigUint64Array };
    case 'string': return { k: 'string' };
    case 'float16': case 'bfloat16': return { k: 'code', ctor: Uint16Array, bits: 16 };
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      return { k: 'code', ctor: Uint8Array, bits: 8 };
    case 'float4e2m1': case 'int4': case 'uint4': return { k: 'code', ctor: Uint8Array, bits: 4 };
    case 'int2': case 'uint2': return { k: 'code', ctor: Uint8Array, bits: 2 };
    default: {
      const never: never = d;
      throw new CompileError('INTERNAL', `no user layout for ${String(never)}`);
    }
  }
}

/** Name of the array type a user tensor of this dtype carries, e.g. "Uint16Array" for float16. */
export function userArrayName(d: DType): string {
  const l = layoutOf(d);
  return l.k === 'string' ? 'string[]' : l.ctor.name;
}

function elementCount(type: DType, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new CompileError('INVALID_INPUT', `${type} tensor has a bad dim ${d} in [${dims.join(', ')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new CompileError('LIMIT_EXCEEDED', `${type} tensor [${dims.join(', ')}] is too large`);
  return n;
}

/** Value of one stored code of a code-laid-out dtype. */
function codeValue(code: number, d: DType): number {
  if (d === 'bool') return code !== 0 ? 1 : 0;
  if (isCodedFloatDType(d)) return decodeFloat(code, d);
  return codeToInt(code, d);
}

/** Stored code of one value of a code-laid-out dtype. */
function valueCode(v: number, d: DType): number {
  if (d === 'bool') return v !== 0 ? 1 : 0;
  if (isCodedFloatDType(d)) return encodeFloat(v, d, false);
  return intToCode(v, d);
}

/**
 * A user tensor's data as a HostTensor (values copied; codes decoded). Throws INVALID_INPUT when the array type
 * does not match the dtype, the length does not match the dims, or a code does not fit the element width.
 */
export function toHostTensor(type: DType, dims: readonly number[], data: UserTensorData): HostTensor {
  const n = elementCount(type, dims);
  const l = layoutOf(type);
  const shape = [...dims];
  const expected = l.k === 'string' ? 'string[]' : l.ctor.name;
  const bad = (why: string): CompileError =>
    new CompileError('INVALID_INPUT', `${type} tensor [${dims.join(', ')}]: ${why}`);
  if (l.k === 'string' ? !Array.isArray(data) : !(data instanceof l.ctor)) {
    throw bad(`data must be ${expected}, got ${Array.isArray(data) ? 'an array' : data.constructor.name}`);
  }
  if (data.length !== n) throw bad(`data has ${data.length} elements, the dims need ${n}`);
  switch (l.k) {
    case 'string': {
      const out = (data as string[]).slice();
      if (out.some((s) => typeof s !== 'string')) throw bad('data must hold only strings');
      return hostTensor(type, shape, out);
    }
    case 'bigint':
      return hostTensor(type, shape, (data as BigInt64Array | BigUint64Array).slice());
    case 'number':
      return hostTensor(type, shape, Float64Array.from(data as ArrayLike<number>));
    case 'code': {
      const src = data as Uint8Array | Uint16Array;
      const out = new Float64Array(n);
      const limit = 2 ** l.bits;
      for (let i = 0; i < n; i++) {
        const c = src[i]!;
        if (c >= limit) throw bad(`element ${i} has code ${c}, wider than ${l.bits} bits`);
        out[i] = codeValue(c, type);
      }
      return hostTensor(type, shape, out);
    }
    default: {
      const never: never = l;
      throw new CompileError('INTERNAL', `toHostTensor: ${String(never)}`);
    }
  }
}

/** A HostTensor as a user tensor (fresh arrays; floats of coded dtypes re-encoded, ints as codes). */
export function fromHostTensor(t: HostTensor): UserTensor {
  const l = layoutOf(t.dtype);
  const dims = [...t.shape];
  const wrong = (): CompileError =>
    new CompileError('INTERNAL', `host tensor of ${t.dtype} has ${t.data.constructor.name} storage`);
  switch (l.k) {
    case 'string':
      if (!Array.isArray(t.data)) throw wrong();
      return { type: t.dtype, dims, data: (t.data as readonly string[]).slice() };
    case 'bigint':
      if (!(t.data instanceof l.ctor)) throw wrong();
      return { type: t.dtype, dims, data: t.data.slice() };
    case 'number':
      if (!(t.data instanceof Float64Array)) throw wrong();
      return { type: t.dtype, dims, data: l.ctor.from(t.data) };
    case 'code': {
      if (!(t.data instanceof Float64Array)) throw wrong();
      const src = t.data;
      const out = new l.ctor(src.length);
      for (let i = 0; i < src.length; i++) out[i] = valueCode(src[i]!, t.dtype);
      return { type: t.dtype, dims, data: out };
    }
    default: {
      const never: never = l;
      throw new CompileError('INTERNAL', `fromHostTensor: ${String(never)}`);
    }
  }
}

/** Pack 4- or 2-bit codes into bytes as ONNX stores them: element i at bit (i*bits)%8 of byte (i*bits)/8. */
export function packSubByte(codes: Uint8Array, bits: 4 | 2): Uint8Array {
  const perByte = 8 / bits;
  const out = new Uint8Array(Math.ceil(codes.length / perByte));
  const mask = (1 << bits) - 1;
  for (let i = 0; i < codes.length; i++) {
    out[Math.floor(i / perByte)]! |= (codes[i]! & mask) << ((i % perByte) * bits);
  }
  return out;
}

/** The first `count` codes packed in bytes by packSubByte's layout. */
export function unpackSubByte(bytes: Uint8Array, bits: 4 | 2, count: number): Uint8Array {
  const perByte = 8 / bits;
  if (count > bytes.length * perByte) {
    throw new CompileError('INVALID_INPUT', `${bytes.length} bytes hold at most ${bytes.length * perByte} ${bits}-bit elements, ${count} requested`);
  }
  const out = new Uint8Array(count);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) out[i] = (bytes[Math.floor(i / perByte)]! >> ((i % perByte) * bits)) & mask;
  return out;
}
