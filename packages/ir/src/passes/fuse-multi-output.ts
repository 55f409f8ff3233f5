// Multi-output elementwise fusion: maps fuse-elementwise had to leave apart become one `multimap`, so one
// pass over memory computes all their results. Two kinds of pairs merge (top-level nodes, same result shape):
//   - producer and consumer: a map whose result is needed elsewhere too (a graph output, a non-map reader,
//     or several readers of an expensive expression) and a map reading it; the consumer reads the producer's
//     result as the multimap's earlier result (a(n+k)), so nothing is recomputed and the value is not read
//     back from memory in another kernel;
//   - siblings: maps reading one input in full (not broadcast), so that input is read once.
// The merged node sits where one of the pair sat, only when that keeps every use after its definition.
// Members share one result dtype (a float32 group stays on the backend's vector path) and stay within
// MAX_GROUP_RESULTS results and MAX_FUSED_SIZE expression nodes. Maps reading a reduction's result broadcast
// (row epilogues such as LayerNorm's, which the backend fuses with their reductions) are left alone.
// Exact: every expression is kept as written; only argument numbering changes.

import type { Graph, Node, ValueId } from '../graph.js';
import { inferTypes, typesEqual } from '../infer/index.js';
import { regionsOf } from '../ops.js';
import { type ScalarExpr, arg } from '../scalar.js';
import type { Dim, TensorType, ValueType } from '../types.js';
import { MAX_FUSED_SIZE, sameElements } from './fuse-elementwise.js';
import { useCounts } from './graph-walk.js';
import { type Pass, type PassStats, bump } from './pass.js';
import { exprSize, substArgs } from './scalar-rewrite.js';

/** Results per multimap: bounds the kernel's live pointers and registers. */
export const MAX_GROUP_RESULTS = 8;

const tensorOf = (t: ValueType): TensorType | undefined => (t.kind === 'tensor' ? t : undefined);
const sameDims = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function exprsOf(n: Node): readonly ScalarExpr[] {
  return n.op.kind === 'map' ? [n.op.expr] : n.op.kind === 'multimap' ? n.op.exprs : [];
}

/** Every value a node reads, inside its regions too (a region body may read outer values). */
function deepReads(n: Node, cache: WeakMap<Node, ReadonlySet<ValueId>>): ReadonlySet<ValueId> {
  let s = cache.get(n);
  if (s) return s;
  const acc = new Set<ValueId>(n.inputs);
  for (const r of regionsOf(n.op)) {
    r.results.forEach((v) => acc.add(v));
    for (const m of r.nodes) deepReads(m, cache).forEach((v) => acc.add(v));
  }
  s = acc;
  cache.set(n, s);
  return s;
}

class Fuser {
  private nodes: Node[];
  private pos = new Map<Node, number>();
  private readonly producer = new Map<ValueId, Node>();
  private readonly readers = new Map<ValueId, Node[]>();
  private readonly replacedBy = new Map<Node, Node>();
  private readonly types = new Map<ValueId, ValueType>();
  private readonly used: ReadonlyMap<ValueId, number>;
  private readonly reads = new WeakMap<Node, ReadonlySet<ValueId>>();

  constructor(g: Graph, private readonly stats: PassStats) {
    this.nodes = [...g.nodes];
    this.used = useCounts(g);
    for (const i of g.inputs) this.types.set(i.value.id, i.value.type);
    for (const n of this.nodes) {
      n.outputs.forEach((o) => { this.producer.set(o.id, n); this.types.set(o.id, o.type); });
      for (const v of new Set(n.inputs)) {
        const rs = this.readers.get(v);
        if (rs) rs.push(n);
        else this.readers.set(v, [n]);
      }
    }
    this.reindex();
  }

  private reindex(): void {
    this.pos = new Map(this.nodes.map((n, i) => [n, i]));
  }

  private current(n: Node): Node {
    let c = n;
    while (this.replacedBy.has(c)) c = this.replacedBy.get(c)!;
    return c;
  }

  /** The shared result type of a node that may join a group, or undefined. */
  private groupType(n: Node): TensorType | undefined {
    const ok = (n.op.kind === 'map' && n.outputs.length === 1) || n.op.kind === 'multimap';
    if (!ok || n.inputs.length === 0) return undefined;
    const t = tensorOf(n.outputs[0]!.type);
    if (!t || n.outputs.some((o) => { const u = tensorOf(o.type); return !u || u.dtype !== t.dtype || !sameDims(u.shape, t.shape); })) return undefined;
    // dead maps stay for dce; joining a group would keep them alive
    if (n.outputs.every((o) => (this.used.get(o.id) ?? 0) === 0)) return undefined;
    if (n.op.kind === 'map' && n.inputs.some((v) => this.readsReductionBroadcast(v, t))) return undefined;
    return t;
  }

  private readsReductionBroadcast(v: ValueId, t: TensorType): boolean {
    const p = this.producer.get(v);
    const vt = tensorOf(this.types.get(v)!);
    if (!p || !vt || sameElements(vt.shape, t.shape)) return false;
    return p.op.kind === 'reduce' || (p.op.kind === 'contract' && p.op.reductionExtents.length > 0);
  }

