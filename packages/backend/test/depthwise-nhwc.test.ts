// Depthwise convolutions inside NHWC chains (propagate-layout makes a Keras-style model NHWC; the grouped
// contraction becomes [N, OH, OW, C, 1]) run on the direct NHWC kernel (emit-depthwise-nhwc.ts), against the
// reference interpreter in every code variant: random geometry (channel counts that leave 16-, 4- and 1-wide
// channel blocks, strides, dilations, padding, two images), bias + ReLU epilogues, and a MobileNet block
// (1x1 expand, depthwise 3x3 stride 2, 1x1 project) with no transpose left.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, lit, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number, s = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f + s)));
const shapeOf = (b: GraphBuilder, v: ValueId) => b.tensorTypeOf(v).shape as number[];

function conv(b: GraphBuilder, x: ValueId, m: number, k: number, group: number, stride = 1, pad = 0, dil = 1, seed = 0): ValueId {
  const c = shapeOf(b, x)[1]!;
  const w = b.constant({ dtype: 'float32', shape: [m, c / group, k, k], data: wave(m * (c / group) * k * k, 0.7, seed) });
  return b.conv({ x, w, strides: [stride, stride], dilations: [dil, dil], pads: [pad, pad, pad, pad], group });
}
const biasRelu = (b: GraphBuilder, y: ValueId, seed: number) => {
  const m = shapeOf(b, y)[1]!;
  return b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant({ dtype: 'float32', shape: [m, 1, 1], data: wave(m, 0.9, seed) })]);
};
/** A Keras-style model: NHWC input transposed to NCHW, the layers, transposed back. */
function keras(n: number, h: number, w: number, c: number, layers: (b: GraphBuilder, x: ValueId) => ValueId): { g: ReturnType<GraphBuilder['build']>; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const x = b.add1({ kind: 'transpose', perm: [0, 3, 1, 2] }, [b.input('x', f32(n, h, w, c))]);
  b.output('y', b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [layers(b, x)]));
  const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
  return { g, feeds: { x: { dtype: 'float32', shape: [n, h, w, c], data: wave(n * h * w * c, 0.31) } } };
}

const dwCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.constantFrom(1, 3, 4, 7, 16, 21, 36),
  hw: fc.integer({ min: 2, max: 9 }),
  k: fc.integer({ min: 1, max: 3 }),
  s: fc.integer({ min: 1, max: 2 }),
  p: fc.integer({ min: 0, max: 1 }),
  d: fc.integer({ min: 1, max: 2 }),
  bias: fc.boolean(),
});

describe('depthwise convolution in NHWC', () => {
  it('random depthwise convolutions in a Keras-style NHWC model agree in every variant, on the NHWC kernel', async () => {
    let onKernel = 0;
    await fc.assert(fc.asyncProperty(dwCase, async (c) => {
      if (c.hw + 2 * c.p - c.d * (c.k - 1) - 1 < 0) return;
      const built = keras(c.n, c.hw, c.hw, c.c, (b, x) => {
        // a 1x1 convolution first (a chain must hold a convolution worth NHWC), then the depthwise one
        const y = conv(b, conv(b, x, c.c, 1, 1, 1, 0, 1, 3), c.c, c.k, c.c, c.s, c.p, c.d, 1);
        return c.bias ? biasRelu(b, y, 2) : y;
      });
      const kernels = (await expectAllFlavoursAgree(built.g, built.feeds, 2e-5)).map((k) => k.replace(/^k\d+_/, ''));
      // A 1x1 result's closing transpose folds into a reshape of the grouped result itself, which no longer
      // looks like the depthwise merge: that chain stays NCHW (still correct, checked above).
      const oh = Math.floor((c.hw + 2 * c.p - c.d * (c.k - 1) - 1) / c.s) + 1;
      if (oh === 1) return;
      expect(kernels.filter((k) => k === 'transpose'), JSON.stringify(c)).toEqual([]);
      if (c.c > 1) {
        expect(kernels.filter((k) => k === 'depthwise_nhwc'), JSON.stringify(c)).toEqual(['depthwise_nhwc']);
        onKernel++;
      }
    }), { numRuns: 60, seed: 23 });
    expect(onKernel).toBeGreaterThan(25);
  }, 300_000);

  it('NCHW too: a depthwise convolution\'s bias and ReLU fuse into it through the merge reshape (no map kernel)', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 20, 9, 9));
    b.output('y', biasRelu(b, conv(b, x, 20, 3, 20, 1, 1, 1, 5), 6));
    const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    const kernels = (await expectAllFlavoursAgree(g, { x: { dtype: 'float32', shape: [2, 20, 9, 9], data: wave(2 * 20 * 81, 0.23) } }, 2e-5)).map((k) => k.replace(/^k\d+_/, ''));
    expect(kernels).toEqual(['pad', 'depthwise']);
  }, 120_000);

  it('a MobileNet block (1x1 expand + ReLU6, depthwise 3x3 stride 2 + ReLU6, 1x1 project) runs NHWC end to end', async () => {
    const relu6 = (b: GraphBuilder, y: ValueId) => b.map(bin('min', bin('max', arg(0), lit(0, 'float32')), lit(6, 'float32')), [y]);
    const built = keras(1, 14, 14, 8, (b, x) => {
      const e = relu6(b, biasRelu(b, conv(b, x, 48, 1, 1), 1));
      const d = relu6(b, biasRelu(b, conv(b, e, 48, 3, 48, 2, 1, 1, 2), 3));
      return conv(b, d, 16, 1, 1, 1, 0, 1, 4);
    });
    const kernels = (await expectAllFlavoursAgree(built.g, built.feeds, 2e-5)).map((k) => k.replace(/^k\d+_/, ''));
    expect(kernels.filter((k) => k === 'transpose')).toEqual([]);
    expect(kernels).toEqual(['conv_nhwc_gemm', 'pad', 'depthwise_nhwc', 'conv_nhwc_gemm']); // every bias and ReLU6 fused
    console.log(`[depthwise-nhwc] MobileNet block kernels: ${kernels.join(', ')}`);
  }, 120_000);
});
