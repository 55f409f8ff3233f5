// The user-tensor <-> HostTensor boundary (every dtype round-trips, codes decode to values, bad input is
// rejected), ONNX's sub-byte packing, and the interpreter's element helpers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, type DType } from '../dtype.js';
import { hostTensor } from '../tensor.js';
import {
  allocData, fromHostTensor, normalizeScalar, packSubByte, readScalar, toHostTensor, unpackSubByte, userArrayName,
  writeScalar, type UserTensorData,
} from './index.js';

/** Some valid user data of each dtype (4 elements). */
function sample(d: DType): UserTensorData {
  switch (d) {
    case 'float32': return new Float32Array([1.5, -0, NaN, 3.4e38]);
    case 'float64': return new Float64Array([0.1, -Infinity, 5e-324, 2]);
    case 'float16': return new Uint16Array([0x3c00, 0x8000, 0x7c00, 0x0001]);
    case 'bfloat16': return new Uint16Array([0x3f80, 0xff80, 0x7f7f, 0x0001]);
    case 'int8': return new Int8Array([-128, 127, 0, -1]);
    case 'int16': return new Int16Array([-32768, 32767, 0, -1]);
    case 'int32': return new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1]);
    case 'int64': return new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]);
    case 'uint8': case 'bool': return new Uint8Array(d === 'bool' ? [0, 1, 1, 0] : [0, 255, 7, 128]);
    case 'uint16': return new Uint16Array([0, 65535, 7, 1]);
    case 'uint32': return new Uint32Array([0, 2 ** 32 - 1, 7, 1]);
    case 'uint64': return new BigUint64Array([0n, 2n ** 64n - 1n, 7n, 1n]);
    case 'string': return ['a', '', 'ü', '1e3'];
    case 'int4': case 'uint4': case 'float4e2m1': return new Uint8Array([0, 15, 8, 7]);
    case 'int2': case 'uint2': return new Uint8Array([0, 3, 2, 1]);
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      return new Uint8Array([0x00, 0x01, 0x7e, 0xf0]);
    default: {
      const never: never = d;
      throw new Error(String(never));
    }
  }
}

const same = (a: unknown, b: unknown): boolean => Object.is(a, b);

describe('toHostTensor / fromHostTensor', () => {
  it.each([...DTYPES])('%s round-trips', (d) => {
    const data = sample(d);
    const h = toHostTensor(d, [2, 2], data);
    expect(h.shape).toEqual([2, 2]);
    const back = fromHostTensor(h);
    expect(back.type).toBe(d);
    expect(back.dims).toEqual([2, 2]);
    expect(back.data.constructor).toBe(data.constructor);
    expect(back.data).not.toBe(data);
    for (let i = 0; i < 4; i++) expect(same(back.data[i], data[i]), `${d}[${i}]`).toBe(true);
    expect(userArrayName(d)).toBe(Array.isArray(data) ? 'string[]' : data.constructor.name);
  });
  it('decodes codes to exact values', () => {
    expect([...toHostTensor('int4', [4], new Uint8Array([0, 15, 8, 7])).data]).toEqual([0, -1, -8, 7]);
    expect([...toHostTensor('uint2', [2], new Uint8Array([3, 2])).data]).toEqual([3, 2]);
    expect([...toHostTensor('float16', [2], new Uint16Array([0x3c00, 0xc000])).data]).toEqual([1, -2]);
    expect([...toHostTensor('float8e4m3fn', [2], new Uint8Array([0x7e, 0x7f])).data]).toEqual([448, NaN]);
    expect([...toHostTensor('bool', [2], new Uint8Array([0, 9])).data]).toEqual([0, 1]);
    expect(fromHostTensor(hostTensor('int4', [2], new Float64Array([-1, -8]))).data).toEqual(new Uint8Array([15, 8]));
  });
  it('rejects mismatched input', () => {
    expect(() => toHostTensor('float32', [3], new Float64Array(3))).toThrow(/must be Float32Array/);
    expect(() => toHostTensor('float32', [2, 2], new Float32Array(3))).toThrow(/3 elements, the dims need 4/);
    expect(() => toHostTensor('int4', [1], new Uint8Array([16]))).toThrow(/wider than 4 bits/);
    expect(() => toHostTensor('string', [1], new Uint8Array(1))).toThrow(/must be string\[\]/);
    expect(() => toHostTensor('int8', [-1], new Int8Array(0))).toThrow(/bad dim/);
    expect(() => toHostTensor('string', [1], [1 as unknown as string])).toThrow(/only strings/);
    expect(toHostTensor('float32', [0, 3], new Float32Array(0)).data.length).toBe(0);
  });
});

