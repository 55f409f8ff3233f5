// The IR's operations: plain readonly data in one discriminated union (`kind`).
// A node applies one Op to input values and defines output values; result types are stored on the
// outputs, and infer.ts says how each kind's result types follow from its inputs and attributes.
// Add a kind here and the exhaustive tables (infer, verify, print/parse, interpret, lower) stop compiling
// until each handles it.

import type { AffineMap } from './affine.js';
import type { DType } from './dtype.js';
import type { Region } from './graph.js';
import type { ScalarExpr } from './scalar.js';
import type { HostTensor } from './tensor.js';
import type { Dim } from './types.js';

export type Reducer = 'add' | 'mul' | 'max' | 'min';

/** A literal tensor (weights, folded constants). No inputs. */
export interface ConstantOp {
  readonly kind: 'constant';
  readonly value: HostTensor;
}

/**
 * Generalized contraction (MLIR linalg.generic with a reduction):
 *   out[i_0..i_{r-1}] = epilogue(acc, args)  where
 *   acc = reduce_{reducer} over reduction loops of combiner(in_0[map_0(i)], in_1[map_1(i)], ...)
 * Loop indices 0..r-1 are the output dims; r..r+n-1 range over `reductionExtents`.
 * `padValues[j]` is what input j reads outside its bounds (conv padding); null means the read must be in bounds.
 * Inputs used only by the epilogue (bias, residual) have maps that use output indices only.
 * Float accumulators accumulate exactly as the reference in float64 and round to `accDtype` once.
 */
export interface ContractOp {
  readonly kind: 'contract';
  readonly reductionExtents: readonly Dim[];
  readonly maps: readonly AffineMap[];
  readonly padValues: readonly (number | null)[];
  /** Scalar body over arg(j) = element of input j; its dtype is accDtype. */
  readonly combiner: ScalarExpr;
  readonly reducer: Reducer;
  readonly accDtype: DType;
  /** Applied to each reduced value: over `acc` and args of epilogue inputs; null = cast acc to the result dtype. */
  readonly epilogue: ScalarExpr | null;
}

/** Elementwise scalar expression over inputs broadcast (numpy rules) to the result shape. */
export interface MapOp {
  readonly kind: 'map';
  readonly expr: ScalarExpr;
}

/**
 * Several elementwise results in one pass over the inputs (broadcast numpy-style to one result shape): result k
 * is exprs[k] over a0..a(n-1), the n inputs' elements, and a(n)..a(n+k-1), the elements results 0..k-1 hold at
 * the same point (as stored, in their dtypes). Each result has its expression's dtype. At least one input.
 */
export interface MultiMapOp {
  readonly kind: 'multimap';
  readonly exprs: readonly ScalarExpr[];
}

