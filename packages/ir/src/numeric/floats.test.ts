// float16/bfloat16 bit patterns and the float8/float4/e8m0 codes: exhaustive round trips, hand-pinned
// round-to-nearest-even ties, ONNX's saturate/no-saturate tables, and a brute-force nearest-code property.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToBits, bitsToBfloat16, bitsToFloat16, decodeFloat, encodeE8M0, encodeFloat,
  float16ToBits, isNaNCode, maxFinite, roundToDType, type CodedFloatDType,
} from './index.js';

const F8: CodedFloatDType[] = ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz'];
const SMALL: CodedFloatDType[] = [...F8, 'float4e2m1', 'float8e8m0'];
const codeCount = (d: CodedFloatDType): number => (d === 'float4e2m1' ? 16 : d === 'float16' || d === 'bfloat16' ? 65536 : 256);
const hex = (c: number): string => `0x${c.toString(16)}`;

describe('every code round-trips', () => {
  it.each(SMALL)('%s', (d) => {
    for (let c = 0; c < codeCount(d); c++) {
      const v = decodeFloat(c, d);
      for (const sat of [false, true]) {
        const back = encodeFloat(v, d, sat);
        if (isNaNCode(c, d)) {
          expect(Number.isNaN(v), hex(c)).toBe(true);
          expect(isNaNCode(back, d), hex(c)).toBe(true);
        } else if (Math.abs(v) === Infinity && sat) {
          expect(decodeFloat(back, d)).toBe(Math.sign(v) * maxFinite(d)); // saturate turns inf into max
        } else {
          expect(back, `${d} ${hex(c)} = ${v}`).toBe(c);
        }
      }
    }
  });
  it('float16/bfloat16 wrappers agree with encodeFloat and cover all 65536 patterns', () => {
    for (let b = 0; b < 65536; b++) {
      const h = bitsToFloat16(b);
      const bf = bitsToBfloat16(b);
      if (Number.isNaN(h)) expect(isNaNCode(float16ToBits(h), 'float16')).toBe(true);
      else expect(float16ToBits(h)).toBe(b);
      if (Number.isNaN(bf)) expect(isNaNCode(bfloat16ToBits(bf), 'bfloat16')).toBe(true);
      else expect(bfloat16ToBits(bf)).toBe(b);
      expect(bf).toBe(new Float32Array(new Uint32Array([b << 16]).buffer)[0]); // bfloat16 = top half of float32
    }
  });
});

describe('float16', () => {
  it('pins values, ties to even, subnormals and overflow', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], // 65520: tie, 0x7bff odd -> inf
      [Infinity, 0x7c00], [-Infinity, 0xfc00], [NaN, 0x7e00], [-0, 0x8000], [0, 0],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -11 + 2 ** -40, 0x3c01],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -25 + 2 ** -60, 0x0001],
      [2 ** -14, 0x0400], [2 ** -14 - 2 ** -25, 0x0400], // carry from the largest subnormal into the exponent
      [0.47892547, 0x37aa], [0.7229038, 0x39c9], // from ONNX test_cast_FLOAT_to_FLOAT16
    ];
    for (const [x, b] of cases) expect(float16ToBits(x), `${x}`).toBe(b);
    expect(roundToDType(70000, 'float16')).toBe(Infinity);
  });
});

describe('bfloat16', () => {
  it('pins values and ties to even', () => {
    const cases: [number, number][] = [
      [1, 0x3f80], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82], [1 + 2 ** -8 + 2 ** -30, 0x3f81],
      [NaN, 0x7fc0], [Infinity, 0x7f80], [-0, 0x8000], [3.3961e38, 0x7f7f], [3.4e38, 0x7f80],
      [Math.fround(0.47892547), 0x3ef5], [Math.fround(0.48033667), 0x3ef6], [Math.fround(0.7229038), 0x3f39], // ONNX data
    ];
    for (const [x, b] of cases) expect(bfloat16ToBits(x), `${x}`).toBe(b);
  });
});

