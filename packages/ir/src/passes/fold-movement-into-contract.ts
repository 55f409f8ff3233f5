// Prologue fusion of data movement into contractions: a contract operand produced by a transpose, by a
// reshape that only splits dims (attention's head split [S, H*D] -> [S, H, D]), by a broadcast (expand) or by
// a static positive-step slice (one part of a fused QKV projection or a Split) is
// read straight from the movement's input through a composed affine map (a broadcast dim reads index 0), so
// the copy kernel disappears. Exact (same elements read).
// Folds only when the operand's contiguous (last) dim is still walked by the loop that walked the
// movement's last dim with unit step, so unit-stride access (what GEMM and SIMD nests need) is kept;
// otherwise (attention's Kᵀ, whose transpose changes the contiguous axis) the movement stays.
// Epilogue side: a transpose that is the only reader of a contract's result and keeps the last dim in place
// (attention's head merge [H, S, D] -> [S, H, D]) becomes the contract's own output order (loops renamed).

import { type AffineExpr, type AffineMap, affine } from '../affine.js';
import type { Graph, Node, ValueId } from '../graph.js';
import { broadcastMap } from './fuse-epilogue.js';
import { producers, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

const staticShape = (id: ValueId, g: ReadonlyMap<ValueId, readonly (number | string)[]>): number[] | undefined => {
  const s = g.get(id);
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
};

/** y = transpose(x, perm): y[i...] = x[j...] with j[perm[k]] = i[k]; the map over x is the map over y permuted. */
export function throughTranspose(m: AffineMap, perm: readonly number[]): AffineMap {
  const out = new Array<AffineExpr>(perm.length);
  perm.forEach((p, k) => { out[p] = m[k]!; });
  return out;
}

/** y = reshape(x) with every x dim split into consecutive y dims: x index d = sum_g y index g * stride in group. */
export function throughSplit(m: AffineMap, xs: readonly number[], ys: readonly number[]): AffineMap | undefined {
  const out: AffineExpr[] = [];
  let yi = 0;
  for (const s of xs) {
    const group: number[] = [];
    let prod = 1;
    if (s === 1) {
      while (yi < ys.length && ys[yi] === 1 && group.length === 0) group.push(yi++);
    } else {
      while (prod < s && yi < ys.length) { prod *= ys[yi]!; group.push(yi++); }
      if (prod !== s) return undefined; // a merge (or a mismatch): not affine
    }
    let stride = 1;
    const terms: { idx: number; coeff: number }[] = [];
    let offset = 0;
    for (let k = group.length - 1; k >= 0; k--) {
      const e = m[group[k]!]!;
      for (const t of e.terms) terms.push({ idx: t.idx, coeff: t.coeff * stride });
      offset += e.offset * stride;
      stride *= ys[group[k]!]!;
    }
    out.push(affine(terms, offset));
  }
  return ys.slice(yi).every((d) => d === 1) ? out : undefined;
}

/** y = expand(x) (numpy broadcast): x's dims align with y's last ones; a dim of size 1 broadcast reads index 0. */
export function throughBroadcast(m: AffineMap, xs: readonly number[], ys: readonly number[]): AffineMap | undefined {
  // broadcastMap reads x at (the y loop of each kept dim | 0): substitute the map's index for each y loop
  return broadcastMap(xs, ys)?.map((e) => (e.terms.length === 0 ? e : m[e.terms[0]!.idx]!));
}

/** y = slice(x, starts, steps): y[i...] = x[starts + steps * i...]; undefined for symbolic starts. */
export function throughSlice(m: AffineMap, starts: readonly (number | string)[], steps: readonly number[]): AffineMap | undefined {
  if (starts.some((s) => typeof s !== 'number')) return undefined;
  return m.map((e, d) => affine(e.terms.map((t) => ({ idx: t.idx, coeff: t.coeff * steps[d]! })), e.offset * steps[d]! + (starts[d] as number)));
}

/** The loop that walks the last dim with unit step (and nothing else in that dim), if any. */
function innerLoop(m: AffineMap): number | undefined {
  const e = m[m.length - 1];
  return e && e.terms.length === 1 && e.terms[0]!.coeff === 1 && e.offset === 0 ? e.terms[0]!.idx : undefined;
}

/** The last dim's expression still walks `loop` with unit step (other terms may be added to it). */
const keepsInner = (m: AffineMap, loop: number): boolean => (m[m.length - 1]?.terms ?? []).some((t) => t.idx === loop && t.coeff === 1);

/** The contract `c` computing in the order of `t = transpose(c)`: output loop perm[i] becomes loop i. */
function permuteOutput(c: Node, t: Node, perm: readonly number[]): Node {
  const op = c.op as import('../ops.js').ContractOp;
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  const rename = (e: AffineExpr): AffineExpr => affine(e.terms.map((x) => ({ idx: x.idx < perm.length ? inv[x.idx]! : x.idx, coeff: x.coeff })), e.offset);
  return { ...c, op: { ...op, maps: op.maps.map((m) => m.map(rename)) }, outputs: t.outputs };
}

/** Folds transposes that only reorder a single-use contract's leading dims into the contract's output order. */
function foldOutputTransposes(g: Graph, bumpOne: () => void): Graph {
  const uses = useCounts(g);
  const outputs = new Set(g.outputs.map((o) => o.value));
  const byOut = new Map<ValueId, Node>();
  for (const n of g.nodes) byOut.set(n.outputs[0]?.id ?? -1, n);
  const moved = new Map<Node, Node>(); // old contract -> rewritten one, placed at its transpose
  for (const t of g.nodes) {
    if (t.op.kind !== 'transpose' || t.inputs.length !== 1) continue;
    const c = byOut.get(t.inputs[0]!);
    const perm = t.op.perm;
    if (!c || c.op.kind !== 'contract' || c.outputs.length !== 1 || uses.get(c.outputs[0]!.id) !== 1 || outputs.has(c.outputs[0]!.id)) continue;
    if (perm.length < 1 || perm[perm.length - 1] !== perm.length - 1 || moved.has(c)) continue;
    // Matmul-like contractions only (one reduction loop, no padded reads): a convolution keeps its own layout.
    if (c.op.reductionExtents.length > 1 || c.op.padValues.some((p) => p !== null)) continue;
    moved.set(c, permuteOutput(c, t, perm));
  }
  if (moved.size === 0) return g;
  const at = new Map([...moved].map(([, n]) => [n.outputs[0]!.id, n]));
  const nodes = g.nodes.filter((n) => !moved.has(n)).map((n) => at.get(n.outputs[0]?.id ?? -1) ?? n);
  for (let i = 0; i < moved.size; i++) bumpOne();
  return { ...g, nodes };
}

const FOLD_COUNTER = { transpose: 'transposesFolded', expand: 'broadcastsFolded', reshape: 'reshapesFolded', slice: 'slicesFolded' } as const;

export const foldMovementIntoContractPass: Pass = {
  name: 'fold-movement-into-contract',
  description: 'read contract operands through transposes, dim-splitting reshapes, broadcasts and slices via their index maps; write through trailing transposes',
  run(g: Graph, stats) {
    const prod = producers(g);
    const shapes = new Map<ValueId, readonly (number | string)[]>();
    for (const i of g.inputs) if (i.value.type.kind === 'tensor') shapes.set(i.value.id, i.value.type.shape);
    for (const n of g.nodes) for (const o of n.outputs) if (o.type.kind === 'tensor') shapes.set(o.id, o.type.shape);
    let changed = false;
    const nodes = g.nodes.map((n) => {
      const op = n.op;
      if (op.kind !== 'contract') return n;
      const inputs = [...n.inputs];
      const maps = [...op.maps];
      n.inputs.forEach((_, j) => {
        if ((op.padValues[j] ?? null) !== null) return; // a padded read checks bounds in the operand's own dims
        // The loop walking the operand's contiguous dim; every composed map must keep it there with unit step.
        const loop = innerLoop(maps[j]!);
        if (loop === undefined) return;
        for (;;) {
          const p = prod.get(inputs[j]!);
          if (!p || p.inputs.length !== 1) return;
          const x = p.inputs[0]!;
          const xs = staticShape(x, shapes);
          const ys = staticShape(inputs[j]!, shapes);
          if (!xs || !ys) return;
          // A positive-step slice only shifts and scales indices (a column block of a fused QKV projection, a
          // Split part), so it folds wherever it sits in the chain; the others need a unit-step inner loop as
          // the map stands (a split leaves `64*h + d`, which no transpose or reshape above it may rearrange).
          const m = p.op.kind === 'slice' ? (p.op.steps.every((st) => st > 0) ? throughSlice(maps[j]!, p.op.starts, p.op.steps) : undefined)
            : innerLoop(maps[j]!) === undefined ? undefined
            : p.op.kind === 'transpose' ? throughTranspose(maps[j]!, p.op.perm)
            : p.op.kind === 'expand' ? throughBroadcast(maps[j]!, xs, ys)
            : p.op.kind === 'reshape' ? throughSplit(maps[j]!, xs, ys) : undefined;
          if (!m || !keepsInner(m, loop)) return;
          inputs[j] = x;
          maps[j] = m;
          bump(stats, FOLD_COUNTER[p.op.kind as keyof typeof FOLD_COUNTER]);
          changed = true;
        }
      });
      return inputs.some((id, j) => id !== n.inputs[j]) ? { ...n, inputs, op: { ...op, maps } } : n;
    });
    return foldOutputTransposes(changed ? { ...g, nodes } : g, () => bump(stats, 'outputTransposesFolded'));
  },
};
