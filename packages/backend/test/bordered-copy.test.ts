// The bordered copy a padded convolution or pool reads (one kernel: per row border, f32x4 copy, border)
// against the reference interpreter in every code variant, 2 threads included: borders from 0 to 9 wide on
// each side (scalar stores below 4, unrolled vectors, then a vector loop), interiors from 1 to 45 wide
// (odd widths: the overlapping last vector), asymmetric pads, strides that leave input columns unread, and a
// max pool's -inf border; each padded operation gets exactly one copy kernel.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, arg, tensorType } from '@tensorc/ir';
import { compileGraph } from '../src/index.js';
import { expectAllFlavoursAgree } from './variants-harness.js';

const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f) * 3 + 0.5));
const idx = (i: number): AffineExpr => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });
const copies = (kernels: readonly string[]) => kernels.filter((k) => /_pad(_fill)?$/.test(k)).length;

const pad = fc.integer({ min: 0, max: 9 });
const windowCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 45 }),
  k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), pads: fc.tuple(pad, pad, pad, pad), max: fc.boolean(),
});

describe('bordered copy', () => {
  it('pools over inputs with wide, asymmetric borders agree in every variant, through one copy kernel', async () => {
    let bordered = 0;
    await fc.assert(fc.asyncProperty(windowCase, async (w) => {
      const [pt, pl, pb, pr] = w.pads;
      const oh = Math.floor((w.h + pt + pb - w.k) / w.s) + 1;
      const ow = Math.floor((w.w + pl + pr - w.k) / w.s) + 1;
      if (oh < 1 || ow < 1) return;
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [w.n, w.c, w.h, w.w]));
      const map: AffineExpr[] = [idx(0), idx(1), { terms: [{ idx: 2, coeff: w.s }, { idx: 4, coeff: 1 }], offset: -pt }, { terms: [{ idx: 3, coeff: w.s }, { idx: 5, coeff: 1 }], offset: -pl }];
      b.output('y', b.add1({
        kind: 'contract', reductionExtents: [w.k, w.k], maps: [map], padValues: [w.max ? -Infinity : 0], combiner: arg(0),
        reducer: w.max ? 'max' : 'add', accDtype: 'float32', epilogue: null,
      }, [x], [tensorType('float32', [w.n, w.c, oh, ow])]));
      const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [w.n, w.c, w.h, w.w], data: wave(w.n * w.c * w.h * w.w, 0.37) } }, 1e-6);
      if (!kernels.some((k) => k.endsWith('_window'))) return;
      expect(copies(kernels), JSON.stringify(w)).toBe(1);
      bordered++;
    }), { numRuns: 40, seed: 33 });
    expect(bordered).toBeGreaterThan(25);
  }, 300_000);

  it('convolutions with wide borders agree in every variant, through one copy kernel', async () => {
    for (const [H, W, k, stride, pads] of [
      [5, 37, 3, 1, [1, 6, 2, 9]], [3, 8, 3, 2, [5, 4, 0, 7]], [6, 19, 1, 3, [2, 0, 4, 0]], [2, 2, 3, 1, [7, 9, 8, 5]], [4, 45, 2, 1, [0, 17, 0, 3]],
    ] as const) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [1, 3, H, W]));
      const w = b.constant({ dtype: 'float32', shape: [4, 3, k, k], data: wave(12 * k * k, 0.7) });
      b.output('y', b.conv({ x, w, strides: [stride, stride], dilations: [1, 1], pads: [...pads], group: 1 }));
      const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [1, 3, H, W], data: wave(3 * H * W, 0.31) } }, 2e-5);
      expect(kernels.some((n) => n.endsWith('_conv_gemm'))).toBe(true);
      expect(copies(kernels), `${H}x${W} pads ${pads}`).toBe(1);
    }
  }, 120_000);

  it('a large copy is one parallel step of rows', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [1, 8, 128, 128]));
    const w = b.constant({ dtype: 'float32', shape: [8, 8, 3, 3], data: wave(576, 0.7) });
    b.output('y', b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 }));
    const steps = compileGraph(b.build()).manifest.parallel!.steps;
    const copy = steps.find((s) => s.kernel.endsWith('_pad'));
    expect(copy?.iterations).toBe(8 * 130);
  });
});
