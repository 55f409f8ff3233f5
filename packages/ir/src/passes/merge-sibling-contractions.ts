// Horizontal fusion: contractions that read the same activation the same way and differ only in their
// constant operands (the Q, K and V projections of one input; the heads of a multi-task model) become one
// contraction over the concatenated weights, so the activation is read once and one kernel runs instead of
// several. Each consumer then reads its block of the merged result through its own index map, shifted by the
// block's offset along the concatenation dim: no slice is materialized.
//
// A group merges when its members
//   - read one value X at the same input position through the same map, and X's map does not use the
//     concatenation loop `a` (an output loop);
//   - have every other operand a constant whose map reads loop `a` as a plain index of exactly one dim, or the
//     same value in every member (then not reading `a`);
//   - agree on reduction extents, combiner, reducer, accumulator, padding, epilogue and result dtype, and on
//     every result dim but `a`;
//   - have only contract (unpadded at that operand) or attention consumers, and are no graph output.
// Exact: every result element is computed from the same operand elements by the same expression.

import { type AffineExpr, type AffineMap, affine, mapsEqual } from '../affine.js';
import type { Graph, Node, Value, ValueId } from '../graph.js';
import type { AttentionOp, ContractOp } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import { dcePass } from './dce.js';
import { nextFreeId, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';
import { exprEquals } from './scalar-rewrite.js';

type Contract = Node & { readonly op: ContractOp };

/** The operand dim that reads loop `a` as a plain index, if exactly one dim mentions `a` and reads it so. */
function plainDim(m: AffineMap, a: number): number | undefined {
  const dims = m.map((e, d) => (e.terms.some((t) => t.idx === a) ? d : -1)).filter((d) => d >= 0);
  if (dims.length !== 1) return undefined;
  const e = m[dims[0]!]!;
  return e.terms.length === 1 && e.terms[0]!.coeff === 1 && e.offset === 0 ? dims[0] : undefined;
}

/** Tensors concatenated along `axis` (same dtype, same other dims). */
function concatTensors(ts: readonly HostTensor[], axis: number): HostTensor {
  const shape = [...ts[0]!.shape];
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0);
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const total = outer * shape[axis]! * inner;
  const d0 = ts[0]!.data;
  // the same storage as the parts: a typed array of the same kind, or strings
  const data = Array.isArray(d0) ? new Array<string>(total) : new (d0.constructor as new (n: number) => Float64Array)(total);
  const put = data as unknown as { [i: number]: unknown };
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const run = t.shape[axis]! * inner;
      const src = t.data as unknown as { readonly [i: number]: unknown };
      for (let i = 0; i < run; i++) put[at++] = src[o * run + i];
    }
  }
  return { dtype: ts[0]!.dtype, shape, data: data as HostTensor['data'] };
}

interface Ctx {
  readonly consts: ReadonlyMap<ValueId, HostTensor>;
  readonly readers: ReadonlyMap<ValueId, readonly Node[]>;
  readonly graphOutputs: ReadonlySet<ValueId>;
}

/** Whether every reader of `v` reads it through an index map the merge can shift (contract unpadded, attention). */
function shiftableReaders(v: ValueId, ctx: Ctx): boolean {
  if (ctx.graphOutputs.has(v)) return false;
  const rs = ctx.readers.get(v) ?? [];
  return rs.length > 0 && rs.every((n) => (n.op.kind === 'contract' && n.inputs.every((id, j) => id !== v || (n.op as ContractOp).padValues[j] === null))
    || n.op.kind === 'attention');
}

