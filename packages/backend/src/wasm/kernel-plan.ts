// The backend's intermediate form: a list of kernels over buffers, each a loop nest the emitter turns into
// wasm. Almost every op becomes an affine loop nest (out[i] = epilogue(reduce_k combiner(in_j[base + i.s_j])));
// softmax and gather have their own kernels; reshape is an alias of its input's buffer; If and Loop hold the
// kernels of their regions.

import type { DType, Reducer, ScalarExpr, ScatterReduction, ValueId } from '@tensorc/ir';
import type { AttentionKernel } from './lower-attention.js';
import type { DepthwiseConvKernel, GemmKernel, IntGemmKernel } from './kernel-plan-matrix.js';

export type { DepthwiseConvKernel, GemmKernel, IntGemmKernel } from './kernel-plan-matrix.js';

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
