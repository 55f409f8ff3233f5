// Common-subexpression elimination: two nodes with the same op, the same inputs and the same result
// types compute the same values (the IR is pure), so later ones are replaced by the first. Ops with
// regions are left alone; each region is its own scope.

import type { Graph, Node, ValueId } from '../graph.js';
import { regionsOf } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { resolve, substitute, substNode } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

/** FNV-1a over a tensor's elements (their bytes for numeric data): cheap identity for large constants (equal keys are re-checked exactly). */
function tensorKey(t: HostTensor): string {
  let h = 0x811c9dc5;
  const d = t.data;
  if (ArrayBuffer.isView(d)) {
    const words = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  } else {
    for (const v of d) for (let k = 0; k < v.length; k++) h = Math.imul(h ^ v.charCodeAt(k), 0x01000193);
  }
  return `${t.dtype}[${t.shape.join(',')}]#${(h >>> 0).toString(16)}`;
}

function sameTensor(a: HostTensor, b: HostTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

function nodeKey(n: Node): string {
  const op = n.op.kind === 'constant' ? { kind: 'constant', value: tensorKey(n.op.value) } : n.op;
  const opText = JSON.stringify(op, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return `${opText}|${n.inputs.join(',')}|${JSON.stringify(n.outputs.map((o) => o.type))}`;
}

function cseNodes(nodes: readonly Node[], repl: Map<ValueId, ValueId>, stats: Parameters<Pass['run']>[1]): Node[] {
  const seen = new Map<string, Node>();
  const out: Node[] = [];
  for (const raw of nodes) {
    const n = substNode(raw, repl);
    if (regionsOf(n.op).length > 0) {
      out.push(withCseRegions(n, repl, stats));
      continue;
    }
    const key = nodeKey(n);
    const prev = seen.get(key);
    if (prev && (n.op.kind !== 'constant' || sameTensor(n.op.value, (prev.op as typeof n.op).value))) {
      n.outputs.forEach((o, i) => repl.set(o.id, prev.outputs[i]!.id));
      bump(stats, 'merged');
      continue;
    }
    seen.set(key, n);
    out.push(n);
  }
  return out;
}

function withCseRegions(n: Node, repl: Map<ValueId, ValueId>, stats: Parameters<Pass['run']>[1]): Node {
  const op = n.op;
  const r = (reg: { params: Node['outputs']; nodes: readonly Node[]; results: readonly ValueId[] }) => {
    const nodes = cseNodes(reg.nodes, repl, stats);
    return { params: reg.params, nodes, results: reg.results.map((id) => resolve(repl, id)) };
  };
  switch (op.kind) {
    case 'if': return { ...n, op: { ...op, thenBranch: r(op.thenBranch), elseBranch: r(op.elseBranch) } };
    case 'experts': case 'loop': case 'scan': return { ...n, op: { ...op, body: r(op.body) } };
    default: return n;
  }
}

export const csePass: Pass = {
  name: 'cse',
  description: 'merge nodes that compute the same op on the same inputs',
  run(g: Graph, stats) {
    const repl = new Map<ValueId, ValueId>();
    const nodes = cseNodes(g.nodes, repl, stats);
    return substitute({ ...g, nodes }, repl);
  },
};