/** The output loop the group can concatenate along (the last that qualifies), if any. */
function concatLoop(group: readonly Contract[], x: number): number | undefined {
  const first = group[0]!;
  const shape0 = (first.outputs[0]!.type as TensorType).shape;
  for (let a = shape0.length - 1; a >= 0; a--) {
    const ok = group.every((c) => {
      const shape = (c.outputs[0]!.type as TensorType).shape;
      if (shape.length !== shape0.length || shape.some((d, i) => i !== a && d !== shape0[i]) || typeof shape[a] !== 'number') return false;
      if (c.op.maps[x]!.some((e) => e.terms.some((t) => t.idx === a))) return false;
      return c.inputs.every((id, j) => j === x || plainDim(c.op.maps[j]!, a) !== undefined || (id === first.inputs[j] && !c.op.maps[j]!.some((e) => e.terms.some((t) => t.idx === a))));
    });
    if (ok) return a;
  }
  return undefined;
}

/** Members agree on everything but their constant operands and their extent along the concatenation loop. */
function sameShape(c: Contract, d: Contract, x: number): boolean {
  const p = c.op;
  const q = d.op;
  return c.inputs.length === d.inputs.length && c.inputs[x] === d.inputs[x] && mapsEqual(p.maps[x]!, q.maps[x]!)
    && p.reducer === q.reducer && p.accDtype === q.accDtype && exprEquals(p.combiner, q.combiner)
    && (p.epilogue === null ? q.epilogue === null : q.epilogue !== null && exprEquals(p.epilogue, q.epilogue))
    && p.reductionExtents.length === q.reductionExtents.length && p.reductionExtents.every((e, i) => e === q.reductionExtents[i])
    && p.padValues.every((v, i) => v === q.padValues[i]) && c.outputs.length === 1 && d.outputs.length === 1
    && c.outputs[0]!.type.kind === 'tensor' && d.outputs[0]!.type.kind === 'tensor'
    && (c.outputs[0]!.type as TensorType).dtype === (d.outputs[0]!.type as TensorType).dtype
    && p.maps.every((m, j) => j === x || mapsEqual(m, q.maps[j]!));
}

interface Merge {
  readonly nodes: readonly Node[]; // the new constants, then the merged contraction
  /** Per member result: the merged value and the offset of its block along `dim`. */
  readonly blocks: ReadonlyMap<ValueId, { readonly value: ValueId; readonly dim: number; readonly offset: number }>;
}

function mergeGroup(group: readonly Contract[], x: number, a: number, ctx: Ctx, fresh: () => ValueId): Merge {
  const first = group[0]!;
  const inputs: ValueId[] = [];
  const nodes: Node[] = [];
  first.inputs.forEach((id, j) => {
    const d = j === x ? undefined : plainDim(first.op.maps[j]!, a);
    if (d === undefined) { inputs.push(id); return; }
    const value = concatTensors(group.map((c) => ctx.consts.get(c.inputs[j]!)!), d);
    const out: Value = { id: fresh(), type: { kind: 'tensor', dtype: value.dtype, shape: value.shape } };
    nodes.push({ op: { kind: 'constant', value }, inputs: [], outputs: [out], ...(first.origin ? { origin: first.origin } : {}) });
    inputs.push(out.id);
  });
  const t = first.outputs[0]!.type as TensorType;
  const extents = group.map((c) => (c.outputs[0]!.type as TensorType).shape[a] as number);
  const shape = [...t.shape];
  shape[a] = extents.reduce((s, e) => s + e, 0);
  const merged: Value = { id: fresh(), type: { ...t, shape } };
  nodes.push({ ...first, inputs, outputs: [merged] });
  const blocks = new Map<ValueId, { value: ValueId; dim: number; offset: number }>();
  let offset = 0;
  group.forEach((c, i) => { blocks.set(c.outputs[0]!.id, { value: merged.id, dim: a, offset }); offset += extents[i]!; });
  return { nodes, blocks };
}

/** `m` (over a member's result) shifted to read the member's block of the merged result. */
const shifted = (m: AffineMap, dim: number, offset: number): AffineMap => m.map((e: AffineExpr, d) => (d === dim ? affine(e.terms, e.offset + offset) : e));

