// Small predicates over affine index expressions, for the lowerings that recognize a kernel from a contraction's
// maps (convolutions, windows, pools).

import type { AffineExpr } from '@tensorc/ir';

/** The coefficient of loop `idx` in `e` (0 when it does not read it). */
export const term = (e: AffineExpr | undefined, idx: number): number => e?.terms.find((t) => t.idx === idx)?.coeff ?? 0;

/** `e` reads no loop outside `idxs`. */
export const only = (e: AffineExpr | undefined, idxs: readonly number[]): boolean => e !== undefined && e.terms.every((t) => idxs.includes(t.idx));

/** `e` is exactly loop `idx`. */
export const isIdx = (e: AffineExpr | undefined, idx: number): boolean =>
  e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;

/** `e` = out*stride + red*dilation + offset with `out` the given loop and `red` one reduction loop (>= `firstRed`). */
export function window(e: AffineExpr | undefined, out: number, firstRed: number): { red: number; stride: number; dilation: number; offset: number } | undefined {
  if (!e || e.terms.length !== 2) return undefined;
  const o = e.terms.find((t) => t.idx === out);
  const r = e.terms.find((t) => t.idx !== out);
  if (!o || !r || r.idx < firstRed || o.coeff < 1 || r.coeff < 1) return undefined;
  return { red: r.idx, stride: o.coeff, dilation: r.coeff, offset: e.offset };
}

/** `e` is exactly the sum of `coeff * loop` over `terms` (any order), with no offset. */
export const isAffine = (e: AffineExpr | undefined, terms: readonly (readonly [number, number])[]): boolean => e !== undefined && e.offset === 0 &&
  e.terms.length === terms.length && terms.every(([idx, coeff]) => e.terms.some((t) => t.idx === idx && t.coeff === coeff));
