// Scan unrolled at compile time (unroll-scan.ts), compiled and run against the reference interpreter: states,
// several scan inputs on different axes and directions, scan outputs stacked on any axis (reversed too), body
// reads of outer values and body constants, a scan nested in a scan body, and a state passed through untouched.
// The unrolled graph must verify, and an empty sequence is refused with a typed error naming the node.

import { describe, expect, it } from 'vitest';
import { CompileError, GraphBuilder, type Graph, type HostTensor, type ScalarExpr, type ValueId, fromHostTensor, interpret, tensorType, toHostTensor, verify } from '@tensorc/ir';
import { InferenceSession, Tensor, type TensorType } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';
import { unrollScans } from '../src/wasm/unroll-scan.js';

const a0: ScalarExpr = { k: 'arg', i: 0 };
const a1: ScalarExpr = { k: 'arg', i: 1 };
const add: ScalarExpr = { k: 'bin', op: 'add', a: a0, b: a1 };
const mul: ScalarExpr = { k: 'bin', op: 'mul', a: a0, b: a1 };
const sub: ScalarExpr = { k: 'bin', op: 'sub', a: a0, b: a1 };

const f32 = (shape: number[], seed: number): HostTensor => toHostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 1.3 + seed) * 4)));

async function expectAgree(g: Graph, feeds: Record<string, HostTensor>): Promise<void> {
  verify(unrollScans(g));
  const want = interpret(g, feeds);
  const a = compileGraph(g);
  const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights });
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => { const u = fromHostTensor(v); return [k, new Tensor(u.type as TensorType, u.data as never, u.dims)]; }));
    const got = await s.run(tensors);
    for (const [name, w] of Object.entries(want) as [string, HostTensor][]) {
      const t = got[name]!;
      expect([...t.dims], name).toEqual([...w.shape]);
      expect([...(t.data as Float32Array)].map(Number), name).toEqual([...(w.data as Float64Array)].map(Number));
    }
  } finally {
    await s.release();
  }
}

describe('scan unrolled by the backend', () => {
  it('states, scan inputs on two axes (one reversed), outputs stacked on axis 0 and reversed on axis 1, outer values', async () => {
    const b = new GraphBuilder();
    const init = b.input('init', tensorType('float32', [2]));
    const x1 = b.input('x1', tensorType('float32', [3, 2]));
    const x2 = b.input('x2', tensorType('float32', [2, 3]));
    const w = b.input('w', tensorType('float32', [2]));
    const body = b.region([tensorType('float32', [2]), tensorType('float32', [2]), tensorType('float32', [2])], ([s, u, v]) => {
      const half = b.constant({ dtype: 'float32', shape: [2], data: Float64Array.of(0.5, -0.25) });
      const next = b.map(add, [s!, b.map(mul, [u!, v!])]);
      return [b.map(mul, [next, half]), next, b.map(sub, [u!, w])];
    });
    const op = { kind: 'scan', numScanInputs: 2, scanInputAxes: [0, 1], scanInputReverse: [false, true], scanOutputAxes: [0, 1], scanOutputReverse: [false, true], body } as const;
    const [fin, ys, zs] = b.add(op, [init, x1, x2], [tensorType('float32', [2]), tensorType('float32', [3, 2]), tensorType('float32', [2, 3])]) as [ValueId, ValueId, ValueId];
    b.output('final', fin);
    b.output('ys', ys);
    b.output('zs', zs);
    await expectAgree(b.build(), { init: f32([2], 1), x1: f32([3, 2], 2), x2: f32([2, 3], 3), w: f32([2], 4) });
  });

  it('a scan nested in a scan body; a state passed through untouched', async () => {
    const b = new GraphBuilder();
    const init = b.input('init', tensorType('float32', [2]));
    const keep = b.input('keep', tensorType('float32', [2]));
    const x = b.input('x', tensorType('float32', [3, 4, 2]));
    const inner = b.region([tensorType('float32', [2]), tensorType('float32', [2])], ([s, r]) => {
      const next = b.map(add, [s!, r!]);
      return [next, b.map(mul, [next, r!])];
    });
    const outer = b.region([tensorType('float32', [2]), tensorType('float32', [2]), tensorType('float32', [4, 2])], ([s, k, rows]) => {
      const innerOp = { kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [true], body: inner } as const;
      const [sum, prods] = b.add(innerOp, [s!, rows!], [tensorType('float32', [2]), tensorType('float32', [4, 2])]) as [ValueId, ValueId];
      return [sum, k!, prods];
    });
    const op = { kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [true], scanOutputAxes: [1], scanOutputReverse: [false], body: outer } as const;
    const [fin, kept, all] = b.add(op, [init, keep, x], [tensorType('float32', [2]), tensorType('float32', [2]), tensorType('float32', [4, 3, 2])]) as [ValueId, ValueId, ValueId];
    b.output('final', fin);
    b.output('kept', kept);
    b.output('all', all);
    await expectAgree(b.build(), { init: f32([2], 5), keep: f32([2], 6), x: f32([3, 4, 2], 7) });
  });

  it('an empty sequence is refused with a typed error', () => {
    const b = new GraphBuilder();
    b.origin = { opType: 'Scan', node: 'scan0' };
    const init = b.input('init', tensorType('float32', [2]));
    const x = b.input('x', tensorType('float32', [0, 2]));
    const body = b.region([tensorType('float32', [2]), tensorType('float32', [2])], ([s, r]) => [b.map(add, [s!, r!])]);
    const op = { kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [], scanOutputReverse: [], body } as const;
    b.output('y', b.add1(op, [init, x], [tensorType('float32', [2])]));
    let err: unknown;
    try {
      compileGraph(b.build());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe('UNSUPPORTED_OP');
    expect((err as CompileError).node).toBe('scan0');
    expect((err as CompileError).message).toMatch(/empty sequence/);
  });
});
