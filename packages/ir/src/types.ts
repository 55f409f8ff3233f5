// Value types: tensors whose dims are numbers or named symbols, plus ONNX sequences and optionals.
// A symbolic dim is a string: an identifier ("N") or a canonical dim expression (see dims.ts).

import type { DType } from './dtype.js';

export type Dim = number | string;
export type Shape = readonly Dim[];

export interface TensorType {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly shape: Shape;
}
export interface SequenceType {
  readonly kind: 'sequence';
  readonly elem: TensorType;
}
export interface OptionalType {
  readonly kind: 'optional';
  readonly elem: TensorType | SequenceType;
}
export type ValueType = TensorType | SequenceType | OptionalType;

export const tensorType = (dtype: DType, shape: Shape): TensorType => ({ kind: 'tensor', dtype, shape });

export const isStaticShape = (s: Shape): s is readonly number[] => s.every((d) => typeof d === 'number');

/** Element count of a static shape (1 for a scalar). */
export const numElements = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
