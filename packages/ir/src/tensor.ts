// Host tensors: the interpreter's and constant folder's concrete values.
// Numeric data are exact values of the dtype held as float64 (floats already rounded to the dtype, integers
// in range, bool as 0/1); int64/uint64 use BigInt arrays so every value is exact; strings are string[].

import type { DType } from './dtype.js';

export type TensorData = Float64Array | BigInt64Array | BigUint64Array | readonly string[];

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** A run-time value: a tensor, a sequence of tensors, or an empty optional (null). */
export type RuntimeValue = HostTensor | readonly HostTensor[] | null;

export function hostTensor(dtype: DType, shape: readonly number[], data: TensorData): HostTensor {
  return { dtype, shape, data };
}
