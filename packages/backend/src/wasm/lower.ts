// IR graph -> kernel plan. Contractions that are plain (batched) matrix products go to the SIMD GEMM kernel
// (a constant right-hand side stored transposed is re-laid out at compile time); every other contraction,
// map, reduction and affine data movement (transpose, slice, expand, constant pad, concat parts) becomes a
// generic affine loop nest. Unsupported ops fail with a CompileError naming the node.

import {
  type AffineExpr, CompileError, type Graph, type HostTensor, type Node, type TensorType, type ValueId, arg, isStaticShape, nextFreeId, useCounts,
} from '@tensorc/ir';
import type { Kernel, KernelPlan, LoopNestKernel, NestOperand } from './kernel-plan.js';
import { findConvPools, lowerConv } from './lower-conv.js';
import { lowerPaddedWindow } from './lower-window.js';
import { lowerAttention } from './lower-attention.js';
import { gemmEpilogue } from './lower-epilogue.js';
import { findLayerNorms } from './lower-layernorm.js';
import { lowerBitcast } from './lower-bitcast.js';
import { type ControlContext, lowerControl } from './lower-control.js';
import { lowerCumulative, lowerGatherNd, lowerScatter } from './lower-index-ops.js';
import { lowerPadModes } from './lower-pad.js';
import { lowerQuant } from './lower-quant.js';
import { softmaxNests } from './lower-softmax.js';

const prod = (a: readonly number[]): number => a.reduce((p, q) => p * q, 1);

export const SUPPORTED_DTYPES = new Set([
  'float32', 'float64', 'int32', 'int64', 'bool', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'uint64', 'int4', 'uint4', 'int2', 'uint2',
  'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
]);

const rowMajor = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
};

export interface LowerResult extends KernelPlan {
  /** Constants made at compile time (re-laid-out weights), by a fresh value id. */
  readonly derived: ReadonlyMap<ValueId, HostTensor>;
  readonly types: ReadonlyMap<ValueId, TensorType>;
}

function where(n: Node): { node?: string; opType?: string } {
  return n.origin ? { node: n.origin.node, opType: n.origin.opType } : {};
}

