// TensorProto decoding for every dtype, through raw_data and through the typed fields, plus the length and
// size checks.
import { describe, expect, it } from 'vitest';
import { CompileError, type HostTensor } from '@tensorc/ir';
import { decodeTensorProto } from './index.js';
import { le, tensor, type TensorSpec } from './__tests__/proto-writer.js';
import { rawByteLength, rawToData, rawToDataPortable } from './tensor-data.js';

const decode = (t: TensorSpec): HostTensor => decodeTensorProto(tensor(t)).value;
const values = (t: HostTensor): unknown[] => Array.from(t.data as ArrayLike<unknown>);

function expectError(fn: () => unknown, code: string, re?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe(code);
    if (re) expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error('expected a CompileError');
}

describe('numeric dtypes: raw_data and typed fields agree', () => {
  const cases: { dt: number; name: string; vals: number[]; raw: ArrayBufferView; typed: Partial<TensorSpec> }[] = [
    { dt: 1, name: 'float32', vals: [1.5, -2, Math.fround(0.1)], raw: new Float32Array([1.5, -2, 0.1]), typed: { floatData: [1.5, -2, 0.1] } },
    { dt: 11, name: 'float64', vals: [0.1, -1e300, 3], raw: new Float64Array([0.1, -1e300, 3]), typed: { doubleData: [0.1, -1e300, 3] } },
    { dt: 3, name: 'int8', vals: [-1, 127, -128], raw: new Int8Array([-1, 127, -128]), typed: { int32Data: [-1, 127, -128] } },
    { dt: 2, name: 'uint8', vals: [0, 255, 7], raw: new Uint8Array([0, 255, 7]), typed: { int32Data: [0, 255, 7] } },
    { dt: 5, name: 'int16', vals: [-32768, 5, 32767], raw: new Int16Array([-32768, 5, 32767]), typed: { int32Data: [-32768, 5, 32767] } },
    { dt: 4, name: 'uint16', vals: [65535, 0, 1], raw: new Uint16Array([65535, 0, 1]), typed: { int32Data: [65535, 0, 1] } },
    { dt: 6, name: 'int32', vals: [-(2 ** 31), 2 ** 31 - 1, 0], raw: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0]), typed: { int32Data: [-(2 ** 31), 2 ** 31 - 1, 0] } },
    { dt: 12, name: 'uint32', vals: [2 ** 32 - 1, 1, 0], raw: new Uint32Array([2 ** 32 - 1, 1, 0]), typed: { uint64Data: [2n ** 32n - 1n, 1n, 0n] } },
    { dt: 9, name: 'bool', vals: [0, 1, 1], raw: new Uint8Array([0, 1, 2]), typed: { int32Data: [0, 1, 1] } },
    // float16: 1, -2, +inf
    { dt: 10, name: 'float16', vals: [1, -2, Infinity], raw: new Uint16Array([0x3c00, 0xc000, 0x7c00]), typed: { int32Data: [0x3c00, 0xc000, 0x7c00] } },
    // bfloat16: 1, -0.5, 3
    { dt: 16, name: 'bfloat16', vals: [1, -0.5, 3], raw: new Uint16Array([0x3f80, 0xbf00, 0x4040]), typed: { int32Data: [0x3f80, 0xbf00, 0x4040] } },
    // float8e4m3fn: 1, -1, 448 (max)
    { dt: 17, name: 'float8e4m3fn', vals: [1, -1, 448], raw: new Uint8Array([0x38, 0xb8, 0x7e]), typed: { int32Data: [0x38, 0xb8, 0x7e] } },
    // float8e5m2: 1, 2, -inf
    { dt: 19, name: 'float8e5m2', vals: [1, 2, -Infinity], raw: new Uint8Array([0x3c, 0x40, 0xfc]), typed: { int32Data: [0x3c, 0x40, 0xfc] } },
    // float8e8m0: 2^0, 2^1, 2^-127
    { dt: 24, name: 'float8e8m0', vals: [1, 2, 2 ** -127], raw: new Uint8Array([127, 128, 0]), typed: { int32Data: [127, 128, 0] } },
    // int4 [-1, 7, -8] -> codes 15, 7, 8 -> bytes 0x7f, 0x08
    { dt: 22, name: 'int4', vals: [-1, 7, -8], raw: new Uint8Array([0x7f, 0x08]), typed: { int32Data: [0x7f, 0x08] } },
    { dt: 21, name: 'uint4', vals: [1, 2, 15], raw: new Uint8Array([0x21, 0x0f]), typed: { int32Data: [0x21, 0x0f] } },
    // float4e2m1 codes 1 (0.5), 7 (6), 15 (-6)
    { dt: 23, name: 'float4e2m1', vals: [0.5, 6, -6], raw: new Uint8Array([0x71, 0x0f]), typed: { int32Data: [0x71, 0x0f] } },
    // int2 [-2, -1, 0] -> codes 2, 3, 0 -> 2 | 3<<2
    { dt: 26, name: 'int2', vals: [-2, -1, 0], raw: new Uint8Array([0x0e]), typed: { int32Data: [0x0e] } },
    { dt: 25, name: 'uint2', vals: [3, 0, 1], raw: new Uint8Array([0x13]), typed: { int32Data: [0x13] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fromRaw = decode({ name: 'x', dims: [3], dataType: c.dt, raw: le(c.raw) });
      const fromTyped = decode({ name: 'x', dims: [3], dataType: c.dt, ...c.typed });
      for (const t of [fromRaw, fromTyped]) {
        expect(t.dtype).toBe(c.name);
        expect(t.shape).toEqual([3]);
        expect(t.data).toBeInstanceOf(Float64Array);
        expect(values(t)).toEqual(c.vals);
      }
    });
  }

  it('keeps float8 NaN codes as NaN', () => {
    const t = decode({ dims: [2], dataType: 17, raw: new Uint8Array([0x7f, 0xff]) });
    expect(values(t)).toEqual([NaN, NaN]);
  });
});

