// The backend's intermediate form: a list of kernels over buffers, each a loop nest the emitter turns into
// wasm. Almost every op becomes an affine loop nest (out[i] = epilogue(reduce_k combiner(in_j[base + i.s_j])));
// softmax and gather have their own kernels; reshape is an alias of its input's buffer; If and Loop hold the
// kernels of their regions.

import type { DType, Reducer, ScalarExpr, ScatterReduction, ValueId } from '@tensorc/ir';
import type { AttentionKernel } from './lower-attention.js';
import type { NarrowCode } from './narrow-codes.js';

/** One operand of a loop nest: element address = base + sum(loopIndex[l] * strides[l]). */
export interface NestOperand {
  readonly buffer: ValueId;
  readonly dtype: DType;
  /** Element offset inside the buffer. */
  readonly base: number;
  /** Element stride per loop (output loops, then reduction loops). */
  readonly strides: readonly number[];
  /** For reads that may fall outside (padding): per operand dim, its coefficients per loop, offset and size. */
  readonly bounds?: { readonly coeffs: readonly (readonly number[])[]; readonly offsets: readonly number[]; readonly sizes: readonly number[] };
  readonly pad: number;
}

export interface LoopNestKernel {
  readonly kind: 'nest';
  readonly name: string;
  readonly out: ValueId;
  readonly outDtype: DType;
  /** Element offset and strides of the output (per output loop); default row-major from `extents`. */
  readonly outBase: number;
  readonly outStrides: readonly number[];
  /** Output loop extents then reduction loop extents. */
  readonly extents: readonly number[];
  readonly numOutLoops: number;
  readonly operands: readonly NestOperand[];
  readonly combiner: ScalarExpr;
  readonly reducer: Reducer | null;
  readonly accDtype: DType;
  readonly epilogue: ScalarExpr | null;
  /**
   * More results of an elementwise nest (a multimap; reducer null), written at the same points as `out`, in
   * order after it. Their expressions read the operands as a0..a(n-1), then the results already written at
   * this point: a(n) = out, a(n+1+j) = extraOuts[j] (loaded back, exactly what a separate kernel would read).
   */
  readonly extraOuts?: readonly NestResult[];
  /**
   * Results (0 = out, 1 + j = extraOuts[j]) nothing reads after this nest: only later results of the same
   * point read them, from a local; never stored, they get no buffer. Only dtypes whose store and load give
   * back the value as computed (UNSTORED_DTYPES).
   */
  readonly unstored?: readonly number[];
}

/**
 * The part of nest `k` whose loop `l` runs over [start, start + extent), as a nest of its own named `name`:
 * every output's and operand's base moved along, and padded reads' bound offsets with them (a parallel slice,
 * the scalar tail of a vector nest).
 */
export function subNest(k: LoopNestKernel, l: number, start: number, extent: number, name: string): LoopNestKernel {
  return {
    ...k,
    name,
    extents: k.extents.map((e, i) => (i === l ? extent : e)),
    outBase: k.outBase + start * k.outStrides[l]!,
    ...(k.extraOuts ? { extraOuts: k.extraOuts.map((x) => ({ ...x, base: x.base + start * x.strides[l]! })) } : {}),
    operands: k.operands.map((o) => ({
      ...o,
      base: o.base + start * o.strides[l]!,
      // padded reads test each operand dim at offset + sum(coeff * index): shift the offsets with the loop
      ...(o.bounds ? { bounds: { ...o.bounds, offsets: o.bounds.offsets.map((off, d) => off + start * o.bounds!.coeffs[d]![l]!) } } : {}),
    })),
  };
}

/** Element types a store and load give back bit for bit, so a value kept in a local reads the same. */
export const UNSTORED_DTYPES: ReadonlySet<DType> = new Set(['float32', 'float64', 'int32', 'uint32', 'int64', 'uint64']);

/** One extra result of a multi-output nest: where it goes and the expression it stores. */
export interface NestResult {
  readonly buffer: ValueId;
  readonly dtype: DType;
  readonly base: number;
  readonly strides: readonly number[];
  readonly expr: ScalarExpr;
}

