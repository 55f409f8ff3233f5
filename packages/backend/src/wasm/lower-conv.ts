// 2-D convolutions (contractions whose input map is oh*stride + kh*dilation - pad) on the SIMD GEMM, producing
// NCHW output directly from the [M, C*KH*KW] weights. Needs OW % 8 == 0; others stay loop nests.
// - Horizontal stride 1 (the common case): implicit GEMM. The GEMM reads B straight from the input (after a
//   copy into a zero-bordered buffer when the window reaches into padding) through a table of K offsets, since
//   eight consecutive output columns read eight consecutive input elements: no 9x-larger im2col matrix.
// - Otherwise im2col: an affine copy kernel writes the patches into the GEMM's packed panel layout
//   ([P][C*KH*KW][8], zero where the window reads padding), which the GEMM then streams.

import { type AffineExpr, type HostTensor, type Node, type TensorType, type ValueId, arg } from '@tensorc/ir';
import type { GemmKernel, LoopNestKernel } from './kernel-plan.js';
import { gemmEpilogue } from './lower-epilogue.js';
import { SCRATCH_WORKERS } from './emit-gemm.js';

const term = (e: AffineExpr | undefined, idx: number): number => e?.terms.find((t) => t.idx === idx)?.coeff ?? 0;
const only = (e: AffineExpr | undefined, idxs: number[]): boolean => e !== undefined && e.terms.every((t) => idxs.includes(t.idx));
const isIdx = (e: AffineExpr | undefined, idx: number) => e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;

export interface ConvLowering {
  /** Kernels in order, each with a name suffix ("im2col", "pad", "conv_gemm"). */
  readonly kernels: readonly { readonly kernel: Omit<LoopNestKernel, 'name'> | Omit<GemmKernel, 'name'>; readonly suffix: string }[];
  readonly newTypes: readonly (readonly [ValueId, TensorType])[];
  /** Constants made at compile time (the implicit GEMM's offset table). */
  readonly derived: readonly (readonly [ValueId, HostTensor])[];
}

