// Number <-> string for ONNX Cast. ONNX's reference is numpy's astype(str) / astype(number): floats print as
// the shortest decimal that round-trips in their own dtype, Python-style ("0.47892547", "1000000.0", "1e-07",
// "nan", "-inf"); strings parse plain and scientific notation plus case-insensitive "inf", "infinity", "nan".

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import { isFloatDType, roundToDType, type FloatDType } from './floats.js';

/** Shortest significand digits and decimal exponent of the leading digit, for a finite nonzero |x|. */
function shortestDigits(a: number, dtype: FloatDType): { digits: string; exp10: number } {
  let s: string;
  if (dtype === 'float64') {
    s = a.toExponential(); // no argument: as many digits as needed to single out the double
  } else {
    // e8m0 rounds upward, so its round trip is checked as float32 (its values are all float32 powers of two).
    const home: FloatDType = dtype === 'float8e8m0' ? 'float32' : dtype;
    s = a.toExponential(16);
    for (let p = 0; p <= 16; p++) {
      const t = a.toExponential(p);
      if (roundToDType(Number(t), home) === a) {
        s = t;
        break;
      }
    }
  }
  const [mant, exp] = s.split('e') as [string, string];
  return { digits: mant.replace('.', '').replace(/0+$/, '') || '0', exp10: Number(exp) };
}

/** Python repr layout of a digit string: positional for 1e-4 <= |x| < 1e16, scientific otherwise. */
function layout(digits: string, exp10: number): string {
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 < 0) return `0.${'0'.repeat(-exp10 - 1)}${digits}`;
    const intPart = digits.slice(0, exp10 + 1).padEnd(exp10 + 1, '0');
    const frac = digits.slice(exp10 + 1);
    return `${intPart}.${frac === '' ? '0' : frac}`;
  }
  const mant = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const e = Math.abs(exp10).toString().padStart(2, '0');
  return `${mant}e${exp10 < 0 ? '-' : '+'}${e}`;
}

/** A float value of `dtype` as ONNX Cast (numpy str) prints it. */
export function formatFloat(x: number, dtype: FloatDType): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const { digits, exp10 } = shortestDigits(Math.abs(x), dtype);
  return sign + layout(digits, exp10);
}

/** Any non-string scalar of `dtype` as ONNX Cast prints it (bool as numpy does: "True"/"False"). */
export function formatScalar(v: number | bigint | boolean, dtype: DType): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (dtype === 'bool') return v !== 0 ? 'True' : 'False';
  if (dtype === 'string') throw new CompileError('INTERNAL', 'formatScalar: value is already a string');
  if (isFloatDType(dtype)) return formatFloat(v, dtype);
  return String(v);
}

export type ParsedNumber = { readonly kind: 'int'; readonly v: bigint } | { readonly kind: 'float'; readonly v: number };

const INT_LITERAL = /^[+-]?\d+$/;
const FLOAT_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INF_LITERAL = /^([+-]?)inf(inity)?$/i;
const NAN_LITERAL = /^[+-]?nan$/i;

/**
 * Parse a string for Cast from STRING: integer literals exactly (as bigint), decimal/scientific literals as the
 * nearest double, "inf"/"+INF"/"-Infinity"/"NaN" in any case; surrounding whitespace is ignored. Anything else
 * (undefined behaviour in ONNX, an error in its reference) throws RUNTIME_ERROR.
 */
export function parseNumber(s: string): ParsedNumber {
  const t = s.trim();
  if (INT_LITERAL.test(t)) return { kind: 'int', v: BigInt(t.startsWith('+') ? t.slice(1) : t) };
  if (FLOAT_LITERAL.test(t)) return { kind: 'float', v: Number(t) };
  const inf = INF_LITERAL.exec(t);
  if (inf) return { kind: 'float', v: inf[1] === '-' ? -Infinity : Infinity };
  if (NAN_LITERAL.test(t)) return { kind: 'float', v: NaN };
  throw new CompileError('RUNTIME_ERROR', `Cast: cannot parse ${JSON.stringify(s)} as a number`);
}
