// How a loop nest reads a tensor: an affine index map over the nest's loops becomes a base offset and one
// element stride per loop, plus bounds checks only when a padded read can actually leave the tensor.

import type { AffineExpr, TensorType, ValueId } from '@tensorc/ir';
import type { NestOperand } from './kernel-plan.js';
import { rowMajor } from './lower-common.js';

/**
 * An operand reading `shape` through affine `map` over `nLoops` loops. A padded read gets bounds checks
 * unless `extents` (the loops' extents) show every index stays inside (a pool without padding).
 */
export function operandOf(buffer: ValueId, t: TensorType, map: readonly AffineExpr[], nLoops: number, pad: number | null, extents?: readonly number[]): NestOperand {
  const shape = t.shape as number[];
  const st = rowMajor(shape);
  const strides = new Array<number>(nLoops).fill(0);
  let base = 0;
  const coeffs: number[][] = [];
  map.forEach((e, d) => {
    base += e.offset * st[d]!;
    const c = new Array<number>(nLoops).fill(0);
    for (const term of e.terms) { strides[term.idx]! += term.coeff * st[d]!; c[term.idx] = term.coeff; }
    coeffs.push(c);
  });
  const inside = extents !== undefined && map.every((e, d) => {
    const span = e.terms.map((term) => term.coeff * (extents[term.idx]! - 1));
    return e.offset + span.reduce((a, v) => a + Math.min(0, v), 0) >= 0 && e.offset + span.reduce((a, v) => a + Math.max(0, v), 0) < shape[d]!;
  });
  return pad === null || inside
    ? { buffer, dtype: t.dtype, base, strides, pad: 0 }
    : { buffer, dtype: t.dtype, base, strides, pad, bounds: { coeffs, offsets: map.map((e) => e.offset), sizes: shape } };
}

/** Loop `i + offset` indexes dim `i`, for each of `rank` dims. */
export const identityMap = (rank: number, offset = 0): AffineExpr[] => Array.from({ length: rank }, (_, i) => ({ terms: [{ idx: i + offset, coeff: 1 }], offset: 0 }));