/** Weights may be constants or run-time values: the GEMM reads them in place as its [M, C*KH*KW] A matrix. */
export function asConvGemm(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType,
  fresh: () => ValueId): ConvLowering | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.inputs.length < 2 || op.reducer !== 'add' || op.accDtype !== 'float32' || out.dtype !== 'float32') return undefined;
  const c = op.combiner;
  if (!(c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.a.i === 0 && c.b.k === 'arg' && c.b.i === 1)) return undefined;
  if (out.shape.length !== 4 || op.reductionExtents.length !== 3 || op.padValues[1] !== null) return undefined;
  const [x, w] = n.inputs as [ValueId, ValueId];
  const xt = tt(x);
  if (xt.dtype !== 'float32' || xt.shape.length !== 4) return undefined;
  const [N, M, OH, OW] = out.shape as [number, number, number, number];
  const [C, KH, KW] = op.reductionExtents as [number, number, number];
  const [, , H, W] = xt.shape as [number, number, number, number];
  const [mx, mw] = op.maps as [AffineExpr[], AffineExpr[]];
  // loops: 0 n, 1 m, 2 oh, 3 ow | 4 c, 5 kh, 6 kw
  if (!isIdx(mx[0], 0) || !isIdx(mx[1], 4) || !only(mx[2], [2, 5]) || !only(mx[3], [3, 6])) return undefined;
  if (!isIdx(mw[0], 1) || !isIdx(mw[1], 4) || !isIdx(mw[2], 5) || !isIdx(mw[3], 6)) return undefined;
  const [sh, dh, sw, dw] = [term(mx[2], 2), term(mx[2], 5), term(mx[3], 3), term(mx[3], 6)];
  if (sh < 1 || dh < 1 || sw < 1 || dw < 1 || OW % 8 !== 0) return undefined;
  const K = C * KH * KW;
  const epi = gemmEpilogue(n, out.shape, { batch: [0], row: [1], col: [2, 3] }, tt);
  if (!epi) return undefined;
  const [offH, offW] = [mx[2]!.offset, mx[3]!.offset];
  if (sw === 1) {
    // Rows and columns the windows read, relative to (offH, offW): [0, Hp) x [0, Wp).
    const Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
    const Wp = OW + (KW - 1) * dw;
    const inBounds = offH >= 0 && offW >= 0 && offH + Hp <= H && offW + Wp <= W;
    const kernels: ConvLowering['kernels'][number][] = [];
    const newTypes: (readonly [ValueId, TensorType])[] = [];
    let src = x;
    let [rowLen, plane, base] = [W, H * W, offH * W + offW];
    if (!inBounds) {
      // Copy into [N, C, Hp, Wp] with the pad value where the window leaves the input.
      src = fresh();
      [rowLen, plane, base] = [Wp, Hp * Wp, 0];
      newTypes.push([src, { kind: 'tensor', dtype: 'float32', shape: [N, C, Hp, Wp] }]);
      const pad = (op.padValues[0] as number | null) ?? 0;
      kernels.push({
        suffix: 'pad',
        kernel: {
          kind: 'nest', out: src, outDtype: 'float32', outBase: 0, outStrides: [C * Hp * Wp, Hp * Wp, Wp, 1],
          extents: [N, C, Hp, Wp], numOutLoops: 4,
          operands: [{
            buffer: x, dtype: 'float32', base: offH * W + offW, strides: [C * H * W, H * W, W, 1], pad,
            bounds: { coeffs: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], offsets: [0, 0, offH, offW], sizes: xt.shape as number[] },
          }],
          combiner: arg(0), reducer: null, accDtype: 'float32', epilogue: null,
        },
      });
    }
    const table = fresh();
    const offsets = new Float64Array(K);
    for (let ci = 0; ci < C; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      offsets[(ci * KH + kh) * KW + kw] = base + ci * plane + kh * dh * rowLen + kw * dw;
    }
    newTypes.push([table, { kind: 'tensor', dtype: 'int32', shape: [K] }]);
    const scratch = fresh();
    newTypes.push([scratch, { kind: 'tensor', dtype: 'float32', shape: [SCRATCH_WORKERS * K * 8] }]);
    kernels.push({
      suffix: 'conv_gemm',
      kernel: {
        ...epi,
        kind: 'gemm', a: w, b: src, out: n.outputs[0]!.id, batch: N, m: M, n: OH * OW, k: K,
        aRow: K, aBatch: 0, bRow: 0, bBatch: C * plane, bPacked: false, cBatch: M * OH * OW,
        bImplicit: { table, ow: OW, rowStep: sh * rowLen }, bScratch: scratch,
      },
    });
    return { kernels, newTypes, derived: [[table, { dtype: 'int32', shape: [K], data: offsets }]] };
  }
  const P = (OH * OW) / 8;
  const colId = fresh();
  const colLen = N * P * K * 8;
  // im2col loops: 0 n, 1 oh, 2 owb, 3 c, 4 kh, 5 kw, 6 lane; ow = owb*8 + lane.
  const xs = [C * H * W, H * W, W, 1];
  const padded = op.padValues[0] !== null;
  const hExpr = { coeffs: [0, sh, 0, 0, dh, 0, 0], offset: mx[2]!.offset };
  const wExpr = { coeffs: [0, 0, 8 * sw, 0, 0, dw, sw], offset: mx[3]!.offset };
  const strides = [xs[0]!, hExpr.coeffs[1]! * xs[2]!, wExpr.coeffs[2]!, xs[1]!, hExpr.coeffs[4]! * xs[2]!, wExpr.coeffs[5]!, wExpr.coeffs[6]!];
  const base = hExpr.offset * xs[2]! + wExpr.offset;
  const im2col: Omit<LoopNestKernel, 'name'> = {
    kind: 'nest', out: colId, outDtype: 'float32', outBase: 0,
    outStrides: [P * K * 8, (OW / 8) * K * 8, K * 8, KH * KW * 8, KW * 8, 8, 1],
    extents: [N, OH, OW / 8, C, KH, KW, 8], numOutLoops: 7,
    operands: [{
      buffer: x, dtype: 'float32', base, strides, pad: padded ? (op.padValues[0] as number) : 0,
      ...(padded ? { bounds: { coeffs: [[1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], hExpr.coeffs, wExpr.coeffs], offsets: [0, 0, hExpr.offset, wExpr.offset], sizes: xt.shape as number[] } } : {}),
    }],
    combiner: arg(0), reducer: null, accDtype: 'float32', epilogue: null,
  };
  const gemm: Omit<GemmKernel, 'name'> = {
    ...epi,
    kind: 'gemm', a: w, b: colId, out: n.outputs[0]!.id, batch: N, m: M, n: OH * OW, k: K,
    aRow: K, aBatch: 0, bRow: OH * OW, bBatch: P * K * 8, bPacked: true, cBatch: M * OH * OW,
  };
  return {
    kernels: [{ kernel: im2col, suffix: 'im2col' }, { kernel: gemm, suffix: 'conv_gemm' }],
    newTypes: [[colId, { kind: 'tensor', dtype: 'float32', shape: [colLen] }]],
    derived: [],
  };
}

