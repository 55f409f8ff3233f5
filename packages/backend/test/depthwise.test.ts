// Depthwise convolutions (one input channel per group, 1-3 output channels each) on the direct f32x4 kernel
// against the reference interpreter in every code variant: random strides, dilations, asymmetric padding,
// kernel sizes and output widths (16-wide blocks, 4-wide blocks and single outputs), epilogues on vectors and
// per element. Epilogues are put on the convolution's contraction itself, as fusion would.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, type HostTensor, type ScalarExpr, arg, bin, lit, tensorType, un } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';
import { windowFields } from './window-fields.js';

const wave = (n: number, f: number, s = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f + s)));
const idx = (i: number): AffineExpr => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });

const dwCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 2, max: 5 }),
  mult: fc.integer({ min: 1, max: 3 }),
  oh: fc.integer({ min: 1, max: 5 }),
  ow: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(16, 32)),
  ...windowFields(5, 5),
  epi: fc.constantFrom('none', 'bias_relu', 'tanh', 'residual'),
});

type DwCase = typeof dwCase extends fc.Arbitrary<infer T> ? T : never;

/** The grouped contraction the IR builds for a convolution (loops n, g, m', oh, ow | c', kh, kw), with an epilogue. */
function build(d: DwCase): { g: ReturnType<GraphBuilder['build']>; feeds: Record<string, HostTensor> } | undefined {
  const [pt, pl, pb, pr] = d.pads;
  const H = (d.oh - 1) * d.sh + (d.kh - 1) * d.dh + 1 - pt - pb;
  const W = (d.ow - 1) * d.sw + (d.kw - 1) * d.dw + 1 - pl - pr;
  if (H < 1 || W < 1) return undefined;
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [d.n, d.c, H, W]));
  const w = b.constant({ dtype: 'float32', shape: [d.c, d.mult, 1, d.kh, d.kw], data: wave(d.c * d.mult * d.kh * d.kw, 0.7) });
  const outShape = [d.n, d.c, d.mult, d.oh, d.ow];
  const inputs = [x, w];
  const maps: AffineExpr[][] = [
    [idx(0), { terms: [{ idx: 1, coeff: 1 }, { idx: 5, coeff: 1 }], offset: 0 },
      { terms: [{ idx: 3, coeff: d.sh }, { idx: 6, coeff: d.dh }], offset: -pt }, { terms: [{ idx: 4, coeff: d.sw }, { idx: 7, coeff: d.dw }], offset: -pl }],
    [idx(1), idx(2), idx(5), idx(6), idx(7)],
  ];
  let epilogue: ScalarExpr | null = null;
  if (d.epi === 'bias_relu') {
    inputs.push(b.constant({ dtype: 'float32', shape: [d.c, d.mult], data: wave(d.c * d.mult, 0.9, 1) }));
    maps.push([idx(1), idx(2)]);
    epilogue = bin('max', bin('add', { k: 'acc' }, arg(2)), lit(0, 'float32'));
  } else if (d.epi === 'tanh') {
    epilogue = un('tanh', { k: 'acc' });
  } else if (d.epi === 'residual') {
    inputs.push(b.constant({ dtype: 'float32', shape: outShape, data: wave(outShape.reduce((p, q) => p * q, 1), 0.13, 2) }));
    maps.push([0, 1, 2, 3, 4].map(idx));
  }
  if (d.epi === 'residual') epilogue = bin('add', { k: 'acc' }, arg(2));
  const padded = d.pads.some((p) => p > 0);
  const y = b.add1({
    kind: 'contract', reductionExtents: [1, d.kh, d.kw], maps, padValues: [padded ? 0 : null, null, ...inputs.slice(2).map(() => null)],
    combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue,
  }, inputs, [tensorType('float32', outShape)]);
  b.output('y', b.add1({ kind: 'reshape' }, [y], [tensorType('float32', [d.n, d.c * d.mult, d.oh, d.ow])]));
  return { g: b.build(), feeds: { x: { dtype: 'float32', shape: [d.n, d.c, H, W], data: wave(d.n * d.c * H * W, 0.31) } } };
}

describe('depthwise convolution', () => {
  it('random depthwise convolutions agree in every variant, on the direct kernel', async () => {
    let ran = 0;
    await fc.assert(fc.asyncProperty(dwCase, async (d) => {
      const built = build(d);
      if (!built) return;
      const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5);
      expect(kernels.some((k) => k.endsWith('_depthwise')), JSON.stringify(d)).toBe(true);
      ran++;
    }), { numRuns: 60, seed: 12 });
    expect(ran).toBeGreaterThan(30);
  }, 300_000);

  it('a depthwise Conv built as the frontend builds it (group = channels) uses the kernel', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [1, 8, 9, 20]));
    const w = b.constant({ dtype: 'float32', shape: [8, 1, 3, 3], data: wave(72, 0.7) });
    b.output('y', b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 8 }));
    const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [1, 8, 9, 20], data: wave(1440, 0.31) } }, 2e-5);
    // besides the bordered input copy (and the output, a reshape of the kernel's, copied out)
    expect(kernels.map((k) => k.replace(/^k\d+_/, '')).filter((k) => !k.startsWith('pad') && !k.startsWith('copy_out'))).toEqual(['depthwise']);
  }, 60_000);
});
