// Integer ranges, two's-complement wrapping, clamping and sub-byte codes, checked against BigInt.asIntN/asUintN.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeToInt, INT_DTYPES, intRange, intToCode, saturateInt, wrapInt } from './index.js';

describe('intRange', () => {
  it('gives the bounds of every integer dtype', () => {
    expect(intRange('int8')).toEqual({ bits: 8, signed: true, min: -128n, max: 127n });
    expect(intRange('uint2')).toEqual({ bits: 2, signed: false, min: 0n, max: 3n });
    expect(intRange('int4')).toMatchObject({ min: -8n, max: 7n });
    expect(intRange('uint64').max).toBe(2n ** 64n - 1n);
    expect(intRange('int64').min).toBe(-(2n ** 63n));
    expect(() => intRange('float32')).toThrow(/not an integer dtype/);
  });
});

describe('wrapInt', () => {
  it('pins the ONNX examples and the sub-byte types', () => {
    expect(wrapInt(200, 'int8')).toBe(-56);
    expect(wrapInt(-1, 'uint8')).toBe(255);
    expect(wrapInt(8, 'int4')).toBe(-8);
    expect(wrapInt(-9, 'int4')).toBe(7);
    expect(wrapInt(-9, 'uint4')).toBe(7);
    expect(wrapInt(-1, 'uint2')).toBe(3);
    expect(wrapInt(2, 'int2')).toBe(-2);
    expect(wrapInt(2 ** 40 + 5, 'int32')).toBe(5);
    expect(wrapInt(-128, 'int8')).toBe(-128);
    expect(Object.is(wrapInt(-256, 'int8'), 0)).toBe(true);
    expect(wrapInt(2n ** 63n, 'int64')).toBe(-(2n ** 63n));
    expect(wrapInt(-1n, 'uint64')).toBe(2n ** 64n - 1n);
    expect(wrapInt(-1, 'uint64')).toBe(2n ** 64n - 1n);
    expect(wrapInt(3n ** 40n, 'uint32')).toBe(Number(BigInt.asUintN(32, 3n ** 40n)));
    expect(wrapInt(-2.7, 'int8')).toBe(-2);
    expect(() => wrapInt(NaN, 'int8')).toThrow();
  });
  it('agrees with BigInt.asIntN / asUintN for every dtype', () => {
    fc.assert(fc.property(fc.constantFrom(...INT_DTYPES), fc.bigInt(-(2n ** 70n), 2n ** 70n), (d, v) => {
      const { bits, signed } = intRange(d);
      const want = signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
      const got = wrapInt(v, d);
      if (bits === 64) return got === want;
      if (got !== Number(want)) return false;
      // Numbers that are exact integers take the number path to the same answer.
      return !Number.isSafeInteger(Number(v)) || wrapInt(Number(v), d) === Number(want);
    }), { numRuns: 1000 });
  });
});

describe('saturateInt', () => {
  it('clamps, truncates and maps NaN to 0', () => {
    expect(saturateInt(300, 'int8')).toBe(127);
    expect(saturateInt(-300, 'uint8')).toBe(0);
    expect(saturateInt(-Infinity, 'int4')).toBe(-8);
    expect(saturateInt(Infinity, 'uint2')).toBe(3);
    expect(saturateInt(NaN, 'int32')).toBe(0);
    expect(saturateInt(NaN, 'int64')).toBe(0n);
    expect(saturateInt(7.9, 'int8')).toBe(7);
    expect(saturateInt(1e30, 'int64')).toBe(2n ** 63n - 1n);
    expect(saturateInt(-1e30, 'uint64')).toBe(0n);
    expect(saturateInt(2n ** 70n, 'uint64')).toBe(2n ** 64n - 1n);
    expect(saturateInt(-(2n ** 70n), 'int16')).toBe(-32768);
    expect(saturateInt(123, 'int64')).toBe(123n);
  });
});

describe('sub-byte codes', () => {
  it('round-trip every value of int4/uint4/int2/uint2/int8', () => {
    for (const d of ['int4', 'uint4', 'int2', 'uint2', 'int8', 'uint8'] as const) {
      const { min, max, bits } = intRange(d);
      for (let v = Number(min); v <= Number(max); v++) {
        const c = intToCode(v, d);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThan(2 ** bits);
        expect(codeToInt(c, d)).toBe(v);
      }
    }
    expect(intToCode(-1, 'int4')).toBe(15);
    expect(intToCode(-2, 'int2')).toBe(2);
  });
});
