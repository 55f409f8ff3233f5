// Explicit constant Pads folded into convolutions and pools (fold-pad-into-contract) compile to the padded
// conv / window kernels: every code variant agrees with the interpreter, and the Pad
// kernels are gone.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Op, OPTIMIZE_PIPELINE, arg, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f) * 3));
const padOp = (low: number[], high: number[], value: number): Op => ({ kind: 'pad', mode: 'constant', low, high, interior: [0, 0, 0, 0], value });

describe('explicit Pads folded into windows', () => {
  it('Pad -> conv (asymmetric, beyond the kernel reach) -> Pad(-inf) -> max pool runs without Pad kernels', async () => {
    const b = new GraphBuilder();
    const [C, H, W] = [3, 9, 11];
    const x = b.input('x', f32(1, C, H, W));
    const w = b.input('w', f32(8, C, 3, 3));
    const conv = b.conv({ x: b.add1(padOp([0, 0, 2, 0], [0, 0, 1, 3], 0), [x]), w, strides: [1, 2], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 });
    const [oh, ow] = [H + 3 + 2 - 2, Math.floor((W + 3 + 2 - 3) / 2) + 1];
    const padded = b.add1(padOp([0, 0, 1, 1], [0, 0, 1, 1], -Infinity), [conv]);
    const out = (s: number) => Math.floor((s + 2 - 3) / 2) + 1;
    const win = (o: number, r: number) => ({ terms: [{ idx: o, coeff: 2 }, { idx: r, coeff: 1 }], offset: 0 });
    b.output('y', b.add1({
      kind: 'contract', reductionExtents: [3, 3], padValues: [null], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null,
      maps: [[{ terms: [{ idx: 0, coeff: 1 }], offset: 0 }, { terms: [{ idx: 1, coeff: 1 }], offset: 0 }, win(2, 4), win(3, 5)]],
    }, [padded], [f32(1, 8, out(oh), out(ow))]));
    const g = b.build();
    const opt = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'pad')).toHaveLength(0);
    const feeds = { x: { dtype: 'float32' as const, shape: [1, C, H, W], data: wave(C * H * W, 0.37) }, w: { dtype: 'float32' as const, shape: [8, C, 3, 3], data: wave(8 * C * 9, 0.11) } };
    const kernels = await expectAllFlavoursAgree(opt, feeds, 1e-5);
    expect(kernels.some((k) => k.includes('conv'))).toBe(true);
  });
});
