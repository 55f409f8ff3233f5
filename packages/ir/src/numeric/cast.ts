// ONNX Cast on one scalar, between any two dtypes. Values are carried as the IR's host tensors carry them:
// the exact value as a number (floats, ints up to 32 bits, bool as 0/1), bigint for int64/uint64, string.
// Every float result is one correct rounding of the exact input (bigints pass through a round-to-odd double).

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import { decodeE8M0, encodeE8M0, type E8M0RoundMode } from './e8m0.js';
import { decodeFloat, encodeFloat, isFloatDType } from './floats.js';
import { isIntDType, wrapInt, type IntDType } from './ints.js';
import { formatScalar, parseNumber } from './strings.js';

export type ScalarValue = number | bigint | string;

const TWO_31 = 2 ** 31;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * A bigint as a double rounded to odd (truncate to 53 bits, set the last bit if anything was dropped).
 * Rounding that double again to any format of at most 51 significant bits gives the correctly rounded
 * result of the bigint, so int64 -> float32/bfloat16/float8 has no double-rounding error.
 */
export function bigintToNumberRoundOdd(b: bigint): number {
  const neg = b < 0n;
  const a = neg ? -b : b;
  if (a < 1n << 53n) return Number(b);
  const shift = a.toString(2).length - 53;
  let top = a >> BigInt(shift);
  if (top << BigInt(shift) !== a) top |= 1n;
  const r = Number(top) * 2 ** shift;
  return neg ? -r : r;
}

/**
 * Float -> integer Cast: truncate toward zero, then wrap to the dtype. ONNX leaves NaN, +-inf and values out of
 * the target range undefined; we reproduce what numpy (the ONNX reference) gives on x86-64, where C casts go
 * through cvttss2si/cvttsd2si and an invalid conversion yields the "integer indefinite" value:
 * - int8/int16/int32, uint8/uint16, int4/uint4/int2/uint2: via a 32-bit conversion; NaN, inf and
 *   |t| >= 2^31 give -2^31, then wrap (so 0 for the narrow types, -2^31 for int32); 300.7 -> int8 gives 44.
 * - uint32, int64: via a 64-bit conversion; NaN, inf and |t| >= 2^63 give -2^63, then wrap (0 for uint32).
 * - uint64: values in [0, 2^64) exact, negatives in [-2^63, 0) wrap, everything else 2^63.
 */
export function floatToInt(x: number, to: IntDType): number | bigint {
  const t = Math.trunc(x);
  switch (to) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16':
    case 'int4': case 'uint4': case 'int2': case 'uint2': {
      const valid = Number.isFinite(t) && t >= -TWO_31 && t < TWO_31;
      return wrapInt(valid ? t : -TWO_31, to);
    }
    case 'uint32': case 'int64': {
      const valid = Number.isFinite(t) && t >= -TWO_63 && t < TWO_63;
      return wrapInt(valid ? BigInt(t) : -(1n << 63n), to);
    }
    case 'uint64': {
      if (Number.isFinite(t) && t >= -TWO_63 && t < TWO_64) return wrapInt(BigInt(t), to);
      return 1n << 63n;
    }
    default: {
      const never: never = to;
      throw new CompileError('INTERNAL', `floatToInt: ${String(never)}`);
    }
  }
}

function isNonZero(v: number | bigint): boolean {
  return typeof v === 'bigint' ? v !== 0n : v !== 0; // NaN is nonzero, as in numpy
}

/**
 * ONNX Cast of one value of dtype `from` to dtype `to`. Result: string for `to` = string, bigint for
 * int64/uint64, a number otherwise (bool as 0/1).
 * - float -> float: round to nearest even; `saturate` as ONNX Cast for float8 targets (see encodeFloat);
 *   float8e8m0 targets round by `roundMode` (Cast's round_mode, default 'up', see encodeE8M0).
 * - float -> int: truncate toward zero, then see floatToInt for NaN/inf/out-of-range.
 * - int -> int: two's-complement wrap; int/bool -> float: round to nearest even.
 * - anything -> bool: v != 0 (NaN is true).
 * - -> string: shortest round-trip decimal in the source dtype, numpy style; bool as "True"/"False".
 * - string ->: parsed by parseNumber (integer literals exactly), then cast from int64 or float64.
 */
export function castScalar(
  v: ScalarValue | boolean, from: DType, to: DType, saturate: boolean, roundMode: E8M0RoundMode = 'up',
): ScalarValue {
  if (to === 'string') return typeof v === 'string' ? v : formatScalar(v, from);
  if (typeof v === 'string') {
    const p = parseNumber(v);
    return castScalar(p.v, p.kind === 'int' ? 'int64' : 'float64', to, saturate, roundMode);
  }
  const x: number | bigint = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (to === 'bool') return isNonZero(x) ? 1 : 0;
  if (isFloatDType(to)) {
    const n = typeof x === 'number' ? x : to === 'float64' ? Number(x) : bigintToNumberRoundOdd(x);
    switch (to) {
      case 'float64': return n;
      case 'float32': return Math.fround(n);
      case 'float8e8m0': return decodeE8M0(encodeE8M0(n, saturate, roundMode));
      default: return decodeFloat(encodeFloat(n, to, saturate), to);
    }
  }
  if (isIntDType(to)) {
    if (typeof x === 'number' && (isFloatDType(from) || !Number.isInteger(x))) return floatToInt(x, to);
    return wrapInt(x, to);
  }
  throw new CompileError('TYPE_ERROR', `Cast: unsupported target dtype ${to}`);
}