describe('float8 and float4: ONNX Cast tables', () => {
  // Inputs and expected codes of ONNX's test_cast_FLOAT_to_FLOAT8* (saturate) and test_cast_no_saturate_*.
  const inputs = [1e6, 1e-7, NaN, Infinity, -Infinity, -1e-7, -1e6];
  const table: Record<string, { sat: number[]; nosat: number[] }> = {
    float8e4m3fn: { sat: [0x7e, 0x00, 0x7f, 0x7e, 0xfe, 0x80, 0xfe], nosat: [0x7f, 0x00, 0x7f, 0x7f, 0xff, 0x80, 0xff] },
    float8e4m3fnuz: { sat: [0x7f, 0x00, 0x80, 0x7f, 0xff, 0x00, 0xff], nosat: [0x80, 0x00, 0x80, 0x80, 0x80, 0x00, 0x80] },
    float8e5m2: { sat: [0x7b, 0x00, 0x7e, 0x7b, 0xfb, 0x80, 0xfb], nosat: [0x7c, 0x00, 0x7e, 0x7c, 0xfc, 0x80, 0xfc] },
    float8e5m2fnuz: { sat: [0x7f, 0x00, 0x80, 0x7f, 0xff, 0x00, 0xff], nosat: [0x80, 0x00, 0x80, 0x80, 0x80, 0x00, 0x80] },
  };
  it.each(F8)('%s', (d) => {
    expect(inputs.map((x) => encodeFloat(x, d, true))).toEqual(table[d]!.sat);
    expect(inputs.map((x) => encodeFloat(x, d, false))).toEqual(table[d]!.nosat);
  });
  it('pins the edges of the range (ties to even at the top)', () => {
    expect(encodeFloat(448, 'float8e4m3fn', false)).toBe(0x7e);
    expect(encodeFloat(464, 'float8e4m3fn', false)).toBe(0x7e); // tie between 448 (even) and 480 -> 448
    expect(encodeFloat(465, 'float8e4m3fn', false)).toBe(0x7f); // rounds past max: NaN
    expect(encodeFloat(465, 'float8e4m3fn', true)).toBe(0x7e);
    expect(encodeFloat(-465, 'float8e4m3fn', false)).toBe(0xff);
    expect(encodeFloat(61440, 'float8e5m2', false)).toBe(0x7c); // tie between 57344 (odd) and 65536 -> inf
    expect(encodeFloat(61439, 'float8e5m2', false)).toBe(0x7b);
    expect(encodeFloat(248, 'float8e4m3fnuz', false)).toBe(0x80); // tie, 240 is odd -> overflow -> NaN
    expect(encodeFloat(247, 'float8e4m3fnuz', false)).toBe(0x7f);
    expect(maxFinite('float8e4m3fn')).toBe(448);
    expect(maxFinite('float8e4m3fnuz')).toBe(240);
    expect(maxFinite('float8e5m2')).toBe(57344);
    expect(maxFinite('float8e5m2fnuz')).toBe(57344);
    expect(maxFinite('float4e2m1')).toBe(6);
  });
  it('pins subnormal ties and negative zero', () => {
    expect(encodeFloat(2 ** -10, 'float8e4m3fn', false)).toBe(0x00); // half the smallest subnormal: tie to 0
    expect(encodeFloat(3 * 2 ** -10, 'float8e4m3fn', false)).toBe(0x02);
    expect(encodeFloat(-(2 ** -10), 'float8e4m3fn', false)).toBe(0x80);
    expect(encodeFloat(-(2 ** -11), 'float8e4m3fnuz', false)).toBe(0x00); // no -0 in the UZ formats
    expect(encodeFloat(-0, 'float8e5m2fnuz', true)).toBe(0x00);
    expect(decodeFloat(0x01, 'float8e4m3fn')).toBe(2 ** -9);
    expect(decodeFloat(0x01, 'float8e4m3fnuz')).toBe(2 ** -10);
    expect(decodeFloat(0x01, 'float8e5m2')).toBe(2 ** -16);
    expect(decodeFloat(0x01, 'float8e5m2fnuz')).toBe(2 ** -17);
  });
  it('float4e2m1 matches test_cast_FLOAT_to_FLOAT4E2M1 (clamps; NaN -> 0x8)', () => {
    const xs = [0.48, 0.25, 1.05, -3.5, -8, 9, 1e6, 1e-7, NaN, Infinity, Infinity, -Infinity, -4, 0.01, -0];
    const codes = [0x1, 0x0, 0x2, 0xe, 0xf, 0x7, 0x7, 0x0, 0x8, 0x7, 0x7, 0xf, 0xe, 0x0, 0x8];
    for (const sat of [true, false]) expect(xs.map((x) => encodeFloat(Math.fround(x), 'float4e2m1', sat))).toEqual(codes);
    expect([...Array(8).keys()].map((c) => decodeFloat(c, 'float4e2m1'))).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  });
});

