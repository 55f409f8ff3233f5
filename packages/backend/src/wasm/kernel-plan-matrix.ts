// The kernels of matrix products and convolutions (kernel-plan.ts holds the others and the Kernel union): the
// float32 GEMM with its packed weights, fused epilogues and pools, the integer GEMM, the depthwise convolution.

import type { DType, ScalarExpr, ValueId } from '@tensorc/ir';
import type { NarrowCode } from './narrow-codes.js';

/** C[M,N] (+)= A[M,K] B[K,N] for each batch, all float32 row-major with given element strides. */
export interface GemmKernel {
  readonly kind: 'gemm';
  readonly name: string;
  readonly a: ValueId;
  readonly b: ValueId;
  readonly out: ValueId;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Element strides: A row, A batch, B row (K dim), B batch, C batch; inner strides are 1. */
  readonly aRow: number;
  readonly aBatch: number;
  /** Element offsets of A's and a run-time B's first element in their buffers (a column slice of a fused projection); default 0. */
  readonly aBase?: number;
  readonly bBase?: number;
  /** A's batch index is q mod this (grouped convolutions of several images: the weights repeat per image). */
  readonly aBatchPeriod?: number;
  /** With aBatchPeriod: A's batch offset also steps this many elements per period (an NHWC convolution: batch q = image * OH + output row). */
  readonly aBatchOuter?: number;
  /**
   * A row's K elements in runs instead of one contiguous row: `outer` groups `outerStride` elements apart, each
   * of `inner` runs `innerStride` apart, each run `len` contiguous elements (an NHWC convolution reading its
   * windows in place: per (kh, kw) a run of C channels, or per kh one run of KW*C when dw = 1).
   */
  readonly aRuns?: { readonly len: number; readonly inner: number; readonly innerStride: number; readonly outer: number; readonly outerStride: number };
  readonly bRow: number;
  readonly bBatch: number;
  /**
   * Integer codes stored instead of float32 (a requantize epilogue: the float32 epilogue clamps into the codes'
   * range, lower-common.ts narrowedEpilogue); C's strides then count these narrower elements.
   */
  readonly outCode?: NarrowCode;
  /** B packed at compile time into column panels of 8, k-major ([P][K][8], zero-padded); else row-major [K, N]. */
  readonly bPacked: boolean;
  /**
   * B read from a convolution's (padded) input instead of a materialized im2col matrix: column j is output
   * position (j / ow, j % ow), and element (k, j) of batch q sits at element bBatch*q + table[k]/4 +
   * (j / ow) * rowStep + (j % ow) * colStep, with `table` an int32 constant of K byte offsets.
   */
  readonly bImplicit?: { readonly table: ValueId; readonly ow: number; readonly rowStep: number; readonly colStep: number };
  /** With bImplicit: float32 scratch, one slot of scratchSlotBytes (emit-gemm.ts) per worker, scratchSlots of them. */
  readonly bScratch?: ValueId;
  /** With bScratch: the slots it holds (scratch-slots.ts); a worker index past them traps. */
  readonly scratchSlots?: number;
  /**
   * With bImplicit: C is the 2x2 stride-2 max pool of the epilogue's result over the output grid (n / ow rows
   * of ow columns, both even, ow a multiple of 8): [batch][M][n / ow / 2][ow / 2] (gemm-pool.ts).
   */
  readonly pool?: 'max2x2';
  /**
   * An NHWC convolution's fused 2x2 stride-2 max pool (gemm-pool-nhwc.ts): batch q is a pooled output row,
   * reading A at q*aBatch and `step` elements further (two convolution output rows); rows (m, even) are
   * pooled in pairs: C is [batch][m / 2][n].
   */
  readonly rowPool?: { readonly step: number };
  /**
   * With pool or rowPool: the pool's own epilogue, applied to each pooled value (an expression of acc alone
   * with a vector form: a quantize-dequantize after the pool, say).
   */
  readonly poolEpilogue?: ScalarExpr;
  readonly cBatch: number;
  /** C row stride in elements when not n (the output written through a folded transpose, e.g. [S, H, D]). */
  readonly cRow?: number;
  /** Fused epilogue over acc (the product, float32) and `epilogueOperands` (args 2, 3, ...); null = store acc. */
  readonly epilogue: ScalarExpr | null;
  /** Element strides of each epilogue operand per (batch, row, column) of the output. */
  readonly epilogueOperands: readonly {
    readonly buffer: ValueId; readonly dtype: DType; readonly base: number; readonly batch: number; readonly row: number; readonly col: number;
    /** The batch index is taken mod this first (a per-group bias of a grouped convolution over several images). */
    readonly batchPeriod?: number;
  }[];
}

/**
 * An integer matrix product (MatMulInteger, QLinearMatMul, dynamic quantization): C[i, j] = sum over k of
 * a[i, k] * b[k, j] in int32, with `a` int16 [m, kp] (the codes less their zero point, widened by a nest before;
 * kp = k rounded up to even) and `b` int16 packed [n / 8 panels][kp / 2][8 columns][2] (the codes less theirs,
 * widened at session creation; zero beyond k and n). i32x4.dot_i16x8_s takes two k at a time, exactly. Stored as int32, or
 * through a float32 `epilogue` of float32(acc) and its operands (emit-igemm.ts).
 */
export interface IntGemmKernel {
  readonly kind: 'igemm';
  readonly name: string;
  readonly a: ValueId;
  readonly b: ValueId;
  readonly out: ValueId;
  readonly m: number;
  readonly n: number;
  /** k rounded up to even: a's row length, b's depth. */
  readonly kp: number;
  /** null: C is int32 acc; else C is float32, the epilogue's acc being float32(acc). */
  readonly epilogue: ScalarExpr | null;
  readonly epilogueOperands: GemmKernel['epilogueOperands'];
}

/**
 * A convolution with one input channel per group (depthwise; `mult` output channels per input channel),
 * computed directly on f32x4 along output rows: out[n, m, oh, ow] = epilogue(sum over kh, kw of
 * x[n, m / mult, oh*sh + kh*dh, ow*sw + kw*dw] * w[m, kh, kw]) with x's element (0, 0) of channel c at
 * `base` + c*plane and rows `rowLen` apart (the input in place, or its zero-bordered copy); emit-depthwise.ts.
 */
export interface DepthwiseConvKernel {
  readonly kind: 'depthwise';
  readonly name: string;
  readonly x: ValueId;
  readonly w: ValueId;
  readonly out: ValueId;
  readonly batch: number;
  /** Input channels (= groups) and output channels per input channel. */
  readonly channels: number;
  readonly mult: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly rowLen: number;
  readonly plane: number;
  readonly base: number;
  readonly epilogue: ScalarExpr | null;
  /**
   * Element strides of each epilogue operand per (image, output channel, output position oh*ow + ow); with
   * layout 'nhwc' per (image, output pixel oh*ow + ow, channel).
   */
  readonly epilogueOperands: GemmKernel['epilogueOperands'];
  /**
   * 'nhwc' (mult 1 only): x is [N, Hp, Wp, C] with rows `rowLen` = Wp*C elements and images `plane` elements
   * apart, w is packed [KH][KW][C], out is [N, OH, OW, C] (emit-depthwise-nhwc.ts); otherwise NCHW as above.
   */
  readonly layout?: 'nhwc';
}
