// Helpers for passes that compose scalar expressions (elementwise fusion, reduction fusion, folding):
// substituting args, counting uses, measuring size and cost. Pure functions over the ScalarExpr union.

import type { ScalarExpr, UnaryOp, BinaryOp } from '../scalar.js';

/** `e` with every arg(i) replaced by `f(i)` (and acc by `onAcc`, when given). */
export function substArgs(e: ScalarExpr, f: (i: number) => ScalarExpr, onAcc?: () => ScalarExpr): ScalarExpr {
  switch (e.k) {
    case 'arg': return f(e.i);
    case 'acc': return onAcc ? onAcc() : e;
    case 'lit': return e;
    case 'un': return { ...e, a: substArgs(e.a, f, onAcc) };
    case 'cast': return { ...e, a: substArgs(e.a, f, onAcc) };
    case 'bin': return { ...e, a: substArgs(e.a, f, onAcc), b: substArgs(e.b, f, onAcc) };
    case 'select': return { ...e, c: substArgs(e.c, f, onAcc), a: substArgs(e.a, f, onAcc), b: substArgs(e.b, f, onAcc) };
  }
}

/** How many times arg(i) occurs in `e`. */
export function argRefs(e: ScalarExpr, i: number): number {
  switch (e.k) {
    case 'arg': return e.i === i ? 1 : 0;
    case 'acc': case 'lit': return 0;
    case 'un': case 'cast': return argRefs(e.a, i);
    case 'bin': return argRefs(e.a, i) + argRefs(e.b, i);
    case 'select': return argRefs(e.c, i) + argRefs(e.a, i) + argRefs(e.b, i);
  }
}

/** How many times acc occurs in `e`. */
export function accRefs(e: ScalarExpr): number {
  switch (e.k) {
    case 'acc': return 1;
    case 'arg': case 'lit': return 0;
    case 'un': case 'cast': return accRefs(e.a);
    case 'bin': return accRefs(e.a) + accRefs(e.b);
    case 'select': return accRefs(e.c) + accRefs(e.a) + accRefs(e.b);
  }
}

/** Indices of the args `e` reads, sorted. */
export function argsRead(e: ScalarExpr): number[] {
  const s = new Set<number>();
  const walk = (x: ScalarExpr): void => {
    switch (x.k) {
      case 'arg': s.add(x.i); break;
      case 'acc': case 'lit': break;
      case 'un': case 'cast': walk(x.a); break;
      case 'bin': walk(x.a); walk(x.b); break;
      case 'select': walk(x.c); walk(x.a); walk(x.b); break;
    }
  };
  walk(e);
  return [...s].sort((a, b) => a - b);
}

/** Number of nodes in the expression tree. */
export function exprSize(e: ScalarExpr): number {
  switch (e.k) {
    case 'arg': case 'acc': case 'lit': return 1;
    case 'un': case 'cast': return 1 + exprSize(e.a);
    case 'bin': return 1 + exprSize(e.a) + exprSize(e.b);
    case 'select': return 1 + exprSize(e.c) + exprSize(e.a) + exprSize(e.b);
  }
}

/** Operations that cost a function call or a long instruction sequence, not one machine instruction. */
const EXPENSIVE_UNARY: ReadonlySet<UnaryOp> = new Set(['exp', 'log', 'erf', 'sigmoid', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'sign']);
const EXPENSIVE_BINARY: ReadonlySet<BinaryOp> = new Set(['pow', 'mod', 'fmod']);

/** Operations (not leaves) in `e`, and whether any is expensive. */
export function exprCost(e: ScalarExpr): { ops: number; expensive: boolean } {
  let ops = 0;
  let expensive = false;
  const walk = (x: ScalarExpr): void => {
    switch (x.k) {
      case 'arg': case 'acc': case 'lit': return;
      case 'un': ops++; if (EXPENSIVE_UNARY.has(x.op)) expensive = true; walk(x.a); return;
      case 'cast': ops++; walk(x.a); return;
      case 'bin': ops++; if (EXPENSIVE_BINARY.has(x.op)) expensive = true; walk(x.a); walk(x.b); return;
      case 'select': ops++; walk(x.c); walk(x.a); walk(x.b); return;
    }
  };
  walk(e);
  return { ops, expensive };
}

/** At most this many cheap operations may be recomputed instead of stored (see fuse-elementwise). */
export const CHEAP_OPS = 2;

/** Cheap to recompute: a couple of single-instruction operations, no transcendental or call. */
export function isCheap(e: ScalarExpr): boolean {
  const c = exprCost(e);
  return !c.expensive && c.ops <= CHEAP_OPS;
}

/** Structural equality. Literals compare by value and dtype (NaN equals NaN, -0 differs from 0). */
export function exprEquals(a: ScalarExpr, b: ScalarExpr): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'arg': return a.i === (b as typeof a).i;
    case 'acc': return true;
    case 'lit': { const y = b as typeof a; return a.dtype === y.dtype && Object.is(a.v, y.v); }
    case 'un': { const y = b as typeof a; return a.op === y.op && exprEquals(a.a, y.a); }
    case 'cast': { const y = b as typeof a; return a.to === y.to && a.saturate === y.saturate && exprEquals(a.a, y.a); }
    case 'bin': { const y = b as typeof a; return a.op === y.op && exprEquals(a.a, y.a) && exprEquals(a.b, y.b); }
    case 'select': { const y = b as typeof a; return exprEquals(a.c, y.c) && exprEquals(a.a, y.a) && exprEquals(a.b, y.b); }
  }
}
