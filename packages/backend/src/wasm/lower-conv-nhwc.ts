// 2-D convolutions in NHWC (input [N, H, W, C], output [N, OH, OW, M]) as implicit GEMMs with no gather:
// for each image and output row (the GEMM's batch), rows are the output columns ow, columns the output
// channels m, and A's row ow is the window read in place: KH runs of KW*C contiguous floats (dw = 1), or
// KH*KW runs of C (GemmKernel.aRuns). B is the constant weights, packed at compile time into the 8-column
// panels the micro-kernel streams, with K ordered (kh, kw, c) like the runs, from whatever dim order the
// contraction's weight map reads. Windows reaching into the padding read a copy bordered with the pad value
// (one bordered_copy kernel, emit-bordered-copy.ts, over rows of W*C floats).
// Float32, ungrouped, constant weights only; anything else stays on the generic nest.

import type { AffineExpr, HostTensor, Node, TensorType, ValueId } from '@tensorc/ir';
import type { BorderedCopyKernel, DepthwiseConvKernel, GemmKernel } from './kernel-plan.js';
import { window } from './affine-match.js';
import { isFloatProduct } from './lower-common.js';
import { windowRegion } from './lower-conv.js';
import { gemmEpilogue } from './lower-epilogue.js';

/** An NHWC convolution's geometry; loops: n 0, oh 1, ow 2, m 3, and the reduction loops kh, kw, c in any order. */
export interface NhwcConvGeometry {
  readonly N: number; readonly OH: number; readonly OW: number; readonly M: number;
  readonly C: number; readonly KH: number; readonly KW: number; readonly H: number; readonly W: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number;
  /** Input row and column read by output (0, 0) at kh = kw = 0: minus the begin pads. */
  readonly offH: number; readonly offW: number;
  readonly padValue: number;
  /** The loop numbers of kh, kw and c, and the loop each weight dim reads. */
  readonly lkh: number; readonly lkw: number; readonly lc: number;
  readonly weightLoops: readonly number[];
}

const single = (e: AffineExpr | undefined): number | undefined =>
  e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.coeff === 1 ? e.terms[0]!.idx : undefined;

/** The geometry of a float32 ungrouped NHWC 2-D convolution, if `n` is one. */
export function nhwcConvGeometry(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType): NhwcConvGeometry | undefined {
  if (!isFloatProduct(n, out, true) || out.shape.length !== 4 || n.op.reductionExtents.length !== 3 || n.op.padValues[1] !== null) return undefined;
  const op = n.op;
  const [xt, wt] = [tt(n.inputs[0]!), tt(n.inputs[1]!)];
  if (xt.dtype !== 'float32' || wt.dtype !== 'float32' || xt.shape.length !== 4 || wt.shape.length !== 4) return undefined;
  if (!xt.shape.every((d) => typeof d === 'number') || !op.reductionExtents.every((d) => typeof d === 'number')) return undefined;
  const [mx, mw] = op.maps as [AffineExpr[], AffineExpr[]];
  const wh = window(mx[1], 1, 4);
  const ww = window(mx[2], 2, 4);
  const lc = single(mx[3]);
  if (single(mx[0]) !== 0 || !wh || !ww || lc === undefined || lc < 4) return undefined;
  const [lkh, lkw] = [wh.red, ww.red];
  if (new Set([lkh, lkw, lc]).size !== 3) return undefined;
  // the weights: each dim read by exactly one of m, kh, kw, c
  const weightLoops = mw.map(single);
  if (weightLoops.some((l) => l === undefined) || new Set(weightLoops).size !== 4 || ![3, lkh, lkw, lc].every((l) => weightLoops.includes(l))) return undefined;
  const red = op.reductionExtents as number[];
  const [, H, W, C] = xt.shape as [number, number, number, number];
  const [N, OH, OW, M] = out.shape as [number, number, number, number];
  const [KH, KW] = [red[lkh - 4]!, red[lkw - 4]!];
  if (red[lc - 4] !== C) return undefined;
  return {
    N, OH, OW, M, C, KH, KW, H, W, sh: wh.stride, sw: ww.stride, dh: wh.dilation, dw: ww.dilation, offH: wh.offset, offW: ww.offset,
    padValue: (op.padValues[0] as number | null) ?? 0, lkh, lkw, lc, weightLoops: weightLoops as number[],
  };
}

type Piece = { kernel: Omit<BorderedCopyKernel, 'name'>; suffix: string };

/**
 * The input as the convolution reads it: in place when every window stays inside it and output (0, 0)
 * reads element (0, 0), else an [N, Hp, Wp, C] copy bordered with the pad value, made by the bordered-copy
 * kernel with each image a plane whose rows are W*C floats (whole pixels).
 */
export function nhwcSource(cg: Parameters<typeof windowRegion>[0] & Pick<NhwcConvGeometry, 'N' | 'C' | 'padValue'>, x: ValueId, fresh: () => ValueId): { src: ValueId; Hp: number; Wp: number; kernels: Piece[]; type?: readonly [ValueId, TensorType] } {
  const { N, C, H, W, offH, offW } = cg;
  const { Hp, Wp, r0, r1, c0, c1 } = windowRegion(cg);
  if (offH === 0 && offW === 0 && Hp <= H && Wp <= W) return { src: x, Hp: H, Wp: W, kernels: [] };
  const src = fresh();
  const kernel: Omit<BorderedCopyKernel, 'name'> = {
    kind: 'bordered_copy', input: x, out: src, planes: N, h: H, w: W * C, hp: Hp, wp: Wp * C,
    r0, r1, c0: c0 * C, c1: c1 * C, srcRow: offH + r0, srcCol: (offW + c0) * C, value: cg.padValue,
  };
  return { src, Hp, Wp, kernels: [{ kernel, suffix: 'pad' }], type: [src, { kind: 'tensor', dtype: 'float32', shape: [N, Hp, Wp, C] }] };
}

