// Epilogue fusion: a map that consumes a contraction's result (its only use, as any operand) and otherwise reads values that
// broadcast to the contraction's output is folded into the contraction's epilogue, so bias, activation and
// residual are applied while the result is still in registers. Chains fuse repeatedly (bias, then ReLU, ...).

import { type AffineExpr, constExpr, dimExpr } from '../affine.js';
import type { Graph, Node, ValueId } from '../graph.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, cast } from '../scalar.js';
import { substArgs } from './scalar-rewrite.js';
import type { TensorType } from '../types.js';
import { useCounts } from './graph-walk.js';
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

/** The map's inputs other than the contraction's result (read at position k). */
const others = (map: Node, k: number) => map.inputs.filter((_, i) => i !== k);

function tryFuse(contract: Node, map: Node, k: number, types: ReadonlyMap<ValueId, TensorType>): Node | undefined {
  const op = contract.op as ContractOp;
  if (map.op.kind !== 'map') return undefined;
  const out = contract.outputs[0]!;
  const outT = out.type as TensorType;
  const mapOut = map.outputs[0]!.type as TensorType;
  if (map.inputs[k] !== out.id || others(map, k).includes(out.id)) return undefined;
  if (mapOut.shape.length !== outT.shape.length || mapOut.shape.some((d, i) => d !== outT.shape[i])) return undefined;
  const extraMaps: AffineExpr[][] = [];
  for (const id of others(map, k)) {
    const t = types.get(id);
    if (!t) return undefined;
    const m = broadcastMap(t.shape, outT.shape);
    if (!m) return undefined;
    extraMaps.push(m);
  }
  // The contraction's result as the map saw it: the current epilogue, or the accumulator cast to the result dtype.
  const result: ScalarExpr = op.epilogue ?? (op.accDtype === outT.dtype ? { k: 'acc' } : cast(outT.dtype, { k: 'acc' }));
  const fused: ContractOp = {
    ...op,
    maps: [...op.maps, ...extraMaps],
    padValues: [...op.padValues, ...extraMaps.map(() => null)],
    epilogue: rebase(map.op.expr, k, result, contract.inputs.length),
  };
  return { op: fused, inputs: [...contract.inputs, ...others(map, k)], outputs: map.outputs, ...(contract.origin ? { origin: contract.origin } : {}) };
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
        let found: { k: number; pi: number; late: number[]; fused: Node } | undefined;
        for (let k = 0; k < m.inputs.length && !found; k++) {
          const pi = producer.get(m.inputs[k]!);
          if (pi === undefined || nodes[pi]!.op.kind !== 'contract' || uses.get(m.inputs[k]!) !== 1) continue;
          // Every other input must exist where the contraction runs: defined before it, or made by nodes after it
          // that do not depend on it (constants, or e.g. a mask converted after QKᵀ was emitted); those move up.
          const late = lateProducers(others(m, k), pi, nodes, producer);
          if (!late) continue;
          const fused = tryFuse(nodes[pi]!, m, k, types);
          if (fused) found = { k, pi, late, fused };
        }
        if (!found) continue;
        const { pi, late, fused } = found;
        const moved = late.map((k) => nodes[k]!);
        nodes = nodes.map((n, k) => (k === pi ? fused : n)).filter((_, k) => k !== i && !late.includes(k));
        nodes.splice(nodes.indexOf(fused), 0, ...moved);
        bump(stats, 'fused');
        changed = true;
      }
    }
    return { ...g, nodes };
  },
};
