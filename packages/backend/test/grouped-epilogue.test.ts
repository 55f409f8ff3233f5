// A grouped convolution's bias and activation, fused into it through the reshape that merges its groups
// (fuse-epilogue), on the batched GEMM of several images: the per-group bias is read at (batch mod groups),
// since the GEMM's batch runs over (image, group). Every code variant agrees with the interpreter.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, OPTIMIZE_PIPELINE, arg, bin, lit, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f)));

describe('grouped convolution epilogues', () => {
  for (const [N, G, Cg, Mg] of [[2, 2, 3, 1], [3, 3, 2, 1], [2, 2, 2, 2]] as const) {
    it(`${N} images, ${G} groups of ${Cg} input and ${Mg} output channels, bias + ReLU`, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', f32(N, G * Cg, 7, 9));
      const w = b.constant({ dtype: 'float32', shape: [G * Mg, Cg, 3, 3], data: wave(G * Mg * Cg * 9, 0.7) });
      const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: G });
      b.output('y', b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant({ dtype: 'float32', shape: [G * Mg, 1, 1], data: wave(G * Mg, 1.3) })]));
      const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      const kernels = (await expectAllFlavoursAgree(g, { x: { dtype: 'float32', shape: [N, G * Cg, 7, 9], data: wave(N * G * Cg * 63, 0.29) } }, 2e-5)).map((k) => k.replace(/^k\d+_/, ''));
      // one output channel per group: the epilogue fuses (no map); several: the merge reshape is not a unit-dim one
      expect(kernels).toEqual(Mg === 1 ? ['pad', 'conv_gemm'] : ['pad', 'conv_gemm', 'map']);
    }, 60_000);
  }
});
