// Sequence and optional kernels through the interpreter: construct/at/insert/erase/length, split (sizes,
// scalar chunk, unit pieces with and without keepDims), concat and stack, and optional wrap/none/has/get.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { SequenceOp } from '../ops.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import { type SequenceType, type ValueType, tensorType } from '../types.js';
import { interpret } from './interpret.js';

const f32 = (shape: number[], v: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from(v) });
const i64 = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });
const vals = (v: RuntimeValue) => Array.from((v as HostTensor).data as ArrayLike<number | bigint>, Number);
const seqOf = (rank: number): SequenceType => ({ kind: 'sequence', elem: tensorType('float32', Array.from({ length: rank }, (_, i) => `d${i}`)) });
const seq = (fn: SequenceOp['fn'], axis = 0, keepDims = true): SequenceOp => ({ kind: 'sequence', fn, axis, keepDims });
const pieces = (v: RuntimeValue) => (v as readonly HostTensor[]).map((t) => ({ shape: t.shape, v: vals(t) }));

describe('sequence', () => {
  it('construct, at, insert, erase, length, concat', () => {
    const b = new GraphBuilder();
    const a = b.input('a', tensorType('float32', [2]));
    const c = b.input('c', tensorType('float32', [3]));
    const d = b.input('d', tensorType('float32', [1]));
    const s = b.add1(seq('construct'), [a, c], [seqOf(1)]);
    const last = b.add1(seq('at'), [s, b.constant(i64(-1))], [tensorType('float32', ['n'])]);
    const s2 = b.add1(seq('insert'), [s, d, b.constant(i64(1))], [seqOf(1)]); // [a, d, c]
    const s3 = b.add1(seq('insert'), [s2, a], [seqOf(1)]); // [a, d, c, a]
    const s4 = b.add1(seq('erase'), [s3, b.constant(i64(0))], [seqOf(1)]); // [d, c, a]
    const s5 = b.add1(seq('erase'), [s4], [seqOf(1)]); // [d, c]
    b.output('last', last);
    b.output('s4', s4);
    b.output('len', b.add1(seq('length'), [s4], [tensorType('int64', [])]));
    b.output('cat', b.add1(seq('concat'), [s5], [tensorType('float32', [4])]));
    b.output('empty', b.add1(seq('empty'), [], [seqOf(1)]));
    const r = interpret(b.build(), { a: f32([2], [1, 2]), c: f32([3], [3, 4, 5]), d: f32([1], [9]) });
    expect(vals(r['last'])).toEqual([3, 4, 5]);
    expect(pieces(r['s4']).map((p) => p.v)).toEqual([[9], [3, 4, 5], [1, 2]]);
    expect(vals(r['len'])).toEqual([3]);
    expect(vals(r['cat'])).toEqual([9, 3, 4, 5]);
    expect(r['empty']).toEqual([]);
  });

  it('rejects positions out of range', () => {
    const b = new GraphBuilder();
    const a = b.input('a', tensorType('float32', [2]));
    const s = b.add1(seq('construct'), [a], [seqOf(1)]);
    b.output('x', b.add1(seq('at'), [s, b.constant(i64(1))], [tensorType('float32', [2])]));
    expect(() => interpret(b.build(), { a: f32([2], [1, 2]) })).toThrow(expect.objectContaining({ code: 'RUNTIME_ERROR' }));
  });

  it('splits by sizes, by a scalar chunk and into unit pieces', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2, 3]));
    const sizes = b.constant({ dtype: 'int64', shape: [2], data: BigInt64Array.of(1n, 2n) });
    b.output('bySizes', b.add1(seq('split', 1), [x, sizes], [seqOf(2)]));
    b.output('byChunk', b.add1(seq('split', -1, false), [x, b.constant(i64(2))], [seqOf(2)]));
    b.output('units', b.add1(seq('split', 1, false), [x], [seqOf(1)]));
    b.output('unitsKept', b.add1(seq('split', 0), [x], [seqOf(2)]));
    const r = interpret(b.build(), { x: f32([2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(pieces(r['bySizes'])).toEqual([{ shape: [2, 1], v: [1, 4] }, { shape: [2, 2], v: [2, 3, 5, 6] }]);
    expect(pieces(r['byChunk'])).toEqual([{ shape: [2, 2], v: [1, 2, 4, 5] }, { shape: [2, 1], v: [3, 6] }]);
    expect(pieces(r['units'])).toEqual([{ shape: [2], v: [1, 4] }, { shape: [2], v: [2, 5] }, { shape: [2], v: [3, 6] }]);
    expect(pieces(r['unitsKept'])).toEqual([{ shape: [1, 3], v: [1, 2, 3] }, { shape: [1, 3], v: [4, 5, 6] }]);
  });

  it('stacks on a new axis (ConcatFromSequence new_axis=1), including the last one as -1', () => {
    const b = new GraphBuilder();
    const a = b.input('a', tensorType('float32', [2]));
    const c = b.input('c', tensorType('float32', [2]));
    const s = b.add1(seq('construct'), [a, c], [seqOf(1)]);
    b.output('s0', b.add1(seq('stack', 0), [s], [tensorType('float32', [2, 2])]));
    b.output('s1', b.add1(seq('stack', -1), [s], [tensorType('float32', [2, 2])]));
    const r = interpret(b.build(), { a: f32([2], [1, 2]), c: f32([2], [3, 4]) });
    expect(vals(r['s0'])).toEqual([1, 2, 3, 4]);
    expect(vals(r['s1'])).toEqual([1, 3, 2, 4]);
  });
});

describe('optional', () => {
  const opt: ValueType = { kind: 'optional', elem: tensorType('float32', [2]) };
  const b = new GraphBuilder();
  const a = b.input('a', tensorType('float32', [2]));
  const some = b.add1({ kind: 'optional', fn: 'wrap' }, [a], [opt]);
  const none = b.add1({ kind: 'optional', fn: 'none' }, [], [opt]);
  b.output('some', some);
  b.output('none', none);
  b.output('hasSome', b.add1({ kind: 'optional', fn: 'has' }, [some], [tensorType('bool', [])]));
  b.output('hasNone', b.add1({ kind: 'optional', fn: 'has' }, [none], [tensorType('bool', [])]));
  b.output('get', b.add1({ kind: 'optional', fn: 'get' }, [some], [tensorType('float32', [2])]));
  const g = b.build();

  it('wraps, tests and unwraps', () => {
    const feed = f32([2], [1, 2]);
    const r = interpret(g, { a: feed });
    expect(vals(r['some'])).toEqual([1, 2]);
    expect(r['some']).not.toBe(feed);
    expect(r['none']).toBeNull();
    expect(vals(r['hasSome'])).toEqual([1]);
    expect(vals(r['hasNone'])).toEqual([0]);
    expect(vals(r['get'])).toEqual([1, 2]);
  });

  it('getting an empty optional is a RUNTIME_ERROR', () => {
    const b2 = new GraphBuilder();
    const n = b2.add1({ kind: 'optional', fn: 'none' }, [], [opt]);
    b2.output('x', b2.add1({ kind: 'optional', fn: 'get' }, [n], [tensorType('float32', [2])]));
    expect(() => interpret(b2.build(), {})).toThrow(expect.objectContaining({ code: 'RUNTIME_ERROR' }));
  });
});
