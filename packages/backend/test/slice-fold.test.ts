// Column blocks of one fused projection (slices folded into matrix products by fold-movement-into-contract)
// compile to GEMMs reading their operands at an element offset: A, a run-time B stored [K, N], and a run-time
// B stored [N, K] (transposed by a copy kernel first). Every code variant agrees with the interpreter, and no
// slice copy is left.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, OPTIMIZE_PIPELINE, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f)));

describe('slices folded into GEMMs', () => {
  it('q, k, v as column blocks of one [S, 3D] input: q @ kᵀ and (q @ kᵀ) @ v read them in place', async () => {
    const [S, D] = [19, 12];
    const b = new GraphBuilder();
    const qkv = b.input('qkv', f32(2, S, 3 * D));
    const part = (i: number) => b.add1({ kind: 'slice', starts: [0, 0, i * D], steps: [1, 1, 1] }, [qkv], [f32(2, S, D)]);
    const [q, k, v] = [part(0), part(1), part(2)];
    const scores = b.matmul(q, b.add1({ kind: 'transpose', perm: [0, 2, 1] }, [k])); // B = kᵀ, stored [N, K]
    b.output('y', b.matmul(scores, v)); // B = v, stored [K, N] at offset 2D
    const opt = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    // k's slice stays, read by the kᵀ copy: a transpose that moves the contiguous axis is never folded into a
    // plain product (attention reads K in its own layout instead: recognize-attention).
    expect(opt.nodes.filter((n) => n.op.kind === 'slice')).toHaveLength(1);
    const kernels = await expectAllFlavoursAgree(opt, { qkv: { dtype: 'float32', shape: [2, S, 3 * D], data: wave(2 * S * 3 * D, 0.37) } }, 1e-5);
    expect(kernels.filter((k) => k.endsWith('_gemm'))).toHaveLength(2);
    expect(kernels.filter((k) => k.endsWith('_slice'))).toHaveLength(1);
  });

  it('a run-time B stored [N, K] (a transB product) read from a row block: copied transposed from its offset', async () => {
    const [M, K, N] = [7, 20, 13];
    const b = new GraphBuilder();
    const w = b.input('w', f32(N + 4, K));
    const wb = b.add1({ kind: 'slice', starts: [3, 0], steps: [1, 1] }, [w], [f32(N, K)]);
    b.output('y', b.einsum('mk,nk->mn', [b.input('x', f32(M, K)), wb]));
    const opt = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'slice')).toHaveLength(0);
    const kernels = await expectAllFlavoursAgree(opt, {
      x: { dtype: 'float32', shape: [M, K], data: wave(M * K, 0.29) }, w: { dtype: 'float32', shape: [N + 4, K], data: wave((N + 4) * K, 0.61) },
    }, 1e-5);
    expect(kernels.filter((k) => k.endsWith('_gemm'))).toHaveLength(1);
    expect(kernels.filter((k) => k.endsWith('_transpose_b'))).toHaveLength(1);
  });

  it('the second half of x\'s columns as A, and a row block of a run-time B', async () => {
    const [M, K, N] = [9, 16, 10];
    const b = new GraphBuilder();
    const x = b.input('x', f32(M, 2 * K));
    const a = b.add1({ kind: 'slice', starts: [0, K], steps: [1, 1] }, [x], [f32(M, K)]);
    const w = b.input('w', f32(K + 5, N));
    const bb = b.add1({ kind: 'slice', starts: [5, 0], steps: [1, 1] }, [w], [f32(K, N)]);
    b.output('y', b.matmul(a, bb));
    const opt = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'slice')).toHaveLength(0);
    const kernels = await expectAllFlavoursAgree(opt, {
      x: { dtype: 'float32', shape: [M, 2 * K], data: wave(M * 2 * K, 0.21) }, w: { dtype: 'float32', shape: [K + 5, N], data: wave((K + 5) * N, 0.53) },
    }, 1e-5);
    expect(kernels.filter((k) => k.endsWith('_gemm'))).toHaveLength(1);
  });
});
