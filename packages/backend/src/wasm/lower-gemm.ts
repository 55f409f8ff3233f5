// Plain (batched) matrix products C = A @ B as the SIMD GEMM kernel: constant B is packed into 8-column panels
// at compile time (int8 codes are packed as codes and widened when a session is created), a run-time B stored
// [.., N, K] is first transposed by a copy nest into scratch.

import { type AffineExpr, type HostTensor, type Node, type TensorType, type ValueId, arg, cast } from '@tensorc/ir';
import type { GemmKernel, LoopNestKernel } from './kernel-plan.js';
import { gemmEpilogue } from './lower-epilogue.js';
import { codeWeights, isFloatProduct, linear, rowMajor } from './lower-common.js';

export interface GemmLowering {
  readonly newTypes: readonly [ValueId, TensorType][];
  /** Run once at session creation: int8 / uint8 weight codes widened into the packed float32 panels the GEMM reads. */
  readonly init: readonly Omit<LoopNestKernel, 'name'>[];
  /** In order: the transpose of a run-time B (when needed), then the GEMM; each without its name. */
  readonly kernels: readonly ({ kernel: Omit<LoopNestKernel, 'name'>; suffix: 'transpose_b' } | { kernel: Omit<GemmKernel, 'name'>; suffix: 'gemm' })[];
}

/** The GEMM lowering of `n`, or undefined when it is not a plain matrix product the GEMM kernel takes. */
export function lowerGemm(n: Node, t: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, consts: ReadonlyMap<ValueId, HostTensor>,
  derived: Map<ValueId, HostTensor>, fresh: () => ValueId): GemmLowering | undefined {
  const gemm = asGemm(n, t, tt, consts, derived, fresh);
  if (!gemm) return undefined;
  const { newTypes, transposeB: tr, expand, ...kernel } = gemm;
  const kernels: GemmLowering['kernels'][number][] = [];
  if (tr) {
    kernels.push({
      suffix: 'transpose_b',
      kernel: {
        kind: 'nest', out: tr.dst, outDtype: 'float32', outBase: 0, outStrides: rowMajor([tr.batch, tr.k, tr.n]),
        extents: [tr.batch, tr.k, tr.n], numOutLoops: 3, operands: [{ buffer: tr.src, dtype: 'float32', base: tr.srcBase, strides: tr.srcStrides, pad: 0 }],
        combiner: arg(0), reducer: null, accDtype: 'float32', epilogue: null,
      },
    });
  }
  kernels.push({ suffix: 'gemm', kernel });
  const init: Omit<LoopNestKernel, 'name'>[] = expand ? [{
    kind: 'nest', out: expand.dst, outDtype: 'float32', outBase: 0, outStrides: [1], extents: [expand.count], numOutLoops: 1,
    operands: [{ buffer: expand.src, dtype: expand.dtype, base: 0, strides: [1], pad: 0 }], combiner: cast('float32', arg(0)), reducer: null, accDtype: 'float32', epilogue: null,
  }] : [];
  return { newTypes, kernels, init };
}

/** Packed weight codes `src` (int8 / uint8, `count` of them) widened once into the float32 panels `dst`. */
interface Expand { src: ValueId; dst: ValueId; dtype: 'int8' | 'uint8'; count: number }

/** A copy of a run-time B into [batch, K, N] before the GEMM; `srcStrides` are B's element strides per (batch, k, n) from `srcBase`. */
interface TransposeB { src: ValueId; dst: ValueId; batch: number; n: number; k: number; srcBase: number; srcStrides: [number, number, number] }

/**
 * Recognizes C = A @ B (optionally batched, B possibly a constant stored [N,K]) as a GEMM kernel. A and a
 * run-time B may be read through any strides for the batch and row loops (folded transposes, head splits).
 */
