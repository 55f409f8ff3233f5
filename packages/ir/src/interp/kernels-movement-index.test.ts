// Index kernels through the interpreter: gather / gather_elements / gather_nd (negative indices, batch dims,
// out-of-range errors), scatter_elements / scatter_nd with every reduction (duplicates, wrapping, strings),
// topk (largest / smallest, ties, NaN, bigints, symbolic k) and nonzero, against ONNX's documented examples
// and plain reference loops.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { DType } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { Op, ScatterReduction } from '../ops.js';
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
const i64 = (shape: number[], v: readonly number[]) => tensor('int64', shape, v);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

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

describe('gather', () => {
  const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  it('takes rows (axis 0) and columns (axis 1); negative indices count from the end', () => {
    const y = run1({ kind: 'gather', axis: 0 }, [x, i64([2, 2], [0, 1, -1, 1])]);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(nums(y)).toEqual([1, 2, 3, 4, 5, 6, 3, 4]);
    expect(nums(run1({ kind: 'gather', axis: 1 }, [x, tensor('int32', [1], [-2])]))).toEqual([1, 3, 5]);
  });

  it('drops the axis for a scalar index and works on strings', () => {
    const y = run1({ kind: 'gather', axis: 0 }, [tensor('string', [3], ['a', 'b', 'c']), i64([], [2])]);
    expect(y.shape).toEqual([]);
    expect(list(y)).toEqual(['c']);
  });

  it('matches numpy.take on a 3-D tensor along axis 1', () => {
    const d = f32([2, 4, 3], range(24));
    const ind = [3, -1, 0, 2, 1, -4];
    const y = run1({ kind: 'gather', axis: 1 }, [d, i64([3, 2], ind)]);
    expect(y.shape).toEqual([2, 3, 2, 3]);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (const j of ind) for (let c = 0; c < 3; c++) want.push(a * 12 + ((j + 4) % 4) * 3 + c);
    expect(nums(y)).toEqual(want);
  });

  it('fails on an out-of-range index', () => {
    expectRuntimeError(() => run1({ kind: 'gather', axis: 0 }, [x, i64([1], [3])]), /gather index 3 is out of range for size 3/);
    expectRuntimeError(() => run1({ kind: 'gather', axis: 0 }, [x, i64([1], [-4])]), /out of range/);
  });
});

