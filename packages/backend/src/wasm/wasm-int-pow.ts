// Integer power as the reference interpreter defines it: the exact power wrapped to the type (computed by
// squaring modulo 2^32 or 2^64, which wraps the same way), and for a negative exponent 1 for base 1, +-1 for
// base -1, 0 for other bases, and a trap for base 0 (the interpreter raises). Added to the module on first use.

import binaryen from 'binaryen';
import { once } from './wasm-coded-float.js';

type E = binaryen.ExpressionRef;

/** a ** e for i32 or i64 operands; `signedExponent` false reads e as unsigned (uint32/uint64). */
export function emitIntPow(m: binaryen.Module, t: 'i32' | 'i64', a: E, e: E, signedExponent: boolean): E {
  const name = `ipow_${t}${signedExponent ? '_s' : '_u'}`;
  const ty = t === 'i32' ? binaryen.i32 : binaryen.i64;
  once(m, name, () => {
    const I = t === 'i32' ? m.i32 : m.i64;
    const c = (v: number) => (t === 'i32' ? m.i32.const(v) : m.i64.const(BigInt(v)));
    const g = (i: number) => m.local.get(i, ty);
    // locals: 0 base, 1 exponent, 2 result
    const body: E[] = [];
    if (signedExponent) {
      body.push(m.if(I.lt_s(g(1), c(0)), m.block(null, [
        m.if(I.eq(g(0), c(1)), m.return(c(1))),
        m.if(I.eq(g(0), c(-1)), m.return(m.select(I.eqz(I.and(g(1), c(1))), c(1), c(-1)))),
        m.if(I.eqz(g(0)), m.unreachable()),
        m.return(c(0)),
      ])));
    }
    body.push(
      m.local.set(2, c(1)),
      m.block('done', [m.loop('sq', m.block(null, [
        m.br_if('done', I.eqz(g(1))),
        m.if(I.ne(I.and(g(1), c(1)), c(0)), m.local.set(2, I.mul(g(2), g(0)))),
        m.local.set(0, I.mul(g(0), g(0))),
        m.local.set(1, I.shr_u(g(1), c(1))),
        m.br('sq'),
      ]))]),
      m.return(g(2)),
    );
    m.addFunction(name, binaryen.createType([ty, ty]), ty, [ty], m.block(null, body, ty));
  });
  return m.call(name, [a, e], ty);
}
