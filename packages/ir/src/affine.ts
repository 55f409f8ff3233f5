// Affine index maps: each operand dim is read at sum(coeff * loopIndex) + offset.
// Loop indices 0..rank-1 are the output dims (parallel); rank.. are the contract's reduction loops.

export interface AffineTerm {
  readonly idx: number;
  readonly coeff: number;
}
export interface AffineExpr {
  /** Sorted by idx, no zero coefficients, each idx at most once (the canonical form the verifier checks). */
  readonly terms: readonly AffineTerm[];
  readonly offset: number;
}
/** One expression per dim of the operand it indexes. */
export type AffineMap = readonly AffineExpr[];

export const dimExpr = (idx: number, coeff = 1, offset = 0): AffineExpr => ({ terms: [{ idx, coeff }], offset });
export const constExpr = (offset: number): AffineExpr => ({ terms: [], offset });

/** Builds a canonical expression from unsorted terms (merges repeated indices, drops zeros). */
export function affine(terms: readonly AffineTerm[], offset = 0): AffineExpr {
  const byIdx = new Map<number, number>();
  for (const t of terms) byIdx.set(t.idx, (byIdx.get(t.idx) ?? 0) + t.coeff);
  const sorted = [...byIdx.entries()].filter(([, c]) => c !== 0).sort((a, b) => a[0] - b[0]);
  return { terms: sorted.map(([idx, coeff]) => ({ idx, coeff })), offset };
}

/** The same expression (both canonical: terms sorted by index, as `affine` builds them). */
export const affineEquals = (a: AffineExpr, b: AffineExpr): boolean => a.offset === b.offset && a.terms.length === b.terms.length
  && a.terms.every((t, i) => t.idx === b.terms[i]!.idx && t.coeff === b.terms[i]!.coeff);

/** The same map, dim by dim. */
export const mapsEqual = (a: AffineMap, b: AffineMap): boolean => a.length === b.length && a.every((e, d) => affineEquals(e, b[d]!));

/** Evaluates an expression at a loop point. */
export function evalAffine(e: AffineExpr, point: ArrayLike<number>): number {
  let v = e.offset;
  for (const t of e.terms) v += t.coeff * point[t.idx]!;
  return v;
}
