// Dim helpers for converters: axis normalization and products/quotients of possibly symbolic dims
// (element counts for Reshape's -1, Flatten, means). Symbolic arithmetic is delegated to the IR's dims module.

import { type Dim, dimAdd as irDimAdd, dimEquals, dimMul as irDimMul, dimDivExact } from '@tensorc/ir';
import type { ConvertContext } from './context.js';

export function normAxis(ctx: ConvertContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail('SHAPE_ERROR', `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export const dimEq = (a: Dim, b: Dim): boolean => dimEquals(a, b);
export const dimMul = (a: Dim, b: Dim): Dim => irDimMul(a, b);
export const dimAdd = (a: Dim, b: Dim): Dim => irDimAdd(a, b);

/** product(dims) / product(divisors), failing when the division is not exact. */
export function dimsProduct(dims: readonly Dim[], divisors: readonly Dim[], fail: (msg: string) => never): Dim {
  let p: Dim = 1;
  for (const d of dims) p = irDimMul(p, d);
  for (const d of divisors) {
    if (d === 0) return fail(`cannot infer a dim when another dim is 0`);
    const q = dimDivExact(p, d);
    if (q === undefined) return fail(`${String(p)} elements are not divisible by ${String(d)}`);
    p = q;
  }
  return p;
}
