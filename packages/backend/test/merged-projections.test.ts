// Q, K and V projections of one input merged into one GEMM over concatenated weights
// (merge-sibling-contractions): the fused attention kernel reads the three column blocks of the merged
// result at their offsets. Every code variant agrees with the interpreter; one GEMM and one attention kernel.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, lit, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (shape: number[], k: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 0.61 + k) * 0.5)),
});

describe('merged Q/K/V projections', () => {
  it('multi-head self-attention over x [1, S, E]: one projection GEMM, one attention kernel', async () => {
    const [S, H, D] = [37, 3, 16];
    const E = H * D;
    const b = new GraphBuilder();
    const x = b.input('x', f32(1, S, E));
    const proj = (k: number) => b.map(bin('add', arg(0), arg(1)), [b.matmul(x, b.constant(wave([E, E], k))), b.constant(wave([E], k + 5))]);
    const heads = (v: ValueId, perm: number[]) => b.add1({ kind: 'transpose', perm }, [b.add1({ kind: 'reshape' }, [v], [f32(1, S, H, D)])]);
    const q = heads(proj(1), [0, 2, 1, 3]);
    const kT = heads(proj(2), [0, 2, 3, 1]);
    const v = heads(proj(3), [0, 2, 1, 3]);
    const scores = b.map(bin('mul', arg(0), lit(0.25, 'float32')), [b.matmul(q, kT)]);
    const p = b.add1({ kind: 'softmax', axis: 3, log: false }, [scores]);
    const merged = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [b.matmul(p, v)]);
    b.output('y', b.add1({ kind: 'reshape' }, [merged], [f32(1, S, E)]));
    const opt = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'contract')).toHaveLength(1);
    expect(opt.nodes.filter((n) => n.op.kind === 'attention')).toHaveLength(1);
    const kernels = await expectAllFlavoursAgree(opt, { x: wave([1, S, E], 0) }, 1e-5);
    expect(kernels.map((k) => k.replace(/^k\d+_/, '')).sort()).toEqual(['attention', 'gemm']); // the attention writes the output buffer under its reshape
  });
});
