// acc + a * b on f32x4 in the two SIMD flavours: relaxed_madd (one rounding on FMA hardware) or mul then add.

import binaryen from 'binaryen';

type E = binaryen.ExpressionRef;

// binaryen.js exposes relaxed SIMD only through its C API (no typed builder yet).
const simdTernary = (binaryen as unknown as { _BinaryenSIMDTernary(module: number, op: number, a: E, b: E, c: E): E })._BinaryenSIMDTernary;
const RELAXED_MADD_F32X4 = (binaryen as unknown as { RelaxedMaddVecF32x4: number }).RelaxedMaddVecF32x4;

/** acc + a * b on f32x4: one relaxed fused multiply-add (one rounding on FMA hardware), or mul then add. */
export function madd(m: binaryen.Module, relaxed: boolean, acc: E, a: E, b: E): E {
  return relaxed ? simdTernary(m.ptr, RELAXED_MADD_F32X4, a, b, acc) : m.f32x4.add(acc, m.f32x4.mul(a, b));
}
