// float32 transcendental functions on f32x4 vectors, compiled into the module for SIMD kernels (softmax,
// GEMM epilogues such as GELU and SiLU): exp (range reduction by ln2, degree-7 Taylor polynomial, a few ulp),
// erf (a rational function of x^2: absolute error below 4e-7 after float32 rounding, like the scalar
// erf_f64) and sigmoid = 1 / (1 + exp(-x)). Results agree with the f64 reference to float32 resolution,
// not bit for bit; kernels that must match the interpreter exactly keep the scalar code.

import binaryen from 'binaryen';
import { madd } from './simd-madd.js';

type E = binaryen.ExpressionRef;

export const VECTOR_MATH = { exp: 'vexp_f32x4', erf: 'verf_f32x4', sigmoid: 'vsigmoid_f32x4' } as const;

/** 1.5 * 2^23: y + ROUND_MAGIC rounds y (|y| < 2^22) to an integer, whose value is the sum's bits minus ROUND_MAGIC_BITS. */
export const ROUND_MAGIC = 12582912;
export const ROUND_MAGIC_BITS = 0x4b400000;

/** Adds the functions of VECTOR_MATH; `relaxed`: polynomial steps as relaxed_madd (module.relaxed.wasm). */
export function addVectorMath(m: binaryen.Module, relaxed = false): void {
  const v128 = binaryen.v128;
  const L = (i: number) => m.local.get(i, v128);
  const s = (v: number) => m.f32x4.splat(m.f32.const(v));
  // c0 + c1 t + c2 t^2 + ... by Estrin's scheme: pairs (c_i + c_i+1 t), then pairs of those with t^2, t^4, ...
  // (fewer sequential roundings than Horner's rule, and independent terms): powers[j] holds t^(2^j)
  const estrin = (coeffs: readonly number[], powers: readonly number[]): E => {
    let terms = coeffs.map((_, i) => i).filter((i) => i % 2 === 0)
      .map((i) => (i + 1 < coeffs.length ? madd(m, relaxed, s(coeffs[i]!), s(coeffs[i + 1]!), L(powers[0]!)) : s(coeffs[i]!)));
    for (let pw = 1; terms.length > 1; pw++) {
      terms = terms.map((t, i) => (i % 2 === 0 ? (i + 1 < terms.length ? madd(m, relaxed, t, terms[i + 1]!, L(powers[pw]!)) : t) : null)).filter((t): t is E => t !== null);
    }
    return terms[0]!;
  };
  const factorial = (n: number) => [...Array(n).keys()].reduce((f, i) => f * (i + 1), 1);
  // x clamped to [lo, hi] (bounds not zero): pmax/pmin are one instruction each on x86 where max/min take
  // about eight; with x first, a NaN passes through (pmax(a, b) = a < b ? b : a).
  const clamp = (x: E, lo: number, hi: number): E => m.f32x4.pmin(m.f32x4.pmax(x, s(lo)), s(hi));
  // 2^k for integer lanes k in [-126, 127]
  const pow2 = (k: E): E => m.i32x4.shl(m.i32x4.add(k, m.i32x4.splat(m.i32.const(127))), m.i32.const(23));

  // exp: locals 0 x, 1 n = round(x / ln2), 2 r = x - n ln2, 3 result, 4 x clamped, 5 x / ln2 + ROUND_MAGIC, 6 n as i32 lanes,
  // 7 r^2, 8 r^4.
  // Adding ROUND_MAGIC rounds to an integer half to even (as f32x4.nearest) and gives it as i32 lanes without a
  // truncation (trunc_sat is a long instruction sequence on x86).
  const taylor = Array.from({ length: 8 }, (_, n) => 1 / factorial(n));
  m.addFunction(VECTOR_MATH.exp, v128, v128, [v128, v128, v128, v128, v128, v128, v128, v128], m.block(null, [
    // clamp to where exp is finite and normal
    m.local.set(4, clamp(L(0), -87.3, 88.72)),
    m.local.set(5, m.f32x4.add(m.f32x4.mul(L(4), s(Math.LOG2E)), s(ROUND_MAGIC))),
    m.local.set(1, m.f32x4.sub(L(5), s(ROUND_MAGIC))),
    m.local.set(6, m.i32x4.sub(L(5), m.i32x4.splat(m.i32.const(ROUND_MAGIC_BITS)))),
    m.local.set(2, m.f32x4.sub(m.f32x4.sub(L(4), m.f32x4.mul(L(1), s(0.693359375))), m.f32x4.mul(L(1), s(-2.12194440e-4)))),
    m.local.set(7, m.f32x4.mul(L(2), L(2))),
    m.local.set(8, m.f32x4.mul(L(7), L(7))),
    // p(r) * 2^h * 2^(n-h) with h = n >> 1, each power built from its exponent bits (n reaches 128)
    m.local.set(3, m.f32x4.mul(m.f32x4.mul(estrin(taylor, [2, 7, 8]), pow2(m.i32x4.shr_s(L(6), m.i32.const(1)))),
      pow2(m.i32x4.sub(L(6), m.i32x4.shr_s(L(6), m.i32.const(1)))))),
    // beyond the clamp: +inf above, 0 below
    m.local.set(3, m.v128.bitselect(s(Infinity), L(3), m.f32x4.gt(L(0), s(88.72)))),
    m.v128.bitselect(s(0), L(3), m.f32x4.lt(L(0), s(-87.33))),
  ], v128));

  // erf(x) = x P(x^2) / Q(x^2) on x clamped to [-4, 4] (erf(4) is 1 in float32): a rational fit made for this
  // file (weighted least squares towards minimax, P(0) = 2/sqrt(pi)), 6e-9 in exact arithmetic. P and Q are
  // evaluated by Estrin's scheme (half of Horner's sequential roundings: below 3.6e-7 absolute in float32,
  // and more parallel). No exp, one division. Locals: 0 x, 1 clamped x, 2 t = x^2, 3 t^2, 4 t^4.
  const P = [1.128379225730896, 0.1820189356803894, 0.05477186664938927, 0.0038333069533109665, 0.00041518930811434984, 5.706061983801192e-06, -1.822914796889563e-08];
  const Q = [1, 0.4946441650390625, 0.1134185940027237, 0.015554395504295826, 0.0013520846841856837, 7.279638521140441e-05];
  m.addFunction(VECTOR_MATH.erf, v128, v128, [v128, v128, v128, v128], m.block(null, [
    m.local.set(1, clamp(L(0), -4, 4)),
    m.local.set(2, m.f32x4.mul(L(1), L(1))),
    m.local.set(3, m.f32x4.mul(L(2), L(2))),
    m.local.set(4, m.f32x4.mul(L(3), L(3))),
    clamp(m.f32x4.div(m.f32x4.mul(L(1), estrin(P, [2, 3, 4])), estrin(Q, [2, 3, 4])), -1, 1),
  ], v128));

  m.addFunction(VECTOR_MATH.sigmoid, v128, v128, [], m.f32x4.div(s(1), m.f32x4.add(s(1), m.call(VECTOR_MATH.exp, [m.f32x4.neg(L(0))], v128))));
}