/** Row-wise softmax over `axis`: rows = outer * inner, each of length n with stride inner. */
export interface SoftmaxKernel {
  readonly kind: 'softmax';
  readonly name: string;
  readonly input: ValueId;
  readonly out: ValueId;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
  readonly log: boolean;
}

/** out[a, j, c] = x[a, idx[j], c] with idx normalized (negative from the end) and range-checked (trap). */
export interface GatherKernel {
  readonly kind: 'gather';
  readonly name: string;
  readonly input: ValueId;
  readonly indices: ValueId;
  readonly indexDtype: DType;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly outer: number;
  readonly axisSize: number;
  readonly numIndices: number;
  readonly inner: number;
}

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

/** out[i] = x[i with coordinate `axis` replaced by idx[i]] (normalized, range-checked). */
export interface GatherElementsKernel {
  readonly kind: 'gather_elements';
  readonly name: string;
  readonly input: ValueId;
  readonly indices: ValueId;
  readonly indexDtype: DType;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly axis: number;
  readonly dataShape: readonly number[];
  readonly outShape: readonly number[];
}

/** Index (int64) of the max/min along an axis of length n: rows outer x inner; ties to the first (or last). */
export interface ArgReduceKernel {
  readonly kind: 'argreduce';
  readonly name: string;
  readonly input: ValueId;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly mode: 'max' | 'min';
  readonly selectLast: boolean;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/** The k largest (or smallest) float32 values along an axis and their int64 indices, in order; ties to the
 * lower index; NaN counts as larger than everything (as ONNX's reference sorts). */
export interface TopKKernel {
  readonly kind: 'topk';
  readonly name: string;
  readonly input: ValueId;
  readonly out: ValueId;
  readonly indicesOut: ValueId;
  /** Element type of the input and the values output. */
  readonly dtype: DType;
  readonly largest: boolean;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
  readonly k: number;
}

/** Running reduction along an axis (CumSum, CumProd) over rows outer x inner of length n; exclusive and reverse as ONNX. */
export interface CumulativeKernel {
  readonly kind: 'cumulative';
  readonly name: string;
  readonly input: ValueId;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly reducer: Reducer;
  readonly exclusive: boolean;
  readonly reverse: boolean;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/**
 * out = data, then each update in order combined into out at its index (indices normalized, range-checked:
 * a bad index traps). `elements`: ScatterElements, index i of `indices` replaces coordinate `axis` of i;
 * `nd`: ScatterND, each k-tuple of `indices` addresses a slice of `sliceSize` elements.
 */
export interface ScatterKernel {
  readonly kind: 'scatter';
  readonly name: string;
  readonly data: ValueId;
  readonly indices: ValueId;
  readonly indexDtype: DType;
  readonly updates: ValueId;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly reduction: ScatterReduction;
  readonly dataShape: readonly number[];
  readonly indicesShape: readonly number[];
  readonly mode: { readonly kind: 'elements'; readonly axis: number } | { readonly kind: 'nd' };
}

/** GatherND: for each batch (leading `batchDims` dims) and index k-tuple, copies the addressed slice of x. */
export interface GatherNdKernel {
  readonly kind: 'gather_nd';
  readonly name: string;
  readonly input: ValueId;
  readonly indices: ValueId;
  readonly indexDtype: DType;
  readonly out: ValueId;
  readonly dtype: DType;
  readonly dataShape: readonly number[];
  readonly batchDims: number;
  /** Index tuples per batch and the tuple length k. */
  readonly tuples: number;
  readonly k: number;
}

/**
 * LayerNorm over contiguous float32 rows of length n: mean, then rstd = 1/sqrt(mean((x-mean)^2) + eps), then
 * (x - mean) * rstd * gamma + beta (gamma, beta of length n) — the three nests fuse-reduction leaves, in one.
 */
export interface LayerNormKernel {
  readonly kind: 'layernorm';
  readonly name: string;
  readonly input: ValueId;
  readonly gamma: ValueId;
  readonly beta: ValueId;
  readonly out: ValueId;
  readonly rows: number;
  readonly n: number;
  readonly eps: number;
}

/** A byte copy of `bytes` from one buffer into another (If results, Loop carried and scanned values). */
export interface BufferCopy {
  readonly src: ValueId;
  readonly dst: ValueId;
  readonly bytes: number;
}

/**
 * ONNX If (lower-control.ts): region 0 (then) or 1 (else) by the run-time bool scalar `cond`; each region's
 * kernels run, then its copies put the branch results into the If's outputs. `reads`: values of enclosing
 * scopes the op itself reads (cond, copy sources); `slots`: buffers it writes (its outputs).
 */
export interface IfKernel {
  readonly kind: 'if';
  readonly name: string;
  readonly cond: ValueId;
  readonly regions: readonly [readonly Kernel[], readonly Kernel[]];
  readonly copies: readonly [readonly BufferCopy[], readonly BufferCopy[]];
  readonly reads: readonly ValueId[];
  readonly slots: readonly ValueId[];
}

/**
 * Planes [planes, h, w] copied into [planes, hp, wp] with a border of `value` (the input a padded convolution
 * or pool reads, so its windows need no bounds checks): output rows [r0, r1) x columns [c0, c1) come from
 * input row srcRow + (r - r0), column srcCol + (c - c0) of the same plane; everything else is `value`. One
 * kernel per row: border, f32x4 copy, border. Units are output rows, plane-major; emit-bordered-copy.ts.
 */
export interface BorderedCopyKernel {
  readonly kind: 'bordered_copy';
  readonly name: string;
  readonly input: ValueId;
  readonly out: ValueId;
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly hp: number;
  readonly wp: number;
  /** The copied block in output coordinates (empty: r0 = r1, c0 = c1). */
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
  readonly srcRow: number;
  readonly srcCol: number;
  readonly value: number;
}

/**
 * ONNX Loop (lower-control.ts): `init` copies the carried inputs into the body's params; each iteration
 * stores the iteration number, runs regions[0], copies the scanned results to row i of their outputs, reads
 * the body's condition, then moves the carried results into the params (`stage` first: results that are
 * other carried params go through scratch buffers); `final` copies the params into the outputs.
 */
export interface LoopKernel {
  readonly kind: 'loop';
  readonly name: string;
  /** int64 scalar (absent: no limit) and bool scalar (absent: true) inputs. */
  readonly maxTrip: ValueId | null;
  readonly cond: ValueId | null;
  readonly iterParam: ValueId;
  readonly condParam: ValueId;
  readonly condResult: ValueId;
  readonly regions: readonly [readonly Kernel[]];
  readonly init: readonly BufferCopy[];
  readonly scans: readonly BufferCopy[];
  readonly stage: readonly BufferCopy[];
  readonly carry: readonly BufferCopy[];
  readonly final: readonly BufferCopy[];
  readonly reads: readonly ValueId[];
  readonly slots: readonly ValueId[];
}

export type Kernel = LoopNestKernel | SoftmaxKernel | GatherKernel | GemmKernel | IntGemmKernel | DepthwiseConvKernel | GatherElementsKernel | ArgReduceKernel | TopKKernel
  | CumulativeKernel | ScatterKernel | GatherNdKernel | LayerNormKernel | IfKernel | LoopKernel | AttentionKernel | BorderedCopyKernel;

export interface KernelPlan {
  readonly kernels: readonly Kernel[];
  /**
   * Kernels run once when a session is created (the module's `init`), before any run: they expand weights kept
   * compact in weights.bin (int8 codes) into the float32 buffers the kernels read, which stay for the session.
   */
  readonly initKernels?: readonly Kernel[];
  /** Buffers that share storage with another (reshape): value -> the value whose buffer it uses. */
  readonly aliases: ReadonlyMap<ValueId, ValueId>;
}