/** Reduces `axes` (sorted, non-negative). Float sums accumulate in float64 in the reference. */
export interface ReduceOp {
  readonly kind: 'reduce';
  readonly reducer: Reducer;
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** Index (int64) of the max/min along `axis`; ties go to the first index unless `selectLast`. */
export interface ArgReduceOp {
  readonly kind: 'argreduce';
  readonly mode: 'max' | 'min';
  readonly axis: number;
  readonly keepDims: boolean;
  readonly selectLast: boolean;
}

/** softmax / log-softmax along one axis. */
export interface SoftmaxOp {
  readonly kind: 'softmax';
  readonly axis: number;
  readonly log: boolean;
}

/**
 * Fused scaled-dot-product attention: the composition contract (QKᵀ) -> softmax over the keys -> contract (PV)
 * as one op, so a backend can stream keys in blocks and never store the score matrix. Inputs q, k, v, then the
 * score epilogue's extra inputs (masks). Loop indices: 0..r-1 the output dims, of which `valueAxis` walks v's
 * features; r = the key loop j (`keyExtent`); r+1 = the q·k depth loop (`qkExtent`). Every input is read at
 * maps[i] over those loops (in bounds; q must not use j or valueAxis, k not valueAxis, v not the depth loop,
 * extras neither valueAxis nor the depth loop). With o the output loops other than valueAxis:
 *   s(o, j)   = scoreEpilogue(acc = round(sum_depth q * k), extras)   (acc alone when null)
 *   p(o, j)   = softmax over j of s(o, j)
 *   out[..]   = round(sum_j p(o, j) * v)
 * exactly as contract, softmax and contract would compute them (float64 sums rounded once, the same order);
 * q, k, v, the scores and the result share one float dtype. Extras are args 3.. of the epilogue.
 */
export interface AttentionOp {
  readonly kind: 'attention';
  readonly keyExtent: Dim;
  readonly qkExtent: Dim;
  readonly valueAxis: number;
  readonly maps: readonly AffineMap[];
  readonly scoreEpilogue: ScalarExpr | null;
}

/** Running reduction along an axis (CumSum, CumProd). */
export interface CumulativeOp {
  readonly kind: 'cumulative';
  readonly reducer: Reducer;
  readonly axis: number;
  readonly exclusive: boolean;
  readonly reverse: boolean;
}

/** Same elements, new shape (result type). An optional second input (int64 1-D) gives the shape at run time. */
export interface ReshapeOp {
  readonly kind: 'reshape';
}
export interface TransposeOp {
  readonly kind: 'transpose';
  readonly perm: readonly number[];
}
/** out[i] = in[starts + i * steps] per axis; the extents are the result shape. */
export interface SliceOp {
  readonly kind: 'slice';
  readonly starts: readonly Dim[];
  readonly steps: readonly number[];
}
/**
 * Pads each axis by `low`/`high` (negative crops) and inserts `interior` fill elements between neighbours
 * (used for transposed convolution). Modes as ONNX Pad; interior padding only with mode 'constant'.
 */
export interface PadOp {
  readonly kind: 'pad';
  readonly mode: 'constant' | 'reflect' | 'edge' | 'wrap';
  readonly low: readonly Dim[];
  readonly high: readonly Dim[];
  readonly interior: readonly number[];
  readonly value: number;
}
export interface ConcatOp {
  readonly kind: 'concat';
  readonly axis: number;
}
/** Broadcasts (numpy rules) to the result shape. Optional second input: the target shape at run time. */
export interface ExpandOp {
  readonly kind: 'expand';
}
/** ONNX Gather: data, indices (int32/int64, negative counts from the end). */
export interface GatherOp {
  readonly kind: 'gather';
  readonly axis: number;
}
export interface GatherElementsOp {
  readonly kind: 'gather_elements';
  readonly axis: number;
}
export interface GatherNdOp {
  readonly kind: 'gather_nd';
  readonly batchDims: number;
}
export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';
/** data, indices, updates -> data with updates written (or combined) at indices. */
export interface ScatterElementsOp {
  readonly kind: 'scatter_elements';
  readonly axis: number;
  readonly reduction: ScatterReduction;
}
export interface ScatterNdOp {
  readonly kind: 'scatter_nd';
  readonly reduction: ScatterReduction;
}
/** Integer ramp along `axis` of the result shape: out[..., i, ...] = i (no inputs). */
export interface IotaOp {
  readonly kind: 'iota';
  readonly axis: number;
}
/** int64 1-D tensor of the input's dims [start, end). */
export interface ShapeOfOp {
  readonly kind: 'shape_of';
  readonly start: number;
  readonly end: number;
}
/** Values and int64 indices of the k largest/smallest along `axis`; ties go to the lower index. */
export interface TopKOp {
  readonly kind: 'topk';
  readonly axis: number;
  readonly k: Dim;
  readonly largest: boolean;
  readonly sorted: boolean;
}
/** int64 [rank, count] coordinates of non-zero elements; count is a data-dependent symbolic dim. */
export interface NonZeroOp {
  readonly kind: 'nonzero';
}
/** Reinterprets the bits of each element as another dtype of equal width. */
export interface BitcastOp {
  readonly kind: 'bitcast';
}

/** Elementwise concatenation of two string inputs broadcast (numpy rules) to the result shape. */
export interface StringConcatOp {
  readonly kind: 'string_concat';
}
/** Upper- or lower-cases every string (Unicode default case mapping, or the BCP 47 `locale`'s when not ''). */
export interface StringCaseOp {
  readonly kind: 'string_case';
  readonly upper: boolean;
  readonly locale: string;
}
/** bool: whether each whole string matches `pattern`, in RE2 syntax (the subset regex-re2.ts translates). */
export interface RegexMatchOp {
  readonly kind: 'regex_match';
  readonly pattern: string;
}
/**
 * Splits each string at `delimiter` ('' = at runs of whitespace, ignoring leading and trailing ones) after at
 * most `maxSplit` splits (-1 = no limit). Results: string tokens [...x, n] padded with "" and int64 token
 * counts [...x]; n, the largest count, is data-dependent.
 */
export interface StringSplitOp {
  readonly kind: 'string_split';
  readonly delimiter: string;
  readonly maxSplit: number;
}

/**
 * How a tensor maps to quantized codes: per-tensor (axis null, block null), per-axis (axis set),
 * or blocked along `axis` (blockSize set; scale has the input's shape with that axis divided by blockSize).
 */
export interface QuantScheme {
  readonly axis: number | null;
  readonly blockSize: number | null;
  /** Saturate to the finite range for float8/float4 codes (ONNX saturate attribute). */
  readonly saturate: boolean;
}
/** inputs: x, scale[, zeroPoint] -> codes: round_half_even(x / scale) + zeroPoint, clamped. Code dtype = result dtype. */
export interface QuantizeOp {
  readonly kind: 'quantize';
  readonly scheme: QuantScheme;
}
/** inputs: codes, scale[, zeroPoint] -> (codes - zeroPoint) * scale. Scale may be float8e8m0 (MX formats). */
export interface DequantizeOp {
  readonly kind: 'dequantize';
  readonly scheme: QuantScheme;
}

/**
 * Mixture of experts with routing: inputs x[T,H], scores[T,E], then stacked expert parameters p_j[E,...].
 * For each token the top-k experts by score are chosen (ties to the lower index); gate weights come from
 * `gate`; the body runs once per expert on only the tokens routed to it, with params (x_sel[t,H], p_0[e], ...)
 * and one result y_sel[t,O]; out[T,O] = sum over the token's chosen experts of gate * y.
 */
export interface ExpertsOp {
  readonly kind: 'experts';
  readonly numExperts: number;
  readonly topK: number;
  /** softmax over all E then take top-k | top-k then softmax over the k | raw top-k scores. */
  readonly gate: 'softmax_topk' | 'topk_softmax' | 'topk';
  readonly body: Region;
}

/** ONNX If: input cond (bool scalar); both branches take no params and yield the outputs. */
export interface IfOp {
  readonly kind: 'if';
  readonly thenBranch: Region;
  readonly elseBranch: Region;
}
/**
 * ONNX Loop: inputs (maxTrip int64 scalar | none, cond bool | none, carried...). Body params (iter, cond, carried...),
 * results (cond, carried..., scanned...). Outputs: final carried..., scanned values stacked on a new axis 0.
 */
export interface LoopOp {
  readonly kind: 'loop';
  readonly hasMaxTrip: boolean;
  readonly hasCond: boolean;
  readonly body: Region;
}
/** ONNX Scan (opset 9+ form): inputs (state..., scanIn...), body params (state..., scan slices...). */
export interface ScanOp {
  readonly kind: 'scan';
  readonly numScanInputs: number;
  readonly scanInputAxes: readonly number[];
  readonly scanInputReverse: readonly boolean[];
  readonly scanOutputAxes: readonly number[];
  readonly scanOutputReverse: readonly boolean[];
  readonly body: Region;
}

/** ONNX sequence and optional values. */
export interface SequenceOp {
  readonly kind: 'sequence';
  readonly fn: 'construct' | 'empty' | 'at' | 'insert' | 'erase' | 'length' | 'split' | 'concat' | 'stack';
  /** `split`, `concat`, `stack`: the tensor axis; `split` with keepDims=false squeezes a unit axis. */
  readonly axis: number;
  readonly keepDims: boolean;
}
export interface OptionalOp {
  readonly kind: 'optional';
  readonly fn: 'wrap' | 'none' | 'has' | 'get';
}

export type Op =
  | ConstantOp | ContractOp | MapOp | MultiMapOp | ReduceOp | ArgReduceOp | SoftmaxOp | AttentionOp | CumulativeOp
  | ReshapeOp | TransposeOp | SliceOp | PadOp | ConcatOp | ExpandOp
  | GatherOp | GatherElementsOp | GatherNdOp | ScatterElementsOp | ScatterNdOp
  | IotaOp | ShapeOfOp | TopKOp | NonZeroOp | BitcastOp
  | StringConcatOp | StringCaseOp | RegexMatchOp | StringSplitOp
  | QuantizeOp | DequantizeOp | ExpertsOp | IfOp | LoopOp | ScanOp | SequenceOp | OptionalOp;

export type OpKind = Op['kind'];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;

export const OP_KINDS: readonly OpKind[] = [
  'constant', 'contract', 'map', 'multimap', 'reduce', 'argreduce', 'softmax', 'attention', 'cumulative',
  'reshape', 'transpose', 'slice', 'pad', 'concat', 'expand',
  'gather', 'gather_elements', 'gather_nd', 'scatter_elements', 'scatter_nd',
  'iota', 'shape_of', 'topk', 'nonzero', 'bitcast',
  'string_concat', 'string_case', 'regex_match', 'string_split',
  'quantize', 'dequantize', 'experts', 'if', 'loop', 'scan', 'sequence', 'optional',
];

/** Regions nested in an op (for walkers). */
export function regionsOf(op: Op): readonly Region[] {
  switch (op.kind) {
    case 'experts': case 'loop': case 'scan': return [op.body];
    case 'if': return [op.thenBranch, op.elseBranch];
    default: return [];
  }
}
