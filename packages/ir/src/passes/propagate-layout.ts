// Layout propagation: each chain of 2-D convolutions (depthwise ones included) joined by elementwise maps, pools,
// reductions and concats over 4-D NCHW values is computed either in NCHW (as imported) or in NHWC, with
// transposes only where the chain meets the rest of the graph (graph outputs and values read inside regions
// included). Other grouped convolutions have no NHWC kernel and end chains. In NHWC a contraction's output
// loops are renamed (n, c, h, w -> n, h, w, c) and every operand read in the chain's layout gets its map's dims reordered; maps and reductions take their
// inputs in NHWC (constants re-laid out here, broadcast operands padded to rank 4). A boundary transpose that
// meets an existing inverse one (TensorFlow/Keras exports: NHWC input -> Transpose -> Conv ...) cancels, and
// one that only moves unit dims is a reshape. Exact: the same elements are combined in the same order.
//
// Policy 'auto', from measurements on a 2 vCPU EPYC, 1 thread (examples/nhwc-cnn/compare-layers.mjs): the NHWC
// kernels (backend lower-conv-nhwc.ts, pools fused) ran each layer at 0.74-0.98x the NCHW time in 20 layer
// timings on a quiet machine (median 0.95; one run under load showed 1.13-1.15 for cnn_224's conv1); cnn_224's conv+ReLU+pool layers 6.09/15.98/14.59 vs 6.29/17.12/14.82 ms; 56x56
// 16->32, 32->32, stride 2, 28x28 1x1: 0.84/1.84/0.98/0.44 vs 0.88/2.00/1.08/0.45 ms), about 3% of a
// convolution's time per MAC saved at the least; a boundary transpose costs 1.35-1.93 ns per element, about 25
// MACs at the GEMM's ~31 GFLOP/s. So NHWC is chosen when 25 x (elements through the transposes it adds minus
// those it removes) < 3% of the chain's convolution MACs, i.e. net transposed elements < MACs / 800:
// cnn_nhwc_224 (-250880 elements) and cnn_224 (+150528 against 506M MACs: 35.4 -> 32.7 ms) go NHWC, a lone
// 3x3 64->64 convolution at 56x56 between NCHW ops (+401408 against 116M MACs) stays NCHW. A chain of fewer
// than 1M MACs (~0.07 ms of work, a 3% gain below timing noise) changes layout only to remove transposes.

import { type AffineExpr, type AffineMap, affine } from '../affine.js';
import type { Graph, Node, Value, ValueId } from '../graph.js';
import type { ConstantOp, ContractOp, TransposeOp } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import { nextFreeId, producers, substitute, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

export type LayoutPolicy = 'auto' | 'nchw' | 'nhwc';

/** 'auto' goes NHWC when net boundary-transposed elements x this < the chain's convolution MACs (header). */
const MACS_PER_TRANSPOSED_ELEMENT = 800;
/** Below this many convolution MACs 'auto' goes NHWC only when that removes more transposing than it adds. */
const MIN_CHAIN_MACS = 1_000_000;

/** NHWC dim i is NCHW dim TO_NHWC[i]; NCHW dim i is NHWC dim TO_NCHW[i]. */
const TO_NHWC = [0, 2, 3, 1] as const;
const TO_NCHW = [0, 3, 1, 2] as const;
/** The same for a depthwise convolution's grouped result: [N, G, 1, OH, OW] <-> [N, OH, OW, G, 1]. */
const GROUPED_TO_NHWC = [0, 3, 4, 1, 2] as const;
const GROUPED_TO_NCHW = GROUPED_TO_NHWC.map((_, i) => (GROUPED_TO_NHWC as readonly number[]).indexOf(i));

const staticShape = (v: Value): number[] | undefined =>
  v.type.kind === 'tensor' && v.type.shape.every((d) => typeof d === 'number') ? (v.type.shape as number[]) : undefined;
const single = (e: AffineExpr | undefined): number | undefined =>
  e && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.coeff === 1 ? e.terms[0]!.idx : undefined;
/** `e` reads only output loop `out` and reduction loops (>= 4). */
const spatialDim = (e: AffineExpr, out: number) => e.terms.every((t) => t.idx === out || t.idx >= 4);
const permute = <T>(xs: readonly T[], perm: readonly number[]): T[] => perm.map((p) => xs[p]!);
const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);
/** Transposing `shape` by `perm` keeps the non-unit dims in order: the same bytes, a reshape. */
const onlyUnitMoves = (shape: readonly number[], perm: readonly number[]) => {
  const kept = perm.filter((p) => shape[p] !== 1);
  return kept.every((p, i) => i === 0 || p > kept[i - 1]!);
};
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * A 2-D convolution or a pool (windowed or global) whose operand 0 is read NCHW: (n, c, f(oh, kh..), g(ow, kw..)),
 * c a reduction loop for a convolution and output loop 1 for a pool; n may be the constant 0 of a batch of one.
 */
