// 2-D convolutions (contractions whose input map is oh*stride + kh*dilation - pad) as implicit GEMMs on the
// SIMD GEMM kernel, producing NCHW output directly from the [M, C*KH*KW] weights: no im2col matrix. The GEMM
// gathers each 8-column panel of B (eight output positions x the C*KH*KW window offsets, from a table) from
// the input into a per-worker scratch slot (gemm-gather.ts); an input whose windows reach into the padding is
// first copied into a zero-bordered buffer by one kernel (emit-bordered-copy.ts). Grouped convolutions are a
// batch of GEMMs, one per image and group; depthwise ones (one input channel per group) a direct kernel
// (emit-depthwise.ts). A 2x2 stride-2 max pool reading the convolution alone is fused into its GEMM (gemm-pool.ts).

import type { AffineExpr, HostTensor, Node, TensorType, ValueId } from '@tensorc/ir';
import type { BorderedCopyKernel, DepthwiseConvKernel, GemmKernel } from './kernel-plan.js';
import { isAffine, isIdx, only, term } from './affine-match.js';
import { isFloatProduct } from './lower-common.js';
import { gemmEpilogue } from './lower-epilogue.js';
import { scratchSlotBytes } from './emit-gemm.js';

export interface ConvLowering {
  /** Kernels in order, each with a name suffix ("pad", "conv_gemm", "conv_pool_gemm", "depthwise"). */
  readonly kernels: readonly { readonly kernel: Omit<BorderedCopyKernel, 'name'> | Omit<GemmKernel, 'name'> | Omit<DepthwiseConvKernel, 'name'>; readonly suffix: string }[];
  readonly newTypes: readonly (readonly [ValueId, TensorType])[];
  /** Constants made at compile time (the implicit GEMM's offset table). */
  readonly derived: readonly (readonly [ValueId, HostTensor])[];
  /** The kernel writes this pooling node's output (the node needs no kernel of its own). */
  readonly fusedPool?: Node;
}

/** A convolution contraction's geometry (loops: n, [g], m, oh, ow | c, kh, kw). */
export interface ConvGeometry {
  readonly N: number; readonly G: number; readonly Mg: number; readonly OH: number; readonly OW: number;
  readonly Cg: number; readonly KH: number; readonly KW: number; readonly H: number; readonly W: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number;
  /** Input row and column read by output (0, 0) at kh = kw = 0: minus the begin pads. */
  readonly offH: number; readonly offW: number;
  readonly padValue: number;
}

/** The geometry of a float32 2-D convolution (grouped: output [N, G, M/G, OH, OW]), if `n` is one. */
export function convGeometry(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType): ConvGeometry | undefined {
  if (!isFloatProduct(n, out, true)) return undefined;
  const op = n.op;
  const grouped = out.shape.length === 5;
  if (!(out.shape.length === 4 || grouped) || op.reductionExtents.length !== 3 || op.padValues[1] !== null) return undefined;
  const [x, w] = n.inputs as [ValueId, ValueId];
  const [xt, wt] = [tt(x), tt(w)];
  if (xt.dtype !== 'float32' || wt.dtype !== 'float32' || xt.shape.length !== 4 || !xt.shape.every((d) => typeof d === 'number')) return undefined;
  const [N, G, Mg, OH, OW] = (grouped ? out.shape : [out.shape[0], 1, ...out.shape.slice(1)]) as [number, number, number, number, number];
  const [Cg, KH, KW] = op.reductionExtents as [number, number, number];
  const [, C, H, W] = xt.shape as [number, number, number, number];
  const [mx, mw] = op.maps as [AffineExpr[], AffineExpr[]];
  // loop numbers: n, [g], m, oh, ow | c, kh, kw
  const [lg, lm, loh, low, lc, lkh, lkw] = grouped ? [1, 2, 3, 4, 5, 6, 7] : [-1, 1, 2, 3, 4, 5, 6];
  const channel = grouped ? isAffine(mx[1], [[lg, Cg], [lc, 1]]) : isIdx(mx[1], lc);
  if (!isIdx(mx[0], 0) || !channel || !only(mx[2], [loh, lkh]) || !only(mx[3], [low, lkw]) || C !== G * Cg) return undefined;
  const wMaps = grouped ? [lg, lm, lc, lkh, lkw] : [lm, lc, lkh, lkw];
  if (mw.length !== wMaps.length || !wMaps.every((l, d) => isIdx(mw[d], l))) return undefined;
  const [sh, dh, sw, dw] = [term(mx[2], loh), term(mx[2], lkh), term(mx[3], low), term(mx[3], lkw)];
  if (sh < 1 || dh < 1 || sw < 1 || dw < 1) return undefined;
  const padValue = (op.padValues[0] as number | null) ?? 0;
  return { N, G, Mg, OH, OW, Cg, KH, KW, H, W, sh, sw, dh, dw, offH: mx[2]!.offset, offW: mx[3]!.offset, padValue };
}