describe('gather_elements', () => {
  it('follows the ONNX examples (axis 1 and axis 0, negative indices)', () => {
    expect(nums(run1({ kind: 'gather_elements', axis: 1 }, [f32([2, 2], [1, 2, 3, 4]), i64([2, 2], [0, 0, 1, 0])]))).toEqual([1, 1, 4, 3]);
    const d = f32([3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = run1({ kind: 'gather_elements', axis: 0 }, [d, i64([2, 3], [1, 2, 0, 2, 0, 0])]);
    expect(y.shape).toEqual([2, 3]);
    expect(nums(y)).toEqual([4, 8, 3, 7, 2, 3]);
    expect(nums(run1({ kind: 'gather_elements', axis: 0 }, [d, i64([2, 3], [-1, -2, 0, -3, 0, 0])]))).toEqual([7, 5, 3, 1, 2, 3]);
  });

  it('fails on an out-of-range index', () => {
    expectRuntimeError(() => run1({ kind: 'gather_elements', axis: 1 }, [f32([1, 2], [1, 2]), i64([1, 1], [2])]), /gather_elements index 2/);
  });
});

describe('gather_nd', () => {
  const d3 = f32([2, 2, 2], range(8));
  it('follows the ONNX examples', () => {
    const d2 = f32([2, 2], [0, 1, 2, 3]);
    expect(nums(run1({ kind: 'gather_nd', batchDims: 0 }, [d2, i64([2, 2], [0, 0, 1, 1])]))).toEqual([0, 3]);
    expect(nums(run1({ kind: 'gather_nd', batchDims: 0 }, [d2, i64([2, 1], [1, 0])]))).toEqual([2, 3, 0, 1]);
    const y = run1({ kind: 'gather_nd', batchDims: 0 }, [d3, i64([2, 2], [0, 1, 1, 0])]);
    expect(y.shape).toEqual([2, 2]);
    expect(nums(y)).toEqual([2, 3, 4, 5]);
    expect(nums(run1({ kind: 'gather_nd', batchDims: 0 }, [d3, i64([2, 1, 2], [0, 1, 1, 0])]))).toEqual([2, 3, 4, 5]);
  });

  it('indexes within each batch with batchDims, and counts negative indices from the end', () => {
    const y = run1({ kind: 'gather_nd', batchDims: 1 }, [d3, i64([2, 1], [1, 0])]);
    expect(y.shape).toEqual([2, 2]);
    expect(nums(y)).toEqual([2, 3, 4, 5]);
    expect(nums(run1({ kind: 'gather_nd', batchDims: 1 }, [d3, i64([2, 2], [-1, 0, 0, -1])]))).toEqual([2, 5]);
  });

  it('fails on an out-of-range index', () => {
    expectRuntimeError(() => run1({ kind: 'gather_nd', batchDims: 0 }, [d3, i64([1, 1], [2])]), /gather_nd index 2/);
  });
});

describe('scatter_elements', () => {
  const se = (axis: number, reduction: ScatterReduction): Op => ({ kind: 'scatter_elements', axis, reduction });
  it('follows the ONNX examples and leaves the input untouched', () => {
    const data = f32([3, 3], new Array<number>(9).fill(0));
    const upd = f32([2, 3], [1.0, 1.1, 1.2, 2.0, 2.1, 2.2]);
    const y = run1(se(0, 'none'), [data, i64([2, 3], [1, 0, 2, 0, 2, 1]), upd]);
    expect(nums(y)).toEqual([2.0, 1.1, 0.0, 1.0, 0.0, 2.2, 0.0, 2.1, 1.2].map(Math.fround));
    expect(nums(data)).toEqual(new Array<number>(9).fill(0));
    const row = f32([1, 5], [1, 2, 3, 4, 5]);
    expect(nums(run1(se(1, 'none'), [row, i64([1, 2], [1, -2]), f32([1, 2], [1.1, 2.1])]))).toEqual([1, 1.1, 3, 2.1, 5].map(Math.fround));
  });

  it('combines duplicates with each reduction, in index order, rounding to the dtype', () => {
    const row = f32([1, 5], [1, 2, 3, 4, 5]);
    const ind = i64([1, 2], [1, 1]);
    const upd = f32([1, 2], [1.1, 2.1]);
    const [u1, u2] = [Math.fround(1.1), Math.fround(2.1)];
    const at1 = (r: ScatterReduction) => nums(run1(se(1, r), [row, ind, upd]))[1];
    expect(at1('none')).toBe(u2); // last write wins
    expect(at1('add')).toBe(Math.fround(Math.fround(2 + u1) + u2));
    expect(at1('mul')).toBe(Math.fround(Math.fround(2 * u1) * u2));
    expect(at1('max')).toBe(u2);
    expect(at1('min')).toBe(Math.fround(1.1));
  });

  it('wraps integer sums, keeps int64 exact, propagates NaN through max, moves strings', () => {
    expect(nums(run1(se(0, 'add'), [tensor('int8', [1], [100]), i64([2], [0, 0]), tensor('int8', [2], [100, 100])]))).toEqual([44]);
    const big = 2n ** 62n;
    expect(list(run1(se(0, 'add'), [tensor('int64', [1], [big]), i64([1], [0]), tensor('int64', [1], [big + 1n])]))).toEqual([-(2n ** 63n) + 1n]);
    expect(nums(run1(se(0, 'max'), [f32([2], [1, 2]), i64([1], [1]), f32([1], [NaN])]))).toEqual([1, NaN]);
    expect(list(run1(se(0, 'none'), [tensor('string', [3], ['a', 'b', 'c']), i64([1], [-1]), tensor('string', [1], ['z'])]))).toEqual(['a', 'b', 'z']);
  });

  it('fails on an out-of-range index', () => {
    expectRuntimeError(() => run1(se(0, 'none'), [f32([2], [1, 2]), i64([1], [2]), f32([1], [0])]), /scatter_elements index 2/);
  });
});

describe('scatter_nd', () => {
  const sn = (reduction: ScatterReduction): Op => ({ kind: 'scatter_nd', reduction });
  const data8 = f32([8], [1, 2, 3, 4, 5, 6, 7, 8]);
  it('follows the ONNX examples (element and slice updates)', () => {
    expect(nums(run1(sn('none'), [data8, i64([4, 1], [4, 3, 1, 7]), f32([4], [9, 10, 11, 12])]))).toEqual([1, 11, 3, 10, 9, 6, 7, 12]);
    const cube = f32([4, 2, 2], range(16));
    const y = run1(sn('none'), [cube, i64([2, 1], [0, -2]), f32([2, 2, 2], [-1, -2, -3, -4, -5, -6, -7, -8])]);
    expect(nums(y)).toEqual([-1, -2, -3, -4, 4, 5, 6, 7, -5, -6, -7, -8, 12, 13, 14, 15]);
    expect(nums(data8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('writes full index tuples and combines duplicates with each reduction', () => {
    const m = f32([2, 2], [1, 2, 3, 4]);
    expect(nums(run1(sn('none'), [m, i64([2, 2], [0, 1, 1, 0]), f32([2], [5, 6])]))).toEqual([1, 5, 6, 4]);
    const dup = i64([2, 1], [0, 0]);
    const upd = f32([2], [5, 6]);
    const first = (r: ScatterReduction) => nums(run1(sn(r), [data8, dup, upd]))[0];
    expect(first('none')).toBe(6);
    expect(first('add')).toBe(12);
    expect(first('mul')).toBe(30);
    expect(first('max')).toBe(6);
    expect(first('min')).toBe(1);
  });

  it('moves strings and fails on an out-of-range index', () => {
    expect(list(run1(sn('none'), [tensor('string', [2], ['a', 'b']), i64([1, 1], [0]), tensor('string', [1], ['q'])]))).toEqual(['q', 'b']);
    expectRuntimeError(() => run1(sn('add'), [data8, i64([1, 1], [8]), f32([1], [1])]), /scatter_nd index 8/);
  });
});

describe('topk', () => {
  const topk = (x: HostTensor, k: number, axis: number, largest: boolean) => {
    const [v, i] = run({ kind: 'topk', axis, k, largest, sorted: true }, [x]);
    return { v: list(v!), i: nums(i!), shape: v!.shape, idtype: i!.dtype };
  };

  it('gives the k largest or smallest with int64 indices, ties to the lower index', () => {
    const x = f32([5], [1, 3, 2, 3, 1]);
    expect(topk(x, 3, 0, true)).toEqual({ v: [3, 3, 2], i: [1, 3, 2], shape: [3], idtype: 'int64' });
    expect(topk(x, 3, 0, false)).toEqual({ v: [1, 1, 2], i: [0, 4, 2], shape: [3], idtype: 'int64' });
    expect(topk(f32([2], [0, -0]), 2, 0, true).i).toEqual([0, 1]);
  });

  it('selects along either axis of a matrix', () => {
    const m = f32([2, 3], [1, 5, 3, 6, 2, 4]);
    expect(topk(m, 2, 1, true)).toMatchObject({ v: [5, 3, 6, 4], i: [1, 2, 0, 2], shape: [2, 2] });
    expect(topk(m, 1, 0, false)).toMatchObject({ v: [1, 2, 3], i: [0, 1, 0], shape: [1, 3] });
  });

  it('orders NaN above every number (first for largest, last for smallest), as ONNX\'s reference', () => {
    const x = f32([5], [1, NaN, 3, Infinity, NaN]);
    expect(topk(x, 4, 0, true)).toMatchObject({ v: [NaN, NaN, Infinity, 3], i: [1, 4, 3, 2] });
    expect(topk(x, 5, 0, false)).toMatchObject({ v: [1, 3, Infinity, NaN, NaN], i: [0, 2, 3, 1, 4] });
  });

  it('compares 64-bit integers exactly and allows k = 0', () => {
    const top = 2n ** 63n;
    expect(topk(tensor('uint64', [3], [top, top + 1n, 5n]), 2, 0, true)).toMatchObject({ v: [top + 1n, top], i: [1, 0] });
    expect(topk(f32([3], [1, 2, 3]), 0, 0, true)).toMatchObject({ v: [], i: [], shape: [0] });
  });

  it('matches a stable-sort reference on data with many ties', () => {
    const vals = Array.from({ length: 4 * 7 }, (_, i) => (i * 5) % 4);
    const x = f32([4, 7], vals);
    for (const largest of [true, false]) {
      const got = topk(x, 5, 1, largest);
      for (let r = 0; r < 4; r++) {
        const row = vals.slice(r * 7, r * 7 + 7);
        const order = range(7).sort((a, b) => (largest ? row[b]! - row[a]! : row[a]! - row[b]!) || a - b).slice(0, 5);
        expect(got.i.slice(r * 5, r * 5 + 5)).toEqual(order);
        expect(got.v.slice(r * 5, r * 5 + 5)).toEqual(order.map((j) => row[j]));
      }
    }
  });

  it('resolves a symbolic k', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [4]));
    b.input('k', tensorType('float32', ['K']));
    const [v, i] = b.add({ kind: 'topk', axis: 0, k: 'K', largest: true, sorted: false }, [x]);
    b.output('v', v!);
    b.output('i', i!);
    const r = interpret(b.build(), { x: f32([4], [4, 9, 1, 7]), k: f32([2], [0, 0]) });
    expect(nums(r['v'] as HostTensor)).toEqual([9, 7]);
    expect(nums(r['i'] as HostTensor)).toEqual([1, 3]);
  });
});

describe('nonzero', () => {
  const nz = (x: HostTensor) => run1({ kind: 'nonzero' }, [x], [tensorType('int64', [x.shape.length, 'C'])]);
  it('lists coordinates column by column in row-major order (ONNX example)', () => {
    const y = nz(f32([2, 2], [1, 0, 1, 1]));
    expect(y.shape).toEqual([2, 3]);
    expect(nums(y)).toEqual([0, 1, 1, 0, 0, 1]);
  });

  it('counts NaN, not -0; handles bool, int64, 3-D and all-zero inputs', () => {
    expect(nums(nz(f32([4], [NaN, -0, 0, 2])))).toEqual([0, 3]);
    expect(nums(nz(tensor('bool', [3], [0, 1, 1])))).toEqual([1, 2]);
    expect(nums(nz(tensor('int64', [2], [0n, -5n])))).toEqual([1]);
    const y = nz(f32([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 3]));
    expect(y.shape).toEqual([3, 1]);
    expect(nums(y)).toEqual([1, 1, 1]);
    expect(nz(f32([2, 3], new Array<number>(6).fill(0))).shape).toEqual([2, 0]);
  });
});
