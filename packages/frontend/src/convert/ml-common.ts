// Helpers shared by the ai.onnx.ml converters: compile-time constant tensors built from attribute lists,
// with each element converted exactly (a key or weight that the target dtype cannot hold is an error,
// not a silently rounded value).

import { type DType, type HostTensor, type ValueId, allocData, normalizeScalar, writeScalar } from '@tensorc/ir';
import type { ConvertContext } from './context.js';

export type Element = number | bigint | string;

/** A host tensor of `dtype` holding `values` (rounded/wrapped to the dtype as ONNX stores it). */
export function hostTensorOf(dtype: DType, shape: readonly number[], values: readonly Element[]): HostTensor {
  const t: HostTensor = { dtype, shape, data: allocData(dtype, values.length) };
  values.forEach((v, i) => writeScalar(t, i, v));
  return t;
}

/** Adds `values` as a constant of `dtype` and records it as known. */
export function constOf(ctx: ConvertContext, dtype: DType, shape: readonly number[], values: readonly Element[]): ValueId {
  const t = hostTensorOf(dtype, shape, values);
  const id = ctx.b.constant(t);
  ctx.known.setConstant(id, t);
  return id;
}

/** `v` as an element of `dtype`, failing when the conversion would change it (NaN stays NaN). */
export function exactElement(ctx: ConvertContext, v: Element, dtype: DType, what: string): Element {
  if ((dtype === 'string') !== (typeof v === 'string')) ctx.fail('TYPE_ERROR', `${what}: ${typeof v === 'string' ? 'a string' : 'a number'} cannot be a ${dtype} element`);
  if (typeof v === 'string') return v;
  const n = normalizeScalar(v, dtype);
  const same = typeof v === 'bigint'
    ? (typeof n === 'bigint' ? n === v : Number.isInteger(n) && BigInt(n as number) === v)
    : Number.isNaN(v) ? Number.isNaN(Number(n)) : Number(n) === v;
  if (!same) ctx.fail('TYPE_ERROR', `${what}: ${String(v)} is not exactly representable as ${dtype}`);
  return n as Element;
}

/** The elements of a host tensor as plain values (bigint for 64-bit integers). */
export function elementsOf(t: HostTensor): Element[] {
  return Array.from(t.data as ArrayLike<Element>);
}
