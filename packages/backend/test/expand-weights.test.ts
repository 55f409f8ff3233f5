// Large int8 / uint8 weights (a matrix product fold-dequant-into-contract left reading codes) stay one byte per
// element in weights.bin: the module's init, run once when a session is created, widens the packed codes into
// the float32 panels the GEMM reads, in a buffer that lasts the session. Every variant agrees with the
// interpreter (float32 GEMM rounding), for MatMul-style [K, N] and Gemm-style [N, K] weights, a short and a
// tall product, and a second session (init runs per session).

import { describe, expect, it } from 'vitest';
import { type AffineExpr, GraphBuilder, OPTIMIZE_PIPELINE, arg, bin, lit, runPipeline, tensorType } from '@tensorc/ir';
import { InferenceSession } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';
import { expectAllFlavoursAgree } from './variants-harness.js';

const term = (idx: number): AffineExpr => ({ terms: [{ idx, coeff: 1 }], offset: 0 });

function qdqLinear(M: number, K: number, N: number, layout: 'kn' | 'nk', code: 'int8' | 'uint8') {
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [M, K]));
  const wShape = layout === 'kn' ? [K, N] : [N, K];
  const codes = b.constant({ dtype: code, shape: wShape, data: Float64Array.from({ length: K * N }, (_, i) => ((i * 37) % 255) - (code === 'int8' ? 127 : 0)) });
  const scale = b.constant({ dtype: 'float32', shape: [N], data: Float64Array.from({ length: N }, (_, i) => Math.fround(0.001 * (1 + (i % 7)))) });
  const zp = b.constant({ dtype: code, shape: [N], data: new Float64Array(N) }); // symmetric: zero points 0
  const w = b.add1({ kind: 'dequantize', scheme: { axis: layout === 'kn' ? 1 : 0, blockSize: null, saturate: true } }, [codes, scale, zp], [tensorType('float32', wShape)]);
  const y = b.add1({ kind: 'contract', reductionExtents: [K], maps: [[term(0), term(2)], layout === 'kn' ? [term(2), term(1)] : [term(1), term(2)]], padValues: [null, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null },
    [x, w], [tensorType('float32', [M, N])]);
  const bias = b.constant({ dtype: 'float32', shape: [N], data: Float64Array.from({ length: N }, (_, i) => Math.fround(Math.sin(i))) });
  b.output('y', b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, bias]));
  const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
  const feeds = { x: { dtype: 'float32' as const, shape: [M, K], data: Float64Array.from({ length: M * K }, (_, i) => Math.fround(Math.cos(i * 0.3))) } };
  return { g, feeds };
}

describe('int8 weights widened at session creation', () => {
  for (const [M, K, N, layout, code] of [[1, 256, 300, 'kn', 'int8'], [9, 300, 256, 'nk', 'uint8'], [4, 512, 130, 'kn', 'uint8']] as const) {
    it(`[${M},${K}] x ${code} ${layout === 'kn' ? `[${K},${N}]` : `[${N},${K}]`} + bias + ReLU: weights.bin holds codes, every variant agrees`, async () => {
      const { g, feeds } = qdqLinear(M, K, N, layout, code);
      const art = compileGraph(g);
      expect(art.manifest.initKernels?.map((k) => k.name.replace(/^k\d+_/, ''))).toEqual(['expand_weights']);
      const panels = Math.ceil(N / 8) * 8 * K;
      expect(art.weights.length).toBeLessThan(panels + 4 * N * 3 + 256); // the codes, plus scale and bias
      expect(art.manifest.memory.expandedBytes).toBe(Math.ceil((panels * 4) / 16) * 16);
      const kernels = (await expectAllFlavoursAgree(g, feeds, 2e-5)).map((k) => k.replace(/^k\d+_/, ''));
      expect(kernels).toEqual(['gemm']);
      // a second session of the same artifact widens its own copy and gives the same numbers
      const runs = [];
      for (let s = 0; s < 2; s++) {
        const session = await InferenceSession.create(art);
        const { toTensor } = await import('./feeds.js');
        runs.push(Array.from((await session.run({ x: toTensor(feeds.x) }))['y']!.data as Float32Array));
        await session.release();
      }
      expect(runs[1]).toEqual(runs[0]);
    }, 60_000);
  }
});
