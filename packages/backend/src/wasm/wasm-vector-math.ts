// float32 transcendental functions on f32x4 vectors, compiled into the module for SIMD kernels (softmax,
// GEMM epilogues such as GELU and SiLU): exp (range reduction by ln2, degree-7 Taylor polynomial, a few ulp),
// erf (odd series for |x| < 0.5, Abramowitz-Stegun 7.1.26 beyond: absolute error below 4e-7 after float32
// rounding, like the scalar erf_f64) and sigmoid = 1 / (1 + exp(-x)). Results agree with the f64 reference to float32 resolution,
// not bit for bit; kernels that must match the interpreter exactly keep the scalar code.

import binaryen from 'binaryen';

type E = binaryen.ExpressionRef;

export const VECTOR_MATH = { exp: 'vexp_f32x4', erf: 'verf_f32x4', sigmoid: 'vsigmoid_f32x4' } as const;

export function addVectorMath(m: binaryen.Module): void {
  const v128 = binaryen.v128;
  const L = (i: number) => m.local.get(i, v128);
  const s = (v: number) => m.f32x4.splat(m.f32.const(v));
  const horner = (coeffs: readonly number[], r: () => E): E =>
    coeffs.slice(0, -1).reduceRight<E>((acc, a) => m.f32x4.add(s(a), m.f32x4.mul(r(), acc)), s(coeffs[coeffs.length - 1]!));
  const factorial = (n: number) => [...Array(n).keys()].reduce((f, i) => f * (i + 1), 1);
  // 2^k for integer lanes k in [-126, 127]
  const pow2 = (k: E): E => m.i32x4.shl(m.i32x4.add(k, m.i32x4.splat(m.i32.const(127))), m.i32.const(23));

  // exp: locals 0 x, 1 n = round(x / ln2), 2 r = x - n ln2, 3 result
  const taylor = Array.from({ length: 8 }, (_, n) => 1 / factorial(n));
  m.addFunction(VECTOR_MATH.exp, v128, v128, [v128, v128, v128], m.block(null, [
    // clamp to where exp is finite and normal; NaN passes through max/min (wasm propagates it)
    m.local.set(1, m.f32x4.nearest(m.f32x4.mul(m.f32x4.min(m.f32x4.max(L(0), s(-87.3)), s(88.72)), s(Math.LOG2E)))),
    m.local.set(2, m.f32x4.sub(m.f32x4.sub(m.f32x4.min(m.f32x4.max(L(0), s(-87.3)), s(88.72)), m.f32x4.mul(L(1), s(0.693359375))), m.f32x4.mul(L(1), s(-2.12194440e-4)))),
    // p(r) * 2^h * 2^(n-h) with h = n >> 1, each power built from its exponent bits (n reaches 128)
    m.local.set(3, m.f32x4.mul(m.f32x4.mul(horner(taylor, () => L(2)), pow2(m.i32x4.shr_s(m.i32x4.trunc_sat_f32x4_s(L(1)), m.i32.const(1)))),
      pow2(m.i32x4.sub(m.i32x4.trunc_sat_f32x4_s(L(1)), m.i32x4.shr_s(m.i32x4.trunc_sat_f32x4_s(L(1)), m.i32.const(1)))))),
    // beyond the clamp: +inf above, 0 below
    m.local.set(3, m.v128.bitselect(s(Infinity), L(3), m.f32x4.gt(L(0), s(88.72)))),
    m.v128.bitselect(s(0), L(3), m.f32x4.lt(L(0), s(-87.33))),
  ], v128));

  // erf: locals 0 x, 1 a = |x|, 2 t, 3 far (|x| >= 0.5 branch), 4 near (series)
  const series = Array.from({ length: 7 }, (_, n) => ((n % 2 ? -1 : 1) * 2) / Math.sqrt(Math.PI) / (factorial(n) * (2 * n + 1)));
  const A = [0, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
  m.addFunction(VECTOR_MATH.erf, v128, v128, [v128, v128, v128, v128], m.block(null, [
    m.local.set(1, m.f32x4.abs(L(0))),
    m.local.set(2, m.f32x4.div(s(1), m.f32x4.add(s(1), m.f32x4.mul(s(0.3275911), L(1))))),
    // 1 - t P(t) exp(-a^2), sign restored below
    m.local.set(3, m.f32x4.sub(s(1), m.f32x4.mul(horner(A, () => L(2)), m.call(VECTOR_MATH.exp, [m.f32x4.neg(m.f32x4.mul(L(1), L(1)))], v128)))),
    m.local.set(3, m.v128.or(L(3), m.v128.and(L(0), s(-0)))),
    m.local.set(4, m.f32x4.mul(L(0), horner(series, () => m.f32x4.mul(L(0), L(0))))),
    // near 0 the series, else the far form; NaN (a < 0.5 false) takes the far form, which stays NaN
    m.v128.bitselect(L(4), L(3), m.f32x4.lt(L(1), s(0.5))),
  ], v128));

  m.addFunction(VECTOR_MATH.sigmoid, v128, v128, [], m.f32x4.div(s(1), m.f32x4.add(s(1), m.call(VECTOR_MATH.exp, [m.f32x4.neg(L(0))], v128))));
}