function spatialContract(n: Node): 'conv' | 'pool' | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.outputs.length !== 1 || n.outputs[0]!.type.kind !== 'tensor' || n.outputs[0]!.type.shape.length !== 4) return undefined;
  const m = op.maps[0]!;
  if (m.length !== 4 || !m[0]!.terms.every((t) => t.idx === 0) || !spatialDim(m[2]!, 2) || !spatialDim(m[3]!, 3)) return undefined;
  const ch = single(m[1]);
  if (op.reductionExtents.length === 3 && n.inputs.length >= 2 && ch !== undefined && ch >= 4 && op.accDtype === 'float32') return 'conv';
  if (op.reductionExtents.length === 2 && ch === 1) return 'pool';
  return undefined;
}

/**
 * Operand j of a chain contraction is an activation read in the chain's layout: operand 0, or any 4-D operand
 * read like one, (n, c, f(h, ..), g(w, ..)) — not weights, whose dim 0 is the output channel.
 */
function layoutOperand(op: ContractOp, j: number): boolean {
  const m = op.maps[j]!;
  if (j === 0) return true;
  return m.length === 4 && m[0]!.terms.every((t) => t.idx === 0) && spatialDim(m[1]!, 1) && spatialDim(m[2]!, 2) && spatialDim(m[3]!, 3);
}

/**
 * A depthwise convolution as imported: a grouped contraction [N, G, 1, OH, OW] (loops n, g, m-in-group, oh, ow,
 * then c-in-group of extent 1, kh, kw) reading channel g of the NCHW input, with constant weights and other
 * operands, whose one reader is the reshape merging (G, 1) into the channel dim. In NHWC it becomes
 * [N, OH, OW, G, 1] (loops n, oh, ow, g, m) and the reshape gives [N, OH, OW, G]. Other grouped convolutions
 * have no NHWC kernel (backend) and stay out of chains.
 */
function isDepthwise(n: Node, constants: ReadonlySet<ValueId>, readers: ReadonlyMap<ValueId, readonly Node[]>): boolean {
  const op = n.op;
  const out = n.outputs[0];
  if (op.kind !== 'contract' || n.outputs.length !== 1 || !out || out.type.kind !== 'tensor' || out.type.shape.length !== 5 || out.type.shape[2] !== 1) return false;
  if (op.accDtype !== 'float32' || op.reductionExtents.length !== 3 || op.reductionExtents[0] !== 1 || n.inputs.length < 2) return false;
  if (!n.inputs.every((id, j) => j === 0 || constants.has(id))) return false;
  const m = op.maps[0]!;
  const ch = m[1];
  if (m.length !== 4 || !m[0]!.terms.every((t) => t.idx === 0) || !spatialDim(m[2]!, 3) || !spatialDim(m[3]!, 4) || m[2]!.terms.some((t) => t.idx === 4) || m[3]!.terms.some((t) => t.idx === 3)) return false;
  // channel g (+ the extent-1 c-in-group loop)
  if (!ch || ch.offset !== 0 || !ch.terms.every((t) => (t.idx === 1 || t.idx === 5) && t.coeff === 1) || !ch.terms.some((t) => t.idx === 1)) return false;
  const rs = readers.get(out.id) ?? [];
  const s = out.type.shape;
  return rs.length === 1 && rs[0]!.op.kind === 'reshape' && rs[0]!.inputs.length === 1 && rs[0]!.outputs[0]!.type.kind === 'tensor'
    && JSON.stringify(rs[0]!.outputs[0]!.type.shape) === JSON.stringify([s[0], s[1], s[3], s[4]]);
}