/**
 * The input as the convolution reads it: in place when every window stays inside it, else a [N, C, Hp, Wp]
 * copy bordered with the pad value, made by one bordered-copy kernel (its rows run as f32x4 code without
 * bounds checks, emit-bordered-copy.ts). rowLen/plane: its row and channel strides; base: the element output
 * (0, 0) reads at kh = kw = 0.
 */
export function convSource(cg: ConvGeometry, x: ValueId, fresh: () => ValueId): {
  src: ValueId; rowLen: number; plane: number; base: number; kernels: { kernel: Omit<BorderedCopyKernel, 'name'>; suffix: string }[]; type?: readonly [ValueId, TensorType];
} {
  const { N, G, Cg, H, W, offH, offW } = cg;
  const C = G * Cg;
  const { Hp, Wp, r0, r1, c0, c1 } = windowRegion(cg);
  if (offH >= 0 && offW >= 0 && offH + Hp <= H && offW + Wp <= W) return { src: x, rowLen: W, plane: H * W, base: offH * W + offW, kernels: [] };
  const src = fresh();
  const kernel: Omit<BorderedCopyKernel, 'name'> = {
    kind: 'bordered_copy', input: x, out: src, planes: N * C, h: H, w: W, hp: Hp, wp: Wp, r0, r1, c0, c1, srcRow: offH + r0, srcCol: offW + c0, value: cg.padValue,
  };
  return { src, rowLen: Wp, plane: Hp * Wp, base: 0, kernels: [{ kernel, suffix: 'pad' }], type: [src, { kind: 'tensor', dtype: 'float32', shape: [N, C, Hp, Wp] }] };
}

/**
 * The rows and columns a convolution's windows read, relative to (offH, offW): [0, Hp) x [0, Wp); and the part
 * of that region inside the input, rows [r0, r1) and columns [c0, c1) (all 0 when either is empty), which a
 * bordered copy takes from the input while it fills the rest with the pad value.
 */
export function windowRegion(cg: Pick<ConvGeometry, 'OH' | 'OW' | 'KH' | 'KW' | 'H' | 'W' | 'sh' | 'sw' | 'dh' | 'dw' | 'offH' | 'offW'>):
  { Hp: number; Wp: number; r0: number; r1: number; c0: number; c1: number } {
  const { OH, OW, KH, KW, H, W, sh, sw, dh, dw, offH, offW } = cg;
  const Hp = (OH - 1) * sh + (KH - 1) * dh + 1;
  const Wp = (OW - 1) * sw + (KW - 1) * dw + 1;
  const [r0, r1] = [Math.min(Hp, Math.max(0, -offH)), Math.max(0, Math.min(Hp, H - offH))];
  const [c0, c1] = [Math.min(Wp, Math.max(0, -offW)), Math.max(0, Math.min(Wp, W - offW))];
  return r1 <= r0 || c1 <= c0 ? { Hp, Wp, r0: 0, r1: 0, c0: 0, c1: 0 } : { Hp, Wp, r0, r1, c0, c1 };
}

/**
 * The kernels of convolution `n` (the implicit GEMM, or the depthwise kernel), or undefined when it is not a
 * float32 2-D convolution they take. `slots`: per-worker scratch slots (scratch-slots.ts). `pool`: a max pool
 * findConvPools (conv-pools.ts) found reading it, fused when it can be.
 * Weights may be constants or run-time values: they are read in place ([M, C*KH*KW]).
 */
