// The public float API: bit patterns of float16/bfloat16, codes of the float8/float4/e8m0 formats, and
// roundToDType, the value a double takes after a trip through any float dtype. Semantics are ONNX Cast's
// (round to nearest even; saturation only where the caller asks for it, see encodeFloat).

import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import { decodeE8M0, encodeE8M0 } from './e8m0.js';
import {
  BFLOAT16_FORMAT, FLOAT16_FORMAT, FLOAT4E2M1_FORMAT, FLOAT8E4M3FN_FORMAT, FLOAT8E4M3FNUZ_FORMAT, FLOAT8E5M2_FORMAT,
  FLOAT8E5M2FNUZ_FORMAT, decodeMini, encodeMini, type MiniFloatFormat,
} from './minifloat.js';

/** Float dtypes stored as a code (a bit pattern) rather than a JS float array. */
export type CodedFloatDType =
  | 'float16' | 'bfloat16' | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0' | 'float4e2m1';

export type FloatDType = CodedFloatDType | 'float32' | 'float64';

export const CODED_FLOAT_DTYPES: readonly CodedFloatDType[] = [
  'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
];

export function isCodedFloatDType(d: DType): d is CodedFloatDType {
  return (CODED_FLOAT_DTYPES as readonly DType[]).includes(d);
}

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64' || isCodedFloatDType(d);
}

/** The sign-magnitude format of a coded float dtype (all but float8e8m0, which has no sign and no mantissa). */
function miniFormat(d: Exclude<CodedFloatDType, 'float8e8m0'>): MiniFloatFormat {
  switch (d) {
    case 'float16': return FLOAT16_FORMAT;
    case 'bfloat16': return BFLOAT16_FORMAT;
    case 'float8e4m3fn': return FLOAT8E4M3FN_FORMAT;
    case 'float8e4m3fnuz': return FLOAT8E4M3FNUZ_FORMAT;
    case 'float8e5m2': return FLOAT8E5M2_FORMAT;
    case 'float8e5m2fnuz': return FLOAT8E5M2FNUZ_FORMAT;
    case 'float4e2m1': return FLOAT4E2M1_FORMAT;
    default: {
      const never: never = d;
      throw new CompileError('INTERNAL', `no float format for ${String(never)}`);
    }
  }
}

/** float16 bit pattern of x, round to nearest even; overflow to +-inf; NaN as 0x7E00. */
export const float16ToBits = (x: number): number => encodeMini(x, FLOAT16_FORMAT, false);
export const bitsToFloat16 = (b: number): number => decodeMini(b & 0xffff, FLOAT16_FORMAT);
/** bfloat16 bit pattern of x, round to nearest even from the exact double; overflow to +-inf; NaN as 0x7FC0. */
export const bfloat16ToBits = (x: number): number => encodeMini(x, BFLOAT16_FORMAT, false);
export const bitsToBfloat16 = (b: number): number => decodeMini(b & 0xffff, BFLOAT16_FORMAT);

/**
 * The code of x in a coded float dtype, rounding to nearest even (float8e8m0: ONNX's default round_mode 'up').
 * `saturate` follows ONNX Cast and only matters for the float8 formats:
 * - true: +-inf and finite values beyond the range give +-max finite (all four float8s; e8m0 gives its max);
 * - false: they give inf for float8e5m2, NaN for the others (sign kept for e4m3fn, whose NaN has a sign).
 * float16/bfloat16 ignore it (IEEE overflow to inf); float4e2m1 has no inf/NaN and always clamps to +-6,
 * mapping NaN to code 0x8 as ONNX's reference does.
 */
export function encodeFloat(x: number, dtype: CodedFloatDType, saturate: boolean): number {
  if (dtype === 'float8e8m0') return encodeE8M0(x, saturate, 'up');
  const sat = saturate && dtype !== 'float16' && dtype !== 'bfloat16';
  return encodeMini(x, miniFormat(dtype), sat);
}

/** The exact value of a code of a coded float dtype (NaN codes give NaN, -0 gives -0). */
export function decodeFloat(code: number, dtype: CodedFloatDType): number {
  if (dtype === 'float8e8m0') return decodeE8M0(code & 0xff);
  const f = miniFormat(dtype);
  return decodeMini(code & (f.signBit * 2 - 1), f);
}

/** Whether a code of a coded float dtype is a NaN. */
export function isNaNCode(code: number, dtype: CodedFloatDType): boolean {
  return dtype === 'float8e8m0' ? (code & 0xff) === 0xff : miniFormat(dtype).isNaNCode(code);
}

/**
 * x after conversion to a float dtype and back, as plain arithmetic results are (non-saturating: overflow
 * gives inf where the format has it, NaN where it has none; float4e2m1 clamps). float32 is Math.fround,
 * float64 the identity.
 */
export function roundToDType(x: number, dtype: FloatDType): number {
  switch (dtype) {
    case 'float64': return x;
    case 'float32': return Math.fround(x);
    default: return decodeFloat(encodeFloat(x, dtype, false), dtype);
  }
}

/** Largest finite value of a float dtype. */
export function maxFinite(dtype: FloatDType): number {
  switch (dtype) {
    case 'float64': return Number.MAX_VALUE;
    case 'float32': return 3.4028234663852886e38;
    case 'float8e8m0': return 2 ** 127;
    default: return decodeMini(miniFormat(dtype).maxCode, miniFormat(dtype));
  }
}
