// Integer codes of at most 16 bits that float32 SIMD code converts to and from exactly once the value is
// clamped into their range: a requantize (GEMM epilogues storing codes) and a quantize-dequantize round trip
// inside an expression. On clamped values saturating conversion and narrowing agree with the IR's cast
// (which truncates and wraps), and NaN, which the clamp keeps, gives 0 in both.

import binaryen from 'binaryen';
import type { DType, ScalarExpr } from '@tensorc/ir';

export type NarrowCode = 'int8' | 'uint8' | 'int16' | 'uint16';

const NARROW_RANGE: Readonly<Record<NarrowCode, readonly [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
};

export const isNarrowCode = (d: DType): d is NarrowCode => d in NARROW_RANGE;

/**
 * Statements leaving in v128 local `tmp` the codes of two i32x4 (`lo`, `hi`: fresh expressions per call) narrowed
 * with saturation: eight 16-bit codes, or for 8-bit codes eight bytes in the low 64 bits.
 */
export function narrowInto(m: binaryen.Module, code: NarrowCode, lo: () => binaryen.ExpressionRef, hi: () => binaryen.ExpressionRef, tmp: number): binaryen.ExpressionRef[] {
  const steps = [m.local.set(tmp, code === 'uint16' ? m.i16x8.narrow_i32x4_u(lo(), hi()) : m.i16x8.narrow_i32x4_s(lo(), hi()))];
  if (code === 'int16' || code === 'uint16') return steps;
  const V = () => m.local.get(tmp, binaryen.v128);
  return [...steps, m.local.set(tmp, code === 'uint8' ? m.i8x16.narrow_i16x8_u(V(), V()) : m.i8x16.narrow_i16x8_s(V(), V()))];
}

/** Whether `e` is min(max(x, lo), hi) or max(min(x, hi), lo) with literal float32 bounds inside `code`'s range. */
export function clampsInto(e: ScalarExpr, code: NarrowCode): boolean {
  const [lo, hi] = NARROW_RANGE[code];
  const bound = (x: ScalarExpr) => x.k === 'lit' && x.dtype === 'float32' && typeof x.v === 'number' && x.v >= lo && x.v <= hi;
  if (e.k !== 'bin' || (e.op !== 'min' && e.op !== 'max') || !bound(e.b)) return false;
  const first = e.a;
  return first.k === 'bin' && first.op === (e.op === 'min' ? 'max' : 'min') && bound(first.b);
}