describe('packSubByte / unpackSubByte', () => {
  it('matches ONNX test_cast_FLOAT_to_INT4 / INT2 layouts (first element in the low bits)', () => {
    const int4 = [7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const packed = Uint8Array.from(Buffer.from('87a9cbed0f21436587a9cbed0f', 'hex'));
    expect(packSubByte(Uint8Array.from(int4), 4)).toEqual(packed);
    expect([...unpackSubByte(packed, 4, 25)]).toEqual(int4);
    const int2 = [1, 2, 3, 0, 1, 2, 3];
    expect(packSubByte(Uint8Array.from(int2), 2)).toEqual(Uint8Array.from([0x39, 0x39]));
    expect([...unpackSubByte(Uint8Array.from([0x39, 0x39]), 2, 7)]).toEqual(int2);
    expect(() => unpackSubByte(new Uint8Array(1), 4, 3)).toThrow(/at most 2/);
  });
  it('round-trips any codes (property)', () => {
    fc.assert(fc.property(fc.constantFrom(4 as const, 2 as const), fc.array(fc.nat(255)), (bits, xs) => {
      const codes = Uint8Array.from(xs, (x) => x & ((1 << bits) - 1));
      return unpackSubByte(packSubByte(codes, bits), bits, codes.length).every((c, i) => c === codes[i]);
    }));
  });
});

describe('allocData / readScalar / writeScalar', () => {
  it('allocates the storage of each dtype', () => {
    expect(allocData('float16', 3)).toBeInstanceOf(Float64Array);
    expect(allocData('bool', 3)).toBeInstanceOf(Float64Array);
    expect(allocData('int64', 3)).toBeInstanceOf(BigInt64Array);
    expect(allocData('uint64', 3)).toBeInstanceOf(BigUint64Array);
    expect(allocData('string', 2)).toEqual(['', '']);
    expect(() => allocData('float32', -1)).toThrow();
  });
  it('writes values normalized to the dtype', () => {
    const cases: [DType, number | bigint | string | boolean, number | bigint | string][] = [
      ['int8', 200, -56], ['uint8', -1, 255], ['int4', 9, -7], ['float16', 1 + 2 ** -11, 1], ['float32', 0.1, Math.fround(0.1)],
      ['bool', 5, 1], ['bool', false, 0], ['int64', 5, 5n], ['uint64', -1n, 2n ** 64n - 1n], ['float64', 2n ** 53n + 1n, 2 ** 53],
      ['float8e4m3fn', 1000, NaN], ['string', 'x', 'x'], ['int32', 2.9, 2],
    ];
    for (const [d, v, want] of cases) {
      const t = hostTensor(d, [2], allocData(d, 2));
      writeScalar(t, 1, v);
      expect(same(readScalar(t, 1), want), `${d} ${String(v)}`).toBe(true);
      expect(same(normalizeScalar(v, d), want)).toBe(true);
    }
    const t = hostTensor('int32', [1], allocData('int32', 1));
    expect(() => writeScalar(t, 1, 0)).toThrow(/out of range/);
    expect(() => readScalar(t, 5)).toThrow(/out of range/);
    expect(() => writeScalar(t, 0, 'x')).toThrow(/got a string/);
    expect(() => normalizeScalar(1, 'string')).toThrow(/expected a string/);
  });
});
