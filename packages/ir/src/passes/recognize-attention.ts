// Attention recognition: a QKᵀ contraction whose only reader is a softmax along its key axis, whose only reader
// in turn is a PV contraction summing over that axis, becomes one `attention` op, so the backend can stream the
// keys in blocks without ever storing the score matrix. Whatever fuse-epilogue put into the QKᵀ epilogue (scale,
// additive or boolean causal mask) becomes the score epilogue, its operands the score inputs. Then q, k, v and
// the masks are read through the transposes, head-splitting reshapes and slices that produce them (the Kᵀ
// transpose included: the fused kernel reads K in its natural [seq, d] layout). An epilogue fuse-epilogue put
// on PV (ONNX Attention's zeroing of fully masked rows) becomes a map after the attention op again, when its
// operands are plain broadcasts. A one-input map on q, k or v (a scale) moves below the movements it sits on, or
// into the contraction computing them (attention-operand-maps.ts). Float32 only (the dtype the wasm backend has
// a fused kernel for). Exact: the op's semantics are the composition, same roundings (a contract's epilogue sees
// the rounded sum too).

import { type AffineExpr, type AffineMap, affine } from '../affine.js';
import { CompileError } from '../errors.js';
import type { Graph, Node, ValueId } from '../graph.js';
import { dimEquals } from '../dims.js';
import type { AttentionOp, ContractOp } from '../ops.js';
import { type ScalarExpr, arg, bin, lit } from '../scalar.js';
import type { Dim, TensorType } from '../types.js';
import { commonSplit, mergedDim, splitOutputLoop, throughMerge } from './attention-head-groups.js';
import { throughBroadcast, throughSlice, throughSplit, throughTranspose } from './fold-movement-into-contract.js';
import { type MovedOperand, type Movement, headsMerged, movesToOutput } from './attention-output-layout.js';
import { nextFreeId, producers, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';
import { argRefs, substArgs } from './scalar-rewrite.js';
import { composeMaps, contractThenMap, operandMapExpr } from './attention-operand-maps.js';
import { type RowGuard, guardAfterAttention, rowGuardOf } from './attention-row-guard.js';

const isF32 = (n: Node | undefined, i = 0): boolean => n?.outputs[i]?.type.kind === 'tensor' && n.outputs[i].type.dtype === 'float32';

/** A float32 matmul-like contraction: one reduction loop, sum of arg0 * arg1, no padded reads. */
function plainProduct(n: Node | undefined): n is Node & { op: ContractOp } {
  if (!n || n.op.kind !== 'contract' || !isF32(n)) return false;
  const op = n.op;
  const c = op.combiner;
  const mul01 = c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.b.k === 'arg' && ((c.a.i === 0 && c.b.i === 1) || (c.a.i === 1 && c.b.i === 0));
  return mul01 && op.reductionExtents.length === 1 && op.reducer === 'add' && op.accDtype === 'float32' && op.padValues.every((p) => p === null);
}

/** The loop index an expression walks with unit step and no offset, if that is all it is. */
const pureLoop = (e: AffineExpr): number | undefined => (e.offset === 0 && e.terms.length === 1 && e.terms[0]!.coeff === 1 ? e.terms[0]!.idx : undefined);
const uses = (m: AffineMap, loop: number): boolean => m.some((e) => e.terms.some((t) => t.idx === loop));

/** Substitutes loop l by `to(l)` (a loop index, or null for a loop that is always 0). */
function rename(m: AffineMap, to: (l: number) => number | null): AffineMap {
  return m.map((e) => affine(e.terms.flatMap((t) => { const l = to(t.idx); return l === null ? [] : [{ idx: l, coeff: t.coeff }]; }), e.offset));
}

/**
 * PV's epilogue as a map over (the attention result, its epilogue operands); `null` when PV has none. A map
 * reads its operands as numpy broadcasts, so an operand the epilogue reads through another order of the output
 * loops (fold-movement-into-contract may have reordered PV's output) is first transposed and reshaped, which
 * costs little: these operands are per-row values such as ONNX Attention's fully-masked-row test.
 */
function epilogueAsMap(pv: Node & { op: ContractOp }, shapeOf: (id: ValueId) => readonly Dim[] | undefined):
  { expr: ScalarExpr; operands: MovedOperand[] } | null | undefined {
  const ep = pv.op.epilogue;
  if (ep === null) return pv.inputs.length === 2 ? null : undefined;
  if (argRefs(ep, 0) > 0 || argRefs(ep, 1) > 0) return undefined;
  const outShape = (pv.outputs[0]!.type as { shape: readonly Dim[] }).shape;
  const operands: { id: ValueId; moves: Movement[] }[] = [];
  for (const [j, id] of pv.inputs.slice(2).entries()) {
    const moves = movesToOutput(shapeOf(id), pv.op.maps[j + 2]!, outShape);
    if (!moves) return undefined;
    operands.push({ id, moves });
  }
  // acc (PV's sum) becomes the map's arg 0; PV's epilogue operands (args 2..) follow it
  return { expr: substArgs(ep, (i) => arg(i - 1), () => arg(0)), operands };
}

const sameShape = (a: readonly Dim[] | undefined, b: readonly Dim[]) => a !== undefined && a.length === b.length && a.every((d, i) => dimEquals(d, b[i]!));

interface Match {
  /** The attention node (PV's place, reading s's operands), the nodes it absorbs, PV's epilogue as a map. */
  readonly node: Node;
  readonly absorbed: Node[];
  readonly epilogue: ReturnType<typeof epilogueAsMap>;
  /** A row guard on P: the map after the op over (result, z, its operands), z's literal (attention-row-guard.ts). */
  readonly guard?: { readonly expr: ScalarExpr; readonly fill: number; readonly operands: MovedOperand[] };
}

/** The attention node replacing pv (reading s's operands), or undefined when the pattern does not hold. */
function match(pv: Node, prod: ReadonlyMap<ValueId, Node>, useCount: ReadonlyMap<ValueId, number>, outputs: ReadonlySet<ValueId>,
  shapeOf: (id: ValueId) => readonly Dim[] | undefined): Match | undefined {
  if (!plainProduct(pv) || pv.inputs.length < 2 || pv.inputs[0] === pv.inputs[1]) return undefined;
  const epilogue = epilogueAsMap(pv, shapeOf);
  if (epilogue === undefined) return undefined;
  const single = (id: ValueId) => useCount.get(id) === 1 && !outputs.has(id);
  const isSoftmax = (id: ValueId) => prod.get(id)?.op.kind === 'softmax' && single(id);
  // P: the softmax, or a row guard over it (attention-row-guard.ts)
  let pIdx = -1;
  let guard: RowGuard | undefined;
  for (let j = 0; j < 2 && pIdx < 0; j++) {
    if (!single(pv.inputs[j]!)) continue;
    if (isSoftmax(pv.inputs[j]!)) pIdx = j;
    else if ((guard = rowGuardOf(prod.get(pv.inputs[j]!), isSoftmax))) pIdx = j;
  }
  if (pIdx < 0 || (guard && epilogue !== null)) return undefined;
  const sm = prod.get(guard ? guard.node.inputs[guard.probArg]! : pv.inputs[pIdx]!)!;
  const s = prod.get(sm.inputs[0]!);
  if (sm.op.kind !== 'softmax' || sm.op.log || !isF32(sm) || !single(sm.inputs[0]!) || !plainProduct(s) || s.inputs.length < 2) return undefined;
  const r = (pv.outputs[0]!.type as { shape: readonly Dim[] }).shape.length;
  const sShape = (s.outputs[0]!.type as { shape: readonly Dim[] }).shape;
  const axis = sm.op.axis;
  // the PV sum must cover the whole softmax row
  if (!dimEquals(sShape[axis]!, pv.op.reductionExtents[0]!)) return undefined;
  // P must be read at (output loops..., key loop r at the softmax axis), each output loop at most once.
  const pMap = pv.op.maps[pIdx]!;
  const sLoopTo = new Array<number | null>(sShape.length);
  const seen = new Set<number>();
  for (let d = 0; d < sShape.length; d++) {
    const l = pureLoop(pMap[d]!);
    if (d === axis) { if (l !== r) return undefined; sLoopTo[d] = r; continue; }
    if (l !== undefined && l < r && !seen.has(l)) { seen.add(l); sLoopTo[d] = l; continue; }
    if (pMap[d]!.terms.length === 0 && pMap[d]!.offset === 0 && sShape[d] === 1) { sLoopTo[d] = null; continue; }
    return undefined;
  }
  const vIdx = 1 - pIdx;
  const vMap = pv.op.maps[vIdx]!;
  // The value axis: the last output loop that P does not read and V does.
  const valueAxis = [...Array(r).keys()].reverse().find((l) => !seen.has(l) && uses(vMap, l));
  if (valueAxis === undefined) return undefined;
  // Scores: q is the operand that does not move along the key axis; s's reduction loop becomes the depth loop r+1.
  const sr = sShape.length;
  const toAttn = (l: number): number | null => (l < sr ? sLoopTo[l]! : r + 1);
  const [m0, m1] = [s.op.maps[0]!, s.op.maps[1]!];
  const qFirst = !uses(m0, axis);
  if (!qFirst && uses(m1, axis)) return undefined;
  const extras = s.inputs.slice(2);
  const ep = s.op.epilogue;
  if (ep !== null && (argRefs(ep, 0) > 0 || argRefs(ep, 1) > 0)) return undefined;
  if (s.op.maps.slice(2).some((m) => uses(m, sr))) return undefined;
  const [qId, kId] = qFirst ? [s.inputs[0]!, s.inputs[1]!] : [s.inputs[1]!, s.inputs[0]!];
  const [qMap, kMap] = qFirst ? [m0, m1] : [m1, m0];
  const op: AttentionOp = {
    kind: 'attention', keyExtent: pv.op.reductionExtents[0]!, qkExtent: s.op.reductionExtents[0]!, valueAxis,
    maps: [rename(qMap, toAttn), rename(kMap, toAttn), vMap, ...s.op.maps.slice(2).map((m) => rename(m, toAttn))],
    // score inputs move from args 2.. of the QKᵀ contraction to args 3.. of the attention op
    scoreEpilogue: ep === null ? null : substArgs(ep, (i): ScalarExpr => ({ k: 'arg', i: i + 1 })),
  };
  const node: Node = { ...pv, op, inputs: [qId, kId, pv.inputs[vIdx]!, ...extras] };
  if (!guard) return { node, absorbed: [s, sm], epilogue };
  // The guard's other operands, numpy-broadcast against P, read at the output loops P's dims map to (never the key axis).
  const outShape = (pv.outputs[0]!.type as { shape: readonly Dim[] }).shape;
  const others = guard.node.inputs.map((_, i) => i).filter((i) => i !== guard!.probArg);
  if (!sameShape(shapeOf(guard.node.outputs[0]!.id), sShape)) return undefined;
  const operands: { id: ValueId; moves: Movement[] }[] = [];
  for (const i of others) {
    const id = guard.node.inputs[i]!;
    const shape = shapeOf(id);
    if (!shape || shape.length > sr) return undefined;
    const lead = sr - shape.length;
    if (shape.some((e, d) => e !== 1 && (d + lead === axis || !dimEquals(e, sShape[d + lead]!)))) return undefined;
    const m = shape.map((e, d) => (e === 1 ? affine([], 0) : pMap[d + lead]!));
    const moves = movesToOutput(shape, m, outShape);
    if (!moves) return undefined;
    operands.push({ id, moves });
  }
  return { node, absorbed: [s, sm, guard.node], epilogue, guard: { expr: guardAfterAttention(guard, others), fill: guard.fill, operands } };
}

/** What foldMovement made of the attention node: its rewritten form, its result shape, the nodes to add before it
 * (operand maps moved to their source values) and the contractions to replace (an operand map joined the epilogue). */
interface Folded {
  readonly node: Node;
  readonly outShape: readonly Dim[];
  readonly before: Node[];
  readonly contracts: Map<Node, Node>;
}

/**
 * Each input read through the movement ops (transpose, dim-splitting reshape, slice, broadcast) that produce it;
 * a reshape merging a repeated KV head dim splits the op's head loop (attention-head-groups.ts). A one-input map
 * on q, k or v (a scale) is moved below the movements it sits on (attention-operand-maps.ts), never below a
 * slice (that would map elements nobody reads).
 */
function foldMovement(n: Node, outShape0: readonly Dim[], prod: ReadonlyMap<ValueId, Node>, types: ReadonlyMap<ValueId, TensorType>,
  readOnce: (id: ValueId) => boolean, movable: (c: Node) => boolean, freshId: () => ValueId, folded: () => void): Folded {
  const shapeOf = (id: ValueId) => types.get(id)?.shape;
  let op = n.op as AttentionOp;
  let outShape = outShape0;
  const inputs = [...n.inputs];
  let maps = [...op.maps];
  const isStatic = (d: readonly Dim[] | undefined): d is number[] => d !== undefined && d.every((x) => typeof x === 'number');
  const before: Node[] = [];
  const contracts = new Map<Node, Node>();
  /**
   * Input j's map through a reshape xs -> ys (seen through `view`, the result mapped back by `unview`): a split,
   * or a merge of two dims, splitting an output loop into two when the merged dim is read by one (repeated KV heads),
   * or a split followed by one merge (nn.MultiheadAttention's heads).
   */
  const readReshape = (j: number, xs: readonly number[], ys: readonly number[], view: (m: AffineMap) => AffineMap, unview: (m: AffineMap) => AffineMap): AffineMap | undefined => {
    const mj = view(maps[j]!);
    const split = throughSplit(mj, xs, ys);
    if (split) return unview(split);
    const d = mergedDim(xs, ys);
    if (d === undefined) {
      // a split, then one merge (nn.MultiheadAttention's [S, B, H*D] -> [S, B*H, D]): through the merge onto the
      // common split, then through the split (always affine) onto x
      const zs = commonSplit(xs, ys);
      if (!zs || zs.length !== ys.length + 1 || zs.length === xs.length) return undefined;
      const mz = readReshape(j, zs, ys, view, (x) => x);
      if (!mz) return undefined;
      const mx = throughSplit(mz, xs, zs);
      // zs refines xs, so this holds; the op may already have split a loop, so failing here cannot be undone
      if (!mx) throw new CompileError('INTERNAL', `recognize-attention: [${xs}] -> [${zs}] is not a split`);
      return unview(mx);
    }
    const merged = throughMerge(mj, d, xs, [...outShape, op.keyExtent, op.qkExtent]);
    if (merged) return unview(merged);
    const l = pureLoop(mj[d]!);
    if (l === undefined || l >= outShape.length || l === op.valueAxis || outShape[l] !== ys[d]) return undefined;
    const wider = splitOutputLoop({ ...op, maps }, outShape, l, xs[d + 1]!);
    const m = throughMerge(view(wider.op.maps[j]!), d, xs, [...wider.outShape, op.keyExtent, op.qkExtent]);
    if (!m) return undefined;
    op = wider.op;
    maps = [...wider.op.maps];
    outShape = wider.outShape;
    return unview(m);
  };
  inputs.forEach((_, j) => {
    // the map met on the way (composed with those below it), what the input was when it was met, how many
    // movements it was moved below; and whether every value passed so far is read only on this way
    let pending: { expr: ScalarExpr; at: ValueId; map: AffineMap; crossed: number; first: Node } | undefined;
    let exclusive = true;
    for (;;) {
      const p = prod.get(inputs[j]!);
      if (!p || p.inputs.length !== 1) break;
      const f = j < 3 ? operandMapExpr(p, types.get(p.inputs[0]!)?.dtype, readOnce) : undefined;
      if (f) {
        pending = pending ? { ...pending, expr: composeMaps(pending.expr, f) } : { expr: f, at: inputs[j]!, map: maps[j]!, crossed: 0, first: p };
        exclusive &&= readOnce(inputs[j]!);
        inputs[j] = p.inputs[0]!;
        continue;
      }
      if (pending && p.op.kind === 'slice') break;
      const xs = shapeOf(p.inputs[0]!);
      const ys = shapeOf(inputs[j]!);
      let m: AffineMap | undefined;
      if (p.op.kind === 'transpose') m = throughTranspose(maps[j]!, p.op.perm);
      else if (p.op.kind === 'slice') m = throughSlice(maps[j]!, p.op.starts, p.op.steps);
      else if (p.op.kind === 'expand' && isStatic(xs) && isStatic(ys)) m = throughBroadcast(maps[j]!, xs, ys);
      else if (p.op.kind === 'reshape' && isStatic(xs) && isStatic(ys)) {
        // a split or a merge; failing that, the same with the dims of size 1 left out (read in bounds, they are at 0)
        const same = (x: AffineMap) => x;
        const ones = (x: readonly number[]) => x.filter((e) => e !== 1);
        m = readReshape(j, xs, ys, same, same);
        if (!m && (xs.includes(1) || ys.includes(1))) {
          const dropY = (x: AffineMap) => x.filter((_, d) => ys[d] !== 1);
          const zerosX = (x: AffineMap) => { let k = 0; return xs.map((e) => (e === 1 ? affine([], 0) : x[k++]!)); };
          m = readReshape(j, ones(xs), ones(ys), dropY, zerosX);
        }
      }
      if (!m) break;
      if (pending) pending.crossed++;
      exclusive &&= readOnce(inputs[j]!);
      inputs[j] = p.inputs[0]!;
      maps[j] = m;
      folded();
    }
    if (!pending) return;
    if (pending.crossed === 0) {
      // no movement below the map: it stays where it was
      inputs[j] = pending.at;
      maps[j] = pending.map;
      return;
    }
    const src = inputs[j]!;
    const c = prod.get(src);
    // src keeps its id but then holds the mapped values: only when every value on the way was read by it alone
    // (the movements and maps in between are dead then, left to dce)
    const mapped = c && exclusive && readOnce(src) && movable(c) ? contractThenMap(c, pending.expr) : undefined;
    if (mapped) {
      contracts.set(c!, mapped);
    } else {
      const v = { id: freshId(), type: types.get(src)! };
      before.push({ ...pending.first, op: { kind: 'map', expr: pending.expr }, inputs: [src], outputs: [v] });
      inputs[j] = v.id;
    }
  });
  return { node: { ...n, inputs, op: { ...op, maps } }, outShape, before, contracts };
}

export const recognizeAttentionPass: Pass = {
  name: 'recognize-attention',
  description: 'QKᵀ -> softmax over the keys (-> a row guard) -> PV (float32, single-use intermediates) becomes one attention op reading q, k, v through their movement ops (maps on them moved to the source values)',
  run(g: Graph, stats) {
    const prod = producers(g);
    const useCount = useCounts(g);
    const outputs = new Set(g.outputs.map((o) => o.value));
    const types = new Map<ValueId, TensorType>();
    for (const i of g.inputs) if (i.value.type.kind === 'tensor') types.set(i.value.id, i.value.type);
    for (const n of g.nodes) for (const o of n.outputs) if (o.type.kind === 'tensor') types.set(o.id, o.type);
    const shapeOf = (id: ValueId) => types.get(id)?.shape;
    const replaced = new Map<Node, Node[]>();
    const gone = new Set<Node>();
    let fresh = nextFreeId(g);
    for (const n of g.nodes) {
      const hit = n.op.kind === 'contract' ? match(n, prod, useCount, outputs, shapeOf) : undefined;
      if (!hit) continue;
      const out = n.outputs[0]!;
      const outShape = (out.type as { shape: readonly Dim[] }).shape;
      const readOnce = (id: ValueId) => useCount.get(id) === 1 && !outputs.has(id);
      // (a contraction this pass already rewrote keeps its form)
      const movable = (c: Node) => !replaced.has(c) && !gone.has(c);
      let moved = 0;
      const fold = foldMovement(hit.node, outShape, prod, types, readOnce, movable, () => fresh++, () => moved++);
      const vUses = (l: number) => uses((fold.node.op as AttentionOp).maps[2]!, l);
      const zShape = fold.outShape.map((d, l) => (vUses(l) ? d : 1));
      // with split heads, z (per KV head) is repeated over the group and merged like the op's result
      const zMoves = fold.outShape === outShape ? [] : headsMerged(zShape, fold.outShape, outShape);
      if (hit.guard && !zMoves) continue;
      bump(stats, 'movementsFolded', moved);
      for (const [c, mapped] of fold.contracts) replaced.set(c, [mapped]);
      if (fold.before.length) bump(stats, 'operandMapsMoved', fold.before.length);
      if (fold.contracts.size) bump(stats, 'operandMapsIntoEpilogues', fold.contracts.size);
      let attn = fold.node;
      const after: Node[] = [];
      // The value the attention op's result ends in: PV's own output, or the epilogue map's input.
      let result = out;
      /** The operands' values in the output's layout, their movements added to `after`. */
      const movedIn = (operands: readonly MovedOperand[]) => operands.map(({ id, moves }) => {
        let cur = id;
        const dtype = types.get(id)?.dtype ?? 'float32';
        for (const mv of moves) {
          const v = { id: fresh++, type: { kind: 'tensor' as const, dtype, shape: mv.shape } };
          after.push({ ...n, op: mv.op, inputs: [cur], outputs: [v] });
          cur = v.id;
        }
        return cur;
      });
      if (hit.guard) {
        // z = sum over the keys of fill * v, read as the op reads v (its output loops V does not use have extent 1)
        const mid = { id: fresh++, type: { ...(out.type as object), dtype: 'float32' } as typeof out.type };
        result = mid;
        const op = attn.op as AttentionOp;
        const vMap = op.maps[2]!;
        const z = { id: fresh++, type: { kind: 'tensor' as const, dtype: 'float32' as const, shape: zShape } };
        after.push({
          ...n, inputs: [attn.inputs[2]!], outputs: [z],
          op: { kind: 'contract', reductionExtents: [op.keyExtent], maps: [vMap], padValues: [null], combiner: bin('mul', lit(hit.guard.fill, 'float32'), arg(0)), reducer: 'add', accDtype: 'float32', epilogue: null },
        });
        const inputs = movedIn([{ id: z.id, moves: zMoves! }, ...hit.guard.operands]);
        after.push({ ...n, op: { kind: 'map', expr: hit.guard.expr }, inputs: [mid.id, ...inputs], outputs: [out] });
        bump(stats, 'rowGuardsSplit');
      }
      if (hit.epilogue) {
        // The attention op writes a fresh float32 value; the epilogue map writes PV's own result.
        const mid = { id: fresh++, type: { ...(out.type as object), dtype: 'float32' } as typeof out.type };
        result = mid;
        const inputs = movedIn(hit.epilogue.operands);
        after.push({ ...n, op: { kind: 'map', expr: hit.epilogue.expr }, inputs: [mid.id, ...inputs], outputs: [out] });
        bump(stats, 'epiloguesSplit');
      }
      if (fold.outShape !== outShape) {
        // A split head loop: the op writes [.., kv heads, group, ..], read back merged by a reshape (no copy).
        const wide = { id: fresh++, type: { ...(result.type as object), shape: fold.outShape } as typeof result.type };
        attn = { ...attn, outputs: [wide] };
        after.unshift({ ...n, op: { kind: 'reshape' }, inputs: [wide.id], outputs: [result] });
        bump(stats, 'headLoopsSplit');
      } else {
        attn = { ...attn, outputs: [result] };
      }
      replaced.set(n, [...fold.before, attn, ...after]);
      for (const a of hit.absorbed) gone.add(a);
      bump(stats, 'fused');
    }
    if (replaced.size === 0) return g;
    return { ...g, nodes: g.nodes.filter((n) => !gone.has(n)).flatMap((n) => replaced.get(n) ?? [n]) };
  },
};
