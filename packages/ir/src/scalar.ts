// The scalar expression language: the body of `map`, the combiner and epilogue of `contract`.
// Every sub-expression has one dtype; operands of a binary op share a dtype (explicit casts elsewhere);
// each op's result is rounded (floats, round-to-nearest-even) or wrapped (integers) to its dtype.

import type { DType } from './dtype.js';

export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'recip', 'sqrt', 'exp', 'log', 'erf', 'sigmoid',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
  'floor', 'ceil', 'round', // round: half to even
  'not', 'bitnot', // not: bool; bitnot: integers
  'isnan', 'isinf', 'isposinf', 'isneginf', // -> bool
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', // integer div truncates toward zero
  'mod', // integer or float remainder with the sign of the divisor (Python/ONNX Mod fmod=0)
  'fmod', // remainder with the sign of the dividend (C fmod, ONNX Mod fmod=1)
  'pow', 'max', 'min', // max/min propagate NaN
  'and', 'or', 'xor', // bool
  'bitand', 'bitor', 'bitxor', 'shl', 'shr', // integers; shr is logical for unsigned, arithmetic for signed
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', // -> bool
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
export const PREDICATE_OPS: ReadonlySet<UnaryOp> = new Set(['isnan', 'isinf', 'isposinf', 'isneginf']);

export type ScalarExpr =
  /** Element of input `i` of the enclosing op (for `map`: the i-th input after broadcasting). */
  | { readonly k: 'arg'; readonly i: number }
  /** The reduced accumulator; only inside a contract's epilogue. */
  | { readonly k: 'acc' }
  /** A literal. 64-bit integer dtypes carry a bigint. */
  | { readonly k: 'lit'; readonly v: number | bigint; readonly dtype: DType }
  | { readonly k: 'un'; readonly op: UnaryOp; readonly a: ScalarExpr }
  | { readonly k: 'bin'; readonly op: BinaryOp; readonly a: ScalarExpr; readonly b: ScalarExpr }
  /** c ? a : b, with c of dtype bool. */
  | { readonly k: 'select'; readonly c: ScalarExpr; readonly a: ScalarExpr; readonly b: ScalarExpr }
  /** Conversion; `saturate` clamps to the finite range for float8/float4 targets (ONNX Cast saturate=1). */
  | { readonly k: 'cast'; readonly to: DType; readonly a: ScalarExpr; readonly saturate: boolean };

// Small constructors keep hand-written expressions readable.
export const arg = (i: number): ScalarExpr => ({ k: 'arg', i });
export const acc: ScalarExpr = { k: 'acc' };
export const lit = (v: number | bigint, dtype: DType): ScalarExpr => ({ k: 'lit', v, dtype });
export const un = (op: UnaryOp, a: ScalarExpr): ScalarExpr => ({ k: 'un', op, a });
export const bin = (op: BinaryOp, a: ScalarExpr, b: ScalarExpr): ScalarExpr => ({ k: 'bin', op, a, b });
export const select = (c: ScalarExpr, a: ScalarExpr, b: ScalarExpr): ScalarExpr => ({ k: 'select', c, a, b });
export const cast = (to: DType, a: ScalarExpr, saturate = false): ScalarExpr => ({ k: 'cast', to, a, saturate });
