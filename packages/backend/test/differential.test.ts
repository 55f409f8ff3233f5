// Differential tests: compiled wasm (through @tensorc/runtime's InferenceSession) against the reference
// interpreter, on random well-typed graphs and on hand-built kernels (GEMM edges, conv, softmax, gather).
// Loop nests accumulate exactly as the interpreter does; the SIMD GEMM accumulates in float32, hence a tolerance.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompileError, GraphBuilder, type Graph, type HostTensor, interpret, tensorType } from '@tensorc/ir';
import { InferenceSession } from '@tensorc/runtime';
import { toTensor } from './feeds.js';
import { compileGraph } from '../src/index.js';
import { randomStaticCase } from '../../ir/test/arbitraries.js';

async function runCompiled(g: Graph, feeds: Record<string, HostTensor>, exactMath = false): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[]; type: string }>> {
  const a = compileGraph(g, { exactMath });
  const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights });
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTensor(v)])));
    return out as never;
  } finally {
    await s.release();
  }
}

function expectClose(got: { data: ArrayLike<number | bigint>; dims: readonly number[]; type: string }, want: HostTensor, tol: number): void {
  expect(got.type).toBe(want.dtype);
  expect([...got.dims]).toEqual([...want.shape]);
  const n = want.data.length;
  for (let i = 0; i < n; i++) {
    const x = Number(got.data[i]);
    const y = Number(want.data[i]);
    if (Number.isNaN(y)) { expect(Number.isNaN(x)).toBe(true); continue; }
    if (!Number.isFinite(y)) { expect(x).toBe(y); continue; }
    expect(Math.abs(x - y)).toBeLessThanOrEqual(tol * (1 + Math.abs(y)));
  }
}

