// float8e8m0, the OCP MX block-scale format: 8 exponent bits, no sign, no mantissa; code e means 2^(e-127),
// code 0xFF is NaN. Conversion follows ONNX's reference (numpy_helper.to_float8e8m0): the input is taken as
// float32, its sign is ignored (negative input is "unspecified" in the spec), and the rounding acts on its bits.

export type E8M0RoundMode = 'up' | 'down' | 'nearest';

const E8M0_NAN = 0xff;
const E8M0_MAX = 0xfe;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Encode x as float8e8m0 (ONNX Cast `round_mode`, default 'up' = the smallest power of two >= |x|).
 * - The value is first rounded to float32, as the reference does, then rounded on its bits: 'up' adds one to
 *   the biased exponent when any mantissa bit is set (float32 subnormals: see below), 'down' keeps the
 *   exponent, 'nearest' rounds on the guard/round/sticky bits exactly as the reference.
 * - 0 gives code 0 (2^-127, the smallest value), as the reference does.
 * - saturate stops a round-up of exponent 0xFE at 0xFE (E8M0_MAX); without it the result is 0xFF (NaN).
 * - NaN gives NaN. +-Inf gives E8M0_MAX when saturating, per the Cast spec's table (the Python reference maps
 *   Inf to NaN regardless; no backend test covers it), NaN otherwise.
 */
export function encodeE8M0(x: number, saturate: boolean, roundMode: E8M0RoundMode = 'up'): number {
  if (Number.isNaN(x)) return E8M0_NAN;
  f32[0] = x;
  const bits = u32[0]!;
  const exponent = (bits >>> 23) & 0xff;
  if (exponent === 0xff) return saturate ? E8M0_MAX : E8M0_NAN; // +-Inf (NaN handled above)
  let roundUp: boolean;
  switch (roundMode) {
    case 'up':
      // A float32 subnormal is f * 2^-149: at most 2^-127 (f <= 2^22) rounds up to code 0 itself. The Python
      // reference gives code 1 there; we keep 'up' exact so that every code's value re-encodes to the code.
      roundUp = exponent === 0 ? (bits & 0x7fffff) > 0x400000 : (bits & 0x7fffff) !== 0;
      break;
    case 'down':
      roundUp = false;
      break;
    case 'nearest': {
      const guard = (bits & 0x400000) !== 0;
      const round = (bits & 0x200000) !== 0;
      const sticky = (bits & 0x1fffff) !== 0;
      // The reference treats the implicit leading 1 of a normal number as the "lsb" that breaks the tie.
      roundUp = guard && (round || sticky || exponent > 0);
      break;
    }
    default: {
      const never: never = roundMode;
      throw new Error(`unknown float8e8m0 round mode ${String(never)}`);
    }
  }
  if (!roundUp) return exponent;
  if (exponent === E8M0_MAX) return saturate ? E8M0_MAX : E8M0_NAN;
  return exponent + 1;
}

/** Decode a float8e8m0 code: 2^(code-127), NaN for 0xFF. */
export function decodeE8M0(code: number): number {
  return code === E8M0_NAN ? NaN : 2 ** (code - 127);
}