function asGemm(n: Node, t: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, consts: ReadonlyMap<ValueId, HostTensor>,
  derived: Map<ValueId, HostTensor>, fresh: () => ValueId): (Omit<GemmKernel, 'name'> & {
    newTypes: [ValueId, TensorType][]; transposeB: TransposeB | undefined; expand: Expand | undefined;
  }) | undefined {
  // Constant int8 / uint8 weights (codeWeights) are packed as codes, which an init kernel widens into float32
  // panels once per session. Widening them in the micro-kernel instead (load8x8, extend, convert per k) measured
  // 20-23% slower on the QDQ MLP at 1 and 64 rows, interleaved with the float32 panels.
  const bCode = codeWeights(n, t, consts);
  if (!(bCode || isFloatProduct(n, t, true)) || n.op.kind !== 'contract' || n.op.reductionExtents.length !== 1 || n.op.padValues.some((p) => p !== null)) return undefined;
  const op = n.op;
  const r = t.shape.length;
  if (r < 2) return undefined;
  const [ia, ib] = n.inputs as [ValueId, ValueId];
  const ta = tt(ia);
  const tb = tt(ib);
  if (ta.dtype !== 'float32' || tb.dtype !== (bCode ?? 'float32')) return undefined;
  const is = (e: AffineExpr | undefined, idx: number) => e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;
  const isZero = (e: AffineExpr) => e.terms.length === 0 && e.offset === 0;
  const [ma, mb] = op.maps as [AffineExpr[], AffineExpr[]];
  const N = t.shape[r - 1]!;
  const K = op.reductionExtents[0] as number;
  const extents = [...(t.shape as number[]), K];
  // Element stride of each loop (r output loops, then k) in an operand read through `m`; loops of extent 1
  // count as 0. Maps folded from transposes and head splits (fold-movement-into-contract) give any strides.
  // Constant offsets (a column slice of a fused projection, folded by fold-movement-into-contract) give the
  // operand's base element.
  const baseOf = (m: readonly AffineExpr[], shape: readonly (number | string)[]): number => linear(m, shape as number[], r + 1).base;
  const loopStrides = (m: readonly AffineExpr[], shape: readonly (number | string)[]): number[] | undefined => {
    if (!shape.every((d) => typeof d === 'number')) return undefined;
    return linear(m, shape as number[], r + 1).strides.map((v, l) => (extents[l] === 1 ? 0 : v));
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
  const aBase = baseOf(ma, ta.shape);
  let b = ib;
  const newTypes: [ValueId, TensorType][] = [];
  const bKN = is(mb[mb.length - 2], r) && is(mb[mb.length - 1], r - 1);
  const bNK = is(mb[mb.length - 2], r - 1) && is(mb[mb.length - 1], r);
  const cb = consts.get(ib);
  let packed = false;
  let transposeB: TransposeB | undefined;
  let expand: Expand | undefined;
  let bBatch: number;
  let bRow = N;
  let bBase = 0;
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
    newTypes.push([b, { kind: 'tensor', dtype: 'float32', shape: [data.length] }]);
    if (bCode) {
      // the weights stay one byte each in weights.bin; the session widens them into b when it is created
      const codes = fresh();
      derived.set(codes, { dtype: bCode, shape: [data.length], data });
      newTypes.push([codes, { kind: 'tensor', dtype: bCode, shape: [data.length] }]);
      expand = { src: codes, dst: b, dtype: bCode, count: data.length };
    } else {
      derived.set(b, { dtype: 'float32', shape: [data.length], data });
    }
    packed = true;
    bBatch = kb === 'all' ? P * K * 8 : 0;
  } else {
    const sb = sbRun;
    const unit = sb && sb[mLoop] === 0 ? batchUnit(sb) : undefined;
    if (!sb || unit === undefined) return undefined;
    if (N === 1 || sb[r - 1] === 1) {
      bRow = K > 1 ? sb[r]! : N;
      bBatch = unit;
      bBase = baseOf(mb, tb.shape);
    } else if (K === 1 || sb[r] === 1) {
      // A run-time B stored [.., N, K] (attention's K in QKᵀ): transposed into a scratch buffer by a copy kernel first.
      const bcount = unit === 0 ? 1 : batch;
      b = fresh();
      newTypes.push([b, { kind: 'tensor', dtype: 'float32', shape: [bcount, K, N] }]);
      transposeB = { src: ib, dst: b, batch: bcount, n: N, k: K, srcBase: baseOf(mb, tb.shape), srcStrides: [unit, K > 1 ? sb[r]! : 0, sb[r - 1]!] };
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
    aRow, aBatch, bRow, bBatch, bPacked: packed, ...(aBase !== 0 ? { aBase } : {}), ...(bBase !== 0 ? { bBase } : {}), cBatch: batch > 1 ? cBatch : M * N, ...(mLoop !== r - 2 ? { cRow: cStrides[mLoop]! } : {}), newTypes, transposeB, expand,
  };
}
