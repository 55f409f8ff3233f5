// Convolutions on the implicit GEMM and the fused 2x2 max pool, and packed-weight GEMMs with ragged right
// edges, against the reference interpreter in every code variant: random geometry (strides, dilations,
// asymmetric padding, groups, odd sizes, output widths that are and are not a multiple of 8), epilogues
// that run on vectors (bias + ReLU, residual) and one that does not (tanh).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, type HostTensor, type ScalarExpr, type ValueId, arg, bin, lit, tensorType, un } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';
import { windowFields } from './window-fields.js';

const wave = (n: number, f: number, s = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f + s)));
const term = (idx: number, coeff = 1): AffineExpr => ({ terms: [{ idx, coeff }], offset: 0 });

type Epilogue = 'none' | 'bias_relu' | 'tanh' | 'residual';

/** MaxPool 2x2 stride 2 as the frontend builds it (padding reads -inf; there is none here). */
function maxPool2(b: GraphBuilder, y: ValueId, shape: readonly number[]): ValueId {
  const [n, c, h, w] = shape as [number, number, number, number];
  const map: AffineExpr[] = [term(0), term(1), { terms: [{ idx: 2, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 3, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }];
  return b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null },
    [y], [tensorType('float32', [n, c, Math.floor(h / 2), Math.floor(w / 2)])]);
}

function withEpilogue(b: GraphBuilder, y: ValueId, shape: readonly number[], epi: Epilogue): ValueId {
  const m = shape[1]!;
  switch (epi) {
    case 'none': return y;
    case 'bias_relu': {
      const bias = b.constant({ dtype: 'float32', shape: [m, 1, 1], data: wave(m, 0.9, 1) });
      return b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, bias]);
    }
    case 'tanh': return b.map(un('tanh', arg(0)), [y]);
    case 'residual': {
      const r = b.constant({ dtype: 'float32', shape: [...shape], data: wave(shape.reduce((p, q) => p * q, 1), 0.13, 2) });
      return b.map(bin('add', arg(0), arg(1)), [y, r]);
    }
  }
}

const convCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  group: fc.constantFrom(1, 1, 1, 2, 3),
  cg: fc.integer({ min: 1, max: 4 }),
  mg: fc.integer({ min: 1, max: 9 }),
  oh: fc.integer({ min: 1, max: 6 }),
  ow: fc.oneof(fc.integer({ min: 1, max: 21 }), fc.constantFrom(8, 16, 24)),
  ...windowFields(3, 4),
  slack: fc.integer({ min: 0, max: 2 }),
  epi: fc.constantFrom<Epilogue>('none', 'bias_relu', 'tanh', 'residual'),
  pool: fc.boolean(),
});

type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

/** The graph of a case (input size derived from the output size it asks for), or undefined when impossible. */
function buildConv(c: ConvCase): { g: ReturnType<GraphBuilder['build']>; feeds: Record<string, HostTensor>; pooled: boolean } | undefined {
  const [pt, pl, pb, pr] = c.pads;
  const H = (c.oh - 1) * c.sh + (c.kh - 1) * c.dh + 1 - pt - pb + Math.min(c.slack, c.sh - 1);
  const W = (c.ow - 1) * c.sw + (c.kw - 1) * c.dw + 1 - pl - pr + Math.min(c.slack, c.sw - 1);
  if (H < 1 || W < 1) return undefined;
  const C = c.cg * c.group;
  const M = c.mg * c.group;
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [c.n, C, H, W]));
  const w = b.constant({ dtype: 'float32', shape: [M, c.cg, c.kh, c.kw], data: wave(M * c.cg * c.kh * c.kw, 0.7) });
  const y = b.conv({ x, w, strides: [c.sh, c.sw], dilations: [c.dh, c.dw], pads: [pt, pl, pb, pr], group: c.group });
  const shape = [c.n, M, c.oh, c.ow];
  const e = withEpilogue(b, y, shape, c.epi);
  const pooled = c.pool && c.oh >= 2 && c.ow >= 2;
  b.output('y', pooled ? maxPool2(b, e, shape) : e);
  return { g: b.build(), feeds: { x: { dtype: 'float32', shape: [c.n, C, H, W], data: wave(c.n * C * H * W, 0.31) } }, pooled };
}

