// Integer conversions whose exact results wasm has no single instruction for, as helpers added on first use:
// float -> integer the way the reference interpreter defines it (numpy on x86-64: truncation, and the
// "integer indefinite" value for NaN, infinities and out-of-range values, see @tensorc/ir floatToInt), and
// 64-bit integer -> f64 rounded to odd, so a second rounding to a narrow float format is still correct.

import binaryen from 'binaryen';
import { once, pow2 } from './wasm-coded-float.js';

type E = binaryen.ExpressionRef;

/** trunc(x) as an i32 when it lies in [-2^31, 2^31), else -2^31 (x: f64). */
export function emitF64ToI32(m: binaryen.Module, x: E): E {
  const name = once(m, 'f64_to_i32_x86', () => {
    const t = () => m.f64.trunc(m.local.get(0, binaryen.f64));
    const valid = m.i32.and(m.f64.ge(t(), m.f64.const(-(2 ** 31))), m.f64.lt(t(), m.f64.const(2 ** 31)));
    m.addFunction('f64_to_i32_x86', binaryen.f64, binaryen.i32, [], m.select(valid, m.i32.trunc_s_sat.f64(t()), m.i32.const(-(2 ** 31))));
  });
  return m.call(name, [x], binaryen.i32);
}

/** trunc(x) as an i64 when it lies in [-2^63, 2^63), else -2^63 (x: f64). */
export function emitF64ToI64(m: binaryen.Module, x: E): E {
  const name = once(m, 'f64_to_i64_x86', () => {
    const t = () => m.f64.trunc(m.local.get(0, binaryen.f64));
    const valid = m.i32.and(m.f64.ge(t(), m.f64.const(-(2 ** 63))), m.f64.lt(t(), m.f64.const(2 ** 63)));
    m.addFunction('f64_to_i64_x86', binaryen.f64, binaryen.i64, [], m.select(valid, m.i64.trunc_s_sat.f64(t()), m.i64.const(-(2n ** 63n))));
  });
  return m.call(name, [x], binaryen.i64);
}

/** uint64 bits of trunc(x): exact in [0, 2^64), negatives in [-2^63, 0) wrap, anything else 2^63 (x: f64). */
export function emitF64ToU64(m: binaryen.Module, x: E): E {
  const name = once(m, 'f64_to_u64_x86', () => {
    const t = () => m.f64.trunc(m.local.get(0, binaryen.f64));
    const valid = m.i32.and(m.f64.ge(t(), m.f64.const(-(2 ** 63))), m.f64.lt(t(), m.f64.const(2 ** 64)));
    const conv = m.select(m.f64.ge(t(), m.f64.const(2 ** 63)), m.i64.trunc_u_sat.f64(t()), m.i64.trunc_s_sat.f64(t()));
    m.addFunction('f64_to_u64_x86', binaryen.f64, binaryen.i64, [], m.select(valid, conv, m.i64.const(-(2n ** 63n))));
  });
  return m.call(name, [x], binaryen.i64);
}

/**
 * A 64-bit integer (signed or unsigned) as an f64 rounded to odd: magnitudes below 2^53 exactly, larger ones
 * truncated to 53 bits with the last bit set when anything was dropped (as @tensorc/ir bigintToNumberRoundOdd).
 * Locals 0 x (i64), 1 a = |x| (i64), 2 shift (i64), 3 top (i64), 4 v = the magnitude's value (f64).
 */
export function emitI64ToF64RoundOdd(m: binaryen.Module, x: E, unsigned: boolean): E {
  const fn = unsigned ? 'u64_to_f64_odd' : 'i64_to_f64_odd';
  const name = once(m, fn, () => {
    const g = (i: number) => m.local.get(i, binaryen.i64);
    const v = () => m.local.get(4, binaryen.f64);
    const negative = () => (unsigned ? m.i32.const(0) : m.i64.lt_s(g(0), m.i64.const(0n)));
    m.addFunction(fn, binaryen.i64, binaryen.f64, [binaryen.i64, binaryen.i64, binaryen.i64, binaryen.f64], m.block(null, [
      // |x| as unsigned (|-2^63| = 2^63 fits)
      m.local.set(1, m.if(negative(), m.i64.sub(m.i64.const(0n), g(0)), g(0))),
      m.if(m.i64.lt_u(g(1), m.i64.const(2n ** 53n)),
        m.local.set(4, m.f64.convert_u.i64(g(1))),
        m.block(null, [
          m.local.set(2, m.i64.sub(m.i64.const(11n), m.i64.clz(g(1)))),
          m.local.set(3, m.i64.shr_u(g(1), g(2))),
          m.if(m.i64.ne(m.i64.shl(g(3), g(2)), g(1)), m.local.set(3, m.i64.or(g(3), m.i64.const(1n)))),
          m.local.set(4, m.f64.mul(m.f64.convert_u.i64(g(3)), pow2(m, m.i32.wrap(g(2))))),
        ])),
      m.return(m.if(negative(), m.f64.neg(v()), v())),
    ], binaryen.f64));
  });
  return m.call(name, [x], binaryen.f64);
}
