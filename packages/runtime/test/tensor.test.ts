// Tensor construction: onnxruntime-web's overloads, type inference, plain-array conversion and validation.
import { DTYPE_INFO, DTYPES } from '@tensorc/ir';
import { describe, expect, test } from 'vitest';
import { elementBytes, Tensor, TENSOR_TYPES, TensorcRuntimeError } from '../src/index.js';

/** The constructor without its static types, for feeding it what the types already forbid. */
const Untyped = Tensor as unknown as new (...args: unknown[]) => Tensor;

const fails = (f: () => unknown, code: string, message: RegExp) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TensorcRuntimeError);
    expect((e as TensorcRuntimeError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected an error');
};

describe('Tensor', () => {
  test('type, data, dims and size', () => {
    const data = new Float32Array(6);
    const t = new Tensor('float32', data, [2, 3]);
    expect(t.type).toBe('float32');
    expect(t.data).toBe(data); // kept by reference, as onnxruntime-web does
    expect(t.dims).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.location).toBe('cpu');
    expect(new Tensor('int64', new BigInt64Array(1), []).size).toBe(1); // scalar
    expect(new Tensor('float32', new Float32Array(0), [0, 5]).size).toBe(0);
  });

  test('dims default to one dimension of the data length', () => {
    expect(new Tensor(new Int32Array(4)).dims).toEqual([4]);
  });

  test('the type is inferred from the array class', () => {
    const cases: [unknown, string][] = [
      [new Float32Array(1), 'float32'], [new Float64Array(1), 'float64'], [new Int8Array(1), 'int8'],
      [new Uint8Array(1), 'uint8'], [new Uint8ClampedArray(1), 'uint8'], [new Int16Array(1), 'int16'],
      [new Uint16Array(1), 'uint16'], [new Int32Array(1), 'int32'], [new Uint32Array(1), 'uint32'],
      [new BigInt64Array(1), 'int64'], [new BigUint64Array(1), 'uint64'], [['a'], 'string'], [[true], 'bool'], [[1.5], 'float32'],
    ];
    for (const [data, type] of cases) expect(new Untyped(data, [1]).type).toBe(type);
    expect(new Tensor([true, false]).data).toEqual(new Uint8Array([1, 0]));
  });

  test('plain arrays convert to the typed array of an explicit type', () => {
    expect(new Tensor('int32', [1, -2, 3]).data).toEqual(new Int32Array([1, -2, 3]));
    expect(new Tensor('int64', [1, 2n]).data).toEqual(new BigInt64Array([1n, 2n]));
    expect(new Tensor('bool', [true, 0, 1]).data).toEqual(new Uint8Array([1, 0, 1]));
    expect(new Tensor('uint4', [0, 15]).data).toEqual(new Uint8Array([0, 15]));
    expect(new Tensor('string', ['a', 'b'], [2, 1]).dims).toEqual([2, 1]);
  });

  test('float16, bfloat16, fp8, fp4 and sub-byte integers take their storage arrays', () => {
    expect(new Tensor('float16', new Uint16Array([0x3c00])).type).toBe('float16');
    expect(new Tensor('bfloat16', new Uint16Array([0x3f80])).type).toBe('bfloat16');
    for (const t of ['float8e4m3fn', 'float8e5m2', 'float8e8m0', 'int4', 'int2', 'float4e2m1'] as const) {
      expect(new Tensor(t, new Uint8Array([1]), [1]).type).toBe(t);
    }
  });

  test('data length must match the dims', () => {
    fails(() => new Tensor('float32', new Float32Array(5), [2, 3]), 'SHAPE_ERROR', /float32 with dims \[2, 3\] needs 6 elements, but its data has 5/);
    fails(() => new Tensor('float32', new Float32Array(2), [-1, -2]), 'SHAPE_ERROR', /non-negative integers/);
    fails(() => new Tensor('float32', new Float32Array(2), [1.5]), 'SHAPE_ERROR', /non-negative integers/);
  });

  test('the array class must match the type', () => {
    fails(() => new Untyped('float32', new Float64Array(2)), 'TYPE_ERROR', /float32 needs a Float32Array, got a Float64Array/);
    fails(() => new Untyped('float16', new Float32Array(2)), 'TYPE_ERROR', /needs a Uint16Array \(raw 16-bit patterns\)/);
    fails(() => new Untyped('int4', new Int8Array(2)), 'TYPE_ERROR', /needs a Uint8Array \(one element code per byte\)/);
    fails(() => new Untyped('bool', new Uint8ClampedArray(2)), 'TYPE_ERROR', /bool needs a Uint8Array/);
    fails(() => new Untyped('string', new Uint8Array(2)), 'TYPE_ERROR', /string needs a string\[\]/);
    fails(() => new Untyped('complex64' as 'float32', new Float32Array(1)), 'TYPE_ERROR', /unknown tensor type 'complex64'/);
    fails(() => new Untyped({} as Float32Array), 'TYPE_ERROR', /cannot infer a tensor type/);
  });

  test('values a type cannot hold are refused, not wrapped', () => {
    fails(() => new Untyped('int8', [1, 300]), 'TYPE_ERROR', /element 1 \(300\) is not a valid int8/);
    fails(() => new Untyped('uint32', [-1]), 'TYPE_ERROR', /element 0/);
    fails(() => new Untyped('int64', [1.5]), 'TYPE_ERROR', /element 0/);
    fails(() => new Untyped('int4', new Uint8Array([3, 16])), 'TYPE_ERROR', /element 1 is 16, but codes of a 4-bit type lie in 0..15/);
    fails(() => new Untyped('uint2', [4]), 'TYPE_ERROR', /element 0/);
    fails(() => new Untyped('float16', [1]), 'TYPE_ERROR', /ambiguous; pass a Uint16Array/);
  });

  test('reshape shares data; getData resolves to it', async () => {
    const t = new Tensor('float32', new Float32Array(6), [6]);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(r.dims).toEqual([3, 2]);
    expect(await t.getData()).toBe(t.data);
    expect(() => t.reshape([4])).toThrow(/needs 4 elements/);
  });

  test("the runtime's type list matches @tensorc/ir's dtypes and their storage widths", () => {
    expect([...TENSOR_TYPES]).toEqual([...DTYPES]);
    for (const d of DTYPES) {
      if (d === 'string') continue;
      expect(elementBytes(d)).toBe(Math.max(1, DTYPE_INFO[d].bits / 8));
    }
  });
});
