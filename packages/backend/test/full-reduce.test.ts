// Max and min over a whole tensor: split into four vector lanes and a combine (lower-full-reduce.ts), bit for bit
// the interpreter's result, NaN and signed zeros included; other reductions keep one nest.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, bin, arg, lit, interpret, tensorType } from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

type Reducer = 'max' | 'min' | 'add';

function build(shape: number[], reducer: Reducer, axes: number[], withEpilogue = false) {
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', shape));
  const r = b.add({ kind: 'reduce', reducer, axes, keepDims: false }, [x])[0]!;
  b.output('y', withEpilogue ? b.map(bin('mul', arg(0), lit(0.5, 'float32')), [r]) : r);
  return b.build();
}

async function check(shape: number[], reducer: Reducer, data: Float32Array, axes = shape.map((_, i) => i), withEpilogue = false) {
  const g = build(shape, reducer, axes, withEpilogue);
  const art = compileGraph(g, { parallelMinMacs: 0 });
  const want = Array.from((interpret(g, { x: { dtype: 'float32', shape, data: Float64Array.from(data) } })['y'] as HostTensor).data as Float64Array);
  for (const numThreads of [1, 2]) {
    const s = await InferenceSession.create({ manifest: art.manifest, wasm: art.wasm, weights: art.weights, wasmVariants: art.wasmVariants }, { numThreads, idleSpinMs: 0 });
    try {
      const got = Array.from((await s.run({ x: new Tensor('float32', data, shape) }))['y']!.data as Float32Array);
      // Object.is: NaN equals NaN, -0 differs from +0
      expect(got.map((v, i) => Object.is(v, Math.fround(want[i]!)))).toEqual(got.map(() => true));
    } finally {
      await s.release();
    }
  }
  return art.manifest.kernels.map((k) => k.name);
}

const values = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('full max/min reductions', () => {
  for (const reducer of ['max', 'min'] as const) {
    it(`${reducer} over a ReLU-like tensor (half zeros) runs as lanes + combine`, async () => {
      const kernels = await check([64, 512], reducer, values(64 * 512, (i) => (i % 2 ? 0 : Math.sin(i) * 3)));
      expect(kernels).toEqual(['k0_reduce_lanes', 'k1_reduce']);
    });
    it(`${reducer}: NaN anywhere gives NaN`, async () => {
      for (const at of [0, 5, 4095]) await check([16, 256], reducer, values(4096, (i) => (i === at ? NaN : i - 100)));
    });
    it(`${reducer}: -0 is below +0, in any lane`, async () => {
      for (const at of [1, 6, 127]) await check([128], reducer, values(128, (i) => (i === at ? -0 : i % 3 === 0 ? 0 : reducer === 'max' ? -1 - i : 1 + i)));
    });
    it(`${reducer} with an epilogue and the extreme in the last element`, async () => {
      await check([3, 40], reducer, values(120, (i) => (i === 119 ? (reducer === 'max' ? 1e30 : -1e30) : Math.cos(i))), [0, 1], true);
    });
  }

  it('keeps one nest when the innermost extent is not a multiple of 4, or for sums, or over some axes', async () => {
    expect(await check([6, 7], 'max', values(42, (i) => Math.sin(i)))).toEqual(['k0_reduce']);
    expect(await check([8, 16], 'add', values(128, (i) => Math.sin(i)))).toEqual(['k0_reduce']);
    expect(await check([8, 16], 'min', values(128, (i) => Math.sin(i)), [1])).toEqual(['k0_reduce']);
  });

  it('a large one is not sliced into scalar code for threads', async () => {
    const g = build([1024, 512], 'max', [0, 1]);
    const steps = compileGraph(g).manifest.parallel!.steps;
    expect(steps).toEqual([{ iterations: 1, kernel: 'k0_reduce_lanes+k1_reduce' }]);
  });
});
