// LayerNorm as one row kernel (bit for bit against the interpreter, as the three nests it replaces) and GEMMs
// that read attention's head-split Q and V in place and write its merged heads after fold-movement-into-contract
// (float32 GEMM: tolerance).

import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, acc, arg, bin, dimExpr, constExpr, interpret, lit, runPipeline, tensorType, un,
} from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const fill = (shape: number[], k: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.91 + k) * (1 + k))) });

async function run(g: Graph, feeds: Record<string, HostTensor>, simplify = true): Promise<{ kernels: string[]; out: Record<string, Float32Array> }> {
  const a = compileGraph(g, { simplify });
  const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights });
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', Float32Array.from(v.data as Float64Array), v.shape)])));
    return { kernels: a.manifest.kernels.map((k) => k.name), out: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array])) };
  } finally {
    await s.release();
  }
}

/** LayerNorm over the last axis of [b, s, n] in the form fuse-reduction produces (mean, rstd, normalize). */
function layerNorm(b: GraphBuilder, x: ValueId, shape: [number, number, number], gamma: ValueId, beta: ValueId, eps: number): { y: ValueId; mean: ValueId } {
  const [B, S, n] = shape;
  const lead = [B === 1 ? constExpr(0) : dimExpr(0), S === 1 ? constExpr(0) : dimExpr(1)];
  const rowType = f32(B, S, 1);
  const common = { kind: 'contract' as const, reductionExtents: [n], reducer: 'add' as const, accDtype: 'float32' as const };
  const mean = b.add1({ ...common, maps: [[...lead, dimExpr(3)]], padValues: [null], combiner: arg(0), epilogue: bin('div', acc, lit(n, 'float32')) }, [x], [rowType]);
  const rstd = b.add1({
    ...common, maps: [[...lead, dimExpr(3)], [...lead, constExpr(0)]], padValues: [null, null],
    combiner: bin('mul', bin('sub', arg(0), arg(1)), bin('sub', arg(0), arg(1))),
    epilogue: un('recip', un('sqrt', bin('add', bin('div', acc, lit(n, 'float32')), lit(Math.fround(eps), 'float32')))),
  }, [x, mean], [rowType]);
  const y = b.map(bin('add', bin('mul', bin('mul', bin('sub', arg(0), arg(1)), arg(2)), arg(3)), arg(4)), [x, mean, rstd, gamma, beta]);
  return { y, mean };
}

describe('LayerNorm row kernel', () => {
  for (const shape of [[1, 5, 7], [2, 3, 16], [1, 1, 5]] as [number, number, number][]) {
    it(`one kernel, bit for bit on [${shape.join(',')}]`, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', f32(...shape));
      const g1 = b.input('gamma', f32(shape[2]));
      const b1 = b.input('beta', f32(shape[2]));
      b.output('y', layerNorm(b, x, shape, g1, b1, 1e-5).y);
      const g = b.build();
      const feeds = { x: fill(shape, 0), gamma: fill([shape[2]], 1), beta: fill([shape[2]], 2) };
      const { kernels, out } = await run(g, feeds);
      expect(kernels).toEqual(['k0_layernorm']);
      expect(Array.from(out['y']!)).toEqual(Array.from((interpret(g, feeds)['y'] as HostTensor).data as Float64Array));
    });
  }

  it('splits its rows over two threads, bit for bit', async () => {
    const shape: [number, number, number] = [2, 9, 12];
    const b = new GraphBuilder();
    const x = b.input('x', f32(...shape));
    b.output('y', layerNorm(b, x, shape, b.input('gamma', f32(12)), b.input('beta', f32(12)), 1e-5).y);
    const g = b.build();
    const a = compileGraph(g, { parallelMinMacs: 0 });
    expect(a.manifest.parallel!.steps).toEqual([{ iterations: 18, kernel: 'k0_layernorm' }]);
    // run_range(step 0, rows [3, 5)) writes rows 3 and 4 and nothing else
    const pages = a.manifest.memory.pages;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const { instance } = await WebAssembly.instantiate(a.wasmVariants['model.mt.wasm']!, { env: { memory } });
    for (const slot of a.manifest.inputs) new Float32Array(memory.buffer, slot.offset, slot.byteLength / 4).fill(1.5);
    (instance.exports['run_range'] as (step: number, begin: number, end: number, worker: number) => void)(0, 3, 5, 0);
    const y = a.manifest.outputs[0]!;
    const written = Array.from(new Float32Array(memory.buffer, y.offset, y.byteLength / 4), (v, i) => (v !== 0 ? Math.floor(i / 12) : -1)).filter((r) => r >= 0);
    expect([...new Set(written)]).toEqual([3, 4]);
    const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights, wasmVariants: a.wasmVariants }, { numThreads: 2, idleSpinMs: 0 });
    try {
      expect(s.variant).toMatch(/\.mt\.wasm$/);
      await s.threadsReady();
      const feeds = { x: fill(shape, 3), gamma: fill([12], 4), beta: fill([12], 5) };
      const want = Array.from((interpret(g, feeds)['y'] as HostTensor).data as Float64Array);
      for (let r = 0; r < 3; r++) {
        const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', Float32Array.from(v.data as Float64Array), v.shape)])));
        expect(Array.from(out['y']!.data as Float32Array)).toEqual(want);
      }
    } finally {
      await s.release();
    }
  });

  it('stays three nests when the mean is also a graph output', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(1, 4, 8));
    const { y, mean } = layerNorm(b, x, [1, 4, 8], b.input('gamma', f32(8)), b.input('beta', f32(8)), 1e-5);
    b.output('y', y);
    b.output('mean', mean);
    const { kernels } = await run(b.build(), { x: fill([1, 4, 8], 0), gamma: fill([8], 1), beta: fill([8], 2) });
    expect(kernels.some((k) => k.includes('layernorm'))).toBe(false);
  });
});

