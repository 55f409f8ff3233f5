// ONNX Attention's function body (the `_expanded` tests, and exporters that spell it out) zeroes the
// probabilities of query rows whose mask row is all -inf between the softmax and PV: p' = select(g, 0, p), g
// constant along the keys. The attention op has no place for p', but per row the rewrite is exact: where g
// holds, PV sums c * v over the keys (c the literal), a value that depends on v alone, so
//   out = select(g, z, attention(q, k, v))   with   z = sum over the keys of c * v
// where z is a small contraction reading v once (the same products and sum order as PV's: +0, or NaN where v has
// an infinity or NaN, for c = 0), and g is read in the output's layout. When the op's head loop is split into
// (KV head, group), z is computed per KV head and repeated over the group (an expand of a [.., heads, 1, d] value).

import type { Node, ValueId } from '../graph.js';
import type { ScalarExpr } from '../scalar.js';
import { argRefs, substArgs } from './scalar-rewrite.js';

/** A map p' = select(cond, c, p) (or select(cond, p, c)) over probabilities p and other operands (the cond's). */
export interface RowGuard {
  readonly node: Node;
  /** The map's arg holding p. */
  readonly probArg: number;
  /** p's replacement where the row is guarded: a float32 literal. */
  readonly fill: number;
  readonly cond: ScalarExpr;
  /** true for select(cond, p, c): guarded where cond is false. */
  readonly negated: boolean;
}

/** `n` as a row guard over the value `probs`, or undefined. (That cond is constant along the keys is the caller's check.) */
export function rowGuardOf(n: Node | undefined, isProbs: (id: ValueId) => boolean): RowGuard | undefined {
  if (!n || n.op.kind !== 'map' || n.outputs.length !== 1) return undefined;
  const e = n.op.expr;
  if (e.k !== 'select') return undefined;
  const fillOf = (x: ScalarExpr) => (x.k === 'lit' && x.dtype === 'float32' && typeof x.v === 'number' ? x.v : undefined);
  const [pExpr, c, negated] = e.b.k === 'arg' ? [e.b, e.a, false] : [e.a, e.b, true];
  const fill = fillOf(c);
  if (pExpr.k !== 'arg' || fill === undefined) return undefined;
  const probArg = pExpr.i;
  if (!isProbs(n.inputs[probArg]!) || n.inputs.filter((id) => id === n.inputs[probArg]).length !== 1 || argRefs(e.c, probArg) > 0) return undefined;
  return { node: n, probArg, fill, cond: e.c, negated };
}

/**
 * The map after the attention op: over (attention result a0, z a1, the guard's other operands a2..) in the
 * order of `others` (the guard's arg indices other than p's).
 */
export function guardAfterAttention(g: RowGuard, others: readonly number[]): ScalarExpr {
  const cond = substArgs(g.cond, (i) => ({ k: 'arg', i: 2 + others.indexOf(i) }));
  const [guarded, kept]: ScalarExpr[] = [{ k: 'arg', i: 1 }, { k: 'arg', i: 0 }];
  return g.negated ? { k: 'select', c: cond, a: kept, b: guarded } : { k: 'select', c: cond, a: guarded, b: kept };
}