describe('compiled vs interpreter', () => {
  it('agree on random graphs', async () => {
    let compiled = 0;
    const unsupported = new Map<string, number>();
    let total = 0;
    await fc.assert(fc.asyncProperty(randomStaticCase, async (c) => {
      total++;
      const want = interpret(c.graph, c.feeds);
      let got;
      try {
        // exact math: random graphs cast floats to ints, where one ulp can flip the result
        got = await runCompiled(c.graph, c.feeds, true);
      } catch (e) {
        if (e instanceof CompileError && e.code === 'UNSUPPORTED_OP') { unsupported.set(e.message, (unsupported.get(e.message) ?? 0) + 1); return; }
        throw e;
      }
      compiled++;
      for (const [name, v] of Object.entries(want)) expectClose(got[name]!, v as HostTensor, 1e-4);
    }), { numRuns: 60, seed: 31 });
    console.log(`[backend] compiled ${compiled}/${total} random graphs; unsupported: ${[...unsupported].map(([m, n]) => `${n}x ${m}`).join('; ')}`);
    expect(compiled).toBeGreaterThan(total / 3);
  }, 120_000);

  it('GEMM with ragged edges, batches and broadcast operands', async () => {
    for (const [bA, M, K, N] of [[1, 1, 1, 1], [1, 5, 3, 9], [2, 7, 13, 17], [3, 4, 8, 8], [1, 33, 70, 31]] as const) {
      const b = new GraphBuilder();
      const a = b.input('a', tensorType('float32', bA > 1 ? [bA, M, K] : [M, K]));
      const w = b.input('w', tensorType('float32', [K, N]));
      b.output('y', b.matmul(a, w));
      const g = b.build();
      const mk = (shape: number[], s: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.fround(Math.sin(i * 0.7 + s))) });
      const feeds = { a: mk(bA > 1 ? [bA, M, K] : [M, K], 1), w: mk([K, N], 2) };
      const got = await runCompiled(g, feeds);
      expectClose(got['y']!, interpret(g, feeds)['y'] as HostTensor, 1e-5);
    }
  });

  it('GEMM with constant (packed) weights, stored [K, N] or [N, K]', async () => {
    for (const [M, K, N, trans] of [[1, 3, 10, false], [5, 7, 9, true], [4, 16, 8, false], [6, 5, 17, true], [2, 33, 3, false]] as const) {
      const b = new GraphBuilder();
      const a = b.input('a', tensorType('float32', [M, K]));
      const wdata = Float64Array.from({ length: K * N }, (_, i) => Math.fround(Math.cos(i * 0.3)));
      const w = b.constant({ dtype: 'float32', shape: trans ? [N, K] : [K, N], data: wdata });
      b.output('y', trans ? b.einsum('mk,nk->mn', [a, w]) : b.matmul(a, w));
      const g = b.build();
      const feeds = { a: { dtype: 'float32' as const, shape: [M, K], data: Float64Array.from({ length: M * K }, (_, i) => Math.fround(Math.sin(i))) } };
      const got = await runCompiled(g, feeds);
      expectClose(got['y']!, interpret(g, feeds)['y'] as HostTensor, 1e-5);
    }
  });

  it('batched A @ Bᵀ with a run-time B (attention scores)', async () => {
    const b = new GraphBuilder();
    const q = b.input('q', tensorType('float32', [3, 5, 8]));
    const k = b.input('k', tensorType('float32', [3, 7, 8]));
    b.output('s', b.einsum('bqd,bkd->bqk', [q, k]));
    const g = b.build();
    const mk = (shape: number[], s0: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37 + s0))) });
    const feeds = { q: mk([3, 5, 8], 1), k: mk([3, 7, 8], 2) };
    const got = await runCompiled(g, feeds);
    expectClose(got['s']!, interpret(g, feeds)['s'] as HostTensor, 1e-5);
  });

  it('convolution on the implicit GEMM, any stride and dilation, no im2col matrix', async () => {
    for (const [stride, dil, pad] of [[1, 1, 1], [2, 1, 1], [1, 2, 2], [2, 2, 2], [1, 1, 0], [1, 2, 0]] as const) {
      // input width chosen so the output width is 16 (stride 1) or 8 (stride 2)
      const W = (16 / stride - 1) * stride + 2 * dil + 1 - 2 * pad;
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [2, 3, 10, W]));
      const w = b.constant({ dtype: 'float32', shape: [8, 3, 3, 3], data: Float64Array.from({ length: 216 }, (_, i) => Math.fround(Math.cos(i * 0.7))) });
      const y = b.conv({ x, w, strides: [stride, stride], dilations: [dil, dil], pads: [pad, pad, pad, pad], group: 1 });
      b.output('y', y);
      const g = b.build();
      const kernels = compileGraph(g).manifest.kernels.map((k) => k.name);
      expect(kernels.some((k) => k.endsWith('_conv_gemm'))).toBe(true);
      // the GEMM reads the input in place, through a zero-bordered copy when the windows reach the padding
      expect(kernels.some((k) => k.endsWith('_im2col'))).toBe(false);
      expect(kernels.some((k) => k.endsWith('_pad'))).toBe(pad > 0);
      const feeds = { x: { dtype: 'float32' as const, shape: [2, 3, 10, W], data: Float64Array.from({ length: 60 * W }, (_, i) => Math.fround(Math.sin(i * 0.1))) } };
      const got = await runCompiled(g, feeds);
      expectClose(got['y']!, interpret(g, feeds)['y'] as HostTensor, 1e-5);
    }
  });

  it('convolution whose weights are a run-time value (ONNX light models make them with ConstantOfShape) uses the GEMM', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [1, 4, 9, 16]));
    const w = b.input('w', tensorType('float32', [8, 4, 3, 3]));
    b.output('y', b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 }));
    const g = b.build();
    expect(compileGraph(g).manifest.kernels.some((k) => k.name.endsWith('_conv_gemm'))).toBe(true);
    const wave = (n: number, f: number) => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f)));
    const feeds = { x: { dtype: 'float32' as const, shape: [1, 4, 9, 16], data: wave(576, 0.3) }, w: { dtype: 'float32' as const, shape: [8, 4, 3, 3], data: wave(288, 0.7) } };
    const got = await runCompiled(g, feeds);
    expectClose(got['y']!, interpret(g, feeds)['y'] as HostTensor, 1e-5);
  });

  it('fused epilogues on the GEMM and the convolution (bias, ReLU, residual)', async () => {
    const { arg: a, bin: bn, lit: l } = await import('@tensorc/ir');
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [6, 10]));
    const w = b.constant({ dtype: 'float32', shape: [10, 12], data: Float64Array.from({ length: 120 }, (_, i) => Math.fround(Math.cos(i))) });
    const bias = b.constant({ dtype: 'float32', shape: [12], data: Float64Array.from({ length: 12 }, (_, i) => i / 10) });
    const y = b.map(bn('max', bn('add', a(0), a(1)), l(0, 'float32')), [b.matmul(x, w), bias]);
    b.output('y', b.map(bn('add', a(0), a(1)), [y, b.constant({ dtype: 'float32', shape: [6, 12], data: Float64Array.from({ length: 72 }, (_, i) => i / 100) })]));
    const img = b.input('img', tensorType('float32', [1, 3, 6, 8]));
    const cw = b.constant({ dtype: 'float32', shape: [4, 3, 3, 3], data: Float64Array.from({ length: 108 }, (_, i) => Math.fround(Math.sin(i))) });
    const cb = b.constant({ dtype: 'float32', shape: [4, 1, 1], data: Float64Array.of(0.5, -0.5, 1, -1) });
    b.output('c', b.map(bn('max', bn('add', a(0), a(1)), l(0, 'float32')), [b.conv({ x: img, w: cw, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 }), cb]));
    const g = b.build();
    const art = compileGraph(g);
    expect(art.manifest.kernels.map((k) => k.name).filter((k) => k.includes('map'))).toEqual([]);
    const feeds = {
      x: { dtype: 'float32' as const, shape: [6, 10], data: Float64Array.from({ length: 60 }, (_, i) => Math.fround(Math.sin(i * 0.3))) },
      img: { dtype: 'float32' as const, shape: [1, 3, 6, 8], data: Float64Array.from({ length: 144 }, (_, i) => Math.fround(Math.cos(i * 0.2))) },
    };
    const got = await runCompiled(g, feeds);
    const want = interpret(g, feeds);
    expectClose(got['y']!, want['y'] as HostTensor, 1e-5);
    expectClose(got['c']!, want['c'] as HostTensor, 1e-5);
  });

  it('convolution (padded, strided, grouped) and softmax', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [1, 4, 9, 8]));
    const w = b.constant({ dtype: 'float32', shape: [6, 2, 3, 3], data: Float64Array.from({ length: 108 }, (_, i) => Math.fround(Math.cos(i))) });
    const y = b.conv({ x, w, strides: [2, 1], dilations: [1, 2], pads: [1, 2, 1, 0], group: 2 });
    b.output('y', y);
    b.output('p', b.add1({ kind: 'softmax', axis: 3, log: false }, [y]));
    const g = b.build();
    const feeds = { x: { dtype: 'float32' as const, shape: [1, 4, 9, 8], data: Float64Array.from({ length: 288 }, (_, i) => Math.fround(Math.sin(i))) } };
    const got = await runCompiled(g, feeds);
    const want = interpret(g, feeds);
    expectClose(got['y']!, want['y'] as HostTensor, 1e-6);
    expectClose(got['p']!, want['p'] as HostTensor, 1e-6);
  });

  it('SIMD softmax over contiguous rows (float32 exp) and its exact-math fallback, with ragged tails and infinities', async () => {
    for (const [rows, n, log] of [[3, 4, false], [5, 7, false], [2, 37, true], [4, 128, false], [3, 9, true]] as const) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [rows, n]));
      b.output('y', b.add1({ kind: 'softmax', axis: 1, log }, [x]));
      const g = b.build();
      const data = Float64Array.from({ length: rows * n }, (_, i) => Math.fround(Math.sin(i * 1.7) * 30));
      data[1] = -Infinity;
      const feeds = { x: { dtype: 'float32' as const, shape: [rows, n], data } };
      const want = interpret(g, feeds)['y'] as HostTensor;
      const kernels = compileGraph(g).manifest.kernels.map((k) => k.name);
      expect(kernels.some((k) => k.endsWith('_softmax'))).toBe(true);
      expectClose((await runCompiled(g, feeds))['y']!, want, 1e-6);
      expectClose((await runCompiled(g, feeds, true))['y']!, want, 1e-7);
    }
  });

  it('GELU (erf), SiLU (sigmoid) and exp epilogues on vector accumulators', async () => {
    const { arg: a, bin: bn, lit: l, un } = await import('@tensorc/ir');
    const epilogues = {
      gelu: bn('mul', bn('mul', a(0), l(0.5, 'float32')), bn('add', l(1, 'float32'), un('erf', bn('mul', a(0), l(Math.SQRT1_2, 'float32'))))),
      silu: bn('mul', a(0), un('sigmoid', a(0))),
      exp: un('exp', bn('sub', a(0), a(1))),
    };
    for (const [name, expr] of Object.entries(epilogues)) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [9, 20]));
      const w = b.constant({ dtype: 'float32', shape: [20, 19], data: Float64Array.from({ length: 380 }, (_, i) => Math.fround(Math.cos(i * 0.37) * 0.6)) });
      const bias = b.constant({ dtype: 'float32', shape: [19], data: Float64Array.from({ length: 19 }, (_, i) => i / 7) });
      b.output('y', b.map(expr, [b.matmul(x, w), bias]));
      const g = b.build();
      const feeds = { x: { dtype: 'float32' as const, shape: [9, 20], data: Float64Array.from({ length: 180 }, (_, i) => Math.fround(Math.sin(i * 0.9) * 2)) } };
      const want = interpret(g, feeds)['y'] as HostTensor;
      expectClose((await runCompiled(g, feeds))['y']!, want, 2e-6);
      expectClose((await runCompiled(g, feeds, true))['y']!, want, 2e-6);
      void name;
    }
  });

  it('SIMD loop nests (maps with broadcasting, max/min reductions, strided reads, ragged tails) are bit-exact', async () => {
    const { arg: a, bin: bn, lit: l, un } = await import('@tensorc/ir');
    const { lowerGraph } = await import('../src/index.js');
    const { canVectorizeNest } = await import('../src/wasm/emit-nest-simd.js');
    for (const [rows, cols] of [[3, 7], [2, 4], [5, 13], [1, 33]] as const) {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [rows, cols]));
      const rowv = b.input('r', tensorType('float32', [cols]));
      const colv = b.input('c', tensorType('float32', [rows, 1]));
      const y = b.map(bn('max', bn('div', bn('sub', a(0), a(1)), bn('add', un('abs', a(2)), l(0.5, 'float32'))), l(-1, 'float32')), [x, rowv, colv]);
      b.output('y', y);
      b.output('mx', b.add1({ kind: 'reduce', reducer: 'max', axes: [0], keepDims: false }, [y]));
      b.output('mn', b.add1({ kind: 'reduce', reducer: 'min', axes: [0], keepDims: true }, [x]));
      // strided operands (lane loads): a transpose, and a max over the contiguous axis (stride = row length)
      b.output('t', b.add1({ kind: 'transpose', perm: [1, 0] }, [y]));
      b.output('rmax', b.add1({ kind: 'reduce', reducer: 'max', axes: [1], keepDims: false }, [b.add1({ kind: 'transpose', perm: [1, 0] }, [x])]));
      const g = b.build();
      const nests = lowerGraph(g).kernels.filter((k) => k.kind === 'nest');
      expect(nests.length).toBeGreaterThan(0);
      // every nest but those whose vector loop is shorter than 4 (a [cols] output of 1 row, ...)
      expect(nests.filter((k) => !canVectorizeNest(k as never)).every((k) => (k as { extents: number[]; numOutLoops: number }).extents[(k as { numOutLoops: number }).numOutLoops - 1]! < 4)).toBe(true);
      const mk = (shape: number[], s: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.fround(Math.sin(i * 1.3 + s) * 4)) });
      const feeds = { x: mk([rows, cols], 0), r: mk([cols], 1), c: mk([rows, 1], 2) };
      (feeds.x.data as Float64Array)[0] = NaN;
      const want = interpret(g, feeds);
      const got = await runCompiled(g, feeds);
      for (const name of ['y', 'mx', 'mn', 't', 'rmax']) expectClose(got[name]!, want[name] as HostTensor, 0);
    }
  });

  it('elementwise chains run in place: the arena holds one intermediate, results unchanged', async () => {
    const { arg: a, bin: bn, lit: l, un } = await import('@tensorc/ir');
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [6, 10]));
    const t1 = b.map(bn('mul', a(0), l(2, 'float32')), [x]);
    const t2 = b.map(bn('add', a(0), l(1, 'float32')), [t1]);
    const t3 = b.map(un('abs', bn('mul', a(0), a(0))), [t2]);
    b.output('y', b.map(bn('sub', a(0), a(1)), [t3, x]));
    const g = b.build();
    const art = compileGraph(g, { simplify: false });
    // t1, t2 and t3 share one 240-byte slot; without in-place reuse the peak would be two slots
    expect(art.manifest.memory.peakBytes).toBe(240);
    const feeds = { x: { dtype: 'float32' as const, shape: [6, 10], data: Float64Array.from({ length: 60 }, (_, i) => Math.fround(Math.sin(i))) } };
    const s = await InferenceSession.create(art);
    const got = await s.run({ x: toTensor(feeds.x) });
    await s.release();
    expectClose(got['y']! as never, interpret(g, feeds)['y'] as HostTensor, 0);
  });
});
