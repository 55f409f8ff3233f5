// Helpers shared by the data movement and index kernels: untyped element access (movement ops work on every
// dtype, strings included, since elements are only copied), "gather by source offset" tensor construction,
// index tensors read as numbers, and stores that keep the HostTensor invariant after a scatter reduction.

import { type DType, isFloat } from '../dtype.js';
import { normalizeScalar } from '../numeric/index.js';
import type { HostTensor, RuntimeValue, TensorData } from '../tensor.js';
import { makeTensor, runtimeError, sizeOf, unravel } from './tensor-utils.js';

/** One element of any dtype as stored in host data. */
export type Elem = number | bigint | string;

export const getElem = (t: HostTensor, i: number): Elem => t.data[i] as Elem;
/** Writes an element already valid for t's dtype (same storage kind): no normalization. */
export const setElem = (t: HostTensor, i: number, v: Elem): void => {
  (t.data as unknown as Elem[])[i] = v;
};
export const one = (t: HostTensor): RuntimeValue[] => [t];

/**
 * A fresh tensor of x's dtype and `shape` where out[i] = x[src(i)] for each output multi-index i;
 * src < 0 means "no input element": `fill` if given, else a runtime error. `idx` is reused: do not keep it.
 */
export function gatherBy(x: HostTensor, shape: readonly number[], src: (idx: readonly number[]) => number, fill?: Elem): HostTensor {
  const out = makeTensor(x.dtype, shape);
  const idx = new Array<number>(shape.length).fill(0);
  const n = sizeOf(shape);
  for (let o = 0; o < n; o++) {
    unravel(o, shape, idx);
    const s = src(idx);
    if (s >= 0) setElem(out, o, getElem(x, s));
    else if (fill !== undefined) setElem(out, o, fill);
    else runtimeError('read outside the input');
  }
  return out;
}

/** The elements of an integer tensor (indices, runtime shapes) as numbers. */
export function indexValues(t: HostTensor, what: string): number[] {
  if (t.dtype !== 'int32' && t.dtype !== 'int64') runtimeError(`${what} must be int32 or int64, got ${t.dtype}`);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** A runtime shape tensor (int64 1-D) as dims, rejecting negative entries (the frontend resolves ONNX's 0 / -1). */
export function shapeValues(t: HostTensor, what: string): number[] {
  const dims = indexValues(t, what);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) runtimeError(`${what} [${dims.join(',')}] has a negative or huge dim`);
  return dims;
}

/** A deep copy of x (same dtype, shape and values). */
export function copyTensor(x: HostTensor): HostTensor {
  const data = Array.isArray(x.data) ? [...(x.data as string[])] : (x.data as Float64Array).slice();
  return { dtype: x.dtype, shape: [...x.shape], data: data as TensorData };
}

/** The pad value as an element of dtype: strings pad with '', numbers are rounded / wrapped / made 0/1 as the dtype needs. */
export function fillElem(dtype: DType, v: number): Elem {
  if (dtype === 'string') return '';
  if (isFloat(dtype) || dtype === 'bool') return normalizeScalar(v, dtype);
  if (!Number.isFinite(v)) return runtimeError(`pad value ${v} is not a ${dtype}`);
  return normalizeScalar(Math.trunc(v), dtype);
}

export type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/** a (reduction) b on raw elements; NaN propagates through max/min as numpy's maximum/minimum. */
function combine(reduction: Reduction, a: Elem, b: Elem): Elem {
  if (reduction === 'none') return b;
  if (typeof a === 'string' || typeof b === 'string') return runtimeError(`scatter reduction ${reduction} on strings`);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a);
    const y = BigInt(b);
    switch (reduction) {
      case 'add': return x + y;
      case 'mul': return x * y;
      case 'max': return x > y ? x : y;
      case 'min': return x < y ? x : y;
    }
  }
  switch (reduction) {
    case 'add': return a + b;
    case 'mul': return a * b;
    case 'max': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
    case 'min': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
  }
}

/** out[at] = out[at] (reduction) v, normalized to out's dtype (sums wrap for integers, round for floats). */
export function storeReduced(out: HostTensor, at: number, v: Elem, reduction: Reduction): void {
  if (reduction === 'none') {
    setElem(out, at, v);
    return;
  }
  setElem(out, at, normalizeScalar(combine(reduction, getElem(out, at), v) as number | bigint, out.dtype));
}
