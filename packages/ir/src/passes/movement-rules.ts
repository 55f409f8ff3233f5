// Canonicalization rules for data movement beyond the identities in canonicalize.ts: a transpose that only
// moves size-1 dims is a reshape (free: the backend aliases reshapes, a transpose is a copy); slices of slices
// compose; expands of expands collapse. Each rule is exact (the same elements in the same places).

import type { Node } from '../graph.js';
import type { Rewrite, Rule, RuleContext } from './canonicalize.js';

/** transpose(x, p) -> reshape(x) when the dims of size other than 1 keep their relative order. */
function transposeOfUnitDims(n: Node, ctx: RuleContext): Rewrite | undefined {
  if (n.op.kind !== 'transpose') return undefined;
  const t = ctx.typeOf(n.inputs[0]!);
  if (t?.kind !== 'tensor') return undefined;
  const moved = n.op.perm.filter((p) => t.shape[p] !== 1);
  if (n.op.perm.every((p, i) => p === i) || moved.some((p, i) => i > 0 && moved[i - 1]! > p)) return undefined;
  return { replace: { ...n, op: { kind: 'reshape' } } };
}

/** slice(slice(x, s1, t1), s2, t2) -> slice(x, s1 + s2 * t1, t1 * t2) (static starts). */
function sliceOfSlice(n: Node, ctx: RuleContext): Rewrite | undefined {
  if (n.op.kind !== 'slice') return undefined;
  const inner = ctx.producer(n.inputs[0]!);
  if (inner?.op.kind !== 'slice') return undefined;
  const a = inner.op;
  const b = n.op;
  if (![...a.starts, ...b.starts].every((s) => typeof s === 'number')) return undefined;
  const starts = a.starts.map((s, i) => (s as number) + (b.starts[i] as number) * a.steps[i]!);
  const steps = a.steps.map((s, i) => s * b.steps[i]!);
  return { replace: { ...n, op: { kind: 'slice', starts, steps }, inputs: [inner.inputs[0]!] } };
}

/** expand(expand(x, S1), S2) -> expand(x, S2): broadcasting composes. */
function expandOfExpand(n: Node, ctx: RuleContext): Rewrite | undefined {
  if (n.op.kind !== 'expand' || n.inputs.length !== 1) return undefined;
  const inner = ctx.producer(n.inputs[0]!);
  if (inner?.op.kind !== 'expand' || inner.inputs.length !== 1) return undefined;
  return { replace: { ...n, inputs: [inner.inputs[0]!] } };
}

export const MOVEMENT_RULES: readonly Rule[] = [
  { name: 'transpose-unit-dims', identity: 'transpose(x, p) -> reshape(x) when p only moves size-1 dims', apply: transposeOfUnitDims },
  { name: 'slice-slice', identity: 'slice(slice(x, s1, t1), s2, t2) -> slice(x, s1 + s2*t1, t1*t2)', apply: sliceOfSlice },
  { name: 'expand-expand', identity: 'expand(expand(x, S1), S2) -> expand(x, S2)', apply: expandOfExpand },
];