  /** Where a and b (a first) can become one node: at b's place, at a's, or nowhere. */
  private placement(a: Node, b: Node): 'last' | 'first' | undefined {
    const pa = this.pos.get(a)!;
    const pb = this.pos.get(b)!;
    const aOuts = new Set(a.outputs.map((o) => o.id));
    let last = true;
    for (let i = pa + 1; i < pb && last; i++) {
      for (const v of deepReads(this.nodes[i]!, this.reads)) if (aOuts.has(v)) { last = false; break; }
    }
    if (last) return 'last';
    const before = (v: ValueId) => {
      if (aOuts.has(v)) return true;
      const p = this.producer.get(v);
      return p === undefined || this.pos.get(this.current(p))! < pa;
    };
    return b.inputs.every(before) ? 'first' : undefined;
  }

  /** One multimap computing a's results then b's (b may read a's); value ids are kept. */
  private merged(a: Node, b: Node): Node {
    const inputs: ValueId[] = [];
    const slot = (id: ValueId) => {
      const k = inputs.indexOf(id);
      return k >= 0 ? k : inputs.push(id) - 1;
    };
    const aOut = new Map(a.outputs.map((o, k) => [o.id, k]));
    a.inputs.forEach(slot);
    b.inputs.forEach((id) => { if (!aOut.has(id)) slot(id); });
    const n = inputs.length;
    const na = a.outputs.length;
    const ea = exprsOf(a).map((e) => substArgs(e, (j) => (j < a.inputs.length ? arg(slot(a.inputs[j]!)) : arg(n + j - a.inputs.length))));
    const eb = exprsOf(b).map((e) => substArgs(e, (j) => {
      if (j >= b.inputs.length) return arg(n + na + j - b.inputs.length);
      const id = b.inputs[j]!;
      return aOut.has(id) ? arg(n + aOut.get(id)!) : arg(slot(id));
    }));
    return { op: { kind: 'multimap', exprs: [...ea, ...eb] }, inputs, outputs: [...a.outputs, ...b.outputs], ...(a.origin ? { origin: a.origin } : {}) };
  }

  /** Merges a into b when allowed; the merged node, or undefined. */
  private tryMerge(a: Node, b: Node): Node | undefined {
    if (a === b) return undefined;
    const ta = this.groupType(a);
    const tb = this.groupType(b);
    if (!ta || !tb || ta.dtype !== tb.dtype || !sameDims(ta.shape, tb.shape)) return undefined;
    if ((this.pos.get(a) ?? Infinity) > (this.pos.get(b) ?? -1)) return undefined;
    if (a.outputs.length + b.outputs.length > MAX_GROUP_RESULTS) return undefined;
    const size = [...exprsOf(a), ...exprsOf(b)].reduce((s, e) => s + exprSize(e), 0);
    if (size > MAX_FUSED_SIZE) return undefined;
    const where = this.placement(a, b);
    if (!where) return undefined;
    const m = this.merged(a, b);
    try {
      const t = inferTypes(m.op, m.inputs.map((id) => this.types.get(id)!));
      if (t.length !== m.outputs.length || !t.every((x, k) => typesEqual(x, m.outputs[k]!.type))) return undefined;
    } catch {
      return undefined;
    }
    const pa = this.pos.get(a)!;
    const pb = this.pos.get(b)!;
    this.nodes = this.nodes.flatMap((x, i) => (i === pa ? (where === 'first' ? [m] : []) : i === pb ? (where === 'last' ? [m] : []) : [x]));
    this.replacedBy.set(a, m);
    this.replacedBy.set(b, m);
    this.reindex();
    bump(this.stats, 'merged');
    return m;
  }

  /** A partner merged into b: a producer of b's input first, then a sibling reading one of b's inputs in full. */
  private grow(b: Node): Node | undefined {
    const tb = this.groupType(b);
    if (!tb) return undefined;
    const outs = new Set(b.outputs.map((o) => o.id));
    for (const v of new Set(b.inputs)) {
      const p = this.producer.get(v);
      const m = p ? this.tryMerge(this.current(p), b) : undefined;
      if (m) { bump(this.stats, 'producerConsumer'); return m; }
    }
    for (const v of new Set(b.inputs)) {
      const vt = tensorOf(this.types.get(v)!);
      if (!vt || !sameElements(vt.shape, tb.shape) || outs.has(v)) continue;
      for (const r of this.readers.get(v) ?? []) {
        const m = this.tryMerge(this.current(r), b);
        if (m) { bump(this.stats, 'siblings'); return m; }
      }
    }
    return undefined;
  }

  run(): Node[] {
    for (let i = 0; i < this.nodes.length; i++) {
      for (let b = this.nodes[i]!, m = this.grow(b); m; b = m, m = this.grow(b)) i = this.pos.get(m)!;
    }
    return this.nodes;
  }
}

export const fuseMultiOutputPass: Pass = {
  name: 'fuse-multi-output',
  description: 'merge maps that read one another or one input into multi-result maps (one pass over memory)',
  run(g, stats) {
    const nodes = new Fuser(g, stats).run();
    return nodes.length === g.nodes.length ? g : { ...g, nodes };
  },
};
