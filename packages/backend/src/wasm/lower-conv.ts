// 2-D convolutions (contractions whose input map is oh*stride + kh*dilation - pad) as im2col + GEMM: an affine
// copy kernel writes the input patches straight into the GEMM's packed panel layout ([P][C*KH*KW][8], eight
// consecutive output columns per panel, zero where the window reads padding), then the SIMD GEMM multiplies
// the [M, C*KH*KW] weights by it, producing NCHW output directly. Needs OW % 8 == 0; others stay loop nests.

import { type AffineExpr, type HostTensor, type Node, type TensorType, type ValueId, arg } from '@tensorc/ir';
import type { GemmKernel, LoopNestKernel } from './kernel-plan.js';
import { gemmEpilogue } from './lower-epilogue.js';

const term = (e: AffineExpr | undefined, idx: number): number => e?.terms.find((t) => t.idx === idx)?.coeff ?? 0;
const only = (e: AffineExpr | undefined, idxs: number[]): boolean => e !== undefined && e.terms.every((t) => idxs.includes(t.idx));
const isIdx = (e: AffineExpr | undefined, idx: number) => e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;

export interface ConvLowering {
  readonly im2col: Omit<LoopNestKernel, 'name'>;
  readonly gemm: Omit<GemmKernel, 'name'>;
  readonly colId: ValueId;
  readonly colType: TensorType;
}

export function asConvGemm(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType,
  consts: ReadonlyMap<ValueId, HostTensor>, fresh: () => ValueId): ConvLowering | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.inputs.length < 2 || op.reducer !== 'add' || op.accDtype !== 'float32' || out.dtype !== 'float32') return undefined;
  const c = op.combiner;
  if (!(c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.a.i === 0 && c.b.k === 'arg' && c.b.i === 1)) return undefined;
  if (out.shape.length !== 4 || op.reductionExtents.length !== 3 || op.padValues[1] !== null) return undefined;
  const [x, w] = n.inputs as [ValueId, ValueId];
  const xt = tt(x);
  if (xt.dtype !== 'float32' || !consts.has(w) || xt.shape.length !== 4) return undefined;
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
  const epi = gemmEpilogue(n, out.shape, { batch: [0], row: [1], col: [2, 3] }, tt);
  if (!epi) return undefined;
  const gemm: Omit<GemmKernel, 'name'> = {
    ...epi,
    kind: 'gemm', a: w, b: colId, out: n.outputs[0]!.id, batch: N, m: M, n: OH * OW, k: K,
    aRow: K, aBatch: 0, bRow: OH * OW, bBatch: P * K * 8, bPacked: true, cBatch: M * OH * OW,
  };
  return { im2col, gemm, colId, colType: { kind: 'tensor', dtype: 'float32', shape: [colLen] } };
}

