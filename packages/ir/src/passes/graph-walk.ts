// Graph utilities shared by passes: use counts, producers, fresh-id bounds, and value substitution through
// nodes, nested regions and graph outputs.

import type { Graph, Node, Region, ValueId } from '../graph.js';
import { regionsOf } from '../ops.js';

/** Applies `f` to every node, regions included (pre-order). */
export function forEachNode(nodes: readonly Node[], f: (n: Node) => void): void {
  for (const n of nodes) {
    f(n);
    for (const r of regionsOf(n.op)) forEachNode(r.nodes, f);
  }
}

/** How many times each value is read (node inputs, region results, graph outputs), regions included. */
export function useCounts(g: Graph): Map<ValueId, number> {
  const uses = new Map<ValueId, number>();
  const use = (id: ValueId) => uses.set(id, (uses.get(id) ?? 0) + 1);
  const walk = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      n.inputs.forEach(use);
      for (const r of regionsOf(n.op)) {
        walk(r.nodes);
        r.results.forEach(use);
      }
    }
  };
  walk(g.nodes);
  g.outputs.forEach((o) => use(o.value));
  return uses;
}

/** The node defining each value (top level and regions). */
export function producers(g: Graph): Map<ValueId, Node> {
  const m = new Map<ValueId, Node>();
  forEachNode(g.nodes, (n) => n.outputs.forEach((o) => m.set(o.id, n)));
  return m;
}

/** One more than the largest value id in the graph: where a builder extending it starts. */
export function nextFreeId(g: Graph): number {
  let max = -1;
  for (const i of g.inputs) max = Math.max(max, i.value.id);
  const walk = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      for (const o of n.outputs) max = Math.max(max, o.id);
      for (const r of regionsOf(n.op)) {
        for (const p of r.params) max = Math.max(max, p.id);
        walk(r.nodes);
      }
    }
  };
  walk(g.nodes);
  return max + 1;
}

/** Follows a replacement chain to its end. */
export function resolve(repl: ReadonlyMap<ValueId, ValueId>, id: ValueId): ValueId {
  let cur = id;
  for (let guard = 0; repl.has(cur); guard++) {
    if (guard > 1_000_000) throw new Error('replacement cycle');
    cur = repl.get(cur)!;
  }
  return cur;
}

function substRegion(r: Region, repl: ReadonlyMap<ValueId, ValueId>): Region {
  return { params: r.params, nodes: substNodes(r.nodes, repl), results: r.results.map((id) => resolve(repl, id)) };
}

/** Rewrites inputs of `n` (and uses inside its regions) through `repl`. */
export function substNode(n: Node, repl: ReadonlyMap<ValueId, ValueId>): Node {
  const op = n.op;
  let newOp = op;
  switch (op.kind) {
    case 'experts': case 'loop': case 'scan': newOp = { ...op, body: substRegion(op.body, repl) }; break;
    case 'if': newOp = { ...op, thenBranch: substRegion(op.thenBranch, repl), elseBranch: substRegion(op.elseBranch, repl) }; break;
    default: break;
  }
  return { ...n, op: newOp, inputs: n.inputs.map((id) => resolve(repl, id)) };
}

export function substNodes(nodes: readonly Node[], repl: ReadonlyMap<ValueId, ValueId>): Node[] {
  return nodes.map((n) => substNode(n, repl));
}

/** The graph with every use of a replaced value redirected (nodes of replaced values are left for DCE). */
export function substitute(g: Graph, repl: ReadonlyMap<ValueId, ValueId>): Graph {
  if (repl.size === 0) return g;
  return { inputs: g.inputs, nodes: substNodes(g.nodes, repl), outputs: g.outputs.map((o) => ({ name: o.name, value: resolve(repl, o.value) })) };
}
