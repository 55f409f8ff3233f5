// Algebraic canonicalization: a declarative list of local rewrite rules, each commented with its identity,
// applied by a driver until nothing fires (with an iteration cap). A rule either forwards a node's result
// to an existing value of the same type or replaces the node by one computing the same result id.

import type { Graph, Node, ValueId } from '../graph.js';
import { typesEqual } from '../infer/index.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { ValueType } from '../types.js';
import { producers, substitute } from './graph-walk.js';
import { MOVEMENT_RULES } from './movement-rules.js';
import { type Pass, bump } from './pass.js';
import { SCALAR_RULES } from './scalar-rules.js';

export interface RuleContext {
  producer(id: ValueId): Node | undefined;
  typeOf(id: ValueId): ValueType | undefined;
  constant(id: ValueId): HostTensor | undefined;
}

/** A rewrite result: forward the (single) result to an existing value, or swap in a replacement node. */
export type Rewrite = { readonly forward: ValueId } | { readonly replace: Node };

export interface Rule {
  readonly name: string;
  /** The identity the rule implements, e.g. "x * 1 -> x". */
  readonly identity: string;
  apply(n: Node, ctx: RuleContext): Rewrite | undefined;
}

const isArg = (e: ScalarExpr, i: number) => e.k === 'arg' && e.i === i;

/** Whether constant `id` holds the same value `v` everywhere. */
function isSplat(ctx: RuleContext, id: ValueId, v: number): boolean {
  const t = ctx.constant(id);
  if (!t || t.data.length === 0) return false;
  for (let i = 0; i < t.data.length; i++) if (Number(t.data[i]) !== v || Object.is(t.data[i], -0)) return false;
  return true;
}

/** Forward input i when it already has the node's result type (so broadcasting changed nothing). */
function forwardIfSameType(n: Node, ctx: RuleContext, i: number): Rewrite | undefined {
  const src = n.inputs[i];
  const t = src === undefined ? undefined : ctx.typeOf(src);
  return src !== undefined && t && typesEqual(t, n.outputs[0]!.type) ? { forward: src } : undefined;
}

/** x op c -> x where c is a splat identity element of op. */
function identityElement(op: string, c: number, commutes: boolean): Rule['apply'] {
  return (n, ctx) => {
    if (n.op.kind !== 'map' || n.inputs.length !== 2) return undefined;
    const e = n.op.expr;
    if (e.k !== 'bin' || e.op !== op) return undefined;
    if (isArg(e.a, 0) && isArg(e.b, 1) && isSplat(ctx, n.inputs[1]!, c)) return forwardIfSameType(n, ctx, 0);
    if (commutes && isArg(e.a, 1) && isArg(e.b, 0) && isSplat(ctx, n.inputs[1]!, c)) return forwardIfSameType(n, ctx, 0);
    if (commutes && isArg(e.a, 0) && isArg(e.b, 1) && isSplat(ctx, n.inputs[0]!, c)) return forwardIfSameType(n, ctx, 1);
    return undefined;
  };
}

const isIdentityPerm = (p: readonly number[]) => p.every((v, i) => v === i);

