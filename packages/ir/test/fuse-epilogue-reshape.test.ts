// fuse-epilogue through a reshape that only drops or inserts size-1 dims: a grouped (depthwise) convolution's
// [N, G, 1, OH, OW] result seen as [N, C, OH, OW] by its bias and activation, and a matmul's [M, N] seen as
// [1, M, 1, N]. The property: random such graphs give bit-identical interpreter results with the pass, and
// most of them fuse (the map disappears into the contraction, the reshape moves after it).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, type ValueId, arg, bin, lit, passByName, printGraph, runPipeline, tensorType, un } from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (shape: number[], k: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 0.71 + k))),
});
const pass = passByName('fuse-epilogue')!;

const viewCase = fc.record({
  kind: fc.constantFrom('depthwise', 'matmul'),
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 2, max: 5 }),
  hw: fc.integer({ min: 2, max: 5 }),
  /** what the map reads besides the result: a per-channel bias, a scalar, a full residual, nothing */
  operand: fc.constantFrom('bias', 'scalar', 'residual', 'none'),
  act: fc.constantFrom('relu', 'tanh', 'none'),
  seed: fc.integer({ min: 0, max: 100 }),
});

describe('fuse-epilogue through unit-dim reshapes', () => {
  it('random depthwise convolutions and matmuls with their epilogue behind a unit-dim reshape: same bits, fused', () => {
    let runs = 0;
    let fused = 0;
    fc.assert(fc.property(viewCase, (c) => {
      const b = new GraphBuilder();
      const feeds: Record<string, HostTensor> = {};
      const input = (name: string, shape: number[]) => { feeds[name] = wave(shape, c.seed + name.length); return b.input(name, f32(...shape)); };
      let y: ValueId;
      if (c.kind === 'depthwise') {
        const x = input('x', [c.n, c.c, c.hw, c.hw]);
        const w = b.constant(wave([c.c, 1, 3, 3], 1));
        y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: c.c }); // grouped result + merge reshape
      } else {
        const mm = b.matmul(input('x', [c.hw, c.n + 1]), b.constant(wave([c.n + 1, c.c], 2)));
        y = b.add1({ kind: 'reshape' }, [mm], [f32(1, c.hw, 1, c.c)]);
      }
      const shape = b.tensorTypeOf(y).shape as number[];
      const chShape = c.kind === 'depthwise' ? [c.c, 1, 1] : [c.c];
      if (c.operand === 'bias') y = b.map(bin('add', arg(0), arg(1)), [y, b.constant(wave(chShape, 3))]);
      else if (c.operand === 'scalar') y = b.map(bin('mul', arg(1), arg(0)), [y, b.constant(wave([], 4))]);
      else if (c.operand === 'residual') y = b.map(bin('sub', arg(0), arg(1)), [y, input('r', shape)]);
      if (c.act === 'relu') y = b.map(bin('max', arg(0), lit(0, 'float32')), [y]);
      else if (c.act === 'tanh') y = b.map(un('tanh', arg(0)), [y]);
      b.output('y', y);
      const g = b.build();
      runs++;
      const after = runPipeline(g, [passByName('constfold')!, pass, passByName('dce')!], { verifyEach: true });
      const maps = after.graph.nodes.filter((n) => n.op.kind === 'map').length;
      if ((c.operand !== 'none' || c.act !== 'none') && maps === 0) fused++;
      expectRewritesExact(g, [after.graph], feeds);
    }), { numRuns: 200, seed: 41 });
    expect(fused).toBeGreaterThan(runs / 2);
  });

  it('golden: a depthwise convolution with bias and ReLU becomes one contraction and its reshape', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(1, 2, 3, 3));
    const y = b.conv({ x, w: b.constant(wave([2, 1, 3, 3], 1)), strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 2 });
    b.output('y', b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant(wave([2, 1, 1], 3))]));
    const g = runPipeline(b.build(), [passByName('constfold')!], { verifyEach: true }).graph;
    const after = runPipeline(g, [pass, passByName('dce')!], { verifyEach: true });
    expect(after.reports[0]!.counters).toEqual({ fusedThroughReshape: 1 });
    const text = printGraph(after.graph);
    expect(text).toMatch(/f32\[1,2,1,3,3\] = contract\(.*epilogue=max\(add\(acc, a2\), 0:f32\)/);
    await expect(`${printGraph(g)}--- after fuse-epilogue, dce ---\n${text}`).toMatchFileSnapshot('golden/pass-fuse-epilogue-through-reshape.ir');
  });
});
