// NHWC convolutions (input [N, H, W, C], output [N, OH, OW, M]) on the gather-free implicit GEMM, against the
// reference interpreter in every code variant (baseline and relaxed SIMD, 1 and 2 threads): random geometry
// (strides, dilations, asymmetric padding, several images, output widths below and above 4 and 8, channel
// counts that leave ragged panels), weights stored in any dim order the contraction's map names, reduction
// loops in any order, fused epilogues (bias + ReLU on vectors, tanh per element, an NHWC residual), 2x2 max
// pools fused into the GEMM when the output grid is even (a separate nest otherwise). Forms the
// kernel does not take (run-time weights) keep the generic nest and still agree.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, type HostTensor, type ValueId, arg, bin, lit, tensorType, un } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';
import { windowFields } from './window-fields.js';

const wave = (n: number, f: number, s = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f + s)));
const idx = (i: number): AffineExpr => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });

type Epilogue = 'none' | 'bias_relu' | 'tanh' | 'residual';
/** Weight layouts as dim orders over (m, kh, kw, c): ONNX's [M, C, KH, KW], TensorFlow's HWIO, [M, KH, KW, C]. */
const LAYOUTS = { mckk: ['m', 'c', 'kh', 'kw'], hwio: ['kh', 'kw', 'c', 'm'], mkkc: ['m', 'kh', 'kw', 'c'] } as const;

const nhwcCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 9 }),
  m: fc.integer({ min: 1, max: 19 }),
  oh: fc.integer({ min: 1, max: 5 }),
  ow: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(8, 16)),
  ...windowFields(3, 3),
  slack: fc.integer({ min: 0, max: 2 }),
  layout: fc.constantFrom<keyof typeof LAYOUTS>('mckk', 'hwio', 'mkkc'),
  /** the reduction loops' order: a permutation of (kh, kw, c) */
  reduction: fc.constantFrom(['kh', 'kw', 'c'], ['c', 'kh', 'kw'], ['kw', 'c', 'kh']),
  epi: fc.constantFrom<Epilogue>('none', 'bias_relu', 'tanh', 'residual'),
  pool: fc.boolean(),
});
type NhwcCase = typeof nhwcCase extends fc.Arbitrary<infer T> ? T : never;

/** An NHWC convolution as a contraction: loops n, oh, ow, m, then the reduction loops in the case's order. */
export function nhwcConv(b: GraphBuilder, x: ValueId, w: ValueId, c: NhwcCase, out: readonly number[]): ValueId {
  const red = (name: 'kh' | 'kw' | 'c') => 4 + c.reduction.indexOf(name);
  const loopOf = { m: 3, kh: red('kh'), kw: red('kw'), c: red('c') } as const;
  const extent = { kh: c.kh, kw: c.kw, c: c.c };
  const [pt, pl] = c.pads;
  const mx: AffineExpr[] = [
    idx(0),
    { terms: [{ idx: 1, coeff: c.sh }, { idx: loopOf.kh, coeff: c.dh }], offset: -pt },
    { terms: [{ idx: 2, coeff: c.sw }, { idx: loopOf.kw, coeff: c.dw }], offset: -pl },
    idx(loopOf.c),
  ];
  const mw = LAYOUTS[c.layout].map((d) => idx(loopOf[d]));
  return b.add1({
    kind: 'contract', reductionExtents: c.reduction.map((r) => extent[r as 'kh' | 'kw' | 'c']), maps: [mx, mw],
    padValues: [c.pads.some((p) => p > 0) ? 0 : null, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null,
  }, [x, w], [tensorType('float32', [...out])]);
}

function withEpilogue(b: GraphBuilder, y: ValueId, shape: readonly number[], epi: Epilogue): ValueId {
  const m = shape[3]!;
  switch (epi) {
    case 'none': return y;
    case 'bias_relu': return b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant({ dtype: 'float32', shape: [m], data: wave(m, 0.9, 1) })]);
    case 'tanh': return b.map(un('tanh', arg(0)), [y]);
    case 'residual': return b.map(bin('add', arg(0), arg(1)), [y, b.constant({ dtype: 'float32', shape: [...shape], data: wave(shape.reduce((p, q) => p * q, 1), 0.13, 2) })]);
  }
}

/** A 2x2 stride-2 max pool over NHWC [n, h, w, c] (padding reads -inf; there is none here). */
function maxPool2(b: GraphBuilder, y: ValueId, shape: readonly number[]): ValueId {
  const [n, h, w, ch] = shape as [number, number, number, number];
  const map: AffineExpr[] = [idx(0), { terms: [{ idx: 1, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 2, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }, idx(3)];
  return b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null },
    [y], [tensorType('float32', [n, Math.floor(h / 2), Math.floor(w / 2), ch])]);
}