describe('float8e8m0', () => {
  it('matches test_cast_e8m0_FLOAT_to_FLOAT8E8M0 (round up, saturate)', () => {
    const xs = [0, 0.124, 0.25, 0.5, 1.1, 2, 4, 8];
    expect(xs.map((x) => encodeFloat(Math.fround(x), 'float8e8m0', true))).toEqual([0x00, 0x7c, 0x7d, 0x7e, 0x80, 0x80, 0x81, 0x82]);
  });
  it('pins saturation, specials and the round modes', () => {
    const big = 1.5 * 2 ** 127;
    expect(encodeFloat(big, 'float8e8m0', true)).toBe(0xfe);
    expect(encodeFloat(big, 'float8e8m0', false)).toBe(0xff);
    expect(encodeFloat(Infinity, 'float8e8m0', true)).toBe(0xfe);
    expect(encodeFloat(Infinity, 'float8e8m0', false)).toBe(0xff);
    expect(encodeFloat(NaN, 'float8e8m0', true)).toBe(0xff);
    expect(encodeFloat(-0.25, 'float8e8m0', true)).toBe(0x7d); // sign ignored, as the reference
    expect(encodeFloat(2 ** -127, 'float8e8m0', true)).toBe(0x00);
    expect(encodeFloat(1.5 * 2 ** -127, 'float8e8m0', true)).toBe(0x01);
    expect(decodeFloat(0x00, 'float8e8m0')).toBe(2 ** -127);
    expect(decodeFloat(0xfe, 'float8e8m0')).toBe(2 ** 127);
    expect(encodeE8M0(1.4, true, 'down')).toBe(0x7f);
    expect(encodeE8M0(1.4, true, 'nearest')).toBe(0x7f);
    expect(encodeE8M0(1.6, true, 'nearest')).toBe(0x80);
    expect(encodeE8M0(1.5, true, 'nearest')).toBe(0x80); // tie rounds up
    expect(encodeE8M0(1.75 * 2 ** 127, true, 'nearest')).toBe(0xfe);
    expect(encodeE8M0(1.75 * 2 ** 127, false, 'nearest')).toBe(0xff);
  });
});

/** Brute force: the finite code nearest to x, ties to the even code (the one whose lowest mantissa bit is 0). */
function nearestCode(x: number, d: CodedFloatDType): number {
  let best = -1;
  let bestErr = Infinity;
  for (let c = 0; c < codeCount(d); c++) {
    if (isNaNCode(c, d)) continue;
    const v = decodeFloat(c, d);
    if (!Number.isFinite(v)) continue;
    const err = Math.abs(v - x);
    if (err < bestErr || (err === bestErr && (c & 1) === 0 && decodeFloat(best, d) !== v)) {
      best = c;
      bestErr = err;
    }
  }
  return best;
}

describe('encode is the nearest code (brute force, fast-check)', () => {
  it.each(SMALL.filter((d) => d !== 'float8e8m0'))('%s, saturating', (d) => {
    const m = maxFinite(d);
    fc.assert(fc.property(fc.double({ min: -2 * m, max: 2 * m, noNaN: true }), (x) => {
      const c = encodeFloat(x, d, true);
      const want = nearestCode(x, d);
      // Zero of either sign is acceptable when the brute force picked the other zero; otherwise exact.
      return c === want || (decodeFloat(c, d) === 0 && decodeFloat(want, d) === 0);
    }), { numRuns: 300 });
  });
  it('float16 picks the nearer neighbour, ties to even', () => {
    fc.assert(fc.property(fc.double({ min: -65504, max: 65504, noNaN: true }), (x) => {
      const b = float16ToBits(x);
      const v = bitsToFloat16(b);
      for (const nb of [b - 1, b + 1]) {
        if ((nb & 0x7fff) > 0x7bff || nb < 0 || (nb & 0x8000) !== (b & 0x8000)) continue;
        const err = Math.abs(bitsToFloat16(nb) - x);
        if (err < Math.abs(v - x) || (err === Math.abs(v - x) && (b & 1) === 1)) return false;
      }
      return true;
    }), { numRuns: 2000 });
  });
  it('roundToDType is the identity on float32 values for float32, Math.fround otherwise', () => {
    fc.assert(fc.property(fc.double(), (x) => Object.is(roundToDType(x, 'float32'), Math.fround(x))));
    expect(roundToDType(1e6, 'float8e4m3fn')).toBeNaN();
    expect(roundToDType(1e6, 'float8e5m2')).toBe(Infinity);
    expect(roundToDType(1e6, 'float4e2m1')).toBe(6);
    expect(roundToDType(3, 'float8e8m0')).toBe(4);
  });
});
