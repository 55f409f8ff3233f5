// castScalar: ONNX Cast between dtypes, float <-> int edge cases (documented numpy/x86 choice), correct rounding
// of 64-bit integers, bool, and string parsing/printing in numpy's style.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToNumberRoundOdd, castScalar, floatToInt, formatFloat, parseNumber } from './index.js';

describe('float -> int', () => {
  it('truncates toward zero and wraps', () => {
    expect(castScalar(2.9, 'float32', 'int32', true)).toBe(2);
    expect(castScalar(-2.9, 'float32', 'int32', true)).toBe(-2);
    expect(castScalar(-1.5, 'float32', 'uint8', true)).toBe(255);
    expect(castScalar(300.7, 'float64', 'int8', true)).toBe(44);
    expect(castScalar(15, 'float32', 'int4', true)).toBe(-1);
    expect(castScalar(-9, 'float32', 'uint4', true)).toBe(7);
    expect(castScalar(3, 'float16', 'int2', true)).toBe(-1);
    expect(castScalar(3e9, 'float32', 'uint32', true)).toBe(3e9);
    expect(castScalar(-1, 'float32', 'uint32', true)).toBe(2 ** 32 - 1);
    expect(castScalar(2 ** 62, 'float64', 'int64', true)).toBe(2n ** 62n);
    expect(castScalar(2 ** 63, 'float64', 'uint64', true)).toBe(2n ** 63n);
    expect(castScalar(-0.5, 'float64', 'int64', true)).toBe(0n);
  });
  it('gives numpy-on-x86 results for NaN, inf and out-of-range values', () => {
    expect(floatToInt(NaN, 'int8')).toBe(0);
    expect(floatToInt(Infinity, 'uint16')).toBe(0);
    expect(floatToInt(NaN, 'int32')).toBe(-(2 ** 31));
    expect(floatToInt(3e9, 'int32')).toBe(-(2 ** 31));
    expect(floatToInt(-Infinity, 'int64')).toBe(-(2n ** 63n));
    expect(floatToInt(NaN, 'uint32')).toBe(0);
    expect(floatToInt(1e20, 'uint64')).toBe(2n ** 63n);
    expect(floatToInt(NaN, 'uint64')).toBe(2n ** 63n);
    expect(floatToInt(-1, 'uint64')).toBe(2n ** 64n - 1n);
  });
});

describe('int -> float rounds to nearest even', () => {
  it('pins ties', () => {
    expect(castScalar(2 ** 24 + 1, 'int32', 'float32', true)).toBe(2 ** 24);
    expect(castScalar(2 ** 24 + 3, 'int32', 'float32', true)).toBe(2 ** 24 + 4);
    expect(castScalar(2n ** 53n + 1n, 'int64', 'float64', true)).toBe(2 ** 53);
    expect(castScalar(2049, 'int32', 'float16', true)).toBe(2048);
    expect(castScalar(2051, 'int32', 'float16', true)).toBe(2052);
    expect(castScalar(65520, 'uint16', 'float16', true)).toBe(Infinity);
    expect(castScalar(300, 'int32', 'float8e4m3fn', true)).toBe(288);
    expect(castScalar(1000, 'int32', 'float8e4m3fn', true)).toBe(448);
    expect(castScalar(1000, 'int32', 'float8e4m3fn', false)).toBeNaN();
    expect(castScalar(2n ** 64n - 1n, 'uint64', 'float32', true)).toBe(2 ** 64);
  });
  it('has no double rounding for int64 -> float32 (round-to-odd)', () => {
    const v = 2n ** 60n + 2n ** 36n + 1n; // just above a float32 tie; a plain Number() would drop the +1
    expect(Math.fround(Number(v))).toBe(2 ** 60); // the double-rounding trap
    expect(castScalar(v, 'int64', 'float32', true)).toBe(2 ** 60 + 2 ** 37);
    expect(castScalar(-v, 'int64', 'bfloat16', true)).toBe(-(2 ** 60));
  });
  it('round-to-odd agrees with exact rounding (property)', () => {
    fc.assert(fc.property(fc.bigInt(-(2n ** 63n), 2n ** 64n), (b) => {
      const want = Math.fround(exactToFloat32(b));
      return Object.is(castScalar(b, 'int64', 'float32', true), want) && Math.abs(bigintToNumberRoundOdd(b)) >= 0;
    }), { numRuns: 500 });
  });
});

/** Reference: round a bigint to float32 by exact bigint arithmetic (24-bit significand, ties to even). */
function exactToFloat32(b: bigint): number {
  const neg = b < 0n;
  const a = neg ? -b : b;
  const len = a.toString(2).length;
  if (len <= 24) return neg ? -Number(a) : Number(a);
  const shift = BigInt(len - 24);
  let q = a >> shift;
  const rem = a - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const r = Number(q) * 2 ** Number(shift);
  return neg ? -r : r;
}