/** A consumer reading member results through their blocks of merged results. */
function readBlocks(n: Node, blocks: Merge['blocks']): Node {
  if (!n.inputs.some((id) => blocks.has(id))) return n;
  const op = n.op as ContractOp | AttentionOp;
  const maps = op.maps.map((m, j) => { const b = blocks.get(n.inputs[j]!); return b ? shifted(m, b.dim, b.offset) : m; });
  return { ...n, op: { ...op, maps }, inputs: n.inputs.map((id) => blocks.get(id)?.value ?? id) };
}

export const mergeSiblingContractionsPass: Pass = {
  name: 'merge-sibling-contractions',
  description: 'merge contractions of one activation with different constant weights (Q/K/V projections) into one over concatenated weights',
  run(input: Graph, stats) {
    // Dead readers (the head-split reshapes recognize-attention leaves behind) would pin the members.
    const g = dcePass.run(input, { counters: {} });
    const consts = new Map<ValueId, HostTensor>();
    const readers = new Map<ValueId, Node[]>();
    for (const n of g.nodes) {
      if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
      for (const id of new Set(n.inputs)) {
        const rs = readers.get(id);
        if (rs) rs.push(n);
        else readers.set(id, [n]);
      }
    }
    const uses = useCounts(g);
    const ctx: Ctx = { consts, readers, graphOutputs: new Set(g.outputs.map((o) => o.value)) };
    // Region uses are not shiftable: the reader count must account for every use.
    const allUsesHere = (v: ValueId) => (readers.get(v) ?? []).reduce((s, n) => s + n.inputs.filter((id) => id === v).length, 0) === (uses.get(v) ?? 0);
    const candidate = (n: Node): n is Contract => n.op.kind === 'contract' && n.outputs.length === 1 && shiftableReaders(n.outputs[0]!.id, ctx) && allUsesHere(n.outputs[0]!.id);
    let next = nextFreeId(g);
    const fresh = () => next++;
    const merges = new Map<Node, Merge>(); // first member -> its merge
    const gone = new Set<Node>();
    const blocks = new Map<ValueId, { value: ValueId; dim: number; offset: number }>();
    for (const [x, rs] of readers) {
      const members = rs.filter(candidate).filter((c) => !gone.has(c) && !merges.has(c));
      if (members.length < 2) continue;
      // Group by the input position of x and compatibility with the first member of each group.
      const groups: { x: number; nodes: Contract[] }[] = [];
      for (const c of members) {
        const xs = c.inputs.map((id, j) => (id === x ? j : -1)).filter((j) => j >= 0);
        if (xs.length !== 1) continue;
        const j = xs[0]!;
        if (!c.inputs.every((id, k) => k === j || consts.has(id))) { bump(stats, 'refusedRunTimeOperand'); continue; }
        const gr = groups.find((gp) => gp.x === j && sameShape(gp.nodes[0]!, c, j));
        if (gr) gr.nodes.push(c);
        else groups.push({ x: j, nodes: [c] });
      }
      for (const gr of groups) {
        if (gr.nodes.length < 2) continue;
        const a = concatLoop(gr.nodes, gr.x);
        if (a === undefined) { bump(stats, 'refusedNoConcatDim'); continue; }
        const m = mergeGroup(gr.nodes, gr.x, a, ctx, fresh);
        merges.set(gr.nodes[0]!, m);
        gr.nodes.slice(1).forEach((c) => gone.add(c));
        for (const [k, v] of m.blocks) blocks.set(k, v);
        bump(stats, 'groups');
        bump(stats, 'contractionsMerged', gr.nodes.length);
      }
    }
    if (merges.size === 0) return input;
    const nodes: Node[] = [];
    for (const n of g.nodes) {
      if (gone.has(n)) continue;
      const m = merges.get(n);
      if (m) nodes.push(...m.nodes);
      else nodes.push(readBlocks(n, blocks));
    }
    return { ...g, nodes };
  },
};