/** Whether node `n` can join a chain, by kind (a convolution only with constant weights, as the NHWC kernel needs). */
function memberKind(n: Node, constants: ReadonlySet<ValueId>, depthwise: ReadonlySet<ValueId>): 'conv' | 'depthwise' | 'merge' | 'pool' | 'map' | 'reduce' | 'concat' | undefined {
  const out = n.outputs[0];
  if (n.outputs.length !== 1 || !out || !staticShape(out)) return undefined;
  if (depthwise.has(out.id)) return 'depthwise';
  if (n.op.kind === 'reshape' && n.inputs.length === 1 && depthwise.has(n.inputs[0]!)) return 'merge';
  if (n.op.kind === 'contract') {
    const k = spatialContract(n);
    return k === 'conv' && !constants.has(n.inputs[1]!) ? undefined : k;
  }
  if (n.op.kind === 'map' && out.type.kind === 'tensor' && out.type.shape.length === 4) return 'map';
  // channel (or spatial) concatenation of 4-D values: the axis moves with its dim
  if (n.op.kind === 'concat' && out.type.kind === 'tensor' && out.type.shape.length === 4) return 'concat';
  if (n.op.kind === 'reduce') {
    const op = n.op;
    if (op.keepDims) return out.type.kind === 'tensor' && out.type.shape.length === 4 ? 'reduce' : undefined;
    // without keepDims the result is layout-free when the kept dims stay in the same order
    const kept = TO_NHWC.filter((d) => !op.axes.includes(d));
    return kept.every((d, i) => i === 0 || d > kept[i - 1]!) ? 'reduce' : undefined;
  }
  return undefined;
}

/** A constant of (4-D padded) `shape` re-laid out by `perm`. */
function permuteConstant(t: HostTensor, shape: readonly number[], perm: readonly number[]): HostTensor {
  const out = permute(shape, perm);
  const src = shape.map((_, d) => prod(shape.slice(d + 1)));
  const n = prod(out);
  const data = t.data as unknown as ArrayLike<unknown> & { constructor: new (n: number) => { [i: number]: unknown } };
  const res = Array.isArray(data) ? new Array<unknown>(n) : new data.constructor(n);
  const idx = new Array<number>(4).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = 3; d >= 0; d--) { idx[d] = r % out[d]!; r = Math.floor(r / out[d]!); }
    let at = 0;
    for (let d = 0; d < 4; d++) at += idx[d]! * src[perm[d]!]!;
    res[i] = data[at];
  }
  return { dtype: t.dtype, shape: out, data: res as HostTensor['data'] };
}

/** A chain by its members' output values (nodes are rebuilt as earlier chains are rewritten). */
interface Chain { readonly ids: Set<ValueId>; readonly hasConv: boolean }

/** Chains: members joined through values one produces and another reads in the chain's layout. */
function findChains(g: Graph): Chain[] {
  const constants = new Set(g.nodes.filter((n) => n.op.kind === 'constant').map((n) => n.outputs[0]!.id));
  const readers = new Map<ValueId, Node[]>();
  for (const n of g.nodes) {
    for (const id of new Set(n.inputs)) {
      const rs = readers.get(id);
      if (rs) rs.push(n);
      else readers.set(id, [n]);
    }
  }
  const outputs = new Set(g.outputs.map((o) => o.value));
  const depthwise = new Set(g.nodes.filter((n) => isDepthwise(n, constants, readers) && !outputs.has(n.outputs[0]!.id)).map((n) => n.outputs[0]!.id));
  const kinds = new Map<Node, ReturnType<typeof memberKind>>();
  for (const n of g.nodes) { const k = memberKind(n, constants, depthwise); if (k) kinds.set(n, k); }
  const memberOf = new Map<ValueId, Node>();
  for (const n of kinds.keys()) memberOf.set(n.outputs[0]!.id, n);
  const parent = new Map<Node, Node>([...kinds.keys()].map((n) => [n, n]));
  const find = (n: Node): Node => { let r = n; while (parent.get(r) !== r) r = parent.get(r)!; parent.set(n, r); return r; };
  for (const [n] of kinds) {
    layoutInputs(n).forEach((id) => {
      const p = memberOf.get(id);
      // a reduce without keepDims yields a layout-free value: it ends the chain
      if (p && !(p.op.kind === 'reduce' && !p.op.keepDims)) parent.set(find(n), find(p));
    });
  }
  const chains = new Map<Node, Chain>();
  for (const [n, k] of kinds) {
    const r = find(n);
    const c = chains.get(r) ?? { ids: new Set<ValueId>(), hasConv: false };
    c.ids.add(n.outputs[0]!.id);
    chains.set(r, { ids: c.ids, hasConv: c.hasConv || k === 'conv' || k === 'depthwise' });
  }
  return [...chains.values()].filter((c) => c.hasConv);
}

