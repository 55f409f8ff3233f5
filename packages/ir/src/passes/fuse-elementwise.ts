// Elementwise fusion: a map reading the result of another map computes that map's expression inline, so
// chains and trees of maps (with broadcasting) become one map: one loop, no intermediate buffers.
// The rule for inlining a producer map P into a consumer map C (top-level nodes):
//   - P must have as many elements as C. A smaller P (broadcast inside C) is never inlined: it would be
//     recomputed for every element of C; it stays a small kernel whose result C reads broadcast.
//   - P has no other user: inline; if C's expression reads P more than once, only when P is cheap.
//   - P has other users: inline only when P is cheap and every use of P is by a map (all of them inline it,
//     so P disappears; a cheap recomputation buys one kernel and one buffer less).
// Cheap (isCheap): at most CHEAP_OPS single-instruction operations, no transcendental or call. Fused
// expressions stay below MAX_FUSED_SIZE nodes. An `expand` feeding a map is also dropped when the map's own
// broadcasting gives the same result shape. Exact: every scalar op rounds to its own dtype, so composing
// expressions (casts included, as written) changes no bit of any result.

import type { Graph, Node, ValueId } from '../graph.js';
import { inferTypes, typesEqual } from '../infer/index.js';
import { type ScalarExpr, arg } from '../scalar.js';
import type { Dim, ValueType } from '../types.js';
import { useCounts } from './graph-walk.js';
import { type Pass, type PassStats, bump } from './pass.js';
import { argRefs, exprSize, isCheap, substArgs } from './scalar-rewrite.js';

/** Fused expressions larger than this are not grown further (bounds code size and repeated recomputation). */
export const MAX_FUSED_SIZE = 96;

