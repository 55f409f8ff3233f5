// Small helpers every interpreter kernel uses: checked access to tensor inputs, row-major strides, index
// <-> offset conversion, fresh tensors, and broadcast reads. Plain loops; clarity over speed.

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import { allocData } from '../numeric/index.js';
import type { HostTensor, RuntimeValue, TensorData } from '../tensor.js';

export function runtimeError(msg: string): never {
  throw new CompileError('RUNTIME_ERROR', msg);
}

/** Input i as a tensor (not a sequence or an empty optional). */
export function tensorArg(ins: readonly RuntimeValue[], i: number): HostTensor {
  const v = ins[i];
  if (v === undefined || v === null || Array.isArray(v)) return runtimeError(`input ${i} must be a tensor`);
  return v as HostTensor;
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Multi-index of flat offset `flat` in `shape` (row-major), written into `out`. */
export function unravel(flat: number, shape: readonly number[], out: number[]): number[] {
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    out[i] = d === 0 ? 0 : flat % d;
    flat = d === 0 ? 0 : Math.floor(flat / d);
  }
  return out;
}

export function ravel(idx: readonly number[], st: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < idx.length; i++) o += idx[i]! * st[i]!;
  return o;
}

/** A zero-filled tensor. */
export function makeTensor(dtype: DType, shape: readonly number[]): HostTensor {
  return { dtype, shape: [...shape], data: allocData(dtype, sizeOf(shape)) };
}

export function withData(dtype: DType, shape: readonly number[], data: TensorData): HostTensor {
  return { dtype, shape: [...shape], data };
}

/** Strides for reading a tensor of `shape` broadcast (numpy, right-aligned) to `outShape`: 0 on broadcast dims. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = strides(shape);
  const r = outShape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const j = i + r - shape.length;
    out[j] = shape[i] === 1 && outShape[j] !== 1 ? 0 : st[i]!;
  }
  return out;
}

/**
 * Steps `idx` to the next point of `shape` in row-major order and each input's element offset in `offs` with
 * it (`bst`: the inputs' broadcast strides), so a walk over a broadcast output reads every input incrementally.
 */
export function nextBroadcastPoint(idx: number[], offs: number[], bst: readonly (readonly number[])[], shape: readonly number[]): void {
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d]!++;
    for (let j = 0; j < offs.length; j++) offs[j]! += bst[j]![d]!;
    if (idx[d]! < shape[d]!) return;
    for (let j = 0; j < offs.length; j++) offs[j]! -= bst[j]![d]! * shape[d]!;
    idx[d] = 0;
  }
}

/** Normalizes a possibly negative index against a dim, with a runtime error when out of range. */
export function normIndex(i: number, n: number, what: string): number {
  const j = i < 0 ? i + n : i;
  if (!Number.isInteger(j) || j < 0 || j >= n) runtimeError(`${what} index ${i} is out of range for size ${n}`);
  return j;
}

/** Element as a number (bigints converted; exact for int64 values within 2^53). */
export const num = (v: number | bigint | string | undefined): number => (typeof v === 'bigint' ? Number(v) : (v as number));