/** The inputs of member `n` read in the chain's layout. */
function layoutInputs(n: Node): ValueId[] {
  const op = n.op;
  if (op.kind === 'contract') return n.inputs.filter((_, j) => layoutOperand(op, j));
  return [...n.inputs];
}

/** The inputs of member `n` read as they are (a contraction's weights), which must stay NCHW. */
function plainInputs(n: Node): ValueId[] {
  const op = n.op;
  return op.kind === 'contract' ? n.inputs.filter((_, j) => !layoutOperand(op, j)) : [];
}

export interface PropagateLayoutOptions { readonly policy: LayoutPolicy }

export function makePropagateLayoutPass(opts: PropagateLayoutOptions = { policy: 'auto' }): Pass {
  return {
    name: 'propagate-layout',
    description: `compute each convolution chain in NCHW or NHWC (${opts.policy}), with transposes only at its boundaries`,
    run(g, stats) {
      if (opts.policy === 'nchw') return g;
      let cur = g;
      for (const chain of findChains(g)) {
        const r = rewriteChain(cur, chain.ids, opts.policy);
        if (!r) continue;
        cur = r.graph;
        bump(stats, 'chainsToNhwc');
        bump(stats, 'boundaryTransposesRemoved', r.removed);
        bump(stats, 'boundaryTransposesAdded', r.added);
      }
      return cur;
    },
  };
}

export const propagateLayoutPass: Pass = makePropagateLayoutPass();

