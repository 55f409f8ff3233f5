// Typing of scalar expressions: every sub-expression has exactly one dtype. Binary operands must agree
// (casts are explicit), comparisons and predicates yield bool, logical ops take bool, bit ops take integers.

import { type DType, isFloat, isInteger } from '../dtype.js';
import { COMPARISON_OPS, PREDICATE_OPS, type ScalarExpr } from '../scalar.js';

export class ScalarTypeError extends Error {}

const LOGICAL = new Set(['and', 'or', 'xor']);
const BITWISE = new Set(['bitand', 'bitor', 'bitxor', 'shl', 'shr']);
const FLOAT_UNARY = new Set(['recip', 'sqrt', 'exp', 'log', 'erf', 'sigmoid', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'floor', 'ceil', 'round', 'isnan', 'isinf', 'isposinf', 'isneginf']);

/** The dtype of `e` given the dtypes of its args (and of `acc` inside an epilogue); throws ScalarTypeError. */
export function scalarDType(e: ScalarExpr, args: readonly DType[], accDtype?: DType): DType {
  switch (e.k) {
    case 'arg': {
      const d = args[e.i];
      if (d === undefined) throw new ScalarTypeError(`a${e.i} refers to a missing input (there are ${args.length})`);
      return d;
    }
    case 'acc':
      if (accDtype === undefined) throw new ScalarTypeError('acc is only allowed in a contract epilogue');
      return accDtype;
    case 'lit':
      if ((typeof e.v === 'bigint') !== (e.dtype === 'int64' || e.dtype === 'uint64')) {
        throw new ScalarTypeError(`literal ${String(e.v)} of ${e.dtype} must be a ${typeof e.v === 'bigint' ? 'number' : 'bigint'}`);
      }
      if (e.dtype === 'string') throw new ScalarTypeError('string literals are not scalar values');
      // An integer or bool literal must be a value of its dtype (0.5 as int32 cannot be evaluated).
      if (typeof e.v === 'number' && (isInteger(e.dtype) || e.dtype === 'bool') && !Number.isInteger(e.v)) {
        throw new ScalarTypeError(`literal ${e.v} is not a value of ${e.dtype}`);
      }
      return e.dtype;
    case 'un': {
      const a = scalarDType(e.a, args, accDtype);
      if (e.op === 'not') {
        if (a !== 'bool') throw new ScalarTypeError(`not needs bool, got ${a}`);
        return 'bool';
      }
      if (e.op === 'bitnot') {
        if (!isInteger(a)) throw new ScalarTypeError(`bitnot needs an integer, got ${a}`);
        return a;
      }
      if (FLOAT_UNARY.has(e.op) && !isFloat(a)) throw new ScalarTypeError(`${e.op} needs a float, got ${a}`);
      if (!isFloat(a) && !isInteger(a)) throw new ScalarTypeError(`${e.op} needs a number, got ${a}`);
      return PREDICATE_OPS.has(e.op) ? 'bool' : a;
    }
    case 'bin': {
      const a = scalarDType(e.a, args, accDtype);
      const b = scalarDType(e.b, args, accDtype);
      if (a !== b) throw new ScalarTypeError(`${e.op} operands differ: ${a} and ${b}`);
      if (LOGICAL.has(e.op)) {
        if (a !== 'bool') throw new ScalarTypeError(`${e.op} needs bool, got ${a}`);
        return 'bool';
      }
      if (BITWISE.has(e.op) && !isInteger(a)) throw new ScalarTypeError(`${e.op} needs integers, got ${a}`);
      if (COMPARISON_OPS.has(e.op)) {
        // Strings compare for equality only (ONNX Equal on strings).
        if (a === 'string' && e.op !== 'eq' && e.op !== 'ne') throw new ScalarTypeError(`${e.op} on strings`);
        return 'bool';
      }
      if (!isFloat(a) && !isInteger(a)) throw new ScalarTypeError(`${e.op} needs numbers, got ${a}`);
      return a;
    }
    case 'select': {
      const c = scalarDType(e.c, args, accDtype);
      if (c !== 'bool') throw new ScalarTypeError(`select condition must be bool, got ${c}`);
      const a = scalarDType(e.a, args, accDtype);
      const b = scalarDType(e.b, args, accDtype);
      if (a !== b) throw new ScalarTypeError(`select branches differ: ${a} and ${b}`);
      return a;
    }
    case 'cast': {
      const a = scalarDType(e.a, args, accDtype);
      if (a === 'string' || e.to === 'string') throw new ScalarTypeError('casts to or from string are not scalar expressions');
      return e.to;
    }
  }
}

/** Highest arg index used, plus one (how many inputs the expression reads at least). */
export function scalarArity(e: ScalarExpr): number {
  switch (e.k) {
    case 'arg': return e.i + 1;
    case 'acc': case 'lit': return 0;
    case 'un': case 'cast': return scalarArity(e.a);
    case 'bin': return Math.max(scalarArity(e.a), scalarArity(e.b));
    case 'select': return Math.max(scalarArity(e.c), scalarArity(e.a), scalarArity(e.b));
  }
}
