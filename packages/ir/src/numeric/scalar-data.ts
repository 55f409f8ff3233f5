// Element access for host tensors, the interpreter's concrete values: allocation per dtype, reads, and writes
// that keep the HostTensor invariant (every element is an exact value of the dtype) by rounding or wrapping.

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { HostTensor, TensorData } from '../tensor.js';
import { castScalar, type ScalarValue } from './cast.js';
import { isIntDType, wrapInt } from './ints.js';

/**
 * Most elements one host tensor may have: 2^28, i.e. 2 GiB as the Float64Array a host tensor is held in.
 * The interpreter and constant folding refuse larger results (LIMIT_EXCEEDED) before allocating them, so a
 * model that declares a huge tensor fails cleanly instead of exhausting memory.
 */
export const MAX_HOST_ELEMENTS = 2 ** 28;

/** Zeroed storage for n elements of dtype: BigInt64Array/BigUint64Array for 64-bit ints, string[] of "" for string, Float64Array otherwise. */
export function allocData(dtype: DType, n: number): TensorData {
  if (!Number.isSafeInteger(n) || n < 0) throw new CompileError('LIMIT_EXCEEDED', `allocData: bad element count ${n}`);
  if (n > MAX_HOST_ELEMENTS) throw new CompileError('LIMIT_EXCEEDED', `a ${dtype} tensor of ${n} elements exceeds the host tensor limit of ${MAX_HOST_ELEMENTS} elements`);
  switch (dtype) {
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'string': return new Array<string>(n).fill('');
    default: return new Float64Array(n);
  }
}

/**
 * v as an element of dtype: floats rounded to nearest even (non-saturating, see roundToDType), integers wrapped
 * (two's complement; non-integral numbers truncated first), bool to 0/1. 64-bit ints give bigint.
 * A string is accepted only for the string dtype (use castScalar to parse).
 */
export function normalizeScalar(v: ScalarValue | boolean, dtype: DType): ScalarValue {
  if (dtype === 'string') {
    if (typeof v !== 'string') throw new CompileError('TYPE_ERROR', `expected a string element, got ${typeof v}`);
    return v;
  }
  if (typeof v === 'string') throw new CompileError('TYPE_ERROR', `expected a ${dtype} element, got a string`);
  const x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (isIntDType(dtype)) return wrapInt(x, dtype);
  return castScalar(x, typeof x === 'bigint' ? 'int64' : 'float64', dtype, false);
}

/** Element i of a host tensor: number (bool as 0/1), bigint for int64/uint64, or string. */
export function readScalar(t: HostTensor, i: number): ScalarValue {
  const v = t.data[i];
  if (v === undefined) throw new CompileError('RUNTIME_ERROR', `element ${i} out of range for ${t.data.length} elements`);
  return v;
}

/** Store v (normalized to t.dtype, see normalizeScalar) as element i of t. */
export function writeScalar(t: HostTensor, i: number, v: ScalarValue | boolean): void {
  if (!Number.isInteger(i) || i < 0 || i >= t.data.length) {
    throw new CompileError('RUNTIME_ERROR', `element ${i} out of range for ${t.data.length} elements`);
  }
  const n = normalizeScalar(v, t.dtype);
  const data = t.data;
  if (data instanceof Float64Array) {
    if (typeof n !== 'number') throw mismatch(t);
    data[i] = n;
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    if (typeof n !== 'bigint') throw mismatch(t);
    data[i] = n;
  } else {
    if (typeof n !== 'string') throw mismatch(t);
    (data as string[])[i] = n;
  }
}

function mismatch(t: HostTensor): CompileError {
  return new CompileError('INTERNAL', `host tensor of ${t.dtype} has ${t.data.constructor.name} storage`);
}
