// Constant folding: a node whose inputs are all constants is evaluated by the reference interpreter at
// compile time and replaced by constants (same value ids, so no uses change). shape_of of a value whose
// shape is static folds even when the value itself is not constant: this is what collapses shape
// arithmetic (Shape -> Gather -> Concat -> Reshape) once input shapes are pinned.

import { CompileError } from '../errors.js';
import type { Graph, Node, ValueId } from '../graph.js';
import { FOLD_WORK_LIMIT, evalCost, interpret } from '../interp/index.js';
import { regionsOf } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { isStaticShape, numElements } from '../types.js';
import { type Pass, bump } from './pass.js';

/** Results larger than this stay computed at run time (folding would bloat the weights). */
export const FOLD_ELEMENT_LIMIT = 1 << 16;

/** Elements of constant `id`, if it is one. */
const constSize = (consts: ReadonlyMap<ValueId, Node>, id: ValueId): number | undefined => (consts.get(id)?.op as { value?: HostTensor } | undefined)?.value?.data.length;

function largestConstant(n: Node, consts: ReadonlyMap<ValueId, Node>): number {
  return Math.max(0, ...n.inputs.map((id) => constSize(consts, id) ?? 0));
}

function foldable(n: Node, consts: ReadonlyMap<ValueId, Node>): boolean {
  if (n.op.kind === 'constant' || regionsOf(n.op).length > 0) return false;
  if (!n.inputs.every((id) => consts.has(id))) return false;
  let total = 0;
  for (const o of n.outputs) {
    if (o.type.kind !== 'tensor' || !isStaticShape(o.type.shape)) return false;
    total += numElements(o.type.shape);
  }
  // Growing ops (expand, iota, tile-like pads) only fold while small, and only when cheap to evaluate. An
  // elementwise map of a constant no larger than its largest input (dequantized or cast weights) folds at any
  // size: its result is what the consumer needs on every run, and the weights grow at most by the dtype's width.
  if (total > FOLD_ELEMENT_LIMIT && !(n.op.kind === 'map' && total <= largestConstant(n, consts))) return false;
  const cost = evalCost(n, (id) => constSize(consts, id));
  return cost !== undefined && cost <= FOLD_WORK_LIMIT;
}

function evaluate(n: Node, consts: ReadonlyMap<ValueId, Node>): HostTensor[] | undefined {
  const producers = [...new Set(n.inputs)].map((id) => consts.get(id)!);
  const g: Graph = { inputs: [], nodes: [...producers, n], outputs: n.outputs.map((o, i) => ({ name: String(i), value: o.id })) };
  try {
    const r = interpret(g, {});
    return n.outputs.map((_, i) => r[String(i)] as HostTensor);
  } catch (e) {
    if (e instanceof CompileError && e.code === 'RUNTIME_ERROR') return undefined; // leave it to fail at run time
    throw e;
  }
}

type Shapes = ReadonlyMap<ValueId, readonly (number | string)[]>;

function foldNodes(nodes: readonly Node[], consts: Map<ValueId, Node>, shapes: Shapes, stats: Parameters<Pass['run']>[1]): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    if (n.op.kind === 'constant') {
      consts.set(n.outputs[0]!.id, n);
      out.push(n);
      continue;
    }
    let values: HostTensor[] | undefined;
    if (n.op.kind === 'shape_of') {
      const t = shapes.get(n.inputs[0]!);
      if (t && isStaticShape(t)) {
        const dims = t.slice(n.op.start, n.op.end) as number[];
        values = [{ dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) }];
      }
    } else if (foldable(n, consts)) {
      values = evaluate(n, consts);
    }
    if (!values) {
      out.push(n);
      continue;
    }
    bump(stats, 'folded');
    n.outputs.forEach((o, i) => {
      const c: Node = n.origin ? { op: { kind: 'constant', value: values![i]! }, inputs: [], outputs: [o], origin: n.origin } : { op: { kind: 'constant', value: values![i]! }, inputs: [], outputs: [o] };
      consts.set(o.id, c);
      out.push(c);
    });
  }
  return out;
}

/** Every tensor value's shape, so shape_of can fold on static shapes. */
function indexTypes(g: Graph): Map<ValueId, readonly (number | string)[]> {
  const m = new Map<ValueId, readonly (number | string)[]>();
  const add = (id: ValueId, t: Node['outputs'][number]['type']) => { if (t.kind === 'tensor') m.set(id, t.shape); };
  for (const i of g.inputs) add(i.value.id, i.value.type);
  const walk = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      n.outputs.forEach((o) => add(o.id, o.type));
      for (const r of regionsOf(n.op)) {
        r.params.forEach((p) => add(p.id, p.type));
        walk(r.nodes);
      }
    }
  };
  walk(g.nodes);
  return m;
}

export const constFoldPass: Pass = {
  name: 'constfold',
  description: 'evaluate nodes with constant inputs (and shape_of on static shapes) at compile time',
  run(g, stats) {
    return { ...g, nodes: foldNodes(g.nodes, new Map(), indexTypes(g), stats) };
  },
};
