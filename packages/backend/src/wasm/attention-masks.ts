// Constant attention masks the tiled kernel need not load: a mask plane (query rows x keys, the same for every
// batch and head) holding one value, or one value on and below a diagonal and another above it (causal masks,
// PyTorch's triu(ones, diagonal=1) with masked_fill, or additive 0 / -inf), whose lane vectors are computed
// from the row and key indices. When the score epilogue gives -inf for the value above the diagonal whatever
// the q·k product (NaN and infinities included), key blocks wholly above the diagonal are skipped: their
// probabilities are exactly 0 and the running max cannot change, so the result is the same.

import { type DType, type ScalarExpr, compileScalar } from '@tensorc/ir';

export type MaskPattern =
  | { readonly kind: 'uniform'; readonly value: number }
  /** `above` where key - row > offset, `below` elsewhere. */
  | { readonly kind: 'causal'; readonly offset: number; readonly below: number; readonly above: number };

/** The pattern of plane element (i, j) = data[base + i * row + j * key], i < rows, j < keys, if it has one. */
export function maskPattern(data: ArrayLike<number | bigint>, base: number, row: number, key: number, rows: number, keys: number): MaskPattern | undefined {
  const at = (i: number, j: number) => Number(data[base + i * row + j * key]);
  if (rows === 0 || keys === 0) return undefined;
  const first = at(0, 0);
  let other: number | undefined;
  for (let i = 0; i < rows; i++) for (let j = 0; j < keys; j++) {
    const v = at(i, j);
    if (Object.is(v, first)) continue;
    if (other === undefined) other = v;
    else if (!Object.is(v, other)) return undefined;
  }
  if (other === undefined) return Number.isNaN(first) ? undefined : { kind: 'uniform', value: first };
  for (const [below, above] of [[first, other], [other, first]] as const) {
    // each row must read `below` then `above` from some key on; that key minus the row is offset + 1
    let offset: number | undefined;
    let ok = true;
    for (let i = 0; i < rows && ok; i++) {
      let j = 0;
      while (j < keys && Object.is(at(i, j), below)) j++;
      for (let jj = j; jj < keys; jj++) if (!Object.is(at(i, jj), above)) { ok = false; break; }
      if (!ok) break;
      if (j > 0 && j < keys) {
        if (offset === undefined) offset = j - i - 1;
        else if (offset !== j - i - 1) ok = false;
      }
    }
    if (!ok || offset === undefined) continue;
    // rows whose boundary is off the plane must agree with it too
    let fits = true;
    for (let i = 0; i < rows && fits; i++) for (let j = 0; j < keys; j++) if (!Object.is(at(i, j), j - i > offset ? above : below)) { fits = false; break; }
    if (fits && !Number.isNaN(below) && !Number.isNaN(above)) return { kind: 'causal', offset, below, above };
  }
  return undefined;
}

/** Whether `e` reads acc or a score input other than `known`. */
function readsUnknown(e: ScalarExpr, known: number): boolean {
  switch (e.k) {
    case 'acc': return true;
    case 'arg': return e.i !== known;
    case 'lit': return false;
    case 'un': case 'cast': return readsUnknown(e.a, known);
    case 'bin': return readsUnknown(e.a, known) || readsUnknown(e.b, known);
    case 'select': return readsUnknown(e.c, known) || readsUnknown(e.a, known) || readsUnknown(e.b, known);
  }
}

/** The value of `e` with arg `i` = `value` when it does not depend on acc (or other inputs); else undefined. */
function fixedValue(e: ScalarExpr, argTypes: readonly DType[], i: number, value: number): number | undefined {
  if (!readsUnknown(e, i)) {
    const args = argTypes.map((_, j) => (j === i ? value : 0));
    return Number(compileScalar(e, argTypes, 'float32').fn(args, 0));
  }
  // a select whose condition is fixed takes one branch whatever the rest is
  if (e.k !== 'select') return undefined;
  const c = fixedValue(e.c, argTypes, i, value);
  return c === undefined ? undefined : fixedValue(c !== 0 ? e.a : e.b, argTypes, i, value);
}

/** Whether the score epilogue yields -inf whenever arg `argIndex` is `value`, whatever acc is (NaN included). */
export function alwaysMinusInf(e: ScalarExpr, argTypes: readonly DType[], argIndex: number, value: number): boolean {
  return fixedValue(e, argTypes, argIndex, value) === -Infinity;
}
