// A max or min over a whole tensor (a nest without output loops) leaves the vector nest code no output lanes,
// so it ran as scalar code, where f32.min and f32.max on equal inputs take a slow path: dynamic quantization's
// min over a ReLU output (half zeros, 64 x 512) took 0.19 ms, its max 0.03 ms. Such a nest becomes two: four
// partial results, one per lane, over the innermost loop in steps of four (vector code), then the four
// combined into one, with the epilogue. max and min give the same value in any order, NaN and signed zeros
// included, so the result is bit for bit the same.

import { type TensorType, type ValueId, arg } from '@tensorc/ir';
import type { UnnamedNest } from './lower-affine-nests.js';

export interface SplitReduce {
  readonly partial: readonly [ValueId, TensorType];
  /** The four lanes' partial results, then the result. */
  readonly kernels: readonly [UnnamedNest, UnnamedNest];
}

/** The two nests computing full max/min reduction `k`, or undefined when it is not one (or too short to pay). */
export function splitFullReduce(k: UnnamedNest, fresh: () => ValueId): SplitReduce | undefined {
  const inner = k.extents.length - 1;
  if (k.numOutLoops !== 0 || inner < 0 || (k.reducer !== 'max' && k.reducer !== 'min')) return undefined;
  if (k.outDtype !== 'float32' || k.accDtype !== 'float32' || (k.extraOuts?.length ?? 0) > 0) return undefined;
  const n = k.extents[inner]!;
  if (n < 16 || n % 4 !== 0) return undefined;
  // every operand float32, read in full, contiguous or broadcast along the innermost loop
  if (k.operands.some((o) => o.dtype !== 'float32' || o.bounds !== undefined || (o.strides[inner] !== 0 && o.strides[inner] !== 1))) return undefined;
  const partial = fresh();
  const lanes: UnnamedNest = {
    ...k, out: partial, outBase: 0, outStrides: [1], numOutLoops: 1, epilogue: null,
    extents: [4, ...k.extents.slice(0, inner), n / 4],
    operands: k.operands.map((o) => ({ ...o, strides: [o.strides[inner]!, ...o.strides.slice(0, inner), 4 * o.strides[inner]!] })),
  };
  const combine: UnnamedNest = {
    kind: 'nest', out: k.out, outDtype: 'float32', outBase: k.outBase, outStrides: [], extents: [4], numOutLoops: 0,
    operands: [{ buffer: partial, dtype: 'float32', base: 0, strides: [1], pad: 0 }],
    combiner: arg(0), reducer: k.reducer, accDtype: 'float32', epilogue: k.epilogue,
  };
  return { partial: [partial, { kind: 'tensor', dtype: 'float32', shape: [4] }], kernels: [lanes, combine] };
}
