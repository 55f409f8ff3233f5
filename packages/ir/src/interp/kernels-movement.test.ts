// Data movement kernels through the interpreter: reshape (static and run-time shapes), transpose, slice
// (negative steps, symbolic starts), pad in every mode (crops, interior fill, pads longer than the axis),
// concat, expand, iota, shape_of and bitcast, on numbers, bigints and strings, against hand-computed values
// and plain numpy-style reference loops.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import { dimSub } from '../dims.js';
import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { Op, PadOp } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { type TensorType, type ValueType, tensorType } from '../types.js';
import { interpret } from './interpret.js';

type V = number | bigint | string;

function tensor(dtype: DType, shape: number[], v: readonly V[]): HostTensor {
  const data = dtype === 'int64' ? BigInt64Array.from(v, (x) => BigInt(x))
    : dtype === 'uint64' ? BigUint64Array.from(v, (x) => BigInt(x))
      : dtype === 'string' ? v.map(String) : Float64Array.from(v, Number);
  return { dtype, shape, data };
}
const f32 = (shape: number[], v: readonly number[]) => tensor('float32', shape, v.map(Math.fround));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Runs one op on `ins` fed as graph inputs (typed by `inTypes` or their own shapes); returns its results. */
function run(op: Op, ins: HostTensor[], declared?: ValueType[], inTypes?: TensorType[]): HostTensor[] {
  const b = new GraphBuilder();
  const ids = ins.map((t, i) => b.input(`x${i}`, inTypes?.[i] ?? tensorType(t.dtype, t.shape)));
  const outs = b.add(op, ids, declared);
  outs.forEach((o, i) => b.output(`y${i}`, o));
  const r = interpret(b.build(), Object.fromEntries(ins.map((t, i) => [`x${i}`, t])));
  return outs.map((_, i) => r[`y${i}`] as HostTensor);
}
const run1 = (op: Op, ins: HostTensor[], declared?: ValueType[], inTypes?: TensorType[]) => run(op, ins, declared, inTypes)[0]!;
const list = (t: HostTensor): V[] => Array.from(t.data as ArrayLike<V>);
const nums = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

function expectRuntimeError(f: () => unknown, msg: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe('RUNTIME_ERROR');
    expect((e as CompileError).message).toMatch(msg);
    return;
  }
  throw new Error('expected a RUNTIME_ERROR');
}

