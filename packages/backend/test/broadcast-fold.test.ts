// A broadcast (expand) folded into a matrix product's operand map (fold-movement-into-contract) compiles to
// the GEMM reading the operand with a zero batch stride: every code variant agrees with the interpreter, and
// no copy kernel is left.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, OPTIMIZE_PIPELINE, runPipeline, tensorType } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f)));

describe('broadcast operands folded into GEMMs', () => {
  it('A [M, K] broadcast over a batch of 3 times a run-time B [3, K, N]: one GEMM, no expand', async () => {
    const [M, K, N] = [37, 29, 21];
    const b = new GraphBuilder();
    const a = b.add1({ kind: 'expand' }, [b.add1({ kind: 'reshape' }, [b.input('a', f32(M, K))], [f32(1, M, K)])], [f32(3, M, K)]);
    b.output('y', b.matmul(a, b.input('b', f32(3, K, N))));
    const opt = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'expand')).toHaveLength(0);
    const kernels = await expectAllFlavoursAgree(opt, {
      a: { dtype: 'float32', shape: [M, K], data: wave(M * K, 0.3) }, b: { dtype: 'float32', shape: [3, K, N], data: wave(3 * K * N, 0.7) },
    }, 1e-5);
    expect(kernels.filter((k) => k.endsWith('_gemm'))).toHaveLength(1);
  });
});