describe('GEMMs reading head-split operands in place', () => {
  it('attention QKᵀ and PV: only Kᵀ stays a copy (PV writes the merged heads); matches the interpreter', async () => {
    const [S, H, D] = [9, 3, 8];
    const b = new GraphBuilder();
    const heads = (v: ValueId) => b.add1({ kind: 'reshape' }, [v], [f32(1, S, H, D)]);
    const q = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [heads(b.input('q', f32(1, S, H * D)))]);
    const k = b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [heads(b.input('k', f32(1, S, H * D)))]);
    const v = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [heads(b.input('v', f32(1, S, H * D)))]);
    const p = b.add1({ kind: 'softmax', axis: 3, log: false }, [b.matmul(q, k)]);
    const o = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [b.matmul(p, v)]);
    b.output('y', b.add1({ kind: 'reshape' }, [o], [f32(1, S, H * D)]));
    // the unfused path (attention.test.ts covers the fused kernel recognize-attention makes of this)
    const g = runPipeline(b.build(), OPTIMIZE_PIPELINE.filter((x) => x.name !== 'recognize-attention'), { verifyEach: true }).graph;
    const feeds = { q: fill([1, S, H * D], 0), k: fill([1, S, H * D], 1), v: fill([1, S, H * D], 2) };
    const { kernels, out } = await run(g, feeds, false);
    expect(kernels.filter((n) => n.includes('gemm'))).toHaveLength(2);
    expect(kernels.filter((n) => n.includes('transpose'))).toHaveLength(1); // Kᵀ
    const want = (interpret(g, feeds)['y'] as HostTensor).data as Float64Array;
    want.forEach((w, i) => expect(Math.abs(out['y']![i]! - w)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(w))));
  });

  it('per-expert constant weights with the output transposed to [tokens, experts, n] stay one GEMM', async () => {
    const [E, T, K, N] = [3, 5, 6, 10];
    const b = new GraphBuilder();
    const x = b.input('x', f32(E, T, K));
    const w = b.constant(fill([E, K, N], 3));
    b.output('y', b.add1({ kind: 'transpose', perm: [1, 0, 2] }, [b.matmul(x, w)]));
    const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    const feeds = { x: fill([E, T, K], 0) };
    const { kernels, out } = await run(g, feeds);
    expect(kernels).toEqual(['k0_gemm']);
    const want = (interpret(g, feeds)['y'] as HostTensor).data as Float64Array;
    want.forEach((v, i) => expect(Math.abs(out['y']![i]! - v)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
  });
});
