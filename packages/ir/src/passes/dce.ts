// Dead-code elimination: drops nodes none of whose results is used (the IR has no side effects), inside
// regions too. Iterates to a fixpoint so chains of dead nodes go at once.

import type { Node } from '../graph.js';
import { regionsOf } from '../ops.js';
import { useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

function prune(nodes: readonly Node[], used: ReadonlyMap<number, number>): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    if (!n.outputs.some((o) => (used.get(o.id) ?? 0) > 0)) continue;
    const regions = regionsOf(n.op);
    if (regions.length === 0) { out.push(n); continue; }
    const op = n.op;
    const pr = (r: (typeof regions)[number]) => ({ ...r, nodes: prune(r.nodes, used) });
    switch (op.kind) {
      case 'if': out.push({ ...n, op: { ...op, thenBranch: pr(op.thenBranch), elseBranch: pr(op.elseBranch) } }); break;
      case 'experts': case 'loop': case 'scan': out.push({ ...n, op: { ...op, body: pr(op.body) } }); break;
      default: out.push(n);
    }
  }
  return out;
}

function count(nodes: readonly Node[]): number {
  let c = 0;
  for (const n of nodes) c += 1 + regionsOf(n.op).reduce((a, r) => a + count(r.nodes), 0);
  return c;
}

export const dcePass: Pass = {
  name: 'dce',
  description: 'remove nodes whose results are never used',
  run(g, stats) {
    let cur = g;
    for (;;) {
      const before = count(cur.nodes);
      const next = { ...cur, nodes: prune(cur.nodes, useCounts(cur)) };
      const removed = before - count(next.nodes);
      if (removed === 0) return cur;
      bump(stats, 'removed', removed);
      cur = next;
    }
  },
};