export function lowerConv(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType,
  fresh: () => ValueId, slots: number, pool?: Node): ConvLowering | undefined {
  const cg = convGeometry(n, out, tt);
  if (!cg) return undefined;
  // the depthwise kernels store float32 only (a requantizing epilogue stays on the generic nest there)
  if (cg.Cg === 1 && cg.G > 1) return out.dtype === 'float32' ? depthwise(n, cg, out, tt, fresh) : undefined;
  const { N, G, Mg, OH, OW, Cg, KH, KW, sh, sw, dh, dw } = cg;
  const K = Cg * KH * KW;
  const grouped = G > 1;
  const epi = gemmEpilogue(n, out.shape, grouped ? { batch: [0, 1], row: [2], col: [3, 4] } : { batch: [0], row: [1], col: [2, 3] }, tt);
  if (!epi) return undefined;
  const [x, w] = n.inputs as [ValueId, ValueId];
  const source = convSource(cg, x, fresh);
  const kernels: ConvLowering['kernels'][number][] = [...source.kernels];
  const newTypes: (readonly [ValueId, TensorType])[] = source.type ? [source.type] : [];
  const table = fresh();
  const offsets = new Float64Array(K);
  for (let ci = 0; ci < Cg; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
    offsets[(ci * KH + kh) * KW + kw] = 4 * (source.base + ci * source.plane + kh * dh * source.rowLen + kw * dw);
  }
  newTypes.push([table, { kind: 'tensor', dtype: 'int32', shape: [K] }]);
  // the pool reads an even output grid whose width fills whole panels
  const poolShape = pool?.outputs[0]!.type.kind === 'tensor' ? pool.outputs[0]!.type.shape : undefined;
  const pooled = pool !== undefined && epi.outCode === undefined && !grouped && OH % 2 === 0 && OW % 8 === 0 &&
    JSON.stringify(poolShape) === JSON.stringify([N, Mg, OH / 2, OW / 2]);
  const scratch = fresh();
  const slot = scratchSlotBytes({ k: K, ...(pooled ? { pool: 'max2x2' as const } : {}) });
  newTypes.push([scratch, { kind: 'tensor', dtype: 'float32', shape: [slots * slot / 4] }]);
  kernels.push({
    suffix: pooled ? 'conv_pool_gemm' : 'conv_gemm',
    kernel: {
      ...epi,
      kind: 'gemm', a: w, b: source.src, out: pooled ? pool!.outputs[0]!.id : n.outputs[0]!.id, batch: N * G, m: Mg, n: OH * OW, k: K,
      // batch q = image * G + group: the weights' batch is the group
      aRow: K, aBatch: grouped ? Mg * K : 0, ...(grouped && N > 1 ? { aBatchPeriod: G } : {}), bRow: 0, bBatch: Cg * source.plane, bPacked: false, cBatch: pooled ? Mg * (OH / 2) * (OW / 2) : Mg * OH * OW,
      bImplicit: { table, ow: OW, rowStep: sh * source.rowLen, colStep: sw }, bScratch: scratch, scratchSlots: slots, ...(pooled ? { pool: 'max2x2' as const } : {}),
      ...(pooled && pool!.op.kind === 'contract' && pool!.op.epilogue ? { poolEpilogue: pool!.op.epilogue } : {}),
    },
  });
  return { kernels, newTypes, derived: [[table, { dtype: 'int32', shape: [K], data: offsets }]], ...(pooled ? { fusedPool: pool } : {}) };
}

function depthwise(n: Node, cg: ConvGeometry, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, fresh: () => ValueId): ConvLowering | undefined {
  // output [N, G, mult, OH, OW]: the epilogue's rows are the output channels (g, m'), its columns (oh, ow)
  const epi = gemmEpilogue(n, out.shape, { batch: [0], row: [1, 2], col: [3, 4] }, tt);
  if (!epi) return undefined;
  const source = convSource(cg, n.inputs[0]!, fresh);
  const kernel: Omit<DepthwiseConvKernel, 'name'> = {
    ...epi,
    kind: 'depthwise', x: source.src, w: n.inputs[1]!, out: n.outputs[0]!.id, batch: cg.N, channels: cg.G, mult: cg.Mg,
    oh: cg.OH, ow: cg.OW, kh: cg.KH, kw: cg.KW, sh: cg.sh, sw: cg.sw, dh: cg.dh, dw: cg.dw,
    rowLen: source.rowLen, plane: source.plane, base: source.base,
  };
  return {
    kernels: [...source.kernels, { kernel, suffix: 'depthwise' }],
    newTypes: source.type ? [source.type] : [],
    derived: [],
  };
}