/** Same dims once leading 1s are dropped: a value of shape `a` is read in full, not broadcast, over shape `b`. */
export function sameElements(a: readonly Dim[], b: readonly Dim[]): boolean {
  const strip = (s: readonly Dim[]) => {
    let i = 0;
    while (i < s.length && s[i] === 1) i++;
    return s.slice(i);
  };
  const x = strip(a);
  const y = strip(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** Use bookkeeping over a mutable node list: which top-level nodes read a value, plus uses elsewhere. */
class Uses {
  private readonly readers = new Map<ValueId, Map<number, number>>();
  private readonly external = new Map<ValueId, number>();
  constructor(g: Graph, nodes: readonly (Node | null)[]) {
    const total = useCounts(g);
    nodes.forEach((n, i) => n?.inputs.forEach((v) => this.add(v, i)));
    for (const [v, c] of total) this.external.set(v, c - this.topLevel(v));
  }
  add(v: ValueId, i: number): void {
    const m = this.readers.get(v) ?? new Map<number, number>();
    m.set(i, (m.get(i) ?? 0) + 1);
    this.readers.set(v, m);
  }
  remove(v: ValueId, i: number): void {
    const m = this.readers.get(v);
    const c = m?.get(i) ?? 0;
    if (c <= 1) m?.delete(i);
    else m!.set(i, c - 1);
  }
  private topLevel(v: ValueId): number {
    let c = 0;
    for (const k of this.readers.get(v)?.values() ?? []) c += k;
    return c;
  }
  /** Top-level node indices reading v. */
  readerNodes(v: ValueId): number[] {
    return [...(this.readers.get(v)?.keys() ?? [])];
  }
  /** Uses as graph outputs or inside regions. */
  externalUses(v: ValueId): number {
    return this.external.get(v) ?? 0;
  }
  total(v: ValueId): number {
    return this.topLevel(v) + this.externalUses(v);
  }
}

interface Ctx {
  readonly nodes: (Node | null)[];
  readonly producer: Map<ValueId, number>;
  readonly types: Map<ValueId, ValueType>;
  readonly uses: Uses;
  readonly stats: PassStats;
}

/** A map node with the same result as `c` but reading `v` through `replacement` (an expression over `with`). */
function rewriteInput(c: Node, v: ValueId, withInputs: readonly ValueId[], replacement: ScalarExpr): Node {
  const inputs: ValueId[] = [];
  const slot = (id: ValueId) => {
    let k = inputs.indexOf(id);
    if (k < 0) k = inputs.push(id) - 1;
    return k;
  };
  // Keep the consumer's input order; the producer's inputs take the place of the first read of v.
  for (const id of c.inputs) {
    if (id === v) withInputs.forEach(slot);
    else slot(id);
  }
  const inner = substArgs(replacement, (i) => arg(slot(withInputs[i]!)));
  const expr = substArgs((c.op as { expr: ScalarExpr }).expr, (j) => (c.inputs[j] === v ? inner : arg(slot(c.inputs[j]!))));
  return { ...c, op: { kind: 'map', expr }, inputs };
}

/** Whether `next` still computes exactly the type `c` declared (broadcasting unchanged). */
function keepsType(next: Node, c: Node, ctx: Ctx): boolean {
  try {
    const t = inferTypes(next.op, next.inputs.map((id) => ctx.types.get(id)!));
    return t.length === 1 && typesEqual(t[0]!, c.outputs[0]!.type);
  } catch {
    return false;
  }
}

function replaceNode(ctx: Ctx, i: number, next: Node): void {
  const old = ctx.nodes[i]!;
  old.inputs.forEach((v) => ctx.uses.remove(v, i));
  next.inputs.forEach((v) => ctx.uses.add(v, i));
  ctx.nodes[i] = next;
}

/** Drops producer p once nothing reads it any more. */
function dropIfDead(ctx: Ctx, p: number): void {
  const n = ctx.nodes[p]!;
  if (n.outputs.some((o) => ctx.uses.total(o.id) > 0)) return;
  n.inputs.forEach((v) => ctx.uses.remove(v, p));
  ctx.nodes[p] = null;
  bump(ctx.stats, 'removed');
}

/** Tries to inline the producer of input v into map node i; true when it changed. */
function tryInline(ctx: Ctx, i: number, v: ValueId): boolean {
  const c = ctx.nodes[i]!;
  const pi = ctx.producer.get(v);
  if (pi === undefined || ctx.nodes[pi] === null) return false;
  const p = ctx.nodes[pi]!;
  if (p.op.kind === 'expand' && p.inputs.length === 1) {
    const next = rewriteInput(c, v, [p.inputs[0]!], arg(0));
    if (!keepsType(next, c, ctx)) return false;
    replaceNode(ctx, i, next);
    bump(ctx.stats, 'expandsAbsorbed');
    dropIfDead(ctx, pi);
    return true;
  }
  if (p.op.kind !== 'map' || p.inputs.length === 0 || p.outputs.length !== 1) return false;
  const pExpr = p.op.expr;
  const cheap = isCheap(pExpr);
  const readers = ctx.uses.readerNodes(v);
  const only = readers.length === 1 && ctx.uses.externalUses(v) === 0;
  const refs = c.inputs.reduce((s, id, j) => (id === v ? s + argRefs((c.op as { expr: ScalarExpr }).expr, j) : s), 0);
  const [pt, ct] = [p.outputs[0]!.type, c.outputs[0]!.type];
  if (pt.kind !== 'tensor' || ct.kind !== 'tensor' || !sameElements(pt.shape, ct.shape)) return false;
  if (only) {
    if (!cheap && refs > 1) return false;
  } else {
    if (!cheap || ctx.uses.externalUses(v) > 0 || !readers.every((k) => ctx.nodes[k]?.op.kind === 'map')) return false;
  }
  const next = rewriteInput(c, v, p.inputs, pExpr);
  if (exprSize((next.op as { expr: ScalarExpr }).expr) > MAX_FUSED_SIZE || !keepsType(next, c, ctx)) return false;
  replaceNode(ctx, i, next);
  bump(ctx.stats, only ? 'fused' : 'recomputed');
  dropIfDead(ctx, pi);
  return true;
}

export const fuseElementwisePass: Pass = {
  name: 'fuse-elementwise',
  description: 'merge chains and trees of elementwise maps into one map (cheap shared producers are recomputed)',
  run(g, stats) {
    const nodes: (Node | null)[] = [...g.nodes];
    const producer = new Map<ValueId, number>();
    const types = new Map<ValueId, ValueType>();
    for (const inp of g.inputs) types.set(inp.value.id, inp.value.type);
    nodes.forEach((n, i) => n!.outputs.forEach((o) => { producer.set(o.id, i); types.set(o.id, o.type); }));
    const ctx: Ctx = { nodes, producer, types, uses: new Uses(g, nodes), stats };
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i]?.op.kind !== 'map') continue;
      // Inline until nothing changes: an inlined producer's own inputs may now qualify (trees, shared values).
      for (let changed = true; changed;) {
        changed = false;
        for (const v of [...new Set(nodes[i]!.inputs)]) {
          if (tryInline(ctx, i, v)) { changed = true; break; }
        }
      }
    }
    const kept = nodes.filter((n): n is Node => n !== null);
    return kept.length === g.nodes.length && kept.every((n, i) => n === g.nodes[i]) ? g : { ...g, nodes: kept };
  },
};