describe('convolution on the implicit GEMM', () => {
  it('random convolutions (strides, dilations, padding, groups, epilogues, max pools) agree in every variant', async () => {
    let gemm = 0;
    let fused = 0;
    await fc.assert(fc.asyncProperty(convCase, async (c) => {
      const built = buildConv(c);
      if (!built) return;
      const kernels = await expectAllFlavoursAgree(built.g, built.feeds, 2e-5);
      // the GEMM takes every convolution but the depthwise ones (a kernel of their own)
      const onGemm = !(c.group > 1 && c.cg === 1);
      expect(kernels.some((k) => k.endsWith('conv_gemm') || k.endsWith('conv_pool_gemm')), JSON.stringify(c)).toBe(onGemm);
      // the pool fuses when the convolution's output grid is even and fills whole panels (epilogues are fused first)
      const fuses = onGemm && built.pooled && c.group === 1 && c.oh % 2 === 0 && c.ow % 8 === 0 && c.epi !== 'tanh';
      if (fuses) expect(kernels.some((k) => k.endsWith('conv_pool_gemm')), JSON.stringify(c)).toBe(true);
      gemm += onGemm ? 1 : 0;
      fused += kernels.some((k) => k.endsWith('conv_pool_gemm')) ? 1 : 0;
    }), { numRuns: 70, seed: 4 });
    expect(gemm).toBeGreaterThan(30);
    expect(fused).toBeGreaterThan(3);
  }, 300_000);

  it('a fused pool over an epilogue without a vector form (tanh, lane by lane) and with exact math', async () => {
    for (const exactMath of [false, true]) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [1, 3, 6, 16]));
      const w = b.constant({ dtype: 'float32', shape: [5, 3, 3, 3], data: wave(135, 0.7) });
      const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 });
      const t = b.map(un('tanh', bin('mul', arg(0), lit(0.5, 'float32'))), [y]);
      b.output('y', maxPool2(b, t, [1, 5, 6, 16]));
      const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [1, 3, 6, 16], data: wave(288, 0.31) } }, 2e-5, exactMath);
      expect(kernels.map((k) => k.replace(/^k\d+_/, '')).filter((k) => k.includes('conv'))).toEqual(['conv_pool_gemm']);
    }
  }, 60_000);

  it('windows that read only padding, and pads wider than the kernel (the bordered copy has an empty or thin interior)', async () => {
    for (const [H, W, k, stride, pads] of [[1, 1, 1, 5, [3, 3, 0, 0]], [2, 3, 1, 1, [3, 2, 3, 4]], [4, 2, 3, 2, [4, 0, 1, 5]]] as const) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [1, 2, H, W]));
      const w = b.constant({ dtype: 'float32', shape: [3, 2, k, k], data: wave(6 * k * k, 0.7) });
      const y = b.conv({ x, w, strides: [stride, stride], dilations: [1, 1], pads: [...pads], group: 1 });
      b.output('y', withEpilogue(b, y, b.tensorTypeOf(y).shape as number[], 'bias_relu'));
      const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [1, 2, H, W], data: wave(2 * H * W, 0.31) } }, 2e-5);
      expect(kernels.some((k) => k.endsWith('_conv_gemm'))).toBe(true);
    }
  }, 60_000);

  it('a pool whose convolution output is also read elsewhere is not fused', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [1, 2, 4, 8]));
    const w = b.constant({ dtype: 'float32', shape: [4, 2, 1, 1], data: wave(8, 0.7) });
    const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 });
    b.output('p', maxPool2(b, y, [1, 4, 4, 8]));
    b.output('y', y);
    const kernels = await expectAllFlavoursAgree(b.build(), { x: { dtype: 'float32', shape: [1, 2, 4, 8], data: wave(64, 0.31) } }, 2e-5);
    expect(kernels.some((k) => k.endsWith('conv_pool_gemm'))).toBe(false);
  }, 60_000);
});

describe('packed-weight GEMM', () => {
  const epilogues: Record<string, (b: GraphBuilder, n: number) => { expr: ScalarExpr; extra: ValueId[] }> = {
    none: () => ({ expr: arg(0), extra: [] }),
    bias_relu: (b, n) => ({ expr: bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), extra: [b.constant({ dtype: 'float32', shape: [n], data: wave(n, 0.5) })] }),
    tanh: () => ({ expr: un('tanh', arg(0)), extra: [] }),
  };

  it('ragged right edges (lane-by-lane stores from whole tiles) in row strips, column panels and 1x32 tiles agree in every variant', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 75 }),
      fc.boolean(), fc.constantFrom('none', 'bias_relu', 'tanh'),
      async (batch, M, K, N, transposed, epi) => {
        const b = new GraphBuilder();
        const x = b.input('x', tensorType('float32', batch > 1 ? [batch, M, K] : [M, K]));
        // weights stored [K, N] (MatMul) or [N, K] (Gemm transB): both packed at compile time
        const w = b.constant({ dtype: 'float32', shape: transposed ? [N, K] : [K, N], data: wave(K * N, 0.37) });
        const { expr, extra } = epilogues[epi]!(b, N);
        const y = transposed ? b.einsum(batch > 1 ? 'bmk,nk->bmn' : 'mk,nk->mn', [x, w]) : b.matmul(x, w);
        b.output('y', extra.length > 0 || epi !== 'none' ? b.map(expr, [y, ...extra]) : y);
        const feeds = { x: { dtype: 'float32' as const, shape: batch > 1 ? [batch, M, K] : [M, K], data: wave(batch * M * K, 0.29) } };
        const kernels = await expectAllFlavoursAgree(b.build(), feeds, 2e-5);
        expect(kernels.some((k) => k.endsWith('_gemm'))).toBe(true);
      }), { numRuns: 40, seed: 9 });
  }, 300_000);
});
