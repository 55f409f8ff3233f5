// fold-pad-into-contract: golden before/after IR text (a Pad before an unpadded conv folds, a Pad before a
// padded conv merges borders, a Pad before a matmul and a reflect Pad stay), and the differential property
// that random constant Pads feeding convolutions and pooling windows give bit-identical interpreter results.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, type Op, OPTIMIZE_PIPELINE, arg, passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const pass = passByName('fold-pad-into-contract')!;
const padOp = (low: number[], high: number[], value = 0, mode: 'constant' | 'reflect' = 'constant'): Op =>
  ({ kind: 'pad', mode, low, high, interior: low.map(() => 0), value });

function golden(g: Graph): string {
  const { graph } = runPipeline(g, [pass, passByName('dce')!], { verifyEach: true });
  return `${printGraph(g)}--- after fold-pad-into-contract, dce ---\n${printGraph(graph)}`;
}

/** A max-pooling window contraction over [N, C, H, W] (as the frontend builds it). */
function maxPool(b: GraphBuilder, x: number, k: number, stride: number, pad: number | null): number {
  const [N, C, H, W] = b.tensorTypeOf(x).shape as number[];
  const p = pad === null ? 0 : 1;
  const out = (s: number) => Math.floor((s + 2 * p - k) / stride) + 1;
  const win = (o: number, r: number) => ({ terms: [{ idx: o, coeff: stride }, { idx: r, coeff: 1 }], offset: -p });
  return b.add1({
    kind: 'contract', reductionExtents: [k, k], padValues: [pad], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null,
    maps: [[{ terms: [{ idx: 0, coeff: 1 }], offset: 0 }, { terms: [{ idx: 1, coeff: 1 }], offset: 0 }, win(2, 4), win(3, 5)]],
  }, [x], [f32(N!, C!, out(H!), out(W!))]);
}

describe('fold-pad-into-contract golden', () => {
  it('folds Pads into convolutions and windows; leaves a matmul operand and a reflect Pad', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(1, 2, 5, 5));
    const w = b.input('w', f32(3, 2, 3, 3));
    const same = b.conv({ x: b.add1(padOp([0, 0, 1, 1], [0, 0, 1, 1]), [x]), w, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 });
    const merged = b.conv({ x: b.add1(padOp([0, 0, 0, 1], [0, 0, 2, 0]), [x]), w, strides: [2, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 });
    const pooled = maxPool(b, b.add1(padOp([0, 0, 1, 1], [0, 0, 1, 1], -Infinity), [same]), 3, 2, null);
    const reflect = b.conv({ x: b.add1(padOp([0, 0, 1, 1], [0, 0, 1, 1], 0, 'reflect'), [x]), w, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 });
    const m = b.input('m', f32(3, 4));
    const mm = b.matmul(b.add1(padOp([0, 1], [0, 0]), [m]), b.input('n', f32(5, 2)));
    b.output('same', same); b.output('merged', merged); b.output('pooled', pooled); b.output('reflect', reflect); b.output('mm', mm);
    const text = golden(b.build());
    const after = text.split('--- after')[1]!;
    expect(after.match(/= pad/g)?.length).toBe(2); // the reflect Pad and the matmul's Pad
    await expect(text).toMatchFileSnapshot('golden/pass-fold-pad-into-contract.ir');
  });
});

/** A random constant Pad of a [1, C, H, W] input feeding a convolution (own pads 0 or 1) or a max pool. */
const padCase = fc.record({
  c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 2, max: 6 }), w: fc.integer({ min: 2, max: 6 }),
  low: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  high: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  value: fc.constantFrom(0, 0.5, -Infinity),
  ownPad: fc.constantFrom(0, 1),
  samePad: fc.boolean(),
  pool: fc.boolean(),
  stride: fc.integer({ min: 1, max: 2 }),
  dilation: fc.integer({ min: 1, max: 2 }),
  k: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function buildCase(c: fc.RecordValue<typeof padCase> extends infer T ? T : never): { graph: Graph; feeds: Record<string, HostTensor> } | undefined {
  const b = new GraphBuilder();
  const x = b.input('x', f32(1, c.c, c.h, c.w));
  const padded = b.add1(padOp([0, 0, c.low[0], c.low[1]], [0, 0, c.high[0], c.high[1]], c.value), [x]);
  const [ph, pw] = [c.h + c.low[0] + c.high[0] + 2 * c.ownPad, c.w + c.low[1] + c.high[1] + 2 * c.ownPad];
  if (Math.min(ph, pw) < (c.k - 1) * c.dilation + 1) return undefined;
  const fill = (shape: number[], k: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 1.3 + k + c.seed))) });
  const feeds: Record<string, HostTensor> = { x: fill([1, c.c, c.h, c.w], 0) };
  if (c.pool) {
    if (c.dilation !== 1 || ph < c.k) return undefined;
    b.output('y', maxPool(b, padded, c.k, c.stride, c.ownPad ? (c.samePad ? c.value : -Infinity) : null));
  } else {
    const w = b.input('w', f32(2, c.c, c.k, c.k));
    feeds['w'] = fill([2, c.c, c.k, c.k], 1);
    const p = c.ownPad;
    b.output('y', b.conv({ x: padded, w, strides: [c.stride, c.stride], dilations: [c.dilation, c.dilation], pads: [p, p, p, p], group: 1, padValue: c.samePad ? c.value : 0 }));
  }
  return { graph: b.build(), feeds };
}

describe('fold-pad-into-contract differential', () => {
  it('random constant Pads into convolutions and pools: same bits with and without the pass', () => {
    let folded = 0;
    let runs = 0;
    fc.assert(fc.property(padCase, (c) => {
      const built = buildCase(c);
      if (!built) return;
      const { graph, feeds } = built;
      runs++;
      const without = runPipeline(graph, OPTIMIZE_PIPELINE.filter((q) => q !== pass), { verifyEach: true }).graph;
      const withPass = runPipeline(graph, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      const alone = runPipeline(graph, [pass], { verifyEach: true }).graph;
      if (printGraph(alone) !== printGraph(graph)) folded++;
      expectRewritesExact(graph, [without, withPass, alone], feeds);
    }), { numRuns: 300, seed: 307 });
    expect(runs).toBeGreaterThan(200);
    expect(folded).toBeGreaterThan(runs / 2); // the property must exercise the pass
  });
});