/** Constant weights packed into 8-column panels over the output channels, K ordered (kh, kw, c): [P][K][8], zero-padded. */
function packWeights(cg: NhwcConvGeometry, w: HostTensor): Float64Array {
  const { M, C, KH, KW } = cg;
  const K = KH * KW * C;
  const P = Math.ceil(M / 8);
  const shape = w.shape as readonly number[];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // element stride of the weights per loop m, kh, kw, c
  const stride = (loop: number) => strides[cg.weightLoops.indexOf(loop)]!;
  const [smm, skh, skw, sc] = [stride(3), stride(cg.lkh), stride(cg.lkw), stride(cg.lc)];
  const data = new Float64Array(P * K * 8);
  for (let m = 0; m < M; m++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) {
    const k = (kh * KW + kw) * C + c;
    data[Math.floor(m / 8) * K * 8 + k * 8 + (m % 8)] = Number(w.data[m * smm + kh * skh + kw * skw + c * sc]);
  }
  return data;
}

export interface NhwcConvLowering {
  readonly kernels: readonly ({ kernel: Omit<BorderedCopyKernel, 'name'> | Omit<GemmKernel, 'name'> | Omit<DepthwiseConvKernel, 'name'>; suffix: string })[];
  readonly newTypes: readonly (readonly [ValueId, TensorType])[];
  readonly derived: readonly (readonly [ValueId, HostTensor])[];
  /** The kernel writes this pooling node's output (the node needs no kernel of its own). */
  readonly fusedPool?: Node;
}

/**
 * The kernels of NHWC convolution `n` (bordered copy when padded, then the GEMM), or undefined when it is not
 * one they take. `pool`: a max pool findConvPools (conv-pools.ts) found reading it, fused when the output grid is even.
 */
export function lowerConvNhwc(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType,
  consts: ReadonlyMap<ValueId, HostTensor>, fresh: () => ValueId, pool?: Node): NhwcConvLowering | undefined {
  const cg = nhwcConvGeometry(n, out, tt);
  const w = consts.get(n.inputs[1]!);
  if (!cg || !w) return undefined;
  const { N, OH, OW, M, C, KH, KW, sh, sw, dh, dw } = cg;
  // output [N, OH, OW, M]: batch (n, oh), row ow, column m
  const epi = gemmEpilogue(n, out.shape, { batch: [0, 1], row: [2], col: [3] }, tt);
  if (!epi) return undefined;
  const source = nhwcSource(cg, n.inputs[0]!, fresh);
  const newTypes: (readonly [ValueId, TensorType])[] = source.type ? [source.type] : [];
  const packed = fresh();
  const data = packWeights(cg, w);
  newTypes.push([packed, { kind: 'tensor', dtype: 'float32', shape: [data.length] }]);
  const rowLen = source.Wp * C;
  // one run per kh of KW whole pixels when they are adjacent, else one per (kh, kw)
  const aRuns = dw === 1
    ? { len: KW * C, inner: 1, innerStride: KW * C, outer: KH, outerStride: dh * rowLen }
    : { len: C, inner: KW, innerStride: dw * C, outer: KH, outerStride: dh * rowLen };
  const poolShape = pool?.outputs[0]!.type.kind === 'tensor' ? pool.outputs[0]!.type.shape : undefined;
  const pooled = pool !== undefined && epi.outCode === undefined && OH % 2 === 0 && OW % 2 === 0 && JSON.stringify(poolShape) === JSON.stringify([N, OH / 2, OW / 2, M]);
  // pooled: a batch is a pair of output rows, C the pooled [N, OH/2, OW/2, M]
  const rows = pooled ? 2 : 1;
  const gemm: Omit<GemmKernel, 'name'> = {
    ...epi,
    kind: 'gemm', a: source.src, b: packed, out: pooled ? pool!.outputs[0]!.id : n.outputs[0]!.id, batch: N * OH / rows, m: OW, n: M, k: KH * KW * C,
    aRow: sw * C, aBatch: rows * sh * rowLen, ...(N > 1 ? { aBatchPeriod: OH / rows, aBatchOuter: source.Hp * rowLen } : {}), aRuns,
    bRow: 0, bBatch: 0, bPacked: true, cBatch: OW / rows * M, ...(pooled ? { rowPool: { step: sh * rowLen } } : {}),
    ...(pooled && pool!.op.kind === 'contract' && pool!.op.epilogue ? { poolEpilogue: pool!.op.epilogue } : {}),
  };
  return {
    kernels: [...source.kernels, { kernel: gemm, suffix: pooled ? 'conv_nhwc_pool_gemm' : 'conv_nhwc_gemm' }],
    newTypes, derived: [[packed, { dtype: 'float32', shape: [data.length], data }]], ...(pooled ? { fusedPool: pool } : {}),
  };
}
