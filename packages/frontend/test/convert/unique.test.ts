// Unique beyond the conformance cases: random tensors with many repeats (integers, floats with NaN and -0,
// bools), with and without axis (every axis of 1-D to 3-D inputs), sorted and unsorted, all four outputs,
// against a direct evaluation of the ONNX definition written here; plus partial outputs and errors.

import { describe, expect, it } from 'vitest';
import { CompileError, type DType, type HostTensor, interpret } from '@tensorc/ir';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel } from '../../src/lowering-model.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** numpy's order for np.unique: numbers ascending (-0 equals 0), NaN last and equal to NaN. */
function cmp(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
const cmpRows = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < a.length; i++) if (cmp(a[i]!, b[i]!) !== 0) return cmp(a[i]!, b[i]!);
  return 0;
};

interface Expected { y: number[]; yShape: number[]; indices: number[]; inverse: number[]; counts: number[] }

/** The ONNX definition directly: slices along axis (elements without one), grouped, ordered. */
function reference(x: readonly number[], shape: readonly number[], axis: number | undefined, sorted: boolean): Expected {
  const flat = axis === undefined;
  const a = flat ? 0 : axis!;
  const dims = flat ? [x.length] : shape;
  const n = dims[a]!;
  const outer = dims.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = dims.slice(a + 1).reduce((p, d) => p * d, 1);
  const row = (i: number) => Array.from({ length: outer * inner }, (_, k) => x[(Math.floor(k / inner) * n + i) * inner + (k % inner)]!);
  const groups: { row: number[]; first: number; count: number }[] = [];
  const groupOf: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = row(i);
    let g = groups.findIndex((q) => cmpRows(q.row, r) === 0);
    if (g < 0) { g = groups.length; groups.push({ row: r, first: i, count: 0 }); }
    groups[g]!.count++;
    groupOf.push(g);
  }
  const order = [...groups.keys()];
  if (sorted) order.sort((p, q) => cmpRows(groups[p]!.row, groups[q]!.row));
  const pos = new Map(order.map((g, j) => [g, j]));
  const u = order.length;
  const yShape = dims.map((d, i) => (i === a ? u : d));
  const y = Array.from({ length: outer * u * inner }, (_, k) => {
    const o = Math.floor(k / (u * inner));
    const j = Math.floor(k / inner) % u;
    return groups[order[j]!]!.row[o * inner + (k % inner)]!;
  });
  return { y, yShape, indices: order.map((g) => groups[g]!.first), inverse: groupOf.map((g) => pos.get(g)!), counts: order.map((g) => groups[g]!.count) };
}

function model(dtype: DType, shape: readonly number[], axis: number | undefined, sorted: number | undefined, outputs = 4): LoweringModel {
  const attributes = new Map<string, { kind: 'int'; value: number }>();
  if (axis !== undefined) attributes.set('axis', { kind: 'int', value: axis });
  if (sorted !== undefined) attributes.set('sorted', { kind: 'int', value: sorted });
  const names = ['Y', 'indices', 'inverse_indices', 'counts'].slice(0, outputs);
  return {
    irVersion: 9, producer: 'test', opsets: new Map([['', 11]]),
    graph: {
      name: 'g', initializers: [], valueInfo: new Map(),
      inputs: [{ name: 'X', type: { kind: 'tensor', dtype, shape } }],
      outputs: names.map((name) => ({ name, type: { kind: 'unknown' } })),
      nodes: [{ opType: 'Unique', domain: '', name: 'u', inputs: ['X'], outputs: names, attributes }],
    },
  };
}

const values = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

function check(dtype: DType, shape: number[], data: number[], axis: number | undefined, sorted: boolean): void {
  const x: HostTensor = { dtype, shape, data: dtype === 'int64' ? BigInt64Array.from(data, BigInt) : Float64Array.from(data) };
  const out = interpret(lowerModel(model(dtype, shape, axis, sorted ? undefined : 0)), { X: x });
  const r = reference(data, shape, axis === undefined ? undefined : axis < 0 ? axis + shape.length : axis, sorted);
  const what = JSON.stringify({ dtype, shape, data, axis, sorted });
  const y = out['Y'] as HostTensor;
  expect(y.shape, what).toEqual(r.yShape);
  // Object.is: NaN equals NaN and -0 differs from 0, so the value kept is the first occurrence's.
  expect(values(y).every((v, i) => Object.is(v, r.y[i])), `${what} Y=${values(y)}`).toBe(true);
  expect(values(out['indices'] as HostTensor), what).toEqual(r.indices);
  expect(values(out['inverse_indices'] as HostTensor), what).toEqual(r.inverse);
  expect(values(out['counts'] as HostTensor), what).toEqual(r.counts);
}

describe('Unique against a direct evaluation', () => {
  const random = rng(5);
  const shapes = [[7], [12], [5, 3], [4, 2, 3], [3, 1, 2]];
  for (const sorted of [true, false]) {
    for (const shape of shapes) {
      const axes = [undefined, ...shape.keys(), -1];
      it(`${sorted ? 'sorted' : 'unsorted'} ${JSON.stringify(shape)}, axes ${axes.join('/')}`, () => {
        const size = shape.reduce((p, d) => p * d, 1);
        for (const axis of axes) {
          // Few distinct values so slices repeat too.
          check('int64', shape, Array.from({ length: size }, () => Math.floor(random() * 3) - 1), axis, sorted);
          const pool = [1.5, -0, 0, NaN, -2, 1.5];
          check('float32', shape, Array.from({ length: size }, () => pool[Math.floor(random() * pool.length)]!), axis, sorted);
          check('bool', shape, Array.from({ length: size }, () => (random() < 0.5 ? 1 : 0)), axis, sorted);
        }
      });
    }
  }

  it('gives only the outputs asked for', () => {
    const x: HostTensor = { dtype: 'float32', shape: [4], data: Float64Array.of(2, 1, 2, 3) };
    const out = interpret(lowerModel(model('float32', [4], undefined, 0, 1)), { X: x });
    expect(Object.keys(out)).toEqual(['Y']);
    expect(values(out['Y'] as HostTensor)).toEqual([2, 1, 3]);
  });

  it('refuses strings with a typed error naming the node', () => {
    try {
      lowerModel(model('string', [3], undefined, 1));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      expect([(e as CompileError).code, (e as CompileError).node]).toEqual(['UNSUPPORTED_OP', 'u']);
    }
  });
});
