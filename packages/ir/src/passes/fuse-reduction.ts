// Reduction fusion: a sum over axes of an elementwise map becomes one contraction whose combiner is the map's
// expression (sum of squares, mean of a product: no intermediate tensor), and a sum whose only user is an
// elementwise map of the same shape becomes a contraction too, so fuse-epilogue can apply that map to the
// accumulator (mean = sum / n, 1 / sqrt(var + eps)). LayerNorm and RMSNorm spelled out this way end up as
// two or three kernels instead of eight or nine. Only `add` reductions of numbers: the contraction accumulates
// exactly as `reduce` does (float64 for floats, rounded once; exact integers), so the pass changes no bit.
// The absorbed map must have no other user (it is not recomputed) and at least one input.

import { type AffineExpr, constExpr, dimExpr } from '../affine.js';
import { isFloat, isInteger } from '../dtype.js';
import type { Graph, Node, ValueId } from '../graph.js';
import type { ContractOp, ReduceOp } from '../ops.js';
import { arg } from '../scalar.js';
import type { TensorType, ValueType } from '../types.js';
import { useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

/** Loop index reading each dim of the reduced tensor x (kept dims: output loops; reduced dims: r + k). */
function loopOfDim(op: ReduceOp, rank: number, outRank: number): number[] {
  let kept = 0;
  return Array.from({ length: rank }, (_, d) => {
    const k = op.axes.indexOf(d);
    if (k >= 0) return outRank + k;
    const l = op.keepDims ? d : kept;
    kept++;
    return l;
  });
}

/** Index map reading `shape` broadcast (numpy, right-aligned) against x, through x's loops. */
function broadcastMap(shape: readonly (number | string)[], x: readonly (number | string)[], loops: readonly number[]): AffineExpr[] | undefined {
  const off = x.length - shape.length;
  if (off < 0) return undefined;
  const map: AffineExpr[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) map.push(constExpr(0));
    else if (shape[i] === x[i + off]) map.push(dimExpr(loops[i + off]!));
    else return undefined;
  }
  return map;
}

function toContract(r: Node, p: Node | undefined, types: ReadonlyMap<ValueId, ValueType>): Node | undefined {
  const op = r.op as ReduceOp;
  const x = types.get(r.inputs[0]!) as TensorType;
  const out = r.outputs[0]!.type as TensorType;
  const loops = loopOfDim(op, x.shape.length, out.shape.length);
  const inputs = p ? p.inputs : r.inputs;
  const maps: AffineExpr[][] = [];
  for (const id of inputs) {
    const t = types.get(id);
    if (t?.kind !== 'tensor') return undefined;
    const m = broadcastMap(t.shape, x.shape, loops);
    if (!m) return undefined;
    maps.push(m);
  }
  const contract: ContractOp = {
    kind: 'contract',
    reductionExtents: op.axes.map((a) => x.shape[a]!),
    maps,
    padValues: maps.map(() => null),
    combiner: p ? (p.op as { expr: ContractOp['combiner'] }).expr : arg(0),
    reducer: 'add',
    accDtype: x.dtype,
    epilogue: null,
  };
  return { ...r, op: contract, inputs: [...inputs] };
}

export const fuseReductionPass: Pass = {
  name: 'fuse-reduction',
  description: 'sums absorb the elementwise map they reduce (as a contraction combiner) and become contractions when a map consumes them',
  run(g: Graph, stats) {
    const uses = useCounts(g);
    const types = new Map<ValueId, ValueType>();
    const producer = new Map<ValueId, number>();
    const readers = new Map<ValueId, number[]>();
    for (const i of g.inputs) types.set(i.value.id, i.value.type);
    g.nodes.forEach((n, i) => {
      n.outputs.forEach((o) => { types.set(o.id, o.type); producer.set(o.id, i); });
      n.inputs.forEach((v) => readers.set(v, [...(readers.get(v) ?? []), i]));
    });
    const nodes: (Node | null)[] = [...g.nodes];
    let changed = false;
    g.nodes.forEach((r, i) => {
      if (r.op.kind !== 'reduce' || r.op.reducer !== 'add') return;
      const x = types.get(r.inputs[0]!);
      if (x?.kind !== 'tensor' || !(isFloat(x.dtype) || isInteger(x.dtype))) return;
      const pi = producer.get(r.inputs[0]!);
      const p = pi === undefined ? undefined : nodes[pi];
      if (p && p.op.kind === 'map' && p.inputs.length > 0 && uses.get(r.inputs[0]!) === 1) {
        const c = toContract(r, p, types);
        if (c) {
          nodes[i] = c;
          nodes[pi!] = null;
          bump(stats, 'absorbed');
          changed = true;
          return;
        }
      }
      // A lone sum feeding one same-shaped map: a contraction, so the map can become its epilogue.
      const out = r.outputs[0]!;
      const users = readers.get(out.id) ?? [];
      const user = users.length === 1 && uses.get(out.id) === 1 ? g.nodes[users[0]!]! : undefined;
      const ut = user?.outputs[0]?.type;
      if (user?.op.kind !== 'map' || ut?.kind !== 'tensor' || out.type.kind !== 'tensor' || ut.shape.join() !== out.type.shape.join()) return;
      const c = toContract(r, undefined, types);
      if (!c) return;
      nodes[i] = c;
      bump(stats, 'converted');
      changed = true;
    });
    return changed ? { ...g, nodes: nodes.filter((n): n is Node => n !== null) } : g;
  },
};
