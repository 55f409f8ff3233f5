// A 2x2 max pool that carries an epilogue of its own (a quantize-dequantize after the pool, as QDQ models have
// between a convolution block and the next one) still fuses into the convolution's GEMM, in NCHW (gemm-pool.ts)
// and NHWC (gemm-pool-nhwc.ts): the pooled vectors go through the epilogue before they are stored. Every
// variant agrees exactly with the interpreter (data on a grid where float32 sums are exact), including on NaN (a
// NaN pooled value quantizes to the zero point).

import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ScalarExpr, type ValueId, arg, bin, cast, lit, runPipeline, tensorType, un } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

// Multiples of 1/16 in [-2, 2]: every product and sum is exact in float32, so all summation orders agree.
const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.round(32 * Math.sin(i * f)) / 16);
const term = (idx: number, coeff = 1): AffineExpr => ({ terms: [{ idx, coeff }], offset: 0 });
const f32 = (v: number) => lit(v, 'float32');
/** uint8 quantize-dequantize with scale 1/32 and zero point 100, as quant-as-map writes it. */
const fakeQuant = (x: ScalarExpr): ScalarExpr =>
  bin('mul', bin('sub', cast('float32', cast('uint8', bin('max', bin('min', bin('add', un('round', bin('div', x, f32(1 / 32))), f32(100)), f32(255)), f32(0)))), f32(100)), f32(1 / 32));

function convRelu(b: GraphBuilder, x: ValueId, C: number, M: number): ValueId {
  const w = b.constant({ dtype: 'float32', shape: [M, C, 3, 3], data: wave(M * C * 9, 0.7) });
  const bias = b.constant({ dtype: 'float32', shape: [M, 1, 1], data: wave(M, 1.3) });
  const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 });
  return b.map(bin('max', bin('add', arg(0), arg(1)), f32(0)), [y, bias]);
}

describe('a max pool with its own epilogue, fused into the convolution', () => {
  const [N, C, H, W, M] = [2, 3, 6, 16, 5];
  const data = wave(N * C * H * W, 0.31);
  data[40] = NaN;
  const feeds: Record<string, HostTensor> = { x: { dtype: 'float32', shape: [N, C, H, W], data } };

  it('NCHW: the pool contraction with a quantize-dequantize epilogue becomes conv_pool_gemm', async () => {
    const b = new GraphBuilder();
    const y = convRelu(b, b.input('x', tensorType('float32', [N, C, H, W])), C, M);
    const map: AffineExpr[] = [term(0), term(1), { terms: [{ idx: 2, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 3, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }];
    b.output('y', b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: fakeQuant({ k: 'acc' }) },
      [y], [tensorType('float32', [N, M, H / 2, W / 2])]));
    const kernels = (await expectAllFlavoursAgree(b.build(), feeds, 0)).map((k) => k.replace(/^k\d+_/, ''));
    expect(kernels.filter((k) => k !== 'pad')).toEqual(['conv_pool_gemm']);
  }, 60_000);

  it('NHWC: the pool with a quantize-dequantize epilogue becomes conv_nhwc_pool_gemm', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [N, H, W, C]));
    const w = b.constant({ dtype: 'float32', shape: [M, 3, 3, C], data: wave(M * C * 9, 0.7) });
    const win = (o: number, k: number): AffineExpr => ({ terms: [{ idx: o, coeff: 1 }, { idx: k, coeff: 1 }], offset: -1 });
    // [n, oh, ow, m] over (kh, kw, c), padded by 1
    const y = b.add1({
      kind: 'contract', reductionExtents: [3, 3, C], maps: [[term(0), win(1, 4), win(2, 5), term(6)], [term(3), term(4), term(5), term(6)]],
      padValues: [0, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null,
    }, [x, w], [tensorType('float32', [N, H, W, M])]);
    const r = b.map(bin('max', bin('add', arg(0), arg(1)), f32(0)), [y, b.constant({ dtype: 'float32', shape: [M], data: wave(M, 1.3) })]);
    const map: AffineExpr[] = [term(0), { terms: [{ idx: 1, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 2, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }, term(3)];
    b.output('y', b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: fakeQuant({ k: 'acc' }) },
      [r], [tensorType('float32', [N, H / 2, W / 2, M])]));
    const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph; // fuses bias + ReLU into the convolution
    const nhwc = { x: { dtype: 'float32', shape: [N, H, W, C], data } } as Record<string, HostTensor>;
    const kernels = (await expectAllFlavoursAgree(g, nhwc, 0)).map((k) => k.replace(/^k\d+_/, ''));
    expect(kernels.filter((k) => k !== 'pad' && k !== 'bordered_copy')).toEqual(['conv_nhwc_pool_gemm']);
  }, 60_000);
});