describe('bool', () => {
  it('is v != 0 one way and 0/1 the other', () => {
    expect(castScalar(NaN, 'float32', 'bool', true)).toBe(1);
    expect(castScalar(-0, 'float32', 'bool', true)).toBe(0);
    expect(castScalar(0n, 'int64', 'bool', true)).toBe(0);
    expect(castScalar(36, 'int32', 'bool', true)).toBe(1);
    expect(castScalar(true, 'bool', 'float16', true)).toBe(1);
    expect(castScalar(1, 'bool', 'int64', true)).toBe(1n);
  });
});

describe('float -> float', () => {
  it('rounds once from the exact value and honours saturate for float8', () => {
    expect(castScalar(1 + 2 ** -11 + 2 ** -30, 'float64', 'float16', true)).toBe(1 + 2 ** -10);
    expect(castScalar(1e6, 'float32', 'float8e5m2', true)).toBe(57344);
    expect(castScalar(1e6, 'float32', 'float8e5m2', false)).toBe(Infinity);
    expect(castScalar(-Infinity, 'float16', 'float8e4m3fnuz', true)).toBe(-240);
    expect(castScalar(NaN, 'float32', 'float4e2m1', true)).toBe(-0);
    expect(castScalar(448, 'float8e4m3fn', 'float8e5m2', true)).toBe(448);
    expect(castScalar(1e40, 'float64', 'float32', true)).toBe(Infinity);
  });
});

describe('strings', () => {
  it('parses plain, scientific and special literals', () => {
    expect(castScalar('1e3', 'string', 'float32', true)).toBe(1000);
    expect(castScalar('3.14', 'string', 'float64', true)).toBe(3.14);
    expect(castScalar('NaN', 'string', 'float32', true)).toBeNaN();
    expect(castScalar('INF', 'string', 'float32', true)).toBe(Infinity);
    expect(castScalar('+INF', 'string', 'float16', true)).toBe(Infinity);
    expect(castScalar('-inf', 'string', 'float32', true)).toBe(-Infinity);
    expect(castScalar('-Infinity', 'string', 'float64', true)).toBe(-Infinity);
    expect(castScalar(' 42 ', 'string', 'int64', true)).toBe(42n);
    expect(castScalar('9223372036854775807', 'string', 'int64', true)).toBe(2n ** 63n - 1n);
    expect(castScalar('100.5', 'string', 'int32', true)).toBe(100);
    expect(castScalar('1E8', 'string', 'float32', true)).toBe(1e8);
    expect(castScalar('.5', 'string', 'float32', true)).toBe(0.5);
    expect(castScalar('0', 'string', 'bool', true)).toBe(0);
    expect(castScalar('2', 'string', 'bool', true)).toBe(1);
    expect(() => parseNumber('Hello World!')).toThrow(/cannot parse/);
  });
  it('prints floats as numpy does: shortest round trip in the source dtype', () => {
    const f32 = (x: number): string => castScalar(Math.fround(x), 'float32', 'string', true) as string;
    expect(f32(0.47892547)).toBe('0.47892547');
    expect(f32(0.1)).toBe('0.1');
    expect(f32(1e6)).toBe('1000000.0');
    expect(f32(1e-7)).toBe('1e-07');
    expect(f32(1.5e-5)).toBe('1.5e-05');
    expect(f32(0.0001)).toBe('0.0001');
    expect(f32(1e16)).toBe('1e+16');
    expect(f32(123456789)).toBe('123456790.0');
    expect(f32(3.4028234663852886e38)).toBe('3.4028235e+38');
    expect(f32(NaN)).toBe('nan');
    expect(f32(Infinity)).toBe('inf');
    expect(f32(-Infinity)).toBe('-inf');
    expect(f32(-0)).toBe('-0.0');
    expect(f32(-2.5)).toBe('-2.5');
    expect(castScalar(0.1, 'float64', 'string', true)).toBe('0.1');
    expect(castScalar(Math.fround(0.1), 'float64', 'string', true)).toBe('0.10000000149011612');
    expect(formatFloat(65504, 'float16')).toBe('65500.0');
    expect(formatFloat(castScalar(0.1, 'float64', 'float16', true) as number, 'float16')).toBe('0.1');
    expect(formatFloat(2 ** -127, 'float8e8m0')).toBe('5.877472e-39');
    expect(castScalar(-5n, 'int64', 'string', true)).toBe('-5');
    expect(castScalar(200, 'uint8', 'string', true)).toBe('200');
    expect(castScalar(1, 'bool', 'string', true)).toBe('True');
    expect(castScalar('abc', 'string', 'string', true)).toBe('abc');
  });
  it('float32 -> string -> float32 is the identity (property)', () => {
    fc.assert(fc.property(fc.float({ noNaN: true }), (x) => {
      const s = castScalar(x, 'float32', 'string', true) as string;
      return Object.is(castScalar(s, 'string', 'float32', true), x);
    }), { numRuns: 1000 });
  });
});

describe('float8e8m0 targets', () => {
  it('round by round_mode', () => {
    expect(castScalar(3, 'float32', 'float8e8m0', true)).toBe(4);
    expect(castScalar(3, 'float32', 'float8e8m0', true, 'down')).toBe(2);
    expect(castScalar(2.9, 'float32', 'float8e8m0', true, 'nearest')).toBe(2);
    expect(castScalar('6', 'string', 'float8e8m0', true, 'nearest')).toBe(8);
  });
});
