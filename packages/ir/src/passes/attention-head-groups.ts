// Grouped-query attention as PyTorch exports it (repeat_kv): K and V are [B, Hkv, S, D] tensors repeated to
// [B, Hkv * G, S, D] by reshape -> expand -> reshape before the products. The last reshape merges (Hkv, G) into
// one head dim, which an affine map over a single head loop cannot undo; splitting the attention op's head loop
// into (kv head, group) can: the head index becomes G * kv + g, and the merged dim is read as (kv, g), the
// repeat as index 0 of the broadcast dim, so K and V are read in place, once per KV head.

import { type AffineExpr, type AffineMap, affine } from '../affine.js';
import type { AttentionOp } from '../ops.js';
import type { Dim } from '../types.js';

/**
 * The shape both `xs` and `ys` split into (every dim boundary of either), when one exists: nn.MultiheadAttention's
 * [S, B, H*D] -> [S, B*H, D] is [S, B, H*D] split into [S, B, H, D], then (B, H) merged. Undefined when a
 * boundary of one does not divide the next of the other, or the shapes hold other than positive sizes.
 */
export function commonSplit(xs: readonly number[], ys: readonly number[]): number[] | undefined {
  if (![...xs, ...ys].every((d) => Number.isInteger(d) && d > 1)) return undefined;
  const cuts = (s: readonly number[]) => s.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 1) * d], []);
  const all = [...new Set([...cuts(xs), ...cuts(ys)])].sort((a, b) => a - b);
  if (cuts(xs).at(-1) !== cuts(ys).at(-1)) return undefined;
  const zs = all.map((c, i) => c / (i === 0 ? 1 : all[i - 1]!));
  return zs.every((z) => Number.isInteger(z)) ? zs : undefined;
}

/** The y dim of a reshape x -> y that merges two consecutive x dims (all others equal), if that is all it does. */
export function mergedDim(xs: readonly number[], ys: readonly number[]): number | undefined {
  if (xs.length !== ys.length + 1) return undefined;
  for (let d = 0; d < ys.length; d++) {
    if (xs[d] === ys[d]) continue;
    return xs[d]! * xs[d + 1]! === ys[d] && xs.slice(d + 2).every((s, i) => s === ys[d + 1 + i]) ? d : undefined;
  }
  return undefined;
}

/**
 * The map over x of a reshape merging x dims (d, d + 1) into y dim d, when the y dim's index is `inner * a + b`
 * with loop a spanning x dim d and loop b (unit step) spanning x dim d + 1 exactly.
 */
export function throughMerge(m: AffineMap, d: number, xs: readonly number[], extents: readonly Dim[]): AffineMap | undefined {
  const e = m[d]!;
  const inner = xs[d + 1]!;
  const b = e.terms.find((t) => t.coeff === 1 && extents[t.idx] === inner);
  const a = e.terms.find((t) => t !== b && t.coeff === inner && extents[t.idx] === xs[d]);
  if (e.offset !== 0 || e.terms.length !== 2 || !a || !b) return undefined;
  return [...m.slice(0, d), affine([{ idx: a.idx, coeff: 1 }]), affine([{ idx: b.idx, coeff: 1 }]), ...m.slice(d + 1)];
}

/** The op with output loop `l` (extent outer * inner) split into loops l (outer) and l + 1 (inner): l = inner * l + (l + 1). */
export function splitOutputLoop(op: AttentionOp, outShape: readonly Dim[], l: number, inner: number): { op: AttentionOp; outShape: Dim[] } {
  const rename = (e: AffineExpr): AffineExpr => affine(e.terms.flatMap((t) => (t.idx < l ? [t] : t.idx > l ? [{ idx: t.idx + 1, coeff: t.coeff }]
    : [{ idx: l, coeff: t.coeff * inner }, { idx: l + 1, coeff: t.coeff }])), e.offset);
  return {
    op: { ...op, maps: op.maps.map((m) => m.map(rename)), valueAxis: op.valueAxis > l ? op.valueAxis + 1 : op.valueAxis },
    outShape: [...outShape.slice(0, l), (outShape[l] as number) / inner, inner, ...outShape.slice(l + 1)],
  };
}
