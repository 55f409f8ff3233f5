// Every code variant of an artifact computes what the reference interpreter computes: baseline SIMD128,
// relaxed SIMD (fused multiply-add may round once instead of twice, hence the GEMM tolerance) and the
// threaded variants run on 2 workers, which split each large GEMM into disjoint unit ranges.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompileError, GraphBuilder, type HostTensor, tensorType } from '@tensorc/ir';
import { randomStaticCase } from '../../ir/test/arbitraries.js';
import { expectAllFlavoursAgree, relaxedAvailable } from './variants-harness.js';

describe('code variants', () => {
  it(`this engine ${relaxedAvailable ? 'has' : 'lacks'} relaxed SIMD (the backend project enables it on Node 20)`, () => {
    expect(typeof relaxedAvailable).toBe('boolean');
  });

  it('GEMMs split into row strips and column panels agree in every variant', async () => {
    // shapes chosen to hit full and ragged strips/panels, batches, and both splitting directions
    for (const [bA, M, K, N] of [[1, 64, 64, 64], [2, 37, 70, 129], [1, 3, 300, 257], [1, 129, 65, 20], [3, 45, 33, 47]] as const) {
      const b = new GraphBuilder();
      const a = b.input('a', tensorType('float32', bA > 1 ? [bA, M, K] : [M, K]));
      const w = b.input('w', tensorType('float32', [K, N]));
      b.output('y', b.matmul(a, w));
      const mk = (shape: number[], s: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.fround(Math.sin(i * 0.7 + s))) });
      await expectAllFlavoursAgree(b.build(), { a: mk(bA > 1 ? [bA, M, K] : [M, K], 1), w: mk([K, N], 2) }, 1e-5);
    }
  }, 120_000);

  it('matrix-vector products (fewer than 4 rows, packed weights) in 1x32 tiles agree in every variant', async () => {
    const { arg: a, bin: bn, lit: l, un } = await import('@tensorc/ir');
    for (const [M, K, N, gelu] of [[1, 300, 100, false], [3, 40, 36, true], [2, 17, 7, false], [1, 64, 64, true], [1, 33, 1000, false]] as const) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [M, K]));
      const w = b.constant({ dtype: 'float32', shape: [K, N], data: Float64Array.from({ length: K * N }, (_, i) => Math.fround(Math.cos(i * 0.37) * 0.3)) });
      const bias = b.constant({ dtype: 'float32', shape: [N], data: Float64Array.from({ length: N }, (_, i) => i / 50) });
      const act = gelu
        ? bn('mul', bn('mul', a(0), l(0.5, 'float32')), bn('add', l(1, 'float32'), un('erf', bn('mul', bn('add', a(0), a(1)), l(Math.SQRT1_2, 'float32')))))
        : bn('max', bn('add', a(0), a(1)), l(0, 'float32'));
      b.output('y', b.map(act, [b.matmul(x, w), bias]));
      const feeds = { x: { dtype: 'float32' as const, shape: [M, K], data: Float64Array.from({ length: M * K }, (_, i) => Math.fround(Math.sin(i * 0.3))) } };
      await expectAllFlavoursAgree(b.build(), feeds, 1e-5);
    }
  }, 120_000);

  it('convolutions (implicit GEMM with per-worker scratch panels, strided) agree in every variant', async () => {
    for (const [stride, pad, C, M] of [[1, 1, 3, 8], [1, 0, 5, 12], [2, 1, 4, 6]] as const) {
      const W = (16 / stride - 1) * stride + 3 - 2 * pad;
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [2, C, 9, W]));
      const w = b.constant({ dtype: 'float32', shape: [M, C, 3, 3], data: Float64Array.from({ length: M * C * 9 }, (_, i) => Math.fround(Math.cos(i * 0.3))) });
      b.output('y', b.conv({ x, w, strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad], group: 1 }));
      const feeds = { x: { dtype: 'float32' as const, shape: [2, C, 9, W], data: Float64Array.from({ length: 18 * C * W }, (_, i) => Math.fround(Math.sin(i * 0.05))) } };
      await expectAllFlavoursAgree(b.build(), feeds, 1e-5);
    }
  }, 120_000);

  it('random graphs agree in every variant', async () => {
    let compiled = 0;
    await fc.assert(fc.asyncProperty(randomStaticCase, async (c) => {
      try {
        // exact math: random graphs cast floats to ints, where one ulp can flip the result
        await expectAllFlavoursAgree(c.graph, c.feeds, 1e-4, true);
        compiled++;
      } catch (e) {
        if (e instanceof CompileError && e.code === 'UNSUPPORTED_OP') return;
        throw e;
      }
    }), { numRuns: 25, seed: 77 });
    expect(compiled).toBeGreaterThan(5);
  }, 240_000);
});
