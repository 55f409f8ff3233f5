// Tensor plumbing shared by the control-flow and sequence kernels: taking one position or a range off an
// axis, stacking along a new axis, concatenating, and copying values so that kernels hand back fresh ones.

import type { HostTensor, RuntimeValue, TensorData } from '../tensor.js';
import type { Dim } from '../types.js';
import type { InterpContext } from './kernel-types.js';
import { makeTensor, num, runtimeError, sizeOf } from './tensor-utils.js';

type Cells = { [i: number]: unknown };

/** Positions [start, start + len) of `axis`, keeping the axis. */
export function sliceRange(x: HostTensor, axis: number, start: number, len: number): HostTensor {
  const outer = sizeOf(x.shape.slice(0, axis));
  const n = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const out = makeTensor(x.dtype, x.shape.map((d, i) => (i === axis ? len : d)));
  const src = x.data as Cells;
  const dst = out.data as Cells;
  for (let a = 0; a < outer; a++) {
    for (let k = 0; k < len; k++) {
      for (let c = 0; c < inner; c++) dst[(a * len + k) * inner + c] = src[(a * n + start + k) * inner + c];
    }
  }
  return out;
}

/** x with `axis` removed, at position `i` along it. */
export function sliceAlong(x: HostTensor, axis: number, i: number): HostTensor {
  const t = sliceRange(x, axis, i, 1);
  return { ...t, shape: t.shape.filter((_, d) => d !== axis) };
}

const describe = (x: HostTensor) => `${x.dtype}[${x.shape.join(',')}]`;

/** Equal-shaped tensors stacked along a new axis `axis` (0 <= axis <= rank). */
export function stackAlong(xs: readonly HostTensor[], axis: number): HostTensor {
  const first = xs[0] ?? runtimeError('nothing to stack');
  for (const x of xs) {
    if (x.shape.join() !== first.shape.join() || x.dtype !== first.dtype) runtimeError(`cannot stack ${describe(x)} with ${describe(first)}`);
  }
  if (axis < 0 || axis > first.shape.length) runtimeError(`stack axis ${axis} is out of range for rank ${first.shape.length}`);
  return concatAlong(xs.map((x) => ({ ...x, shape: [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] })), axis);
}

/** Tensors of equal dtype and rank, equal except along `axis`, concatenated along it. */
export function concatAlong(xs: readonly HostTensor[], axis: number): HostTensor {
  const first = xs[0] ?? runtimeError('nothing to concatenate');
  if (axis < 0 || axis >= first.shape.length) runtimeError(`concat axis ${axis} is out of range for rank ${first.shape.length}`);
  for (const x of xs) {
    const same = x.dtype === first.dtype && x.shape.length === first.shape.length && x.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!same) runtimeError(`cannot concatenate ${describe(x)} with ${describe(first)} along axis ${axis}`);
  }
  const total = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const out = makeTensor(first.dtype, first.shape.map((d, i) => (i === axis ? total : d)));
  const dst = out.data as Cells;
  let off = 0;
  for (const x of xs) {
    const n = x.shape[axis]!;
    const src = x.data as Cells;
    for (let a = 0; a < outer; a++) {
      for (let k = 0; k < n; k++) {
        for (let c = 0; c < inner; c++) dst[(a * total + off + k) * inner + c] = src[(a * n + k) * inner + c];
      }
    }
    off += n;
  }
  return out;
}

function copyData(d: TensorData): TensorData {
  return Array.isArray(d) ? [...(d as readonly string[])] : (d as Float64Array | BigInt64Array | BigUint64Array).slice();
}

export const cloneTensor = (t: HostTensor): HostTensor => ({ dtype: t.dtype, shape: [...t.shape], data: copyData(t.data) });

/** A deep copy of a run-time value (tensor, sequence or empty optional). */
export function cloneValue(v: RuntimeValue): RuntimeValue {
  if (v === null) return null;
  if (Array.isArray(v)) return (v as readonly HostTensor[]).map(cloneTensor);
  return cloneTensor(v as HostTensor);
}

/** The single element of a tensor as a number (an index, a position, a count). */
export function scalarOf(t: HostTensor, what: string): number {
  if (t.data.length !== 1) runtimeError(`${what} must have one element, got [${t.shape.join(',')}]`);
  return num(t.data[0] as number | bigint);
}

/** An axis in [-n, n) as an index in [0, n) (n: the rank, or rank + 1 when the axis is a new one). */
export function normAxis(axis: number, n: number, what: string): number {
  const a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n) runtimeError(`${what} axis ${axis} is out of range [${-n}, ${n})`);
  return a;
}

/** A result dim: its value when known here, else 0 (it then binds to 0; it only sizes empty outputs). */
export function dimOrZero(ctx: InterpContext, d: Dim): number {
  if (typeof d === 'number') return d;
  try {
    return ctx.dim(d);
  } catch {
    return 0;
  }
}
