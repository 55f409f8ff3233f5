// min and max against a constant (ReLU, clamps) run on vectors as pmin/pmax (emit-vector-epilogue.ts minMax),
// and must still equal the interpreter bit for bit: NaN wins, -0 is below +0, whichever side the constant is on.
// Checked as an elementwise map (a vector loop nest) and as an epilogue fused into a GEMM.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ScalarExpr, arg, bin, interpret, lit, runPipeline, tensorType } from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

const SPECIAL = [-0, 0, NaN, Infinity, -Infinity, 1, -1, 2.5, -3, 1e-30, -1e-30, 3, -2, 4, 0.5, -0.5];
const [M, N] = [4, 16];
const data = Float32Array.from({ length: M * N }, (_, i) => SPECIAL[(i * 5 + Math.floor(i / N)) % SPECIAL.length]!);

type Case = [string, (x: ScalarExpr) => ScalarExpr];
const f32 = (v: number) => lit(v, 'float32');
const CASES: Case[] = [
  ['max(x, 0)', (x) => bin('max', x, f32(0))],
  ['max(0, x)', (x) => bin('max', f32(0), x)],
  ['max(x, -0)', (x) => bin('max', x, f32(-0))],
  ['min(x, 0)', (x) => bin('min', x, f32(0))],
  ['min(x, -0)', (x) => bin('min', x, f32(-0))],
  ['min(-0, x)', (x) => bin('min', f32(-0), x)],
  ['max(x, 3)', (x) => bin('max', x, f32(3))],
  ['clamp(x, -2, 4)', (x) => bin('min', bin('max', x, f32(-2)), f32(4))],
  ['max(x, -inf)', (x) => bin('max', x, f32(-Infinity))],
  ['min(x, inf)', (x) => bin('min', x, f32(Infinity))],
  ['min(x, NaN)', (x) => bin('min', x, f32(NaN))],
];

async function expectBitExact(g: ReturnType<GraphBuilder['build']>, feeds: Record<string, HostTensor>, label: string): Promise<string[]> {
  const want = Array.from((interpret(g, feeds)['y'] as HostTensor).data as Float64Array, (v) => Math.fround(v));
  const art = compileGraph(g, { parallelMinMacs: 0 });
  for (const opts of [{ relaxedSimd: false }, { relaxedSimd: true }, { numThreads: 2 }]) {
    const s = await InferenceSession.create(art, { ...opts, idleSpinMs: 0, onWarning: () => {} });
    try {
      const got = Array.from((await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor('float32', Float32Array.from(v.data as Float64Array), [...v.shape])]))))['y']!.data as Float32Array);
      // Object.is: NaN equals NaN, -0 differs from +0
      const wrong = got.flatMap((v, i) => (Object.is(v, want[i]) ? [] : [`${label} [${i}] = ${v}, want ${want[i]}`]));
      expect(wrong).toEqual([]);
    } finally {
      await s.release();
    }
  }
  return art.manifest.kernels.map((k) => k.name.replace(/^k\d+_/, ''));
}

describe('min/max against a constant on vectors', () => {
  for (const [name, f] of CASES) {
    it(`${name} as an elementwise map`, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', [M, N]));
      b.output('y', b.map(f(arg(0)), [x]));
      const feeds = { x: { dtype: 'float32', shape: [M, N], data: Float64Array.from(data) } as HostTensor };
      expect(await expectBitExact(b.build(), feeds, name)).toEqual(['map']);
    });

    it(`${name} fused into a GEMM's epilogue`, async () => {
      // y = (a @ ones) * x with a = 1: the product is exactly 1, so x's signed zeros and NaN reach the epilogue
      const b = new GraphBuilder();
      const a = b.input('a', tensorType('float32', [M, 1]));
      const x = b.input('x', tensorType('float32', [M, N]));
      const mm = b.matmul(a, b.constant({ dtype: 'float32', shape: [1, N], data: new Float64Array(N).fill(1) }));
      b.output('y', b.map(f(bin('mul', arg(0), arg(1))), [mm, x]));
      const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      const feeds = {
        a: { dtype: 'float32', shape: [M, 1], data: new Float64Array(M).fill(1) } as HostTensor,
        x: { dtype: 'float32', shape: [M, N], data: Float64Array.from(data) } as HostTensor,
      };
      expect(await expectBitExact(g, feeds, name)).toEqual(['gemm']);
    });
  }
});
