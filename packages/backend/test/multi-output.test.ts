// Multi-output elementwise nests (multimap): every code variant (baseline and relaxed SIMD, 1 and 2 threads,
// the vector path with its scalar tail and the scalar path) gives the interpreter's bits, results read back
// by later results included; and fuse-multi-output turns a graph output also read by a map into one kernel.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, NO_FUSE_PIPELINE, OPTIMIZE_PIPELINE, arg, bin, cast, lit, passByName, runPipeline, tensorType, un,
} from '@tensorc/ir';
import { compileGraph } from '../src/index.js';
import { canVectorizeNest } from '../src/wasm/emit-nest-simd.js';
import type { LoopNestKernel } from '../src/wasm/kernel-plan.js';
import { lowerGraph } from '../src/wasm/lower.js';
import { kernelWrites } from '../src/wasm/memory-plan.js';
import { expectAllFlavoursAgree } from './variants-harness.js';
import { multiOutputCase } from '../../ir/test/multi-output-arbitraries.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (shape: number[], f: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(3 * Math.sin(i * f + 0.1))),
});
const F = (v: number) => lit(v, 'float32');
const nestNames = (names: string[]) => names.filter((n) => !n.startsWith('copy_out'));
/** Whether the graph's one multimap nest takes the vector path. */
const vectorized = (g: Graph) => canVectorizeNest(lowerGraph(g).kernels.find((k) => k.name.endsWith('_multimap')) as LoopNestKernel);

describe('multimap kernels', () => {
  it('vectorizable results (odd row length: vector loop and scalar tail), read back by later results, broadcast operand', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(37, 33));
    const row = b.input('row', f32(33));
    const [p, q, r] = b.add({
      kind: 'multimap',
      exprs: [bin('max', bin('mul', arg(0), arg(1)), F(0)), bin('add', arg(2), arg(0)), bin('sub', arg(3), arg(2))],
    }, [x, row]);
    b.output('p', p!);
    b.output('q', q!);
    b.output('r', r!);
    const g = b.build();
    expect(vectorized(g)).toBe(true);
    const kernels = await expectAllFlavoursAgree(g, { x: wave([37, 33], 0.37), row: wave([33], 1.3) }, 0, true);
    expect(nestNames(kernels).filter((k) => k.includes('multimap'))).toHaveLength(1);
  });

  it('scalar path: transcendental results, a float16 result read back, an input that dies at the kernel', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(8, 65));
    const w = b.input('w', f32(65, 65));
    const h = b.matmul(x, w); // an intermediate the nest reads and that dies there: no in-place write over it
    const [e, half, s] = b.add({
      kind: 'multimap',
      exprs: [un('exp', bin('mul', arg(0), F(0.01))), cast('float16', arg(0)), bin('add', cast('float32', arg(2)), arg(1))],
    }, [h]);
    b.output('e', e!);
    b.output('s', s!);
    void half;
    const g = b.build();
    expect(vectorized(g)).toBe(false);
    await expectAllFlavoursAgree(g, { x: wave([8, 65], 0.11), w: wave([65, 65], 0.07) }, 1e-5, true);
  });

  it('results only later results read stay in locals (no buffer), on the vector and the scalar path', async () => {
    for (const vector of [true, false]) {
      const b = new GraphBuilder();
      const x = b.input('x', f32(19, 23));
      const first = vector ? bin('mul', arg(0), arg(0)) : un('tanh', arg(0));
      const [t, u, v] = b.add({ kind: 'multimap', exprs: [first, bin('add', arg(1), F(1)), bin('mul', arg(1), arg(0))] }, [x]);
      b.output('u', u!);
      b.output('v', v!);
      const g = b.build();
      const k = lowerGraph(g).kernels.find((x2) => x2.name.endsWith('_multimap')) as LoopNestKernel;
      expect(k.unstored).toEqual([0]);
      expect(kernelWrites(k)).toEqual([u, v]);
      expect(kernelWrites(k)).not.toContain(t);
      expect(canVectorizeNest(k)).toBe(vector);
      await expectAllFlavoursAgree(g, { x: wave([19, 23], 0.29) }, 0, true);
    }
  });

  it('int32 results, bit for bit', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('int32', [9, 13]));
    const [p, q] = b.add({ kind: 'multimap', exprs: [bin('mul', arg(0), lit(7, 'int32')), bin('bitxor', arg(1), arg(0))] }, [x]);
    b.output('p', p!);
    b.output('q', q!);
    const data = Float64Array.from({ length: 9 * 13 }, (_, i) => (i * 7919) % 2001 - 1000);
    await expectAllFlavoursAgree(b.build(), { x: { dtype: 'int32', shape: [9, 13], data } }, 0, true);
  });
});

describe('fuse-multi-output in the compiled pipeline', () => {
  function build(): Graph {
    const b = new GraphBuilder();
    const x = b.input('x', f32(64, 40));
    const e = b.map(bin('add', bin('mul', arg(0), F(0.5)), F(1)), [x]);
    b.output('e', e); // a graph output...
    b.output('y', b.map(bin('max', arg(0), F(0)), [e])); // ...also read by another map
    return b.build();
  }

  it('a graph output also read by a map: one kernel instead of two, same results in every variant', async () => {
    const g = build();
    const fused = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    expect(fused.nodes.map((n) => n.op.kind)).toEqual(['multimap']);
    const kernels = await expectAllFlavoursAgree(g, { x: wave([64, 40], 0.21) }, 0, true);
    expect(kernels).toHaveLength(1); // both graph outputs written in place: no copy kernel
    const unfused = compileGraph(runPipeline(g, OPTIMIZE_PIPELINE.filter((p) => p.name !== 'fuse-multi-output')).graph, { simplify: false });
    expect(nestNames(unfused.manifest.kernels.map((k) => k.name))).toHaveLength(2);
    expect(NO_FUSE_PIPELINE.some((p) => p.name === 'fuse-multi-output')).toBe(false);
    expect(passByName('fuse-multi-output')).toBeDefined();
  });

  it('random graphs made for the pass compile and agree with the interpreter in every variant', async () => {
    let withGroups = 0;
    await fc.assert(fc.asyncProperty(multiOutputCase, async (c) => {
      if (runPipeline(c.graph, OPTIMIZE_PIPELINE).graph.nodes.some((n) => n.op.kind === 'multimap')) withGroups++;
      // matmuls accumulate in float32 on the GEMM: a tolerance; the elementwise nests themselves are exact
      await expectAllFlavoursAgree(c.graph, c.feeds, 1e-5, true);
    }), { numRuns: 16, seed: 77 });
    expect(withGroups).toBeGreaterThan(5);
  }, 240_000);
});
