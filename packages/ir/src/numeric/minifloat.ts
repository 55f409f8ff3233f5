// One engine for every small binary float format (float16, bfloat16, the four float8s, float4e2m1): a format is
// described by its mantissa width, bias and special codes, and encode/decode work on exact doubles, so every
// conversion is a single round-to-nearest-even from the exact input value (no double rounding via float32).
// Codes are contiguous in magnitude, which makes the mantissa carry into the exponent fall out of plain addition.

/** A sign-magnitude float format with `manBits` stored mantissa bits and exponent bias `bias`. */
export interface MiniFloatFormat {
  readonly name: string;
  readonly manBits: number;
  readonly bias: number;
  /** The sign bit (0x80 for 8-bit formats, 0x8 for float4, 0x8000 for 16-bit). */
  readonly signBit: number;
  /** Largest finite magnitude code. */
  readonly maxCode: number;
  /** Magnitude code of infinity, or null when the format has none. */
  readonly infCode: number | null;
  /** Code produced for NaN input (the one ONNX's reference produces for a positive NaN). */
  readonly nanCode: number;
  /** Code produced for a negative NaN result of overflow (non-saturating); formats whose NaN is unsigned repeat nanCode. */
  readonly negNanCode: number;
  /** False for float4e2m1, which has neither NaN nor infinity: overflow always clamps. */
  readonly hasNaN: boolean;
  /** Whether a code decodes to NaN. */
  readonly isNaNCode: (code: number) => boolean;
  /** False for the "UZ" formats: no negative zero (its code is NaN), so -0 encodes as +0. */
  readonly signedZero: boolean;
}

export const FLOAT16_FORMAT: MiniFloatFormat = {
  name: 'float16', manBits: 10, bias: 15, signBit: 0x8000, maxCode: 0x7bff, infCode: 0x7c00,
  nanCode: 0x7e00, negNanCode: 0xfe00, hasNaN: true, isNaNCode: (c) => (c & 0x7fff) > 0x7c00, signedZero: true,
};
export const BFLOAT16_FORMAT: MiniFloatFormat = {
  name: 'bfloat16', manBits: 7, bias: 127, signBit: 0x8000, maxCode: 0x7f7f, infCode: 0x7f80,
  nanCode: 0x7fc0, negNanCode: 0xffc0, hasNaN: true, isNaNCode: (c) => (c & 0x7fff) > 0x7f80, signedZero: true,
};
/** E4M3FN: no infinity, NaN is S.1111.111, max 448. */
export const FLOAT8E4M3FN_FORMAT: MiniFloatFormat = {
  name: 'float8e4m3fn', manBits: 3, bias: 7, signBit: 0x80, maxCode: 0x7e, infCode: null,
  nanCode: 0x7f, negNanCode: 0xff, hasNaN: true, isNaNCode: (c) => (c & 0x7f) === 0x7f, signedZero: true,
};
/** E4M3FNUZ: no infinity, no -0, the single NaN is 0x80, max 240. */
export const FLOAT8E4M3FNUZ_FORMAT: MiniFloatFormat = {
  name: 'float8e4m3fnuz', manBits: 3, bias: 8, signBit: 0x80, maxCode: 0x7f, infCode: null,
  nanCode: 0x80, negNanCode: 0x80, hasNaN: true, isNaNCode: (c) => c === 0x80, signedZero: false,
};
/** E5M2: IEEE-like, infinity S.11111.00, NaN S.11111.{01,10,11}, max 57344. ml_dtypes' quiet NaN is 0x7E. */
export const FLOAT8E5M2_FORMAT: MiniFloatFormat = {
  name: 'float8e5m2', manBits: 2, bias: 15, signBit: 0x80, maxCode: 0x7b, infCode: 0x7c,
  nanCode: 0x7e, negNanCode: 0xfe, hasNaN: true, isNaNCode: (c) => (c & 0x7f) > 0x7c, signedZero: true,
};
/** E5M2FNUZ: no infinity, no -0, the single NaN is 0x80, max 57344. */
export const FLOAT8E5M2FNUZ_FORMAT: MiniFloatFormat = {
  name: 'float8e5m2fnuz', manBits: 2, bias: 16, signBit: 0x80, maxCode: 0x7f, infCode: null,
  nanCode: 0x80, negNanCode: 0x80, hasNaN: true, isNaNCode: (c) => c === 0x80, signedZero: false,
};
/**
 * E2M1 (OCP MX FP4): values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; no infinity and no NaN.
 * Out-of-range values (and infinities) always clamp to +-6; NaN becomes code 0x8 (-0), which is what the
 * ONNX reference (ml_dtypes) produces and the backend test test_cast_FLOAT_to_FLOAT4E2M1 expects.
 */
export const FLOAT4E2M1_FORMAT: MiniFloatFormat = {
  name: 'float4e2m1', manBits: 1, bias: 1, signBit: 0x8, maxCode: 0x7, infCode: null,
  nanCode: 0x8, negNanCode: 0x8, hasNaN: false, isNaNCode: () => false, signedZero: true,
};

/** floor(log2(a)) for a finite a > 0, exact (Math.log2 alone may be off by one near powers of two). */
export function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** Round r >= 0 to an integer, ties to even. Exact while r < 2^52. */
export function roundHalfEven(r: number): number {
  const f = Math.floor(r);
  const d = r - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Magnitude code of a finite a >= 0 rounded to nearest-even, or Infinity when it rounds past the largest
 * code with a finite exponent (the caller compares against maxCode for the overflow rule).
 */
function magnitudeCode(a: number, f: MiniFloatFormat): number {
  if (a === 0) return 0;
  const emin = 1 - f.bias;
  const e = Math.max(exponentOf(a), emin);
  // Far above the format's range: skip the arithmetic, it can only overflow.
  const emax = Math.floor(f.maxCode / 2 ** f.manBits) - f.bias;
  if (e > emax + 1) return Infinity;
  const n = roundHalfEven(a * 2 ** (f.manBits - e)); // a / quantum, exact: a power-of-two scaling
  return (e - emin) * 2 ** f.manBits + n;
}

/**
 * Encode x into format f. `saturate` (ONNX Cast saturate=1, float8 only) clamps +-inf and out-of-range
 * finite values to the largest finite value; otherwise overflow gives infinity where the format has one and NaN
 * where it has none. Formats with neither (float4) always clamp.
 */
export function encodeMini(x: number, f: MiniFloatFormat, saturate: boolean): number {
  if (Number.isNaN(x)) return f.nanCode;
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? f.signBit : 0;
  const mag = Number.isFinite(x) ? magnitudeCode(Math.abs(x), f) : Infinity;
  if (mag > f.maxCode) {
    if (saturate || !f.hasNaN) return sign | f.maxCode;
    if (f.infCode !== null) return sign | f.infCode;
    return negative ? f.negNanCode : f.nanCode;
  }
  if (mag === 0 && !f.signedZero) return 0;
  return sign | mag;
}

/** Decode a code of format f to its exact value as a double. */
export function decodeMini(code: number, f: MiniFloatFormat): number {
  if (f.isNaNCode(code)) return NaN;
  const negative = (code & f.signBit) !== 0;
  const mag = code & (f.signBit - 1);
  let v: number;
  if (f.infCode !== null && mag === f.infCode) {
    v = Infinity;
  } else {
    const expField = Math.floor(mag / 2 ** f.manBits);
    const man = mag % 2 ** f.manBits;
    v = expField === 0
      ? man * 2 ** (1 - f.bias - f.manBits)
      : (2 ** f.manBits + man) * 2 ** (expField - f.bias - f.manBits);
  }
  return negative ? -v : v;
}
