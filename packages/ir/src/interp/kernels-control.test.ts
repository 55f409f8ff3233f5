// If / Loop / Scan kernels through the interpreter, with bodies built from map nodes: both if branches,
// a loop with carried and scanned values (trip count, condition only, zero trips, neither input), and scans
// with reversed inputs and outputs on another axis.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { LoopOp, ScanOp } from '../ops.js';
import { arg, bin, lit } from '../scalar.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import { tensorType } from '../types.js';
import { interpret } from './interpret.js';

const f32 = (shape: number[], v: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from(v) });
const i64 = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });
const bool = (v: boolean): HostTensor => ({ dtype: 'bool', shape: [], data: Float64Array.of(v ? 1 : 0) });
const vals = (v: RuntimeValue) => Array.from((v as HostTensor).data as ArrayLike<number | bigint>, Number);
const add = bin('add', arg(0), arg(1));

describe('if', () => {
  const b = new GraphBuilder();
  const c = b.input('c', tensorType('bool', []));
  const x = b.input('x', tensorType('float32', [2]));
  const one = b.constant(f32([], [1]));
  const thenB = b.region([], () => [b.map(add, [x, one])]);
  const elseB = b.region([], () => [b.map(bin('mul', arg(0), arg(1)), [x, x])]);
  b.output('y', b.add1({ kind: 'if', thenBranch: thenB, elseBranch: elseB }, [c]));
  const g = b.build();

  it('runs the then branch on true and the else branch on false', () => {
    expect(vals(interpret(g, { c: bool(true), x: f32([2], [2, 3]) })['y'])).toEqual([3, 4]);
    expect(vals(interpret(g, { c: bool(false), x: f32([2], [2, 3]) })['y'])).toEqual([4, 9]);
  });
});

/** A loop summing x into a carried value, also emitting each running sum (scanned); `stop` ends it early. */
function sumLoop(op: Pick<LoopOp, 'hasMaxTrip' | 'hasCond'>, stopBelow?: number) {
  const b = new GraphBuilder();
  const ins = [];
  if (op.hasMaxTrip) ins.push(b.input('n', tensorType('int64', [])));
  if (op.hasCond) ins.push(b.input('c', tensorType('bool', [])));
  const x = b.input('x', tensorType('float32', [2]));
  const s0 = b.input('s', tensorType('float32', [2]));
  const body = b.region([tensorType('int64', []), tensorType('bool', []), tensorType('float32', [2])], ([it, cond, s]) => {
    const next = b.map(add, [s!, x]);
    const c = stopBelow === undefined ? cond! : b.map(bin('lt', arg(0), lit(BigInt(stopBelow), 'int64')), [it!]);
    return [c, next, next];
  });
  const [sum, sums] = b.add({ kind: 'loop', ...op, body }, [...ins, s0], [tensorType('float32', [2]), tensorType('float32', ['trips', 2])]);
  b.output('sum', sum!);
  b.output('sums', sums!);
  return b.build();
}

describe('loop', () => {
  const x = f32([2], [1, 10]);
  const s = f32([2], [0, 0]);

  it('runs maxTrip times, carrying and stacking values', () => {
    const r = interpret(sumLoop({ hasMaxTrip: true, hasCond: true }), { n: i64(3), c: bool(true), x, s });
    expect(vals(r['sum'])).toEqual([3, 30]);
    expect((r['sums'] as HostTensor).shape).toEqual([3, 2]);
    expect(vals(r['sums'])).toEqual([1, 10, 2, 20, 3, 30]);
  });

  it('stops when the body condition turns false, and not at all when it starts false', () => {
    const g = sumLoop({ hasMaxTrip: false, hasCond: true }, 4);
    expect(vals(interpret(g, { c: bool(true), x, s })['sum'])).toEqual([5, 50]); // iterations 0..4
    const r = interpret(g, { c: bool(false), x, s });
    expect(vals(r['sum'])).toEqual([0, 0]);
    expect((r['sums'] as HostTensor).shape).toEqual([0, 2]);
  });

  it('yields empty scanned values for zero trips, and honours the body condition with neither input', () => {
    const r = interpret(sumLoop({ hasMaxTrip: true, hasCond: false }), { n: i64(0), x, s });
    expect(vals(r['sum'])).toEqual([0, 0]);
    expect((r['sums'] as HostTensor).shape).toEqual([0, 2]);
    expect(vals(interpret(sumLoop({ hasMaxTrip: false, hasCond: false }, 2), { x, s })['sum'])).toEqual([3, 30]);
  });

  it('trip count caps a loop whose condition stays true', () => {
    expect(vals(interpret(sumLoop({ hasMaxTrip: true, hasCond: false }, 100), { n: i64(2), x, s })['sum'])).toEqual([2, 20]);
  });
});

/** Running sums over x[3,2] along axis 0 with a [2] state. */
function sumScan(op: Pick<ScanOp, 'scanInputReverse' | 'scanOutputAxes' | 'scanOutputReverse'>, outShape: number[]) {
  const b = new GraphBuilder();
  const s0 = b.input('s', tensorType('float32', [2]));
  const x = b.input('x', tensorType('float32', [3, 2]));
  const body = b.region([tensorType('float32', [2]), tensorType('float32', [2])], ([s, xi]) => {
    const next = b.map(add, [s!, xi!]);
    return [next, next];
  });
  const [fin, ys] = b.add({ kind: 'scan', numScanInputs: 1, scanInputAxes: [0], ...op, body }, [s0, x], [tensorType('float32', [2]), tensorType('float32', outShape)]);
  b.output('fin', fin!);
  b.output('ys', ys!);
  return b.build();
}

describe('scan', () => {
  const feeds = { s: f32([2], [0, 0]), x: f32([3, 2], [1, 2, 3, 4, 5, 6]) };

  it('scans forward, stacking on axis 0', () => {
    const r = interpret(sumScan({ scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [false] }, [3, 2]), feeds);
    expect(vals(r['fin'])).toEqual([9, 12]);
    expect(vals(r['ys'])).toEqual([1, 2, 4, 6, 9, 12]);
  });

  it('scans a reversed input', () => {
    const r = interpret(sumScan({ scanInputReverse: [true], scanOutputAxes: [0], scanOutputReverse: [false] }, [3, 2]), feeds);
    expect(vals(r['ys'])).toEqual([5, 6, 8, 10, 9, 12]);
  });

  it('stacks a reversed output on axis 1 (also given as -1)', () => {
    for (const axis of [1, -1]) {
      const r = interpret(sumScan({ scanInputReverse: [false], scanOutputAxes: [axis], scanOutputReverse: [true] }, [2, 3]), feeds);
      expect((r['ys'] as HostTensor).shape).toEqual([2, 3]);
      expect(vals(r['ys'])).toEqual([9, 4, 1, 12, 6, 2]);
    }
  });

  it('scans inputs of symbolic length, including zero', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', ['n', 2]));
    const body = b.region([tensorType('float32', [2])], ([xi]) => [xi!]);
    const op: ScanOp = { kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [false], body };
    b.output('y', b.add1(op, [x], [tensorType('float32', ['n', 2])]));
    const g = b.build();
    expect(vals(interpret(g, { x: feeds.x })['y'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect((interpret(g, { x: f32([0, 2], []) })['y'] as HostTensor).shape).toEqual([0, 2]);
  });
});