describe('reshape', () => {
  it('keeps row-major order under the declared shape and returns a fresh tensor', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const y = run1({ kind: 'reshape' }, [x], [tensorType('float32', [3, 1, 2])]);
    expect(y.shape).toEqual([3, 1, 2]);
    expect(nums(y)).toEqual([1, 2, 3, 4, 5, 6]);
    (y.data as Float64Array)[0] = 99;
    expect(nums(x)[0]).toBe(1);
  });

  it('takes the shape from a run-time int64 input, binding symbolic result dims', () => {
    const x = tensor('string', [6], ['a', 'b', 'c', 'd', 'e', 'f']);
    const y = run1({ kind: 'reshape' }, [x, tensor('int64', [2], [2, 3])], [tensorType('string', ['A', 'B'])]);
    expect(y.shape).toEqual([2, 3]);
    expect(list(y)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('rejects a run-time shape with another element count or a negative dim', () => {
    const x = f32([6], range(6));
    const out = [tensorType('float32', ['A', 'B'])];
    expectRuntimeError(() => run1({ kind: 'reshape' }, [x, tensor('int64', [2], [4, 2])], out), /cannot reshape 6 elements/);
    expectRuntimeError(() => run1({ kind: 'reshape' }, [x, tensor('int64', [2], [-1, 6])], out), /negative/);
  });
});

describe('transpose', () => {
  it('matches a naive loop on a 3-D tensor', () => {
    const x = f32([2, 3, 4], range(24));
    const y = run1({ kind: 'transpose', perm: [2, 0, 1] }, [x]);
    expect(y.shape).toEqual([4, 2, 3]);
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    expect(nums(y)).toEqual(want);
  });

  it('moves strings and int64', () => {
    expect(list(run1({ kind: 'transpose', perm: [1, 0] }, [tensor('string', [2, 2], ['a', 'b', 'c', 'd'])]))).toEqual(['a', 'c', 'b', 'd']);
    expect(list(run1({ kind: 'transpose', perm: [1, 0] }, [tensor('int64', [1, 2], [5n, -7n])]))).toEqual([5n, -7n]);
  });
});

describe('slice', () => {
  const x = f32([5], [10, 11, 12, 13, 14]);
  it('reads starts + i * steps for positive and negative steps', () => {
    expect(nums(run1({ kind: 'slice', starts: [1], steps: [2] }, [x], [tensorType('float32', [2])]))).toEqual([11, 13]);
    expect(nums(run1({ kind: 'slice', starts: [4], steps: [-2] }, [x], [tensorType('float32', [3])]))).toEqual([14, 12, 10]);
    expect(nums(run1({ kind: 'slice', starts: [0], steps: [1] }, [x], [tensorType('float32', [0])]))).toEqual([]);
  });

  it('slices each axis of a 2-D tensor', () => {
    const m = f32([3, 4], range(12));
    const y = run1({ kind: 'slice', starts: [2, 1], steps: [-1, 2] }, [m], [tensorType('float32', [2, 2])]);
    expect(nums(y)).toEqual([9, 11, 5, 7]);
  });

  it('resolves symbolic starts at run time', () => {
    const op: Op = { kind: 'slice', starts: [dimSub('N', 2)], steps: [1] };
    const t = [tensorType('string', ['N'])];
    expect(list(run1(op, [tensor('string', [4], ['a', 'b', 'c', 'd'])], [tensorType('string', [2])], t))).toEqual(['c', 'd']);
    expect(list(run1(op, [tensor('string', [2], ['x', 'y'])], [tensorType('string', [2])], t))).toEqual(['x', 'y']);
  });

  it('fails at run time when a read falls outside the input', () => {
    const op: Op = { kind: 'slice', starts: [dimSub('N', 1)], steps: [1] };
    expectRuntimeError(() => run1(op, [f32([3], [1, 2, 3])], [tensorType('float32', [2])], [tensorType('float32', ['N'])]), /slice reads index 3/);
  });
});

describe('pad', () => {
  const pad = (mode: PadOp['mode'], low: number[], high: number[], interior?: number[], value = 0): PadOp =>
    ({ kind: 'pad', mode, low, high, interior: interior ?? low.map(() => 0), value });
  const v = f32([4], [1, 2, 3, 4]);

  it('constant: fills with the value, crops on negative amounts', () => {
    const m = f32([2, 2], [1, 2, 3, 4]);
    const y = run1(pad('constant', [1, 0], [0, 2], undefined, 9), [m]);
    expect(y.shape).toEqual([3, 4]);
    expect(nums(y)).toEqual([9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
    expect(nums(run1(pad('constant', [-1], [2], undefined, -1), [v]))).toEqual([2, 3, 4, -1, -1]);
    expect(nums(run1(pad('constant', [-1], [-2]), [v]))).toEqual([2]);
  });

  it('constant: interior fill between neighbours, then low/high (negative low crops the grown axis)', () => {
    const x = f32([3], [1, 2, 3]);
    expect(nums(run1(pad('constant', [1], [1], [2], 7), [x]))).toEqual([7, 1, 7, 7, 2, 7, 7, 3, 7]);
    expect(nums(run1(pad('constant', [-2], [0], [1], 7), [x]))).toEqual([2, 7, 3]);
  });

  it('constant: the value is made an element of the dtype; strings pad with ""', () => {
    expect(list(run1(pad('constant', [1], [1]), [tensor('string', [1], ['s'])]))).toEqual(['', 's', '']);
    expect(list(run1(pad('constant', [1], [0], undefined, 3), [tensor('int64', [1], [5n])]))).toEqual([3n, 5n]);
    expect(nums(run1(pad('constant', [1], [0], undefined, 2), [tensor('bool', [1], [0])]))).toEqual([1, 0]);
    expect(nums(run1(pad('constant', [1], [0], undefined, 300), [tensor('int8', [1], [5])]))).toEqual([44, 5]);
    const h = nums(run1(pad('constant', [1], [0], undefined, 0.1), [tensor('float16', [1], [1])]));
    expect(h[0]).toBe(0.0999755859375); // 0.1 rounded to float16
  });

  it('reflect, edge and wrap as numpy.pad', () => {
    expect(nums(run1(pad('reflect', [2], [3]), [v]))).toEqual([3, 2, 1, 2, 3, 4, 3, 2, 1]);
    expect(nums(run1(pad('edge', [2], [2]), [f32([3], [1, 2, 3])]))).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(nums(run1(pad('wrap', [2], [4]), [f32([3], [1, 2, 3])]))).toEqual([2, 3, 1, 2, 3, 1, 2, 3, 1]);
    // Pads longer than the axis keep reflecting / wrapping.
    expect(nums(run1(pad('reflect', [5], [0]), [f32([3], [1, 2, 3])]))).toEqual([2, 1, 2, 3, 2, 1, 2, 3]);
    expect(nums(run1(pad('reflect', [2], [1]), [f32([1], [5])]))).toEqual([5, 5, 5, 5]);
  });

  it('reflect, edge and wrap crop first, then pad from the cropped axis (as onnxruntime)', () => {
    expect(nums(run1(pad('wrap', [-1], [2]), [v]))).toEqual([2, 3, 4, 2, 3]);
    expect(nums(run1(pad('reflect', [3], [-2]), [v]))).toEqual([2, 1, 2, 1, 2]);
    expect(nums(run1(pad('edge', [2], [-1]), [v]))).toEqual([1, 1, 1, 2, 3]);
    expect(nums(run1(pad('edge', [-3], [1]), [v]))).toEqual([4, 4]);
  });

  it('pads every axis of a 2-D tensor independently (naive reference)', () => {
    const x = f32([3, 4], range(12));
    const src = {
      reflect: (i: number, n: number) => { let j = i; while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j; return j; },
      edge: (i: number, n: number) => Math.min(Math.max(i, 0), n - 1),
      wrap: (i: number, n: number) => ((i % n) + n) % n,
    };
    for (const mode of ['reflect', 'edge', 'wrap'] as const) {
      const y = run1(pad(mode, [2, 1], [1, 3]), [x]);
      expect(y.shape).toEqual([6, 8]);
      const want: number[] = [];
      for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) want.push(src[mode](i - 2, 3) * 4 + src[mode](j - 1, 4));
      expect(nums(y), mode).toEqual(want);
    }
  });

  it('resolves symbolic amounts and rejects edge padding of an empty axis at run time', () => {
    // P is bound by the (otherwise unused) second graph input's shape.
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', ['N']));
    b.input('p', tensorType('float32', ['P']));
    b.output('y', b.add1({ kind: 'pad', mode: 'edge', low: ['P'], high: [0], interior: [0], value: 0 }, [x]));
    const g = b.build();
    expect(nums(interpret(g, { x: f32([2], [1, 2]), p: f32([3], [0, 0, 0]) })['y'] as HostTensor)).toEqual([1, 1, 1, 1, 2]);
    expectRuntimeError(() => interpret(g, { x: f32([0], []), p: f32([1], [0]) }), /edge padding of axis 0/);
  });
});

describe('concat', () => {
  it('joins along an axis, skipping empty inputs', () => {
    const a = f32([2, 1], [1, 2]);
    const b = f32([2, 3], [3, 4, 5, 6, 7, 8]);
    const e = f32([2, 0], []);
    const y = run1({ kind: 'concat', axis: 1 }, [a, e, b]);
    expect(y.shape).toEqual([2, 4]);
    expect(nums(y)).toEqual([1, 3, 4, 5, 2, 6, 7, 8]);
  });

  it('works on strings, int64 and symbolic axis sizes', () => {
    expect(list(run1({ kind: 'concat', axis: 0 }, [tensor('string', [1], ['a']), tensor('string', [2], ['b', 'c'])]))).toEqual(['a', 'b', 'c']);
    const y = run1({ kind: 'concat', axis: 0 }, [tensor('int64', [2], [1n, 2n]), tensor('int64', [1], [3n])],
      undefined, [tensorType('int64', ['N']), tensorType('int64', ['M'])]);
    expect(list(y)).toEqual([1n, 2n, 3n]);
  });
});

describe('expand', () => {
  it('broadcasts to the declared shape (naive reference)', () => {
    const x = f32([3, 1], [1, 2, 3]);
    const y = run1({ kind: 'expand' }, [x], [tensorType('float32', [2, 3, 4])]);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(i + 1);
    expect(nums(y)).toEqual(want);
  });

  it('with a run-time shape, broadcasts x.shape with it (ONNX Expand: 1 in the shape keeps x\'s dim)', () => {
    const x = tensor('string', [3, 1], ['a', 'b', 'c']);
    const y = run1({ kind: 'expand' }, [x, tensor('int64', [3], [2, 1, 2])], [tensorType('string', ['A', 'B', 'C'])]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(list(y)).toEqual(['a', 'a', 'b', 'b', 'c', 'c', 'a', 'a', 'b', 'b', 'c', 'c']);
    const z = run1({ kind: 'expand' }, [f32([2], [1, 2]), tensor('int64', [1], [1])], [tensorType('float32', ['A'])]);
    expect(nums(z)).toEqual([1, 2]);
  });

  it('rejects a run-time shape that does not broadcast', () => {
    expectRuntimeError(() => run1({ kind: 'expand' }, [f32([3], [1, 2, 3]), tensor('int64', [1], [2])], [tensorType('float32', ['A'])]), /cannot expand/);
  });
});

describe('iota', () => {
  const iota = (axis: number, t: TensorType, ins: HostTensor[] = [], inTypes?: TensorType[]) => {
    const b = new GraphBuilder();
    ins.forEach((x, i) => b.input(`x${i}`, inTypes?.[i] ?? tensorType(x.dtype, x.shape)));
    b.output('y', b.add1({ kind: 'iota', axis }, [], [t]));
    return interpret(b.build(), Object.fromEntries(ins.map((x, i) => [`x${i}`, x])))['y'] as HostTensor;
  };
  it('ramps along the axis in integer and float dtypes', () => {
    expect(nums(iota(1, tensorType('int32', [2, 3])))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(nums(iota(0, tensorType('float32', [2, 3])))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(list(iota(0, tensorType('int64', [3])))).toEqual([0n, 1n, 2n]);
  });
  it('resolves a symbolic result shape', () => {
    const y = iota(0, tensorType('uint64', ['N', 2]), [f32([3], [0, 0, 0])], [tensorType('float32', ['N'])]);
    expect(y.shape).toEqual([3, 2]);
    expect(list(y)).toEqual([0n, 0n, 1n, 1n, 2n, 2n]);
  });
});

describe('shape_of', () => {
  it('gives dims [start, end) as int64, symbolic ones included', () => {
    const x = tensor('string', [2, 3, 4], new Array<string>(24).fill(''));
    expect(list(run1({ kind: 'shape_of', start: 1, end: 3 }, [x]))).toEqual([3n, 4n]);
    const y = run1({ kind: 'shape_of', start: 0, end: 2 }, [x], undefined, [tensorType('string', ['A', 'B', 4])]);
    expect(y.dtype).toBe('int64');
    expect(list(y)).toEqual([2n, 3n]);
    expect(run1({ kind: 'shape_of', start: 1, end: 1 }, [x]).shape).toEqual([0]);
  });
});

describe('bitcast', () => {
  const cast = (x: HostTensor, to: DType) => list(run1({ kind: 'bitcast' }, [x], [tensorType(to, x.shape)]));
  it('reinterprets 32-bit floats and integers', () => {
    expect(cast(f32([3], [1, -2, NaN]), 'int32')).toEqual([0x3f800000, -0x40000000, 0x7fc00000]);
    expect(cast(f32([1], [-2]), 'uint32')).toEqual([0xc0000000]);
    expect(cast(tensor('int32', [2], [0x3f800000, -0x40000000]), 'float32')).toEqual([1, -2]);
  });
  it('reinterprets 16-bit floats, 8-bit integers and fp8 codes', () => {
    expect(cast(tensor('float16', [2], [1, -2]), 'uint16')).toEqual([0x3c00, 0xc000]);
    expect(cast(tensor('float16', [1], [-2]), 'int16')).toEqual([-16384]);
    expect(cast(tensor('uint16', [1], [0x3c00]), 'float16')).toEqual([1]);
    expect(cast(tensor('bfloat16', [1], [1]), 'int16')).toEqual([0x3f80]);
    expect(cast(tensor('int8', [2], [-1, 5]), 'uint8')).toEqual([255, 5]);
    expect(cast(tensor('float8e4m3fn', [1], [1]), 'uint8')).toEqual([0x38]);
    expect(cast(tensor('uint8', [1], [0x38]), 'float8e4m3fn')).toEqual([1]);
  });
  it('reinterprets 64-bit values (bigints on the integer side)', () => {
    expect(cast(tensor('float64', [1], [1]), 'int64')).toEqual([0x3ff0000000000000n]);
    expect(cast(tensor('int64', [1], [0x3ff0000000000000n]), 'float64')).toEqual([1]);
    expect(cast(tensor('int64', [1], [-1n]), 'uint64')).toEqual([0xffffffffffffffffn]);
  });
});