export const CANONICAL_RULES: readonly Rule[] = [
  { name: 'map-identity', identity: 'map(a0)(x) -> x', apply: (n, ctx) => (n.op.kind === 'map' && isArg(n.op.expr, 0) ? forwardIfSameType(n, ctx, 0) : undefined) },
  { name: 'cast-noop', identity: 'cast<T>(x: T) -> x', apply: (n, ctx) => (n.op.kind === 'map' && n.op.expr.k === 'cast' && isArg(n.op.expr.a, 0) ? forwardIfSameType(n, ctx, 0) : undefined) },
  // x + 0 -> x is deliberately absent: it is wrong for x = -0 (-0 + 0 = +0); x - 0 is exact.
  { name: 'sub-zero', identity: 'x - 0 -> x', apply: identityElement('sub', 0, false) },
  { name: 'mul-one', identity: 'x * 1 -> x', apply: identityElement('mul', 1, true) },
  { name: 'div-one', identity: 'x / 1 -> x', apply: identityElement('div', 1, false) },
  { name: 'transpose-identity', identity: 'transpose(x, id) -> x', apply: (n, ctx) => (n.op.kind === 'transpose' && isIdentityPerm(n.op.perm) ? forwardIfSameType(n, ctx, 0) : undefined) },
  {
    name: 'transpose-transpose', identity: 'transpose(transpose(x, p), q) -> transpose(x, p[q])',
    apply: (n, ctx) => {
      if (n.op.kind !== 'transpose') return undefined;
      const inner = ctx.producer(n.inputs[0]!);
      if (inner?.op.kind !== 'transpose') return undefined;
      const p = inner.op.perm;
      const perm = n.op.perm.map((q) => p[q]!);
      return { replace: { ...n, op: { kind: 'transpose', perm }, inputs: [inner.inputs[0]!] } };
    },
  },
  { name: 'reshape-noop', identity: 'reshape(x: S, S) -> x', apply: (n, ctx) => (n.op.kind === 'reshape' && n.inputs.length === 1 ? forwardIfSameType(n, ctx, 0) : undefined) },
  {
    name: 'reshape-reshape', identity: 'reshape(reshape(x, S1), S2) -> reshape(x, S2)',
    apply: (n, ctx) => {
      if (n.op.kind !== 'reshape' || n.inputs.length !== 1) return undefined;
      const inner = ctx.producer(n.inputs[0]!);
      if (inner?.op.kind !== 'reshape' || inner.inputs.length !== 1) return undefined;
      return { replace: { ...n, inputs: [inner.inputs[0]!] } };
    },
  },
  { name: 'expand-noop', identity: 'expand(x: S, S) -> x', apply: (n, ctx) => (n.op.kind === 'expand' && n.inputs.length === 1 ? forwardIfSameType(n, ctx, 0) : undefined) },
  {
    name: 'slice-full', identity: 'slice(x, starts 0, steps 1, extents = shape) -> x',
    apply: (n, ctx) => (n.op.kind === 'slice' && n.op.starts.every((s) => s === 0) && n.op.steps.every((s) => s === 1) ? forwardIfSameType(n, ctx, 0) : undefined),
  },
  {
    name: 'pad-zero', identity: 'pad(x, 0, 0, 0) -> x',
    apply: (n, ctx) => (n.op.kind === 'pad' && [...n.op.low, ...n.op.high, ...n.op.interior].every((v) => v === 0) ? forwardIfSameType(n, ctx, 0) : undefined),
  },
  { name: 'concat-single', identity: 'concat(x) -> x', apply: (n, ctx) => (n.op.kind === 'concat' && n.inputs.length === 1 ? forwardIfSameType(n, ctx, 0) : undefined) },
  ...MOVEMENT_RULES,
  ...SCALAR_RULES,
];

export const MAX_ROUNDS = 32;

/** Applies `rules` to top-level nodes until none fires or MAX_ROUNDS; `trace` receives each firing. */
export function applyRules(g: Graph, rules: readonly Rule[], stats: Parameters<Pass['run']>[1], trace?: (rule: string, n: Node) => void): Graph {
  let cur = g;
  // A node whose result was forwarded is dead (left for DCE); it must not fire again in later rounds.
  const forwarded = new Set<ValueId>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const prod = producers(cur);
    const types = new Map<ValueId, ValueType>();
    for (const i of cur.inputs) types.set(i.value.id, i.value.type);
    for (const [id, n] of prod) types.set(id, n.outputs.find((o) => o.id === id)!.type);
    const ctx: RuleContext = {
      producer: (id) => prod.get(id),
      typeOf: (id) => types.get(id),
      constant: (id) => { const p = prod.get(id); return p?.op.kind === 'constant' ? p.op.value : undefined; },
    };
    const repl = new Map<ValueId, ValueId>();
    let fired = false;
    const nodes = cur.nodes.map((n) => {
      if (n.outputs.length === 1 && forwarded.has(n.outputs[0]!.id)) return n;
      for (const rule of rules) {
        const r = rule.apply(n, ctx);
        if (!r) continue;
        fired = true;
        bump(stats, `rule:${rule.name}`);
        trace?.(rule.name, n);
        if ('forward' in r) { repl.set(n.outputs[0]!.id, r.forward); forwarded.add(n.outputs[0]!.id); return n; }
        prod.set(n.outputs[0]!.id, r.replace);
        return r.replace;
      }
      return n;
    });
    cur = substitute({ ...cur, nodes }, repl);
    if (!fired) return cur;
  }
  return cur;
}

export const canonicalizePass: Pass = {
  name: 'canonicalize',
  description: 'algebraic simplifications (identity ops, x*1, transpose/reshape chains)',
  run: (g, stats) => applyRules(g, CANONICAL_RULES, stats),
};