function buildNhwc(c: NhwcCase, runtimeWeights = false): { g: ReturnType<GraphBuilder['build']>; feeds: Record<string, HostTensor> } | undefined {
  const [pt, pl, pb, pr] = c.pads;
  const H = (c.oh - 1) * c.sh + (c.kh - 1) * c.dh + 1 - pt - pb + Math.min(c.slack, c.sh - 1);
  const W = (c.ow - 1) * c.sw + (c.kw - 1) * c.dw + 1 - pl - pr + Math.min(c.slack, c.sw - 1);
  if (H < 1 || W < 1) return undefined;
  const dims = { m: c.m, kh: c.kh, kw: c.kw, c: c.c };
  const wShape = LAYOUTS[c.layout].map((d) => dims[d]);
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [c.n, H, W, c.c]));
  const wData = { dtype: 'float32' as const, shape: wShape, data: wave(c.m * c.kh * c.kw * c.c, 0.7) };
  const w = runtimeWeights ? b.input('w', tensorType('float32', wShape)) : b.constant(wData);
  const shape = [c.n, c.oh, c.ow, c.m];
  const y = withEpilogue(b, nhwcConv(b, x, w, c, shape), shape, c.epi);
  b.output('y', c.pool && c.oh >= 2 && c.ow >= 2 ? maxPool2(b, y, shape) : y);
  const feeds: Record<string, HostTensor> = { x: { dtype: 'float32', shape: [c.n, H, W, c.c], data: wave(c.n * H * W * c.c, 0.31) } };
  if (runtimeWeights) feeds.w = wData;
  return { g: b.build(), feeds };
}

