// If and Loop compiled (lower-control.ts, emit-control.ts) and run against the reference interpreter in every
// code variant (baseline, relaxed SIMD, both on 2 threads; each graph has a top-level GEMM so the threaded
// variants have a parallel step): run-time conditions both ways, branches yielding outer values and
// constants, loops by trip count / condition / both, zero iterations, carried values swapped and passed
// through, scan outputs, the iteration number, a GEMM in a body, an If nested in a Loop, a Loop in a Loop, a
// Scan in a Loop; the typed refusals; a loop that never stops traps.

import { describe, expect, it } from 'vitest';
import {
  CompileError, GraphBuilder, type HostTensor, type Region, type ValueId, type ValueType, arg, bin, cast, lit, tensorType,
} from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';
import { expectAllFlavoursAgree } from './variants-harness.js';

const F = (shape: (number | string)[]) => tensorType('float32', shape);
const I64 = tensorType('int64', []);
const BOOL = tensorType('bool', []);
const add = bin('add', arg(0), arg(1));
const mul = bin('mul', arg(0), arg(1));
const un0 = bin('mul', arg(0), lit(-1, 'float32'));

const f32 = (shape: number[], seed: number, scale = 1): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.7 + seed) * scale)),
});
const i64 = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });
const scalar = (v: number): HostTensor => ({ dtype: 'float32', shape: [], data: Float64Array.of(v) });
const scalar2 = (): HostTensor => ({ dtype: 'float32', shape: [2], data: Float64Array.of(1.5, -0.5) });

/** A graph input `a` [8, 16] times a constant [16, 8], so every variant has a parallel GEMM step. */
function withGemm(b: GraphBuilder): ValueId {
  const a = b.input('a', F([8, 16]));
  const w = b.constant(f32([16, 8], 9, 0.5));
  const y = b.matmul(a, w);
  b.output('gemm', y);
  return y;
}

const bodyLoop = (b: GraphBuilder, params: ValueType[], fn: (p: ValueId[]) => ValueId[]): Region => b.region([I64, BOOL, ...params], fn);

