// Region-aware passes: `inRegions(pass)` runs a pass written for top-level nodes on the top level, then on every
// region body (If branches, Loop, Scan and experts bodies), nested ones too, each seen as a graph of its own
// (region-view.ts). Bodies come after the top level, so what the top level folded into constants is constant in
// them, and a nested body after its parent, for the same reason. dce and cse already walk regions and are
// returned as they are. A body rewrite that cannot be taken back (the pass changed the view's inputs, an outer
// constant or a result type, or left it invalid) is dropped, keeping the body unchanged, and counted under
// `regionRewritesRefused` rather than trusted.

import type { Graph, Node, Region, ValueId } from '../graph.js';
import { regionsOf } from '../ops.js';
import type { ValueType } from '../types.js';
import { nextFreeId } from './graph-walk.js';
import { type Pass, type PassStats, bump } from './pass.js';
import { bodyOf, viewOf, withRegions } from './region-view.js';

/** Passes that rewrite region bodies themselves. */
const OWN_REGIONS: ReadonlySet<string> = new Set(['dce', 'cse']);

const wrappers = new WeakMap<Pass, Pass>();
const originals = new WeakMap<Pass, Pass>();

/** `pass` made to rewrite region bodies too; the same object for the same pass, so pipelines can filter by identity. */
export function inRegions(pass: Pass): Pass {
  if (OWN_REGIONS.has(pass.name) || originals.has(pass)) return pass;
  let w = wrappers.get(pass);
  if (!w) {
    const inner = pass;
    w = { ...inner, run: (g, stats) => rewriteBodies(inner.run(g, stats), inner, stats) };
    wrappers.set(pass, w);
    originals.set(w, pass);
  }
  return w;
}

/** The pass as it was before inRegions (top level only): for comparisons with what region rewriting adds. */
export function topLevelOnly(pass: Pass): Pass {
  return originals.get(pass) ?? pass;
}

interface Cx {
  readonly pass: Pass;
  readonly stats: PassStats;
  readonly types: Map<ValueId, ValueType>;
  fresh(): ValueId;
}

function recordTypes(nodes: readonly Node[], types: Map<ValueId, ValueType>): void {
  for (const n of nodes) {
    for (const o of n.outputs) types.set(o.id, o.type);
    for (const r of regionsOf(n.op)) {
      for (const p of r.params) types.set(p.id, p.type);
      recordTypes(r.nodes, types);
    }
  }
}

function withConstants(nodes: readonly Node[], outer: ReadonlyMap<ValueId, Node>): Map<ValueId, Node> {
  const m = new Map(outer);
  for (const n of nodes) if (n.op.kind === 'constant') m.set(n.outputs[0]!.id, n);
  return m;
}

function rewriteBodies(g: Graph, pass: Pass, stats: PassStats): Graph {
  if (!g.nodes.some((n) => regionsOf(n.op).length > 0)) return g;
  let next = nextFreeId(g);
  const types = new Map<ValueId, ValueType>(g.inputs.map((i) => [i.value.id, i.value.type]));
  recordTypes(g.nodes, types);
  const cx: Cx = { pass, stats, types, fresh: () => next++ };
  const nodes = inScope(g.nodes, withConstants(g.nodes, new Map()), cx);
  return nodes.every((n, i) => n === g.nodes[i]) ? g : { ...g, nodes };
}

/** `nodes` with the bodies of their regions rewritten; `consts` are the constant nodes visible there. */
function inScope(nodes: readonly Node[], consts: ReadonlyMap<ValueId, Node>, cx: Cx): Node[] {
  return nodes.map((n) => {
    const rs = regionsOf(n.op);
    if (rs.length === 0) return n;
    const next = rs.map((r) => rewriteRegion(r, consts, cx));
    return next.every((r, i) => r === rs[i]) ? n : { ...n, op: withRegions(n.op, next) };
  });
}

const unchanged = (a: Graph, b: Graph) => a.inputs === b.inputs && a.nodes.length === b.nodes.length && a.nodes.every((n, i) => n === b.nodes[i])
  && a.outputs.length === b.outputs.length && a.outputs.every((o, i) => o.value === b.outputs[i]!.value);

function rewriteRegion(r: Region, consts: ReadonlyMap<ValueId, Node>, cx: Cx): Region {
  const view = viewOf(r, consts, (id) => cx.types.get(id), cx.pass.name);
  const local: PassStats = { counters: {} };
  const after = cx.pass.run(view.graph, local);
  let body = r;
  if (after !== view.graph && !unchanged(after, view.graph)) {
    const b = bodyOf(view, r.params, after, cx.fresh);
    if (typeof b === 'string') {
      bump(cx.stats, 'regionRewritesRefused');
    } else {
      for (const [k, v] of Object.entries(local.counters)) bump(cx.stats, k, v);
      recordTypes(b.nodes, cx.types);
      body = b;
    }
  }
  const nodes = inScope(body.nodes, withConstants(body.nodes, consts), cx);
  return nodes.every((n, i) => n === body.nodes[i]) ? body : { ...body, nodes };
}
