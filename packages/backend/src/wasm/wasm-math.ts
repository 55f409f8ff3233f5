// Transcendental functions compiled into the module (f64 in, f64 out), so hot elementwise kernels do not call
// out to JavaScript per element: exp (range reduction to [-ln2/2, ln2/2] and a degree-13 polynomial, about
// 1e-15 relative error), tanh (through exp, with a series near 0) and erf (series near 0, Abramowitz-Stegun
// 7.1.26 beyond, absolute error below 2e-7: below float32 resolution of the results it feeds).

import binaryen from 'binaryen';

type E = binaryen.ExpressionRef;

export function addWasmMath(m: binaryen.Module): void {
  const f64 = binaryen.f64;
  const x = () => m.local.get(0, f64);
  const L = (i: number) => m.local.get(i, f64);
  const c = (v: number) => m.f64.const(v);
  // exp: locals 0 x, 1 k (f64), 2 r, 3 p
  const LN2_HI = 0.6931471803691238;
  const LN2_LO = 1.9082149292705877e-10;
  const horner = (coeffs: number[], r: () => E): E => coeffs.reduceRight<E>((acc, a, i) => (i === coeffs.length - 1 ? c(a) : m.f64.add(c(a), m.f64.mul(r(), acc))), c(0));
  const taylor = Array.from({ length: 14 }, (_, n) => 1 / [...Array(n).keys()].reduce((f, i) => f * (i + 1), 1));
  // 2^k for integer k in [-1022, 1023] as an f64 built from its exponent bits.
  const pow2 = (k: E): E => m.f64.reinterpret(m.i64.shl(m.i64.extend_s(m.i32.add(m.i32.trunc_s.f64(k), m.i32.const(1023))), m.i64.const(52n)));
  m.addFunction('exp_f64', f64, f64, [f64, f64, f64], m.block(null, [
    m.if(m.f64.ne(x(), x()), m.return(x())),
    m.if(m.f64.gt(x(), c(709.782712893384)), m.return(c(Infinity))),
    m.if(m.f64.lt(x(), c(-745.1332191019412)), m.return(c(0))),
    m.local.set(1, m.f64.nearest(m.f64.mul(x(), c(1.4426950408889634)))),
    m.local.set(2, m.f64.sub(m.f64.sub(x(), m.f64.mul(L(1), c(LN2_HI))), m.f64.mul(L(1), c(LN2_LO)))),
    m.local.set(3, horner(taylor, () => L(2))),
    // scale by 2^k in two halves so subnormal results and k = 1024 stay exact
    m.return(m.f64.mul(m.f64.mul(L(3), pow2(m.f64.trunc(m.f64.mul(L(1), c(0.5))))), pow2(m.f64.sub(L(1), m.f64.trunc(m.f64.mul(L(1), c(0.5))))))),
  ], f64));
  const exp = (v: E) => m.call('exp_f64', [v], f64);
  // tanh: locals 0 x, 1 a = |x|, 2 e = exp(-2a)
  m.addFunction('tanh_f64', f64, f64, [f64, f64], m.block(null, [
    m.local.set(1, m.f64.abs(x())),
    m.if(m.f64.lt(L(1), c(0.02)), m.return(m.f64.mul(x(), horner([1, 0, -1 / 3, 0, 2 / 15, 0, -17 / 315], () => x())))),
    m.if(m.f64.gt(L(1), c(20)), m.return(m.f64.copysign(c(1), x()))),
    m.local.set(2, exp(m.f64.mul(c(-2), L(1)))),
    m.return(m.f64.copysign(m.f64.div(m.f64.sub(c(1), L(2)), m.f64.add(c(1), L(2))), x())),
  ], f64));
  // erf: locals 0 x, 1 a = |x|, 2 t
  const series = Array.from({ length: 12 }, (_, n) => ((n % 2 ? -1 : 1) * 2) / Math.sqrt(Math.PI) / ([...Array(n).keys()].reduce((f, i) => f * (i + 1), 1) * (2 * n + 1)));
  const A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
  m.addFunction('erf_f64', f64, f64, [f64, f64], m.block(null, [
    m.if(m.f64.ne(x(), x()), m.return(x())),
    m.local.set(1, m.f64.abs(x())),
    // |x| < 0.5: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)), in powers of x^2
    m.if(m.f64.lt(L(1), c(0.5)), m.return(m.f64.mul(x(), horner(series, () => m.f64.mul(x(), x()))))),
    m.if(m.f64.gt(L(1), c(6)), m.return(m.f64.copysign(c(1), x()))),
    m.local.set(2, m.f64.div(c(1), m.f64.add(c(1), m.f64.mul(c(0.3275911), L(1))))),
    m.return(m.f64.copysign(m.f64.sub(c(1), m.f64.mul(m.f64.mul(L(2), horner(A, () => L(2))), exp(m.f64.neg(m.f64.mul(L(1), L(1)))))), x())),
  ], f64));
}
