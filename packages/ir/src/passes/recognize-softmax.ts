// Softmax recognition: the spelled-out, max-subtracted forms
//   m = reduce_max(x, [a], keep); e = exp(x - m); s = reduce_add(e, [a], keep); y = e / s        -> softmax(x, a)
//   y = (x - m) - log(s)                                                                         -> log-softmax(x, a)
// become the `softmax` op, which the wasm backend runs as one row kernel (instead of five kernels and two
// intermediate tensors). The maps may be split or already fused in any way: expressions are matched through
// map producers. Only the stable form is recognized (exp(x)/sum(exp(x)) overflows where softmax does not).
// Inexact: the op rounds once, the spelled-out form after every step (a few ulps apart).

import { isFloat } from '../dtype.js';
import type { Graph, Node, ValueId } from '../graph.js';
import { typesEqual } from '../infer/index.js';
import type { ReduceOp } from '../ops.js';
import type { ValueType } from '../types.js';
import { type ScalarExpr, arg, bin, un } from '../scalar.js';
import { type Pass, bump } from './pass.js';
import { exprEquals, exprSize, substArgs } from './scalar-rewrite.js';

/** Largest expression built while looking through maps. */
const MAX_VIEW = 64;

/** The expression computing `id` over leaf values (`stops`, and anything not produced by a map), or undefined if too large. */
function view(id: ValueId, prod: ReadonlyMap<ValueId, Node>, stops: readonly ValueId[], leaves: ValueId[]): ScalarExpr | undefined {
  const p = prod.get(id);
  if (stops.includes(id) || p?.op.kind !== 'map' || p.inputs.length === 0) {
    let k = leaves.indexOf(id);
    if (k < 0) k = leaves.push(id) - 1;
    return arg(k);
  }
  const parts = p.inputs.map((v) => view(v, prod, stops, leaves));
  if (parts.some((x) => x === undefined)) return undefined;
  const e = substArgs(p.op.expr, (j) => parts[j]!);
  return exprSize(e) > MAX_VIEW ? undefined : e;
}

/** Whether `id` viewed through maps (leaves x -> a0, m -> a1, s -> a2) is exactly `want`. */
function viewIs(id: ValueId, prod: ReadonlyMap<ValueId, Node>, x: ValueId, m: ValueId, s: ValueId | null, want: ScalarExpr): boolean {
  const leaves = [x, m, ...(s === null ? [] : [s])];
  const e = view(id, prod, leaves, [...leaves]);
  return e !== undefined && exprEquals(e, want);
}

const isSingleAxisKeep = (op: ReduceOp, reducer: ReduceOp['reducer']) => op.reducer === reducer && op.axes.length === 1 && op.keepDims;
const EXP_CENTERED = un('exp', bin('sub', arg(0), arg(1)));
const SOFTMAX = bin('div', EXP_CENTERED, arg(2));
const LOG_SOFTMAX = bin('sub', bin('sub', arg(0), arg(1)), un('log', arg(2)));

export const recognizeSoftmaxPass: Pass = {
  name: 'recognize-softmax',
  description: 'replace spelled-out (max-subtracted) softmax and log-softmax with the softmax op',
  inexact: true,
  run(g: Graph, stats) {
    const prod = new Map<ValueId, Node>();
    const types = new Map<ValueId, ValueType>();
    for (const i of g.inputs) types.set(i.value.id, i.value.type);
    g.nodes.forEach((n) => n.outputs.forEach((o) => { prod.set(o.id, n); types.set(o.id, o.type); }));
    const replaced = new Map<Node, Node>();
    for (const mNode of g.nodes) {
      if (mNode.op.kind !== 'reduce' || !isSingleAxisKeep(mNode.op, 'max')) continue;
      const x = mNode.inputs[0]!;
      const m = mNode.outputs[0]!.id;
      const xType = types.get(x);
      if (xType?.kind !== 'tensor' || !isFloat(xType.dtype)) continue;
      const axis = mNode.op.axes[0]!;
      for (const sNode of g.nodes) {
        if (sNode.op.kind !== 'reduce' || !isSingleAxisKeep(sNode.op, 'add') || sNode.op.axes[0] !== axis) continue;
        if (!viewIs(sNode.inputs[0]!, prod, x, m, null, EXP_CENTERED)) continue;
        const s = sNode.outputs[0]!.id;
        for (const y of g.nodes) {
          if (y.op.kind !== 'map' || replaced.has(y)) continue;
          // Same type as x: the match leaves no other operand broadcasting the result.
          if (!typesEqual(y.outputs[0]!.type, xType)) continue;
          const log = viewIs(y.outputs[0]!.id, prod, x, m, s, LOG_SOFTMAX);
          if (!log && !viewIs(y.outputs[0]!.id, prod, x, m, s, SOFTMAX)) continue;
          replaced.set(y, { ...y, op: { kind: 'softmax', axis, log }, inputs: [x] });
          bump(stats, log ? 'logSoftmax' : 'softmax');
        }
      }
    }
    if (replaced.size === 0) return g;
    return { ...g, nodes: g.nodes.map((n) => replaced.get(n) ?? n) };
  },
};
