// Epilogue fusion: a map that consumes a contraction's result (its only use, as any operand) and otherwise reads values that
// broadcast to the contraction's output is folded into the contraction's epilogue, so bias, activation and
// residual are applied while the result is still in registers. Chains fuse repeatedly (bias, then ReLU, ...).
// The map may also read the result through a reshape that only drops or inserts size-1 dims (a grouped
// convolution's [N, G, 1, OH, OW] seen as [N, C, OH, OW]): the contraction keeps its shape, takes the epilogue
// with the other operands read through the same correspondence of dims, and the reshape moves after it.

import { type AffineExpr, constExpr, dimExpr } from '../affine.js';
import type { Graph, Node, ValueId } from '../graph.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, cast } from '../scalar.js';
import { substArgs } from './scalar-rewrite.js';
import type { TensorType } from '../types.js';
import { nextFreeId, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

/** Rewrites arg indices of `e`: arg(k) becomes `first`, the other args in order become arg(offset), arg(offset + 1), ... */
function rebase(e: ScalarExpr, k: number, first: ScalarExpr, offset: number): ScalarExpr {
  return substArgs(e, (i) => (i === k ? first : { k: 'arg', i: offset + (i < k ? i : i - 1) }));
}

/** Index map reading a value of `shape` broadcast (numpy) against an output of `outShape`, over output loops. */
export function broadcastMap(shape: readonly (number | string)[], outShape: readonly (number | string)[]): AffineExpr[] | undefined {
  const r = outShape.length;
  if (shape.length > r) return undefined;
  const map: AffineExpr[] = [];
  for (let i = 0; i < shape.length; i++) {
    const o = i + r - shape.length;
    if (shape[i] === outShape[o]) map.push(dimExpr(o));
    else if (shape[i] === 1) map.push(constExpr(0));
    else return undefined;
  }
  return map;
}

/**
 * For `to` = reshape(`from`) that only drops or inserts size-1 dims: the `from` dim each `to` dim is (undefined for
 * a size-1 dim); undefined when the reshape moves elements otherwise.
 */
function unitDimView(from: readonly (number | string)[], to: readonly (number | string)[]): (number | undefined)[] | undefined {
  const kept = from.map((_, i) => i).filter((i) => from[i] !== 1);
  const view: (number | undefined)[] = [];
  let next = 0;
  for (const d of to) {
    if (d === 1) { view.push(undefined); continue; }
    const j = kept[next++];
    if (j === undefined || from[j] !== d) return undefined;
    view.push(j);
  }
  return next === kept.length ? view : undefined;
}

/** The map's inputs other than the contraction's result (read at position k). */
const others = (map: Node, k: number) => map.inputs.filter((_, i) => i !== k);

/**
 * `map` (reading the contraction's result at operand k, or its unit-dim reshape `viewed` when given) folded
 * into the contraction; with `viewed` the fused node writes `viewedOut` (the result's shape, the map's dtype).
 */
function tryFuse(contract: Node, map: Node, k: number, types: ReadonlyMap<ValueId, TensorType>, viewed?: { id: ValueId; out: ValueId }): Node | undefined {
  const op = contract.op as ContractOp;
  if (map.op.kind !== 'map') return undefined;
  const out = contract.outputs[0]!;
  const outT = out.type as TensorType;
  const mapOut = map.outputs[0]!.type as TensorType;
  const read = viewed?.id ?? out.id;
  if (map.inputs[k] !== read || others(map, k).includes(read)) return undefined;
  // the map's dims as the contraction's loops (all of them, or through the unit-dim reshape)
  const view = viewed ? unitDimView(outT.shape, mapOut.shape) : mapOut.shape.length === outT.shape.length && mapOut.shape.every((d, i) => d === outT.shape[i]) ? mapOut.shape.map((_, i) => i) : undefined;
  if (!view) return undefined;
  const extraMaps: AffineExpr[][] = [];
  for (const id of others(map, k)) {
    const t = types.get(id);
    if (!t) return undefined;
    const m = broadcastMap(t.shape, mapOut.shape);
    if (!m) return undefined;
    // a map loop over a size-1 dim reads index 0
    extraMaps.push(m.map((e) => (e.terms.length === 0 ? e : view[e.terms[0]!.idx] === undefined ? constExpr(0) : dimExpr(view[e.terms[0]!.idx]!))));
  }
  // The contraction's result as the map saw it: the current epilogue, or the accumulator cast to the result dtype.
  const result: ScalarExpr = op.epilogue ?? (op.accDtype === outT.dtype ? { k: 'acc' } : cast(outT.dtype, { k: 'acc' }));
  const fused: ContractOp = {
    ...op,
    maps: [...op.maps, ...extraMaps],
    padValues: [...op.padValues, ...extraMaps.map(() => null)],
    epilogue: rebase(map.op.expr, k, result, contract.inputs.length),
  };
  const outputs = viewed ? [{ id: viewed.out, type: { ...outT, dtype: mapOut.dtype } }] : map.outputs;
  return { op: fused, inputs: [...contract.inputs, ...others(map, k)], outputs, ...(contract.origin ? { origin: contract.origin } : {}) };
}

/**
 * Indices (ascending) of the nodes after `pi` that `ids` depend on, which must move before the contraction at
 * `pi` for it to read `ids`; undefined when one of them depends on the contraction itself.
 */
function lateProducers(ids: readonly ValueId[], pi: number, nodes: readonly Node[], producer: ReadonlyMap<ValueId, number>): number[] | undefined {
  const need = new Set<number>();
  const stack = ids.map((id) => producer.get(id) ?? -1).filter((j) => j > pi);
  while (stack.length > 0) {
    const j = stack.pop()!;
    if (need.has(j)) continue;
    need.add(j);
    for (const id of nodes[j]!.inputs) {
      const p = producer.get(id) ?? -1;
      if (p === pi) return undefined;
      if (p > pi) stack.push(p);
    }
  }
  return [...need].sort((a, b) => a - b);
}

export const fuseEpiloguePass: Pass = {
  name: 'fuse-epilogue',
  description: 'fold elementwise consumers (bias, activation, residual) into the producing contraction',
  run(g: Graph, stats) {
    let nodes = [...g.nodes];
    for (let changed = true; changed;) {
      changed = false;
      const uses = useCounts({ ...g, nodes });
      const types = new Map<ValueId, TensorType>();
      for (const i of g.inputs) if (i.value.type.kind === 'tensor') types.set(i.value.id, i.value.type);
      for (const n of nodes) for (const o of n.outputs) if (o.type.kind === 'tensor') types.set(o.id, o.type);
      const producer = new Map<ValueId, number>();
      nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o.id, i)));
      for (let i = 0; i < nodes.length && !changed; i++) {
        const m = nodes[i]!;
        if (m.op.kind !== 'map') continue;
        // The contraction may be any operand of the map (a residual add reads it second).
        let found: { k: number; pi: number; late: number[]; fused: Node; reshape?: { at: number; node: Node } } | undefined;
        for (let k = 0; k < m.inputs.length && !found; k++) {
          let pi = producer.get(m.inputs[k]!);
          if (pi === undefined || uses.get(m.inputs[k]!) !== 1) continue;
          // through a reshape of a contraction's result that only it reads
          let reshape: { at: number; node: Node } | undefined;
          const r = nodes[pi]!;
          if (r.op.kind === 'reshape' && r.inputs.length === 1) {
            const ci = producer.get(r.inputs[0]!);
            if (ci === undefined || nodes[ci]!.op.kind !== 'contract' || uses.get(r.inputs[0]!) !== 1) continue;
            reshape = { at: pi, node: r };
            pi = ci;
          } else if (r.op.kind !== 'contract') continue;
          // Every other input must exist where the contraction runs: defined before it, or made by nodes after it
          // that do not depend on it (constants, or e.g. a mask converted after QKᵀ was emitted); those move up.
          const late = lateProducers(others(m, k), pi, nodes, producer);
          if (!late) continue;
          const viewed = reshape ? { id: reshape.node.outputs[0]!.id, out: nextFreeId({ ...g, nodes }) } : undefined;
          const fused = tryFuse(nodes[pi]!, m, k, types, viewed);
          if (fused) found = { k, pi, late, fused, ...(reshape ? { reshape: { at: reshape.at, node: { ...reshape.node, inputs: [fused.outputs[0]!.id], outputs: m.outputs } } } : {}) };
        }
        if (!found) continue;
        const { pi, late, fused, reshape } = found;
        const moved = late.map((k) => nodes[k]!);
        // the map goes; with a reshape between, the reshape now reads the fused result and defines the map's output
        nodes = nodes.map((n, k) => (k === pi ? fused : reshape && k === reshape.at ? reshape.node : n)).filter((_, k) => k !== i && !late.includes(k));
        nodes.splice(nodes.indexOf(fused), 0, ...moved);
        bump(stats, reshape ? 'fusedThroughReshape' : 'fused');
        changed = true;
      }
    }
    return { ...g, nodes };
  },
};