describe('64-bit integers are exact', () => {
  const i64 = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 9007199254740993n];
  it('int64 via raw_data and int64_data', () => {
    for (const t of [
      decode({ dims: [4], dataType: 7, raw: le(new BigInt64Array(i64)) }),
      decode({ dims: [4], dataType: 7, int64Data: i64 }),
    ]) {
      expect(t.dtype).toBe('int64');
      expect(t.data).toBeInstanceOf(BigInt64Array);
      expect(values(t)).toEqual(i64);
    }
  });
  it('uint64 via raw_data and uint64_data', () => {
    const u64 = [2n ** 64n - 1n, 0n, 2n ** 63n];
    for (const t of [
      decode({ dims: [3], dataType: 13, raw: le(new BigUint64Array(u64)) }),
      decode({ dims: [3], dataType: 13, uint64Data: u64 }),
    ]) {
      expect(t.data).toBeInstanceOf(BigUint64Array);
      expect(values(t)).toEqual(u64);
    }
  });
});

describe('shapes, strings, empties', () => {
  it('strings from string_data (UTF-8)', () => {
    const t = decode({ dims: [2], dataType: 8, stringData: ['a', 'héllo'] });
    expect(t.dtype).toBe('string');
    expect(t.data).toEqual(['a', 'héllo']);
  });
  it('a scalar has dims [] and one element', () => {
    const t = decode({ name: 's', dims: [], dataType: 1, raw: le(new Float32Array([2.5])) });
    expect(t.shape).toEqual([]);
    expect(values(t)).toEqual([2.5]);
  });
  it('zero-element tensors need no payload', () => {
    const t = decode({ dims: [0, 3], dataType: 7 });
    expect(t.shape).toEqual([0, 3]);
    expect(t.data.length).toBe(0);
  });
  it('keeps the name', () => {
    expect(decodeTensorProto(tensor({ name: 'w0', dims: [1], dataType: 1, floatData: [1] })).name).toBe('w0');
  });
  it('2-D shape with raw data', () => {
    const t = decode({ dims: [2, 3], dataType: 6, raw: le(new Int32Array([1, 2, 3, 4, 5, 6])) });
    expect(t.shape).toEqual([2, 3]);
    expect(values(t)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('errors', () => {
  it('raw_data of the wrong length', () => {
    expectError(() => decode({ name: 'w', dims: [4], dataType: 1, raw: new Uint8Array(12) }), 'INVALID_MODEL', /"w".*12 bytes.*need 16/);
    expectError(() => decode({ dims: [3], dataType: 22, raw: new Uint8Array(1) }), 'INVALID_MODEL', /need 2/);
  });
  it('typed field of the wrong length', () => {
    expectError(() => decode({ name: 'w', dims: [2, 2], dataType: 1, floatData: [1, 2, 3] }), 'INVALID_MODEL', /float_data has 3 entries, the dims need 4/);
    expectError(() => decode({ dims: [2], dataType: 7, int64Data: [1] }), 'INVALID_MODEL', /int64_data/);
  });
  it('no payload for a non-empty tensor', () => {
    expectError(() => decode({ name: 'w', dims: [5], dataType: 1 }), 'INVALID_MODEL', /no data/);
  });
  it('more than 2^31 elements is LIMIT_EXCEEDED (before any allocation)', () => {
    expectError(() => decode({ name: 'big', dims: [65536, 65536], dataType: 1 }), 'LIMIT_EXCEEDED', /"big"/);
    expectError(() => decode({ name: 'big', dims: [2n ** 40n, 2n ** 40n], dataType: 2, raw: new Uint8Array(4) }), 'LIMIT_EXCEEDED');
  });
  it('negative dims', () => {
    expectError(() => decode({ dims: [-1], dataType: 1 }), 'INVALID_MODEL', /invalid dim -1/);
  });
  it('unsupported or missing dtypes', () => {
    expectError(() => decode({ name: 'c', dims: [1], dataType: 14, raw: new Uint8Array(8) }), 'TYPE_ERROR', /COMPLEX64/);
    expectError(() => decode({ dims: [1], dataType: 0, raw: new Uint8Array(8) }), 'INVALID_MODEL', /no data_type/);
    expectError(() => decode({ dims: [1], dataType: 99, raw: new Uint8Array(8) }), 'TYPE_ERROR', /99/);
  });
  it('truncated and garbage bytes', () => {
    const good = tensor({ name: 'w', dims: [3], dataType: 1, raw: le(new Float32Array([1, 2, 3])) });
    for (let cut = 1; cut < good.length; cut++) {
      try {
        decodeTensorProto(good.subarray(0, cut));
      } catch (e) {
        expect(e).toBeInstanceOf(CompileError);
      }
    }
    expectError(() => decodeTensorProto(new Uint8Array([0x4a, 0xff, 0xff, 0xff, 0x0f])), 'INVALID_MODEL', /claims/);
  });
});

describe('raw_data decoding paths', () => {
  it('typed-array fast path, misaligned input and the portable DataView path agree', () => {
    const dtypes = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float16', 'bfloat16', 'bool', 'float8e5m2'] as const;
    const bytes = Uint8Array.from({ length: 8 * 5 + 1 }, (_, i) => (i * 37 + 11) & 0xff);
    for (const d of dtypes) {
      const n = Math.floor(40 / rawByteLength(d, 1));
      const aligned = bytes.slice(0, rawByteLength(d, n));
      const misaligned = bytes.subarray(1, 1 + rawByteLength(d, n));
      const want = Array.from(rawToDataPortable(d, n, aligned) as ArrayLike<unknown>);
      expect(Array.from(rawToData(d, n, aligned) as ArrayLike<unknown>), d).toEqual(want);
      expect(Array.from(rawToData(d, n, misaligned) as ArrayLike<unknown>), d).toEqual(Array.from(rawToDataPortable(d, n, misaligned) as ArrayLike<unknown>));
    }
  });
});