function staticType(n: Node, i: number): TensorType & { shape: readonly number[] } {
  const t = n.outputs[i]!.type;
  if (t.kind !== 'tensor') throw new CompileError('UNSUPPORTED_OP', `backend: ${n.op.kind} yields a ${t.kind}`, where(n));
  if (!isStaticShape(t.shape)) throw new CompileError('UNSUPPORTED_OP', `backend: shape [${t.shape.join(',')}] is not static; pin input shapes with inputShapes`, where(n));
  if (!SUPPORTED_DTYPES.has(t.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: dtype ${t.dtype} is not supported yet`, where(n));
  return t as TensorType & { shape: readonly number[] };
}

/**
 * An operand reading `shape` through affine `map` over `nLoops` loops. A padded read gets bounds checks
 * unless `extents` (the loops' extents) show every index stays inside (a pool without padding).
 */
function operandOf(buffer: ValueId, t: TensorType, map: readonly AffineExpr[], nLoops: number, pad: number | null, extents?: readonly number[]): NestOperand {
  const shape = t.shape as number[];
  const st = rowMajor(shape);
  const strides = new Array<number>(nLoops).fill(0);
  let base = 0;
  const coeffs: number[][] = [];
  map.forEach((e, d) => {
    base += e.offset * st[d]!;
    const c = new Array<number>(nLoops).fill(0);
    for (const term of e.terms) { strides[term.idx]! += term.coeff * st[d]!; c[term.idx] = term.coeff; }
    coeffs.push(c);
  });
  const inside = extents !== undefined && map.every((e, d) => {
    const span = e.terms.map((term) => term.coeff * (extents[term.idx]! - 1));
    return e.offset + span.reduce((a, v) => a + Math.min(0, v), 0) >= 0 && e.offset + span.reduce((a, v) => a + Math.max(0, v), 0) < shape[d]!;
  });
  return pad === null || inside
    ? { buffer, dtype: t.dtype, base, strides, pad: 0 }
    : { buffer, dtype: t.dtype, base, strides, pad, bounds: { coeffs, offsets: map.map((e) => e.offset), sizes: shape } };
}

const identity = (rank: number, offset = 0): AffineExpr[] => Array.from({ length: rank }, (_, i) => ({ terms: [{ idx: i + offset, coeff: 1 }], offset: 0 }));

export function lowerGraph(g: Graph): LowerResult {
  const types = new Map<ValueId, TensorType>();
  const consts = new Map<ValueId, HostTensor>();
  const derived = new Map<ValueId, HostTensor>();
  const aliases = new Map<ValueId, ValueId>();
  let kernels: Kernel[] = []; // the list being filled: the graph's, or an If/Loop region's (lowerRegion)
  // fresh ids past every value, region values included
  let nextId = Math.max(1, nextFreeId(g));
  for (const i of g.inputs) {
    if (i.value.type.kind !== 'tensor' || !isStaticShape(i.value.type.shape)) throw new CompileError('UNSUPPORTED_OP', `backend: input "${i.name}" needs a static tensor shape; pin it with inputShapes`);
    types.set(i.value.id, i.value.type);
  }
  const tt = (id: ValueId) => types.get(id)!;
  const uses = useCounts(g);
  const layerNorms = findLayerNorms(g, uses);
  // max pools fused into the convolution they read (lower-conv.ts), and those a convolution's kernel wrote
  const convPools = findConvPools(g, uses);
  const fusedPools = new Set<ValueId>();
  let count = 0;
  const nest = (n: Node, k: Omit<LoopNestKernel, 'kind' | 'name' | 'outBase' | 'outStrides'> & { outBase?: number; outStrides?: readonly number[] }) => {
    const outShape = k.extents.slice(0, k.numOutLoops);
    kernels.push({ kind: 'nest', name: `k${count++}_${n.op.kind}`, outBase: 0, outStrides: rowMajor(outShape), ...k });
  };
  const control: ControlContext = {
    types, consts, derived, aliases, dtypes: SUPPORTED_DTYPES, fresh: () => nextId++, name: (suffix) => `k${count++}_${suffix}`,
    lowerRegion: (nodes) => { const outer = kernels; kernels = []; try { nodes.forEach(lowerNode); return kernels; } finally { kernels = outer; } },
  };
  const lowerNode = (n: Node): void => {
    const op = n.op;
    if (op.kind === 'constant') {
      types.set(n.outputs[0]!.id, n.outputs[0]!.type as TensorType);
      consts.set(n.outputs[0]!.id, op.value);
      return;
    }
    if (op.kind === 'if' || op.kind === 'loop') { kernels.push(...lowerControl(n, control)); return; }
    const t = staticType(n, 0);
    const out = n.outputs[0]!.id;
    types.set(out, t);
    const r = t.shape.length;
    // LayerNorm's mean and rstd live inside its row kernel; the map that combines them emits it.
    if (layerNorms.absorbed.has(out) || fusedPools.has(out)) return;
    const ln = layerNorms.kernels.get(out);
    if (ln) { kernels.push({ ...ln, name: `k${count++}_layernorm` }); return; }
    switch (op.kind) {
      case 'reshape':
        if (n.inputs.length !== 1) throw new CompileError('UNSUPPORTED_OP', 'backend: reshape with a run-time shape', where(n));
        aliases.set(out, n.inputs[0]!);
        break;
      case 'contract': {
        const cv = lowerConv(n, t, tt, () => nextId++, convPools.get(out));
        if (cv) {
          if (cv.fusedPool) fusedPools.add(cv.fusedPool.outputs[0]!.id);
          for (const [id, ty] of cv.newTypes) types.set(id, ty);
          for (const [id, value] of cv.derived) derived.set(id, value);
          for (const { kernel, suffix } of cv.kernels) kernels.push({ ...kernel, name: `k${count++}_${suffix}` } as Kernel);
          break;
        }
        const gemm = asGemm(n, t, tt, consts, derived, () => nextId++);
        if (gemm) {
          for (const [id, ty] of gemm.newTypes) types.set(id, ty);
          const { newTypes: _n, transposeB: tr, ...kernel } = gemm;
          void _n;
          if (tr) {
            kernels.push({
              kind: 'nest', name: `k${count++}_transpose_b`, out: tr.dst, outDtype: 'float32', outBase: 0, outStrides: rowMajor([tr.batch, tr.k, tr.n]),
              extents: [tr.batch, tr.k, tr.n], numOutLoops: 3, operands: [{ buffer: tr.src, dtype: 'float32', base: 0, strides: tr.srcStrides, pad: 0 }],
              combiner: arg(0), reducer: null, accDtype: 'float32', epilogue: null,
            });
          }
          kernels.push({ ...kernel, name: `k${count++}_gemm` });
          break;
        }
        // a pool over a padded input reads a bordered copy (no bounds checks per read)
        const win = lowerPaddedWindow(n, t, tt, () => nextId++);
        if (win) {
          for (const [id, ty] of win.newTypes) types.set(id, ty);
          for (const { kernel, suffix } of win.kernels) kernels.push({ ...kernel, name: `k${count++}_${suffix}` });
          break;
        }
        const nLoops = r + op.reductionExtents.length;
        const red = op.reductionExtents.map((d) => (typeof d === 'number' ? d : NaN));
        if (red.some(Number.isNaN)) throw new CompileError('UNSUPPORTED_OP', 'backend: symbolic reduction extent', where(n));
        nest(n, {
          out, outDtype: t.dtype, extents: [...t.shape, ...red], numOutLoops: r,
          operands: n.inputs.map((id, j) => operandOf(id, tt(id), op.maps[j]!, nLoops, op.padValues[j] ?? null, [...t.shape, ...red])),
          combiner: op.combiner, reducer: op.reducer, accDtype: op.accDtype, epilogue: op.epilogue,
        });
        break;
      }
      case 'map':
        nest(n, {
          out, outDtype: t.dtype, extents: t.shape, numOutLoops: r,
          operands: n.inputs.map((id) => {
            const it = tt(id);
            const rr = it.shape.length;
            const map: AffineExpr[] = it.shape.map((d, k) => (d === 1 && t.shape[k + r - rr] !== 1 ? { terms: [], offset: 0 } : { terms: [{ idx: k + r - rr, coeff: 1 }], offset: 0 }));
            return operandOf(id, it, map, r, null);
          }),
          combiner: op.expr, reducer: null, accDtype: t.dtype, epilogue: null,
        });
        break;
      case 'reduce': {
        const x = tt(n.inputs[0]!);
        const kept = x.shape.map((_, i) => i).filter((i) => !op.axes.includes(i));
        const loopOf = new Map<number, number>();
        kept.forEach((d, k) => loopOf.set(d, op.keepDims ? d : k));
        op.axes.forEach((d, k) => loopOf.set(d, r + k));
        const map = x.shape.map((_, d) => ({ terms: [{ idx: loopOf.get(d)!, coeff: 1 }], offset: 0 }));
        nest(n, {
          out, outDtype: t.dtype, extents: [...t.shape, ...op.axes.map((a) => x.shape[a] as number)], numOutLoops: r,
          operands: [operandOf(n.inputs[0]!, x, map, r + op.axes.length, null)],
          combiner: arg(0), reducer: op.reducer, accDtype: t.dtype, epilogue: null,
        });
        break;
      }
      case 'transpose': {
        const x = tt(n.inputs[0]!);
        const inv = new Array<number>(r);
        op.perm.forEach((p, i) => { inv[p] = i; });
        nest(n, { out, outDtype: t.dtype, extents: t.shape, numOutLoops: r, operands: [operandOf(n.inputs[0]!, x, x.shape.map((_, d) => ({ terms: [{ idx: inv[d]!, coeff: 1 }], offset: 0 })), r, null)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null });
        break;
      }
      case 'slice': {
        const x = tt(n.inputs[0]!);
        nest(n, { out, outDtype: t.dtype, extents: t.shape, numOutLoops: r, operands: [operandOf(n.inputs[0]!, x, op.starts.map((s, d) => ({ terms: [{ idx: d, coeff: op.steps[d]! }], offset: s as number })), r, null)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null });
        break;
      }
      case 'expand': {
        const x = tt(n.inputs[0]!);
        const rr = x.shape.length;
        nest(n, { out, outDtype: t.dtype, extents: t.shape, numOutLoops: r, operands: [operandOf(n.inputs[0]!, x, x.shape.map((d, k) => (d === 1 ? { terms: [], offset: 0 } : { terms: [{ idx: k + r - rr, coeff: 1 }], offset: 0 })), r, null)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null });
        break;
      }
      case 'pad': {
        if (op.mode !== 'constant') { for (const k of lowerPadModes(n, t, tt(n.inputs[0]!))) kernels.push({ ...k, name: `k${count++}_pad_${op.mode}` }); break; }
        if (op.interior.some((v) => v !== 0)) throw new CompileError('UNSUPPORTED_OP', `backend: pad mode ${op.mode} is not supported yet`, where(n));
        const x = tt(n.inputs[0]!);
        nest(n, { out, outDtype: t.dtype, extents: t.shape, numOutLoops: r, operands: [operandOf(n.inputs[0]!, x, x.shape.map((_, d) => ({ terms: [{ idx: d, coeff: 1 }], offset: -(op.low[d] as number) })), r, op.value)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null });
        break;
      }
      case 'concat': {
        const outStrides = rowMajor(t.shape);
        let off = 0;
        for (const id of n.inputs) {
          const x = tt(id);
          nest(n, { out, outDtype: t.dtype, extents: x.shape as number[], numOutLoops: r, outBase: off * outStrides[op.axis]!, outStrides, operands: [operandOf(id, x, identity(r), r, null)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null });
          off += x.shape[op.axis] as number;
        }
        break;
      }
      case 'softmax': {
        const s = t.shape as readonly number[];
        if (t.dtype !== 'float32') {
          const sm = softmaxNests(n.inputs[0]!, out, t.dtype, s, op.axis, op.log, () => nextId++);
          for (const [id, ty] of sm.newTypes) types.set(id, ty);
          for (const { kernel, suffix } of sm.kernels) kernels.push({ ...kernel, name: `k${count++}_${suffix}` });
          break;
        }
        kernels.push({ kind: 'softmax', name: `k${count++}_softmax`, input: n.inputs[0]!, out, outer: prod(s.slice(0, op.axis)), n: s[op.axis]!, inner: prod(s.slice(op.axis + 1)), log: op.log });
        break;
      }
      case 'gather': {
        const x = tt(n.inputs[0]!);
        const idx = tt(n.inputs[1]!);
        const xs = x.shape as number[];
        kernels.push({
          kind: 'gather', name: `k${count++}_gather`, input: n.inputs[0]!, indices: n.inputs[1]!, indexDtype: idx.dtype, out, dtype: t.dtype,
          outer: prod(xs.slice(0, op.axis)), axisSize: xs[op.axis]!, numIndices: prod(idx.shape as number[]), inner: prod(xs.slice(op.axis + 1)),
        });
        break;
      }
      case 'gather_elements': {
        const x = tt(n.inputs[0]!);
        kernels.push({
          kind: 'gather_elements', name: `k${count++}_gather_elements`, input: n.inputs[0]!, indices: n.inputs[1]!, indexDtype: tt(n.inputs[1]!).dtype,
          out, dtype: t.dtype, axis: op.axis, dataShape: x.shape as number[], outShape: t.shape as number[],
        });
        break;
      }
      case 'topk': {
        const x = tt(n.inputs[0]!);
        const xs = x.shape as number[];
        if (!SUPPORTED_DTYPES.has(x.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: topk of ${x.dtype}`, where(n));
        types.set(n.outputs[1]!.id, n.outputs[1]!.type as TensorType);
        kernels.push({
          kind: 'topk', name: `k${count++}_topk`, input: n.inputs[0]!, out, indicesOut: n.outputs[1]!.id, dtype: x.dtype, largest: op.largest,
          outer: prod(xs.slice(0, op.axis)), n: xs[op.axis]!, inner: prod(xs.slice(op.axis + 1)), k: op.k as number,
        });
        break;
      }
      case 'argreduce': {
        const x = tt(n.inputs[0]!);
        const xs = x.shape as number[];
        if (!SUPPORTED_DTYPES.has(x.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: argmax/argmin of ${x.dtype}`, where(n));
        kernels.push({
          kind: 'argreduce', name: `k${count++}_argreduce`, input: n.inputs[0]!, out, dtype: x.dtype, mode: op.mode, selectLast: op.selectLast,
          outer: prod(xs.slice(0, op.axis)), n: xs[op.axis]!, inner: prod(xs.slice(op.axis + 1)),
        });
        break;
      }
      case 'cumulative': kernels.push({ ...lowerCumulative(n, t), name: `k${count++}_cumulative` }); break;
      case 'scatter_elements': case 'scatter_nd': kernels.push({ ...lowerScatter(n, t, tt), name: `k${count++}_${op.kind}` }); break;
      case 'gather_nd': kernels.push({ ...lowerGatherNd(n, t, tt), name: `k${count++}_gather_nd` }); break;
      case 'quantize': case 'dequantize': for (const k of lowerQuant(n, t, tt)) kernels.push({ ...k, name: `k${count++}_${op.kind}` }); break;
      case 'bitcast': {
        const bc = lowerBitcast(n, t, tt(n.inputs[0]!), (d) => SUPPORTED_DTYPES.has(d), () => nextId++);
        for (const [id, ty] of bc.newTypes) types.set(id, ty);
        for (const { kernel, suffix } of bc.kernels) kernels.push({ ...kernel, name: `k${count++}_${suffix}` });
        if (bc.aliasOf !== undefined) aliases.set(out, bc.aliasOf);
        break;
      }
      case 'attention': {
        const at = lowerAttention(n, t, tt, consts, () => nextId++, `k${count++}_attention`);
        for (const [id, ty] of at.newTypes) types.set(id, ty);
        kernels.push(at.kernel);
        break;
      }
      default:
        throw new CompileError('UNSUPPORTED_OP', `backend: op ${op.kind} is not supported yet`, where(n));
    }
  };
  g.nodes.forEach(lowerNode);
  return { kernels, aliases, derived, types: new Map([...types, ...[...derived].map(([id, v]) => [id, { kind: 'tensor', dtype: v.dtype, shape: v.shape }] as const)]) };
}

/** A copy of a run-time B into [batch, K, N] before the GEMM; `srcStrides` are B's element strides per (batch, k, n). */
interface TransposeB { src: ValueId; dst: ValueId; batch: number; n: number; k: number; srcStrides: [number, number, number] }

/**
 * Recognizes C = A @ B (optionally batched, B possibly a constant stored [N,K]) as a GEMM kernel. A and a
 * run-time B may be read through any strides for the batch and row loops (folded transposes, head splits).
 */
function asGemm(n: Node, t: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, consts: ReadonlyMap<ValueId, HostTensor>,
  derived: Map<ValueId, HostTensor>, fresh: () => ValueId): (Omit<import('./kernel-plan.js').GemmKernel, 'name'> & {
    newTypes: [ValueId, TensorType][]; transposeB: TransposeB | undefined;
  }) | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.inputs.length < 2 || op.reducer !== 'add' || op.accDtype !== 'float32' || t.dtype !== 'float32') return undefined;
  if (op.reductionExtents.length !== 1 || op.padValues.some((p) => p !== null)) return undefined;
  const c = op.combiner;
  if (!(c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.a.i === 0 && c.b.k === 'arg' && c.b.i === 1)) return undefined;
  const r = t.shape.length;
  if (r < 2) return undefined;
  const [ia, ib] = n.inputs as [ValueId, ValueId];
  const ta = tt(ia);
  const tb = tt(ib);
  if (ta.dtype !== 'float32' || tb.dtype !== 'float32') return undefined;
  const is = (e: AffineExpr | undefined, idx: number) => e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;
  const isZero = (e: AffineExpr) => e.terms.length === 0 && e.offset === 0;
  const [ma, mb] = op.maps as [AffineExpr[], AffineExpr[]];
  const N = t.shape[r - 1]!;
  const K = op.reductionExtents[0] as number;
  const extents = [...(t.shape as number[]), K];
  // Element stride of each loop (r output loops, then k) in an operand read through `m`; loops of extent 1
  // count as 0. Maps folded from transposes and head splits (fold-movement-into-contract) give any strides.
  const loopStrides = (m: readonly AffineExpr[], shape: readonly (number | string)[]): number[] | undefined => {
    if (!shape.every((d) => typeof d === 'number')) return undefined;
    const st = rowMajor(shape as number[]);
    const s = new Array<number>(r + 1).fill(0);
    for (let d = 0; d < m.length; d++) {
      if (m[d]!.offset !== 0) return undefined;
      for (const term of m[d]!.terms) s[term.idx]! += term.coeff * st[d]!;
    }
    return s.map((v, l) => (extents[l] === 1 ? 0 : v));
  };
  // The row loop is the last but one, unless B varies along it (a transpose folded into the output order by
  // fold-movement-into-contract): then the innermost loop B does not read; the others are batch loops.
  const sbAll = loopStrides(mb, tb.shape);
  const sbRun = consts.has(ib) ? undefined : sbAll;
  let mLoop = r - 2;
  if (sbAll && sbAll[r - 2] !== 0) {
    const alt = [...Array(r - 2).keys()].reverse().find((l) => extents[l]! > 1 && sbAll[l] === 0);
    if (alt === undefined) return undefined;
    mLoop = alt;
  }
  const batchLoops = [...Array(r - 1).keys()].filter((l) => l !== mLoop);
  const M = extents[mLoop]!;
  const nb = batchLoops.length;
  const batch = batchLoops.reduce((a, l) => a * extents[l]!, 1);
  // The batch loops must flatten to one stride: each steps unit * (extent of the batch loops after it).
  const batchUnit = (s: readonly number[]): number | undefined => {
    let inner = 1;
    let unit: number | undefined;
    for (let i = nb - 1; i >= 0; i--) {
      const l = batchLoops[i]!;
      if (extents[l]! > 1) {
        const u = s[l]! / inner;
        if (unit === undefined) unit = u;
        if (u !== unit || !Number.isInteger(u)) return undefined;
      }
      inner *= extents[l]!;
    }
    return unit ?? 0;
  };
  const cStrides = rowMajor(t.shape as number[]).map((v, l) => (extents[l] === 1 ? 0 : v));
  const cBatch = batchUnit(cStrides);
  if (cBatch === undefined) return undefined;
  const sa = loopStrides(ma, ta.shape);
  if (!sa || sa[r - 1] !== 0 || (K > 1 && sa[r] !== 1)) return undefined;
  const aBatch = batchUnit(sa);
  if (aBatch === undefined) return undefined;
  const aRow = M > 1 ? sa[mLoop]! : K;
  let b = ib;
  const newTypes: [ValueId, TensorType][] = [];
  const bKN = is(mb[mb.length - 2], r) && is(mb[mb.length - 1], r - 1);
  const bNK = is(mb[mb.length - 2], r - 1) && is(mb[mb.length - 1], r);
  const cb = consts.get(ib);
  let packed = false;
  let transposeB: TransposeB | undefined;
  let bBatch: number;
  let bRow = N;
  if (cb) {
    // Batch dims of a constant B: all of them (identity) or none / all broadcast.
    const lead = mb.slice(0, tb.shape.length - 2);
    const kb = lead.every(isZero) ? 'none' : lead.length === nb && lead.every((e, i) => is(e, batchLoops[i]!) || (isZero(e) && t.shape[batchLoops[i]!] === 1)) ? 'all' : undefined;
    if (!kb || !(bKN || bNK)) return undefined;
    // Constant weights are packed at compile time into panels of 8 columns, k-major ([P][K][8], zero-padded),
    // so the micro-kernel streams each panel contiguously; [N, K] weights (Gemm transB, Linear) need no transpose.
    const bcount = (cb.shape.slice(0, -2) as number[]).reduce((x, y) => x * y, 1);
    const P = Math.ceil(N / 8);
    const data = new Float64Array(bcount * P * K * 8);
    for (let q = 0; q < bcount; q++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) {
      const v = bNK ? cb.data[q * N * K + j * K + k] : cb.data[q * K * N + k * N + j];
      data[q * P * K * 8 + Math.floor(j / 8) * K * 8 + k * 8 + (j % 8)] = v as number;
    }
    b = fresh();
    derived.set(b, { dtype: 'float32', shape: [data.length], data });
    newTypes.push([b, { kind: 'tensor', dtype: 'float32', shape: [data.length] }]);
    packed = true;
    bBatch = kb === 'all' ? P * K * 8 : 0;
  } else {
    const sb = sbRun;
    const unit = sb && sb[mLoop] === 0 ? batchUnit(sb) : undefined;
    if (!sb || unit === undefined) return undefined;
    if (N === 1 || sb[r - 1] === 1) {
      bRow = K > 1 ? sb[r]! : N;
      bBatch = unit;
    } else if (K === 1 || sb[r] === 1) {
      // A run-time B stored [.., N, K] (attention's K in QKᵀ): transposed into a scratch buffer by a copy kernel first.
      const bcount = unit === 0 ? 1 : batch;
      b = fresh();
      newTypes.push([b, { kind: 'tensor', dtype: 'float32', shape: [bcount, K, N] }]);
      transposeB = { src: ib, dst: b, batch: bcount, n: N, k: K, srcStrides: [unit, K > 1 ? sb[r]! : 0, sb[r - 1]!] };
      bBatch = unit === 0 ? 0 : K * N;
    } else {
      return undefined;
    }
  }
  const shape = t.shape as number[];
  const epi = gemmEpilogue(n, shape, { batch: batchLoops, row: [mLoop], col: [r - 1] }, tt);
  if (!epi) return undefined;
  return {
    ...epi,
    kind: 'gemm', a: ia, b, out: n.outputs[0]!.id, batch, m: M, n: N, k: K,
    aRow, aBatch, bRow, bBatch, bPacked: packed, cBatch: batch > 1 ? cBatch : M * N, ...(mLoop !== r - 2 ? { cRow: cStrides[mLoop]! } : {}), newTypes, transposeB,
  };
}
