// Softmax / log-softmax of float dtypes other than float32 (float64, float16, bfloat16, the float8s), as three
// loop nests computing exactly what the reference interpreter does per row: the max as a double, the sum of
// exp(x - max) accumulated in float64, then each result in float64 rounded once to the dtype. The float32
// SIMD softmax kernel is left to float32; these rows are [outer, n, inner] with the reduced axis in the middle.

import { type DType, type ScalarExpr, type TensorType, type ValueId, arg, bin, cast, un } from '@tensorc/ir';
import type { LoopNestKernel } from './kernel-plan.js';

export interface SoftmaxNests {
  readonly kernels: readonly { kernel: Omit<LoopNestKernel, 'name'>; suffix: string }[];
  readonly newTypes: readonly [ValueId, TensorType][];
}

export function softmaxNests(
  input: ValueId, out: ValueId, dtype: DType, shape: readonly number[], axis: number, log: boolean, fresh: () => ValueId,
): SoftmaxNests {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const mx = fresh();
  const sum = fresh();
  const rowType: TensorType = { kind: 'tensor', dtype: 'float64', shape: [outer, inner] };
  // Row statistics: output loops (a, c), reduction loop k over the axis.
  const xByRow = { buffer: input, dtype, base: 0, strides: [n * inner, 1, inner], pad: 0 };
  const rowStat = (buffer: ValueId) => ({ buffer, dtype: 'float64' as DType, base: 0, strides: [inner, 1, 0], pad: 0 });
  const x64: ScalarExpr = cast('float64', arg(0));
  const stat = (o: ValueId, operands: LoopNestKernel['operands'], combiner: ScalarExpr, reducer: 'max' | 'add'): Omit<LoopNestKernel, 'name'> => ({
    kind: 'nest', out: o, outDtype: 'float64', outBase: 0, outStrides: [inner, 1], extents: [outer, inner, n], numOutLoops: 2,
    operands, combiner, reducer, accDtype: 'float64', epilogue: null,
  });
  const shifted = bin('sub', x64, arg(1));
  // Output: loops (a, k, c); the row statistics broadcast along k.
  const result = log ? bin('sub', shifted, un('log', arg(2))) : bin('div', un('exp', shifted), arg(2));
  const final: Omit<LoopNestKernel, 'name'> = {
    kind: 'nest', out, outDtype: dtype, outBase: 0, outStrides: [n * inner, inner, 1], extents: [outer, n, inner], numOutLoops: 3,
    operands: [
      { buffer: input, dtype, base: 0, strides: [n * inner, inner, 1], pad: 0 },
      { buffer: mx, dtype: 'float64', base: 0, strides: [inner, 0, 1], pad: 0 },
      { buffer: sum, dtype: 'float64', base: 0, strides: [inner, 0, 1], pad: 0 },
    ],
    combiner: cast(dtype, result), reducer: null, accDtype: dtype, epilogue: null,
  };
  return {
    kernels: [
      { kernel: stat(mx, [xByRow], x64, 'max'), suffix: 'softmax_max' },
      { kernel: stat(sum, [xByRow, rowStat(mx)], un('exp', shifted), 'add'), suffix: 'softmax_sum' },
      { kernel: final, suffix: log ? 'log_softmax' : 'softmax' },
    ],
    newTypes: [[mx, rowType], [sum, rowType]],
  };
}
