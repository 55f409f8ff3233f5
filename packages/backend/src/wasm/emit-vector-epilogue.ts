// A GEMM epilogue evaluated on f32x4 vectors (four adjacent output columns at once) straight on the
// accumulators, before they are stored. float32 expressions qualify when built from ops whose SIMD form
// rounds exactly like the scalar one (add, sub, mul, div, min, max, neg, abs, sqrt, floor, ceil, round,
// recip, comparisons and select) or from exp, erf and sigmoid, which use the f32x4 functions of
// wasm-vector-math.ts (float32 accuracy; that is what makes GELU and SiLU epilogues vector code). Anything
// else (tanh, casts other than a quantize-dequantize round trip, ...) keeps the scalar epilogue.

import binaryen from 'binaryen';
import type { BinaryOp, ScalarExpr, UnaryOp } from '@tensorc/ir';
import { clampsInto, isNarrowCode } from './narrow-codes.js';
import { VECTOR_MATH } from './wasm-vector-math.js';

type E = binaryen.ExpressionRef;

const UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sqrt', 'floor', 'ceil', 'round', 'recip', 'exp', 'erf', 'sigmoid']);
/** Ops whose vector form is a float32 approximation, left to the scalar code under `exactMath`. */
const APPROXIMATE: ReadonlySet<UnaryOp> = new Set(['exp', 'erf', 'sigmoid']);
const BINARY: ReadonlySet<BinaryOp> = new Set(['add', 'sub', 'mul', 'div', 'min', 'max', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const COMPARE: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** How each epilogue operand varies along the output's columns: 0 = constant (splat), 1 = contiguous. */
export type ColumnStride = 0 | 1;

/**
 * Whether `e` can run on vectors given each operand's column stride (index = operand number - 2).
 * Comparisons are allowed only as the condition of a select (a mask is not a float value).
 * `exactMath` keeps to the ops whose vector results are bit-identical to the scalar code.
 */
export function vectorizableEpilogue(e: ScalarExpr, colStrides: readonly number[], exactMath: boolean): boolean {
  return vectorizableScalar(e, (i) => i >= 2 && (colStrides[i - 2] === 0 || colStrides[i - 2] === 1), exactMath);
}

/**
 * The same test for any float32 scalar expression whose argument i can be read as a vector when argOk(i), and
 * as float32 of an integer argument, cast<f32>(arg i), when castArgOk(i) (VectorEpilogueEnv.castArg).
 */
export function vectorizableScalar(e: ScalarExpr, argOk: (i: number) => boolean, exactMath: boolean, asMask = false, castArgOk: (i: number) => boolean = () => false): boolean {
  const sub = (x: ScalarExpr, mask = false) => vectorizableScalar(x, argOk, exactMath, mask, castArgOk);
  switch (e.k) {
    case 'acc': return !asMask;
    case 'arg': return !asMask && argOk(e.i);
    case 'lit': return !asMask && e.dtype === 'float32';
    case 'un': return !asMask && UNARY.has(e.op) && !(exactMath && APPROXIMATE.has(e.op)) && sub(e.a);
    case 'bin':
      if (COMPARE.has(e.op) !== asMask || !BINARY.has(e.op)) return false;
      return sub(e.a) && sub(e.b);
    case 'select': return !asMask && sub(e.c, true) && sub(e.a) && sub(e.b);
    // a quantize-dequantize round trip: float32 of integer codes the value was clamped into
    case 'cast':
      if (!asMask && e.to === 'float32' && e.a.k === 'arg' && castArgOk(e.a.i)) return true;
      return !asMask && e.to === 'float32' && e.a.k === 'cast' && isNarrowCode(e.a.to) && clampsInto(e.a.a, e.a.to) && sub(e.a.a);
  }
}

export interface VectorEpilogueEnv {
  /** The accumulator vector (a fresh expression per call). */
  acc(): E;
  /** Four column-adjacent values of operand i (i >= 2): a load or a splat. */
  arg(i: number): E;
  /** float32 of integer operand i as four lanes (where vectorizableScalar's castArgOk allowed it). */
  castArg?(i: number): E;
}

/** The f32x4 value of `e`; call only when vectorizableEpilogue(e) holds. */
export function emitVectorEpilogue(m: binaryen.Module, e: ScalarExpr, env: VectorEpilogueEnv): E {
  const v = (x: ScalarExpr) => emitVectorEpilogue(m, x, env);
  switch (e.k) {
    case 'acc': return env.acc();
    case 'arg': return env.arg(e.i);
    case 'lit': return m.f32x4.splat(m.f32.const(e.v as number));
    case 'un':
      switch (e.op) {
        case 'neg': return m.f32x4.neg(v(e.a));
        case 'abs': return m.f32x4.abs(v(e.a));
        case 'sqrt': return m.f32x4.sqrt(v(e.a));
        case 'floor': return m.f32x4.floor(v(e.a));
        case 'ceil': return m.f32x4.ceil(v(e.a));
        case 'round': return m.f32x4.nearest(v(e.a));
        case 'recip': return m.f32x4.div(m.f32x4.splat(m.f32.const(1)), v(e.a));
        case 'exp': case 'erf': case 'sigmoid': return m.call(VECTOR_MATH[e.op], [v(e.a)], binaryen.v128);
        default: throw new Error(`vector epilogue: ${e.op}`);
      }
    case 'bin': {
      if (e.op === 'min' || e.op === 'max') return minMax(m, e.op, e.a, e.b, v);
      const a = v(e.a);
      const b = v(e.b);
      switch (e.op) {
        case 'add': return m.f32x4.add(a, b);
        case 'sub': return m.f32x4.sub(a, b);
        case 'mul': return m.f32x4.mul(a, b);
        case 'div': return m.f32x4.div(a, b);
        case 'eq': return m.f32x4.eq(a, b);
        case 'ne': return m.f32x4.ne(a, b);
        case 'lt': return m.f32x4.lt(a, b);
        case 'le': return m.f32x4.le(a, b);
        case 'gt': return m.f32x4.gt(a, b);
        case 'ge': return m.f32x4.ge(a, b);
        default: throw new Error(`vector epilogue: ${e.op}`);
      }
    }
    // lanes where the mask is set take a, the others b
    case 'select': return m.v128.bitselect(v(e.a), v(e.b), v(e.c));
    // the round trip through codes (vectorizableScalar's only cast): truncate (NaN to 0, as the cast) and back
    case 'cast':
      if (e.a.k === 'arg') return env.castArg!(e.a.i);
      return m.f32x4.convert_i32x4_s(m.i32x4.trunc_sat_f32x4_s(v((e.a as Extract<ScalarExpr, { k: 'cast' }>).a)));
  }
}

/**
 * min or max of two float32 vectors, exactly as the scalar code (NaN wins, -0 < +0). Against a constant
 * (a ReLU, a clamp) it uses pmin/pmax, one instruction each on x86 where min/max take about eight:
 * pmax(x, c) = x < c ? c : x passes a NaN x through, and equals max(x, c) but for x = -0, c = +0, which the
 * added +0 turns into +0 (-0 + 0 = +0; every other value is unchanged). pmin(x, c) equals min(x, c) but for
 * x = +0, c = -0, so a -0 bound keeps min.
 */
function minMax(m: binaryen.Module, op: 'min' | 'max', a: ScalarExpr, b: ScalarExpr, v: (x: ScalarExpr) => E): E {
  const constant = (x: ScalarExpr): number | undefined => (x.k === 'lit' && typeof x.v === 'number' && !Number.isNaN(x.v) ? x.v : undefined);
  const [x, c] = constant(b) !== undefined ? [a, constant(b)!] : constant(a) !== undefined ? [b, constant(a)!] : [a, undefined];
  if (c === undefined) return op === 'min' ? m.f32x4.min(v(a), v(b)) : m.f32x4.max(v(a), v(b));
  const splat = m.f32x4.splat(m.f32.const(c));
  if (op === 'min') return Object.is(c, -0) ? m.f32x4.min(v(x), splat) : m.f32x4.pmin(v(x), splat);
  const p = m.f32x4.pmax(v(x), splat);
  return Object.is(c, 0) ? m.f32x4.add(p, m.f32x4.splat(m.f32.const(0))) : p;
}
