// Window contractions over a padded input (max pools reading -inf, sum windows reading 0) through a bordered
// copy of the input, against the reference interpreter in every code variant: random window sizes,
// strides, dilations and asymmetric padding, including windows that read only padding.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, arg, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f) * 3));
const idx = (i: number): AffineExpr => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });

describe('padded windows', () => {
  it('max and sum windows over padded inputs agree in every variant, through a bordered copy', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), oh: fc.integer({ min: 1, max: 6 }), ow: fc.integer({ min: 1, max: 13 }),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
        dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
        pads: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        max: fc.boolean(),
      }),
      async (w) => {
        const [pt, pl, pb, pr] = w.pads;
        const H = (w.oh - 1) * w.sh + (w.kh - 1) * w.dh + 1 - pt - pb;
        const W = (w.ow - 1) * w.sw + (w.kw - 1) * w.dw + 1 - pl - pr;
        if (H < 1 || W < 1) return;
        const b = new GraphBuilder();
        const x = b.input('x', tensorType('float32', [w.n, w.c, H, W]));
        const map: AffineExpr[] = [idx(0), idx(1),
          { terms: [{ idx: 2, coeff: w.sh }, { idx: 4, coeff: w.dh }], offset: -pt }, { terms: [{ idx: 3, coeff: w.sw }, { idx: 5, coeff: w.dw }], offset: -pl }];
        b.output('y', b.add1({
          kind: 'contract', reductionExtents: [w.kh, w.kw], maps: [map], padValues: [w.max ? -Infinity : 0], combiner: arg(0),
          reducer: w.max ? 'max' : 'add', accDtype: 'float32', epilogue: null,
        }, [x], [tensorType('float32', [w.n, w.c, w.oh, w.ow])]));
        const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [w.n, w.c, H, W], data: wave(w.n * w.c * H * W, 0.37) } }, 1e-6);
        // a bordered copy exactly when some window reaches the padding
        const reaches = pt > 0 || pl > 0 || (w.oh - 1) * w.sh + (w.kh - 1) * w.dh - pt >= H || (w.ow - 1) * w.sw + (w.kw - 1) * w.dw - pl >= W;
        expect(kernels.some((k) => k.endsWith('_window')), JSON.stringify(w)).toBe(reaches);
      }), { numRuns: 60, seed: 21 });
  }, 300_000);
});