describe('NHWC convolution on the gather-free implicit GEMM', () => {
  it('random NHWC convolutions (strides, dilations, padding, weight layouts, loop orders, epilogues) agree in every variant', async () => {
    let onGemm = 0;
    let fused = 0;
    await fc.assert(fc.asyncProperty(nhwcCase, async (c) => {
      const built = buildNhwc(c);
      if (!built) return;
      const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5);
      const names = kernels.map((k) => k.replace(/^k\d+_/, ''));
      // one GEMM, the pool fused into it when the output grid is even, and no epilogue map left over
      const pooled = c.pool && c.oh >= 2 && c.ow >= 2;
      const fuses = pooled && c.oh % 2 === 0 && c.ow % 2 === 0;
      expect(names.filter((k) => k === 'conv_nhwc_gemm' || k === 'conv_nhwc_pool_gemm'), JSON.stringify(c)).toEqual([fuses ? 'conv_nhwc_pool_gemm' : 'conv_nhwc_gemm']);
      expect(names.filter((k) => k === 'contract' || k === 'map'), JSON.stringify(c)).toEqual(pooled && !fuses ? ['contract'] : []);
      onGemm++;
      fused += fuses ? 1 : 0;
    }), { numRuns: 80, seed: 11 });
    expect(onGemm).toBeGreaterThan(50);
    expect(fused).toBeGreaterThan(8);
  }, 300_000);

  it('shapes of the cnn_224 layers with padding, a 1x1 convolution and a stride-2 one', async () => {
    const base = { n: 1, dh: 1, dw: 1, slack: 0, layout: 'mckk', reduction: ['kh', 'kw', 'c'], epi: 'bias_relu', pool: false } as const;
    const cases: NhwcCase[] = [
      { ...base, c: 3, m: 32, oh: 10, ow: 24, kh: 3, kw: 3, sh: 1, sw: 1, pads: [1, 1, 1, 1] },
      { ...base, c: 32, m: 64, oh: 6, ow: 12, kh: 3, kw: 3, sh: 1, sw: 1, pads: [1, 1, 1, 1] },
      { ...base, c: 16, m: 24, oh: 7, ow: 7, kh: 1, kw: 1, sh: 1, sw: 1, pads: [0, 0, 0, 0], layout: 'hwio' },
      { ...base, c: 8, m: 16, oh: 5, ow: 9, kh: 3, kw: 3, sh: 2, sw: 2, pads: [1, 1, 0, 0], reduction: ['c', 'kh', 'kw'] },
    ];
    for (const c of cases) {
      const built = buildNhwc(c)!;
      const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5);
      expect(kernels.some((k) => k.endsWith('_conv_nhwc_gemm')), JSON.stringify(c)).toBe(true);
      // the in-place read makes no bordered copy
      expect(kernels.some((k) => k.endsWith('_pad')), JSON.stringify(c)).toBe(c.pads.some((p) => p > 0));
    }
  }, 120_000);

  it('fused pools: two images, ragged channel panels, an epilogue without a vector form, exact math', async () => {
    const base = { dh: 1, dw: 1, slack: 0, layout: 'hwio', reduction: ['kh', 'kw', 'c'], pool: true, pads: [1, 1, 1, 1] } as const;
    const cases: NhwcCase[] = [
      { ...base, n: 2, c: 3, m: 13, oh: 4, ow: 6, kh: 3, kw: 3, sh: 1, sw: 1, epi: 'tanh' },
      { ...base, n: 2, c: 5, m: 8, oh: 6, ow: 2, kh: 3, kw: 3, sh: 2, sw: 1, epi: 'residual' },
      { ...base, n: 1, c: 2, m: 3, oh: 2, ow: 10, kh: 2, kw: 3, sh: 1, sw: 2, dh: 2, dw: 2, epi: 'bias_relu' },
    ];
    for (const exactMath of [false, true]) for (const c of cases) {
      const built = buildNhwc(c)!;
      const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5, exactMath);
      expect(kernels.map((k) => k.replace(/^k\d+_/, '')).filter((k) => k !== 'pad'), JSON.stringify(c)).toEqual(['conv_nhwc_pool_gemm']);
    }
  }, 120_000);

  it('through the pipeline (propagate-layout): a Keras-style NHWC model with a residual, a concat and pools runs on NHWC kernels with no transpose', async () => {
    const b = new GraphBuilder();
    const nchw = (v: ValueId) => b.tensorTypeOf(v).shape as number[];
    const conv = (x: ValueId, m: number, k: number, seed: number) => {
      const c = nchw(x)[1]!;
      const w = b.constant({ dtype: 'float32', shape: [m, c, k, k], data: wave(m * c * k * k, 0.7, seed) });
      const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [k >> 1, k >> 1, k >> 1, k >> 1], group: 1 });
      return b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant({ dtype: 'float32', shape: [m, 1, 1], data: wave(m, 0.9, seed) })]);
    };
    const pool = (y: ValueId) => {
      const [n, c, h, w] = nchw(y) as [number, number, number, number];
      const map: AffineExpr[] = [idx(0), idx(1), { terms: [{ idx: 2, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 3, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }];
      return b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null }, [y], [tensorType('float32', [n, c, h / 2, w / 2])]);
    };
    const x = b.add1({ kind: 'transpose', perm: [0, 3, 1, 2] }, [b.input('x', tensorType('float32', [2, 12, 16, 3]))]);
    const a = pool(conv(x, 8, 3, 1));
    const r = b.map(bin('add', arg(0), arg(1)), [conv(a, 8, 3, 2), a]);
    const cat = b.add1({ kind: 'concat', axis: 1 }, [r, conv(a, 5, 1, 3)], [tensorType('float32', [2, 13, 6, 8])]);
    b.output('y', b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [pool(conv(cat, 16, 3, 4))]));
    // four stacked layers of smooth (sine) data cancel heavily: float32 sums in (kh, kw, c) order land within
    // 3e-5 of the float64 reference here (the NCHW kernels' (c, kh, kw) order within 1e-5; with random data
    // both stay under 1e-6)
    const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [2, 12, 16, 3], data: wave(2 * 12 * 16 * 3, 0.31) } }, 1e-4);
    const names = kernels.map((k) => k.replace(/^k\d+_/, ''));
    expect(names.filter((k) => k.startsWith('conv_nhwc')).sort(), names.join(',')).toEqual(['conv_nhwc_gemm', 'conv_nhwc_gemm', 'conv_nhwc_pool_gemm', 'conv_nhwc_pool_gemm']);
    expect(names.some((k) => k === 'transpose' || k === 'conv_gemm' || k === 'conv_pool_gemm'), names.join(',')).toBe(false);
  }, 60_000);

  it('run-time weights stay on the generic nest and agree', async () => {
    const c: NhwcCase = { n: 1, c: 3, m: 5, oh: 4, ow: 6, kh: 3, kw: 2, sh: 1, sw: 2, dh: 1, dw: 1, pads: [1, 0, 1, 1], slack: 0, layout: 'hwio', reduction: ['kh', 'kw', 'c'], epi: 'none', pool: false };
    const built = buildNhwc(c, true)!;
    const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5);
    expect(kernels.some((k) => k.endsWith('_conv_nhwc_gemm'))).toBe(false);
  }, 60_000);
});
