// Symbolic derivatives of scalar expressions (the bodies of `map` nodes), for the Gradient operator:
// d e / d arg(j) as another scalar expression over the same args, or null where it is zero. Steps (floor,
// sign, comparisons) have derivative 0 almost everywhere, as in every autodiff system; an op with no rule
// here is reported by name rather than differentiated wrongly.

import { type DType, type ScalarExpr, bin, cast, isFloat, lit, scalarDType, select, un } from '@tensorc/ir';

export class NoDerivative extends Error {}

/** Zero-derivative unary ops (piecewise constant) and ops whose result is not a float. */
const FLAT_UNARY = new Set(['floor', 'ceil', 'round', 'sign', 'not', 'bitnot', 'isnan', 'isinf', 'isposinf', 'isneginf']);

export function derivative(e: ScalarExpr, j: number, args: readonly DType[]): ScalarExpr | null {
  const dt = scalarDType(e, args);
  if (!isFloat(dt)) return null;
  const c = (v: number) => lit(v, dt);
  const d = (x: ScalarExpr) => derivative(x, j, args);
  const mul = (a: ScalarExpr | null, b: ScalarExpr | null): ScalarExpr | null => (a === null || b === null ? null : bin('mul', a, b));
  const add = (a: ScalarExpr | null, b: ScalarExpr | null): ScalarExpr | null => (a === null ? b : b === null ? a : bin('add', a, b));
  const neg = (a: ScalarExpr | null): ScalarExpr | null => (a === null ? null : un('neg', a));
  switch (e.k) {
    case 'arg': return e.i === j ? c(1) : null;
    case 'lit': return null;
    case 'acc': throw new NoDerivative('acc');
    case 'cast': {
      // Float -> float carries the derivative over; from an integer or bool there is none.
      const inner = scalarDType(e.a, args);
      const da = isFloat(inner) ? d(e.a) : null;
      return da === null ? null : cast(dt, da);
    }
    case 'select': {
      const da = d(e.a);
      const db = d(e.b);
      if (da === null && db === null) return null;
      return select(e.c, da ?? c(0), db ?? c(0));
    }
    case 'un': {
      if (FLAT_UNARY.has(e.op)) return null;
      const a = e.a;
      const da = d(a);
      if (da === null) return null;
      switch (e.op) {
        case 'neg': return neg(da);
        case 'abs': return mul(un('sign', a), da);
        case 'recip': return neg(mul(da, un('recip', bin('mul', a, a))));
        case 'sqrt': return mul(da, un('recip', bin('mul', c(2), un('sqrt', a))));
        case 'exp': return mul(un('exp', a), da);
        case 'log': return mul(da, un('recip', a));
        case 'sigmoid': return mul(bin('mul', un('sigmoid', a), bin('sub', c(1), un('sigmoid', a))), da);
        case 'tanh': return mul(bin('sub', c(1), bin('mul', un('tanh', a), un('tanh', a))), da);
        case 'sin': return mul(un('cos', a), da);
        case 'cos': return neg(mul(un('sin', a), da));
        case 'erf': return mul(bin('mul', c(2 / Math.sqrt(Math.PI)), un('exp', un('neg', bin('mul', a, a)))), da);
        case 'sinh': return mul(un('cosh', a), da);
        case 'cosh': return mul(un('sinh', a), da);
        default: throw new NoDerivative(e.op);
      }
    }
    case 'bin': {
      const { a, b } = e;
      const da = d(a);
      const db = d(b);
      if (da === null && db === null) return null;
      switch (e.op) {
        case 'add': return add(da, db);
        case 'sub': return add(da, neg(db));
        case 'mul': return add(mul(da, b), mul(a, db));
        // (da·b - a·db) / b²
        case 'div': return mul(add(mul(da, b), neg(mul(a, db))), un('recip', bin('mul', b, b)));
        // b·a^(b-1)·da + a^b·ln(a)·db
        case 'pow': return add(mul(mul(b, bin('pow', a, bin('sub', b, c(1)))), da), mul(mul(bin('pow', a, b), un('log', a)), db));
        // The derivative of the chosen operand (ties take the first, as max/min return it).
        case 'max': return select(bin('ge', a, b), da ?? c(0), db ?? c(0));
        case 'min': return select(bin('le', a, b), da ?? c(0), db ?? c(0));
        default: throw new NoDerivative(e.op);
      }
    }
  }
}
