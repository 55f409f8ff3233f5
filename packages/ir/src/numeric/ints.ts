// Integer dtypes: ranges, two's-complement wrapping (ONNX integer arithmetic and int->int Cast), clamping
// (saturating conversions such as QuantizeLinear), and the codes of the sub-byte ints. 64-bit dtypes are
// bigint everywhere; all narrower ones are JS numbers, which hold their values exactly.

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';

export type IntDType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int4' | 'uint4' | 'int2' | 'uint2';

export const INT_DTYPES: readonly IntDType[] = [
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'int4', 'uint4', 'int2', 'uint2',
];

export function isIntDType(d: DType): d is IntDType {
  return (INT_DTYPES as readonly DType[]).includes(d);
}

export interface IntRange {
  readonly bits: number;
  readonly signed: boolean;
  readonly min: bigint;
  readonly max: bigint;
}

function intBits(d: IntDType): { bits: number; signed: boolean } {
  switch (d) {
    case 'int2': return { bits: 2, signed: true };
    case 'int4': return { bits: 4, signed: true };
    case 'int8': return { bits: 8, signed: true };
    case 'int16': return { bits: 16, signed: true };
    case 'int32': return { bits: 32, signed: true };
    case 'int64': return { bits: 64, signed: true };
    case 'uint2': return { bits: 2, signed: false };
    case 'uint4': return { bits: 4, signed: false };
    case 'uint8': return { bits: 8, signed: false };
    case 'uint16': return { bits: 16, signed: false };
    case 'uint32': return { bits: 32, signed: false };
    case 'uint64': return { bits: 64, signed: false };
    default: {
      const never: never = d;
      throw new CompileError('INTERNAL', `not an integer dtype: ${String(never)}`);
    }
  }
}

const RANGES = new Map<IntDType, IntRange>(INT_DTYPES.map((d) => {
  const { bits, signed } = intBits(d);
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  return [d, { bits, signed, min, max }];
}));

function asIntDType(d: DType, what: string): IntDType {
  if (!isIntDType(d)) throw new CompileError('TYPE_ERROR', `${what}: ${d} is not an integer dtype`);
  return d;
}

/** Bit width, signedness and inclusive [min, max] of an integer dtype (bigint bounds, exact for 64 bits). */
export function intRange(dtype: DType): IntRange {
  return RANGES.get(asIntDType(dtype, 'intRange'))!;
}

/** An integer-valued input: non-integral numbers are truncated toward zero; NaN/inf are errors. */
function integral(v: number | bigint, what: string): number | bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isFinite(v)) throw new CompileError('RUNTIME_ERROR', `${what}: ${v} is not an integer`);
  return Math.trunc(v);
}

/**
 * v reduced modulo 2^bits into the dtype's range (two's complement for signed dtypes): 200 -> int8 gives -56.
 * Returns bigint for int64/uint64, a number otherwise. Numbers beyond 2^53 are taken as the double they are;
 * pass a bigint when the exact value matters.
 */
export function wrapInt(v: number | bigint, dtype: DType): number | bigint {
  const d = asIntDType(dtype, 'wrapInt');
  const { bits, signed } = RANGES.get(d)!;
  const x = integral(v, 'wrapInt');
  if (bits === 64) {
    const b = typeof x === 'bigint' ? x : BigInt(x);
    return signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
  }
  if (typeof x === 'bigint') {
    return Number(signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x));
  }
  const m = 2 ** bits;
  let r = x % m; // exact for any double
  if (r < 0) r += m;
  if (signed && r >= m / 2) r -= m;
  return r === 0 ? 0 : r; // no -0
}

/**
 * v clamped to the dtype's range. Non-integral numbers are truncated toward zero first (callers that need
 * another rounding, e.g. QuantizeLinear's half-to-even, round before). NaN gives 0; +-inf clamp.
 */
export function saturateInt(v: number | bigint, dtype: DType): number | bigint {
  const d = asIntDType(dtype, 'saturateInt');
  const { bits, min, max } = RANGES.get(d)!;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return bits === 64 ? 0n : 0;
    const t = Math.trunc(v);
    if (bits === 64) {
      if (t <= Number(min)) return min;
      if (t >= Number(max)) return max;
      return BigInt(t);
    }
    const r = Math.min(Math.max(t, Number(min)), Number(max));
    return r === 0 ? 0 : r;
  }
  const c = v < min ? min : v > max ? max : v;
  return bits === 64 ? c : Number(c);
}

/** The unsigned code (0 .. 2^bits-1) that stores an in-range value of a sub-byte or 8-bit integer dtype. */
export function intToCode(v: number, dtype: DType): number {
  const { bits } = intRange(dtype);
  return ((v % 2 ** bits) + 2 ** bits) % 2 ** bits;
}

/** The value stored by an unsigned code of an integer dtype (sign-extends for the signed ones). */
export function codeToInt(code: number, dtype: DType): number {
  const { bits, signed } = intRange(dtype);
  const c = code % 2 ** bits;
  return signed && c >= 2 ** (bits - 1) ? c - 2 ** bits : c;
}