describe('If and Loop in the wasm backend', () => {
  it('If on a run-time condition, both ways; branches with a GEMM, an outer value, a constant, one value twice', async () => {
    const b = new GraphBuilder();
    const y = withGemm(b);
    const x = b.input('x', F([]));
    const c = b.map(bin('gt', arg(0), lit(0, 'float32')), [x]);
    const thenBranch = b.region([], () => {
      const w = b.constant(f32([8, 8], 3));
      const p = b.map(add, [b.matmul(y, w), x]);
      return [p, p, b.constant(f32([3], 4))];
    });
    const elseBranch = b.region([], () => [y, b.map(mul, [y, x]), b.map(bin('sub', arg(0), arg(0)), [b.constant(f32([3], 5))])]);
    const [o0, o1, o2] = b.add({ kind: 'if', thenBranch, elseBranch }, [c]) as [ValueId, ValueId, ValueId];
    b.output('o0', o0);
    b.output('o1', o1);
    b.output('o2', o2);
    const names = await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: scalar(0.75) }, 1e-5);
    expect(names.some((n) => n.endsWith('_if'))).toBe(true);
    await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: scalar(-2) }, 1e-5);
  }, 120_000);

  it('Loop by a constant trip count: a GEMM in the body, an If nested in it, carried values swapped and passed through, scan outputs, the iteration number', async () => {
    const b = new GraphBuilder();
    const y = withGemm(b);
    const h0 = b.map(bin('mul', arg(0), lit(0.25, 'float32')), [b.constant(f32([1, 8], 2))]);
    const u0 = b.input('u', F([3]));
    const v0 = b.input('v', F([3]));
    const keep = b.input('keep', F([2]));
    const w = b.constant(f32([8, 8], 6, 0.4));
    const body = bodyLoop(b, [F([1, 8]), F([3]), F([3]), F([2]), F([2]), F([3])], ([i, c, h, u, v, k]) => {
      const even = b.map(bin('eq', bin('mod', arg(0), lit(2n, 'int64')), lit(0n, 'int64')), [i!]);
      const fi = b.map(cast('float32', arg(0)), [i!]);
      const thenBranch = b.region([], () => [b.map(bin('mul', arg(0), lit(2, 'float32')), [h!])]);
      const elseBranch = b.region([], () => [b.map(bin('sub', arg(0), arg(1)), [h!, fi])]);
      const [hh] = b.add({ kind: 'if', thenBranch, elseBranch }, [even]) as [ValueId];
      const next = b.map(add, [b.matmul(hh, w), fi]);
      const rowOfY = b.add({ kind: 'slice', starts: [0, 0], steps: [1, 1] }, [y], [F([1, 8])])[0]!;
      // carried: swapped (u, v), passed through (k), a body constant (z), an outer value (o); scanned: a param too
      return [c!, b.map(add, [next, rowOfY]), v!, u!, k!, b.constant(f32([2], 12)), v0, next, i!, u!];
    });
    const trips = b.constant(i64(5));
    const outs = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trips, h0, u0, v0, keep, keep, u0],
      [F([1, 8]), F([3]), F([3]), F([2]), F([2]), F([3]), F([5, 1, 8]), tensorType('int64', [5]), F([5, 3])]);
    ['h', 'u_out', 'v_out', 'keep_out', 'z_out', 'o_out', 'hs', 'iters', 'us'].forEach((name, j) => b.output(name, outs[j]!));
    const names = await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1, 0.3), u: f32([3], 7), v: f32([3], 8), keep: f32([2], 9) }, 1e-5);
    expect(names.some((n) => n.endsWith('_loop'))).toBe(true);
    // the threaded plan runs the loop (and the GEMM in its body) whole, as one serial step
    const steps = compileGraph(b.build(), { parallelMinMacs: 0 }).manifest.parallel!.steps;
    const loopStep = steps.find((st) => (st.kernel ?? '').split('+').some((k) => k.endsWith('_loop')));
    expect(loopStep?.iterations).toBe(1);
    expect(steps.some((st) => st.iterations > 1)).toBe(true);
  }, 120_000);

  it('Loop by a condition only: stops when the body says so, or runs zero times on a false condition input', async () => {
    const b = new GraphBuilder();
    withGemm(b);
    const x = b.input('x', F([]));
    const limit = b.input('limit', F([]));
    const go = b.map(bin('gt', arg(0), lit(0, 'float32')), [x]);
    const live = b.map(mul, [b.constant(f32([4], 11)), x]);
    const body = bodyLoop(b, [F([]), tensorType('int64', []), F([4])], ([, , s, n, acc]) => {
      const s2 = b.map(bin('add', arg(0), lit(1.5, 'float32')), [s!]);
      const acc2 = b.map(add, [acc!, b.map(mul, [s2, b.constant(f32([4], 3))])]);
      return [b.map(bin('lt', arg(0), arg(1)), [s2, limit]), s2, b.map(bin('add', arg(0), lit(1n, 'int64')), [n!]), acc2];
    });
    const outs = b.add({ kind: 'loop', hasMaxTrip: false, hasCond: true, body }, [go, x, b.constant(i64(0)), b.constant(f32([4], 4))],
      [F([]), tensorType('int64', []), F([4])]);
    ['s', 'n', 'acc'].forEach((name, j) => b.output(name, outs[j]!));
    // computed before the loop, read after it: the body's buffers must not overlap it
    b.output('after', b.map(add, [live, outs[2]!]));
    for (const [xv, lim] of [[0.5, 7], [2, 2.1], [-1, 100]] as const) {
      await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: scalar(xv), limit: scalar(lim) }, 1e-5);
    }
  }, 120_000);

  it('Loop by a run-time trip count and a condition: stopped by either, zero and negative counts', async () => {
    const b = new GraphBuilder();
    withGemm(b);
    const trips = b.input('trips', I64);
    const x = b.input('x', F([2]));
    const body = bodyLoop(b, [F([2])], ([i, , s]) => {
      const fi = b.map(cast('float32', arg(0)), [i!]);
      const s2 = b.map(bin('add', bin('mul', arg(0), lit(1.25, 'float32')), arg(1)), [s!, fi]);
      return [b.map(bin('lt', arg(0), lit(40, 'float32')), [b.add({ kind: 'reduce', reducer: 'max', axes: [0], keepDims: false }, [s2])[0]!]), s2];
    });
    const go = b.constant({ dtype: 'bool', shape: [], data: Float64Array.of(1) });
    const [fin] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: true, body }, [trips, go, x], [F([2])]) as [ValueId];
    b.output('s', fin);
    for (const n of [3, 100, 0, -2]) await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), trips: i64(n), x: scalar2() }, 1e-5);
  }, 120_000);

  it('a Loop nested in a Loop body, scan outputs of both; zero iterations give empty scan outputs', async () => {
    for (const outerTrips of [3, 0]) {
      const b = new GraphBuilder();
      withGemm(b);
      const x = b.input('x', F([2]));
      const inner = bodyLoop(b, [F([2])], ([i, c, s]) => {
        const s2 = b.map(add, [s!, b.map(cast('float32', arg(0)), [i!])]);
        return [c!, s2, b.map(bin('mul', arg(0), lit(0.5, 'float32')), [s2])];
      });
      const outer = bodyLoop(b, [F([2])], ([, c, s]) => {
        const [s2, rows] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body: inner }, [b.constant(i64(4)), s!], [F([2]), F([4, 2])]) as [ValueId, ValueId];
        return [c!, b.map(bin('sub', arg(0), lit(1, 'float32')), [s2]), rows];
      });
      const [fin, all] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body: outer }, [b.constant(i64(outerTrips)), x], [F([2]), F([outerTrips, 4, 2])]) as [ValueId, ValueId];
      b.output('s', fin);
      b.output('all', all);
      await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: f32([2], 5) }, 1e-5);
    }
  }, 120_000);

  it('an If whose condition is a constant compiles only the taken branch', async () => {
    const b = new GraphBuilder();
    withGemm(b);
    const x = b.input('x', F([3]));
    const c = b.constant({ dtype: 'bool', shape: [], data: Float64Array.of(0) });
    const thenBranch = b.region([], () => [b.map(bin('mul', arg(0), lit(3, 'float32')), [x])]);
    const elseBranch = b.region([], () => [b.map(bin('sub', arg(0), lit(3, 'float32')), [x])]);
    const [o] = b.add({ kind: 'if', thenBranch, elseBranch }, [c]) as [ValueId];
    b.output('o', o);
    const names = await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: f32([3], 2) }, 1e-5);
    expect(names.some((n) => n.endsWith('_if'))).toBe(false);
  }, 120_000);

  it('a Scan inside a Loop body is unrolled there', async () => {
    const b = new GraphBuilder();
    withGemm(b);
    const x = b.input('x', F([3, 2]));
    const scanBody = b.region([F([2]), F([2])], ([st, row]) => { const n = b.map(add, [st!, row!]); return [n, b.map(mul, [n, row!])]; });
    const body = bodyLoop(b, [F([2])], ([, c, s]) => {
      const scan = { kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [false], body: scanBody } as const;
      const [fin, prods] = b.add(scan, [s!, x], [F([2]), F([3, 2])]) as [ValueId, ValueId];
      return [c!, b.map(bin('mul', arg(0), lit(0.5, 'float32')), [fin]), prods];
    });
    const [fin, all] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [b.constant(i64(2)), b.constant(f32([2], 1))], [F([2]), F([2, 3, 2])]) as [ValueId, ValueId];
    b.output('s', fin);
    b.output('all', all);
    await expectAllFlavoursAgree(b.build(), { a: f32([8, 16], 1), x: f32([3, 2], 4) }, 1e-5);
  }, 120_000);

  it('what cannot have one static buffer shape is refused with a typed error naming the node', () => {
    const refuse = (build: (b: GraphBuilder) => void, why: RegExp) => {
      const b = new GraphBuilder();
      build(b);
      let err: unknown;
      try { compileGraph(b.build(), { threads: false, relaxedSimd: false }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CompileError);
      expect((err as CompileError).code).toBe('UNSUPPORTED_OP');
      expect((err as CompileError).node).toBe('ctl');
      expect((err as CompileError).message).toMatch(why);
    };
    const origin = (opType: string) => ({ opType, node: 'ctl' });
    // If branches of different shapes
    refuse((b) => {
      const x = b.input('x', F([3]));
      const c = b.map(bin('gt', arg(0), lit(0, 'float32')), [b.input('p', F([]))]);
      const thenBranch = b.region([], () => [b.add({ kind: 'slice', starts: [0], steps: [1] }, [x], [F([2])])[0]!]);
      const elseBranch = b.region([], () => [b.map(un0, [x])]);
      b.output('o', b.add({ kind: 'if', thenBranch, elseBranch }, [c], [F(['N'])], origin('If'))[0]!);
    }, /if output 0 has no static shape: the branches yield f32\[2\] and f32\[3\]/);
    // scan outputs of a loop whose trip count arrives at run time
    const scanLoop = (b: GraphBuilder, tripsFromInput: boolean, bodyStops: boolean, rows: number | string) => {
      const trips = tripsFromInput ? b.input('n', I64) : b.constant(i64(3));
      const body = bodyLoop(b, [F([2])], ([, c, s]) => {
        const s2 = b.map(bin('add', arg(0), lit(1, 'float32')), [s!]);
        const stop = b.map(bin('lt', arg(0), lit(5, 'float32')), [b.add({ kind: 'reduce', reducer: 'max', axes: [0], keepDims: false }, [s2])[0]!]);
        return [bodyStops ? stop : c!, s2, s2];
      });
      const outs = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trips, b.input('x', F([2]))], [F([2]), F([rows, 2])], origin('Loop'));
      b.output('s', outs[0]!);
      b.output('all', outs[1]!);
    };
    refuse((b) => scanLoop(b, true, false, 'T'), /loop scan output 0 has shape \[T,2\]: its row count is the run-time iteration count/);
    refuse((b) => scanLoop(b, true, false, 3), /loop scan outputs need a trip count known at compile time/);
    refuse((b) => scanLoop(b, false, true, 3), /body's condition may stop the loop early/);
  });

  it('a loop that never stops traps after the interpreter\'s iteration cap instead of hanging', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', F([2]));
    const body = bodyLoop(b, [F([2])], ([, c, s]) => [c!, s!]);
    const go = b.constant({ dtype: 'bool', shape: [], data: Float64Array.of(1) });
    b.output('s', b.add({ kind: 'loop', hasMaxTrip: false, hasCond: true, body }, [go, x], [F([2])])[0]!);
    const art = compileGraph(b.build(), { threads: false, relaxedSimd: false });
    const s = await InferenceSession.create(art);
    try {
      await expect(s.run({ x: new Tensor('float32', Float32Array.of(1, 2), [2]) })).rejects.toThrow(/unreachable/);
    } finally {
      await s.release();
    }
  });
});
