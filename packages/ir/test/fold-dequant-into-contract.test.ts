// fold-dequant-into-contract: a matrix product reads large int8 / uint8 weights as codes and applies their
// scale in its epilogue. Golden IR text (constant payloads elided: the codes are 64K elements), and a property
// on random products (MatMul [K, N] and Gemm-style [N, K] weights, per-tensor and per-column scales, an
// existing epilogue, a non-zero zero point that must be refused, small weights that must be left alone): the
// rewritten graph agrees with the original within float32 rounding of the moved scale.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AffineExpr, type Graph, GraphBuilder, type HostTensor, type ValueId, arg, bin, lit, passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { tryInterpret } from './differential-helpers.js';

const pass = passByName('fold-dequant-into-contract')!;
const quantAsMap = passByName('quant-as-map')!;
const term = (idx: number): AffineExpr => ({ terms: [{ idx, coeff: 1 }], offset: 0 });
const elide = (text: string) => text.replace(/value=tensor<([^>]*)>(hex"[0-9a-f]*"|\[[^\]]*\])/g, (_, t: string) => `value=tensor<${t}>…`);

interface Case { K: number; N: number; M: number; layout: 'kn' | 'nk'; perColumn: boolean; unsigned: boolean; zp: 'none' | 'zero' | 'nonzero'; epilogue: boolean; seed: number }

/** x[M, K] times dequantize(codes) ([K, N] or [N, K]), quantize / dequantize ops as the importer makes them. */
function build(c: Case): { g: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [c.M, c.K]));
  const wShape = c.layout === 'kn' ? [c.K, c.N] : [c.N, c.K];
  const axis = c.layout === 'kn' ? 1 : 0;
  const code = c.unsigned ? 'uint8' : 'int8';
  const n = c.K * c.N;
  const codes = b.constant({ dtype: code, shape: wShape, data: Float64Array.from({ length: n }, (_, i) => ((i * 37 + c.seed) % 255) - (c.unsigned ? 0 : 127)) });
  const scale = b.constant(c.perColumn
    ? { dtype: 'float32', shape: [c.N], data: Float64Array.from({ length: c.N }, (_, i) => Math.fround(0.001 * (1 + ((i + c.seed) % 13)))) }
    : { dtype: 'float32', shape: [], data: new Float64Array([Math.fround(0.0037)]) });
  const zpShape = c.perColumn ? [c.N] : [];
  const zpValue = c.zp === 'nonzero' ? 3 : 0;
  const zp = c.zp === 'none' ? [] : [b.constant({ dtype: code, shape: zpShape, data: new Float64Array(c.perColumn ? c.N : 1).fill(zpValue) })];
  const w = b.add1({ kind: 'dequantize', scheme: { axis: c.perColumn ? axis : null, blockSize: null, saturate: true } }, [codes, scale, ...zp], [tensorType('float32', wShape)]);
  const mw = c.layout === 'kn' ? [term(2), term(1)] : [term(1), term(2)];
  const bias = b.constant({ dtype: 'float32', shape: [c.N], data: Float64Array.from({ length: c.N }, (_, i) => Math.fround(Math.sin(i))) });
  const y = b.add1({
    kind: 'contract', reductionExtents: [c.K], maps: [[term(0), term(2)], mw, ...(c.epilogue ? [[term(1)]] : [])], padValues: [null, null, ...(c.epilogue ? [null] : [])],
    combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: c.epilogue ? bin('max', bin('add', { k: 'acc' }, arg(2)), lit(0, 'float32')) : null,
  }, [x, w, ...(c.epilogue ? [bias] : [])], [tensorType('float32', [c.M, c.N])]);
  b.output('y', y);
  const feeds = { x: { dtype: 'float32', shape: [c.M, c.K], data: Float64Array.from({ length: c.M * c.K }, (_, i) => Math.fround(Math.cos(i * 0.7 + c.seed))) } } as Record<string, HostTensor>;
  return { g: b.build(), feeds };
}

const folded = (g: Graph) => g.nodes.filter((n) => n.op.kind === 'contract' && n.op.combiner.k === 'bin' && n.op.combiner.b.k === 'cast').length;

describe('fold-dequant-into-contract', () => {
  it('golden: per-column int8 weights of a Gemm-style [N, K] operand, with a bias + ReLU epilogue', async () => {
    const { g } = build({ K: 256, N: 256, M: 2, layout: 'nk', perColumn: true, unsigned: false, zp: 'zero', epilogue: true, seed: 1 });
    const once = runPipeline(g, [quantAsMap, pass], { verifyEach: true }).graph;
    await expect(`${elide(printGraph(g))}--- after quant-as-map, fold-dequant-into-contract ---\n${elide(printGraph(once))}`)
      .toMatchFileSnapshot('golden/pass-fold-dequant-into-contract.ir');
    expect(folded(once)).toBe(1);
  });

  const caseArb = fc.record({
    K: fc.constantFrom(128, 256, 300), N: fc.constantFrom(256, 260, 8), M: fc.integer({ min: 1, max: 3 }),
    layout: fc.constantFrom('kn', 'nk'), perColumn: fc.boolean(), unsigned: fc.boolean(),
    zp: fc.constantFrom('none', 'zero', 'nonzero'), epilogue: fc.boolean(), seed: fc.integer({ min: 0, max: 50 }),
  }) as fc.Arbitrary<Case>;

  it('random products: folded exactly when the codes are large and the zero point is 0, and within rounding of the original', () => {
    let count = 0;
    fc.assert(fc.property(caseArb, (c) => {
      const { g, feeds } = build(c);
      const stats = { counters: {} as Record<string, number> };
      const before = quantAsMap.run(g, { counters: {} });
      const after = pass.run(before, stats);
      const large = c.K * c.N >= 1 << 16;
      const expected = large && c.zp !== 'nonzero';
      expect(folded(after), JSON.stringify(c)).toBe(expected ? 1 : 0);
      if (large && c.zp === 'nonzero') expect(stats.counters['refused-zero-point']).toBe(1);
      if (expected) count++;
      const want = tryInterpret(g, feeds)!['y'] as HostTensor;
      const got = tryInterpret(after, feeds)!['y'] as HostTensor;
      let scale = 1e-6;
      for (const v of want.data as Float64Array) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.data.length; i++) expect(Math.abs(Number(got.data[i]) - Number(want.data[i])), JSON.stringify(c)).toBeLessThanOrEqual(1e-6 * scale);
    }), { numRuns: 60, seed: 91 });
    expect(count).toBeGreaterThan(10);
  });

  it('a dequantize read by something else too stays, and so does a scale along the reduction', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2, 256]));
    const codes = b.constant({ dtype: 'int8', shape: [256, 256], data: new Float64Array(65536).fill(3) });
    const alongK = b.constant({ dtype: 'float32', shape: [256, 1], data: new Float64Array(256).fill(0.5) });
    const w = b.map(bin('mul', { k: 'cast', to: 'float32', a: arg(0), saturate: false }, arg(1)), [codes, alongK]);
    const y = b.add1({ kind: 'contract', reductionExtents: [256], maps: [[term(0), term(2)], [term(2), term(1)]], padValues: [null, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null },
      [x, w], [tensorType('float32', [2, 256])]);
    b.output('y', y);
    const stats = { counters: {} as Record<string, number> };
    expect(folded(pass.run(b.build(), stats))).toBe(0);
    expect(stats.counters['refused-scale-axis']).toBe(1);
    b.output('w', w as ValueId);
    expect(folded(pass.run(b.build(), { counters: {} }))).toBe(0);
  });
});