/** Chain `chain` rewritten to NHWC (undefined when the policy keeps it NCHW); counts of boundary transposes. */
function rewriteChain(g: Graph, ids: ReadonlySet<ValueId>, policy: LayoutPolicy): { graph: Graph; removed: number; added: number } | undefined {
  const chain = { nodes: new Set(g.nodes.filter((n) => ids.has(n.outputs[0]?.id ?? -1))) };
  const producer = producers(g);
  const valueOf = new Map<ValueId, Value>();
  for (const i of g.inputs) valueOf.set(i.value.id, i.value);
  for (const n of g.nodes) for (const o of n.outputs) valueOf.set(o.id, o);
  let next = nextFreeId(g);
  // member outputs that change layout (not those of reductions without keepDims)
  const relaid = new Set([...chain.nodes].filter((n) => !(n.op.kind === 'reduce' && !n.op.keepDims)).map((n) => n.outputs[0]!.id));
  // 5-D depthwise results (read only by their merge reshape, inside the chain): never at the boundary
  const grouped = new Set([...chain.nodes].filter((n) => n.outputs[0]!.type.kind === 'tensor' && n.outputs[0]!.type.shape.length === 5).map((n) => n.outputs[0]!.id));
  const nhwcId = new Map<ValueId, ValueId>([...relaid].map((id) => [id, next++]));

  // --- cost: elements through boundary transposes under each layout
  let keptNchw = 0; // existing transposes that NHWC makes vanish
  let addedNhwc = 0; // transposes NHWC has to add, and their elements
  let added = 0;
  const boundaryIn = new Set<ValueId>();
  for (const n of chain.nodes) for (const id of layoutInputs(n)) if (!relaid.has(id)) boundaryIn.add(id);
  const inPlan = new Map<ValueId, { kind: 'cancel' | 'compose' | 'constant' | 'reshape' | 'transpose'; shape: number[] }>();
  for (const id of boundaryIn) {
    const v = valueOf.get(id)!;
    const s = staticShape(v);
    if (!s) return undefined;
    const s4 = [...new Array<number>(4 - s.length).fill(1), ...s];
    const p = producer.get(id);
    let kind: 'cancel' | 'compose' | 'constant' | 'reshape' | 'transpose';
    if (s.length === 0) kind = 'reshape';
    else if (p?.op.kind === 'constant') kind = 'constant';
    else if (onlyUnitMoves(s4, TO_NHWC)) kind = 'reshape';
    else if (p?.op.kind === 'transpose' && s.length === 4) kind = isIdentity(permute(p.op.perm, TO_NHWC)) ? 'cancel' : 'compose';
    else kind = 'transpose';
    if (kind === 'cancel') keptNchw += prod(s);
    if (kind === 'transpose' || kind === 'compose') { addedNhwc += prod(s); added++; }
    inPlan.set(id, { kind, shape: s4 });
  }
  // chain values read outside the chain (or graph outputs): through a transpose back, unless the reader is a
  // transpose that cancels with it
  const outsideReaders = new Map<ValueId, Node[]>();
  for (const n of g.nodes) {
    if (chain.nodes.has(n)) {
      // a member may also read a chain value as a plain operand (a contraction's weights)
      for (const id of plainInputs(n)) if (relaid.has(id)) outsideReaders.set(id, [...(outsideReaders.get(id) ?? []), n]);
      continue;
    }
    for (const id of n.inputs) if (relaid.has(id)) outsideReaders.set(id, [...(outsideReaders.get(id) ?? []), n]);
  }
  const backNeeded = new Set<ValueId>();
  const cancelling = new Set<Node>();
  // reads outside the top-level nodes: graph outputs and uses inside regions (If/Loop bodies read outer values by id)
  const elsewhere = useCounts(g);
  for (const n of g.nodes) for (const id of n.inputs) elsewhere.set(id, elsewhere.get(id)! - 1);
  for (const id of relaid) {
    if (grouped.has(id)) continue;
    const s = staticShape(valueOf.get(id)!)!;
    const readers = outsideReaders.get(id) ?? [];
    for (const rd of readers) {
      if (rd.op.kind === 'transpose' && !chain.nodes.has(rd) && isIdentity(permute(TO_NCHW, rd.op.perm))) { cancelling.add(rd); keptNchw += prod(s); } else backNeeded.add(id);
    }
    // such reads keep the NCHW form
    if ((elsewhere.get(id) ?? 0) > 0) backNeeded.add(id);
  }
  for (const id of backNeeded) {
    const s = staticShape(valueOf.get(id)!)!;
    if (!onlyUnitMoves(permute(s, TO_NHWC), TO_NCHW)) { addedNhwc += prod(s); added++; }
  }
  let convMacs = 0;
  for (const n of chain.nodes) {
    const op = n.op;
    if (op.kind === 'contract' && op.reductionExtents.length === 3) convMacs += prod(staticShape(n.outputs[0]!)!) * prod(op.reductionExtents as number[]);
  }
  const net = addedNhwc - keptNchw;
  if (policy === 'auto' && !(net < 0 || (convMacs >= MIN_CHAIN_MACS && MACS_PER_TRANSPOSED_ELEMENT * net < convMacs))) return undefined;

  // --- rewrite
  const out: Node[] = [];
  const repl = new Map<ValueId, ValueId>();
  const made = new Map<ValueId, ValueId>(); // boundary input -> its NHWC form
  const f = (shape: readonly number[], like: Value): Value => ({ id: next++, type: { ...(like.type as TensorType), shape } });
  const nhwcInput = (id: ValueId): ValueId => {
    const mapped = nhwcId.get(id);
    if (mapped !== undefined) return mapped;
    const done = made.get(id);
    if (done !== undefined) return done;
    const v = valueOf.get(id)!;
    const plan = inPlan.get(id)!;
    const target = permute(plan.shape, TO_NHWC);
    let res: ValueId;
    const p = producer.get(id);
    if (plan.kind === 'cancel') res = p!.inputs[0]!;
    else if (plan.kind === 'compose') {
      const o = f(target, v);
      out.push({ op: { kind: 'transpose', perm: permute((p!.op as TransposeOp).perm, TO_NHWC) }, inputs: [p!.inputs[0]!], outputs: [o], ...(p!.origin ? { origin: p!.origin } : {}) });
      res = o.id;
    } else if (plan.kind === 'constant') {
      const value = permuteConstant((p!.op as ConstantOp).value, plan.shape, TO_NHWC);
      const o = f(target, v);
      out.push({ op: { kind: 'constant', value }, inputs: [], outputs: [o] });
      res = o.id;
    } else if (plan.kind === 'reshape') {
      if (staticShape(v)!.length === 0) res = id;
      else { const o = f(target, v); out.push({ op: { kind: 'reshape' }, inputs: [id], outputs: [o] }); res = o.id; }
    } else {
      let src = id;
      if (staticShape(v)!.length < 4) { const o = f(plan.shape, v); out.push({ op: { kind: 'reshape' }, inputs: [id], outputs: [o] }); src = o.id; }
      const o = f(target, v);
      out.push({ op: { kind: 'transpose', perm: [...TO_NHWC] }, inputs: [src], outputs: [o] });
      res = o.id;
    }
    made.set(id, res);
    return res;
  };
  for (const n of g.nodes) {
    if (cancelling.has(n)) { repl.set(n.outputs[0]!.id, nhwcId.get(n.inputs[0]!)!); continue; }
    if (!chain.nodes.has(n)) { out.push(n); continue; }
    const o = n.outputs[0]!;
    const s = staticShape(o)!;
    const g5 = grouped.has(o.id);
    const newOut: Value = relaid.has(o.id) ? { id: nhwcId.get(o.id)!, type: { ...(o.type as TensorType), shape: permute(s, g5 ? GROUPED_TO_NHWC : TO_NHWC) } } : o;
    const op = n.op;
    if (op.kind === 'reshape') {
      out.push({ ...n, inputs: n.inputs.map((id) => nhwcId.get(id)!), outputs: [newOut] }); // the depthwise merge
    } else if (op.kind === 'contract') {
      const toNchw = g5 ? GROUPED_TO_NCHW : TO_NCHW;
      const outLoops = toNchw.length;
      const rename = (e: AffineExpr): AffineExpr => affine(e.terms.map((t) => ({ idx: t.idx < outLoops ? toNchw[t.idx]! : t.idx, coeff: t.coeff })), e.offset);
      const inputs: ValueId[] = [];
      const maps: AffineMap[] = [];
      n.inputs.forEach((id, j) => {
        const m = op.maps[j]!.map(rename);
        // other operands (weights, per-channel constants) keep their buffer: only the loops are renamed
        if (layoutOperand(op, j)) { inputs.push(nhwcInput(id)); maps.push(permute(m, TO_NHWC)); } else { inputs.push(id); maps.push(m); }
      });
      out.push({ ...n, op: { ...op, maps }, inputs, outputs: [newOut] });
    } else if (op.kind === 'map') {
      out.push({ ...n, inputs: n.inputs.map(nhwcInput), outputs: [newOut] });
    } else if (op.kind === 'reduce') {
      const axes = op.axes.map((a) => TO_NCHW[a]!).sort((a, b) => a - b);
      out.push({ ...n, op: { ...op, axes }, inputs: n.inputs.map(nhwcInput), outputs: [newOut] });
    } else if (op.kind === 'concat') {
      out.push({ ...n, op: { ...op, axis: TO_NCHW[op.axis]! }, inputs: n.inputs.map(nhwcInput), outputs: [newOut] });
    }
    if (backNeeded.has(o.id)) {
      const back = onlyUnitMoves(permute(s, TO_NHWC), TO_NCHW) ? { kind: 'reshape' as const } : { kind: 'transpose' as const, perm: [...TO_NCHW] };
      out.push({ op: back, inputs: [newOut.id], outputs: [o], ...(n.origin ? { origin: n.origin } : {}) });
    }
  }
  return { graph: substitute({ ...g, nodes: out }, repl), removed: [...inPlan.values()].filter((p) => p.kind === 'cancel').length + cancelling.size, added };
}
