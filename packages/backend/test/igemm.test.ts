// The integer GEMM (MatMulInteger, QLinearMatMul, dynamically quantized matrix products) against the
// interpreter in every code variant, exactly: random shapes (odd k, ragged columns and rows, a batch of rows),
// int8 and uint8 on either side, zero points for a (run-time or constant, per tensor) and for the weights (per
// tensor or per column), the result stored as int32 or through a float32 epilogue that scales it (vector code)
// or also takes tanh (no vector form: lane by lane, within float rounding of the interpreter's tanh).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, type DType, GraphBuilder, type HostTensor, type ScalarExpr, type ValueId, arg, bin, cast, tensorType, un } from '@tensorc/ir';
import { expectAllFlavoursAgree } from './variants-harness.js';

const term = (idx: number): AffineExpr => ({ terms: [{ idx, coeff: 1 }], offset: 0 });
const ints = (n: number, lo: number, hi: number, seed: number): Float64Array => {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return lo + (s % (hi - lo + 1)); });
};
const range = (d: DType): [number, number] => (d === 'uint8' ? [0, 255] : [-128, 127]);

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }), m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 21 }),
  aType: fc.constantFrom<DType>('uint8', 'int8'), bType: fc.constantFrom<DType>('uint8', 'int8'),
  azp: fc.constantFrom('none', 'input', 'constant'), bzp: fc.constantFrom('none', 'tensor', 'column'),
  layout: fc.constantFrom('kn', 'nk'), epilogue: fc.constantFrom('none', 'scale', 'tanh'), seed: fc.integer({ min: 0, max: 1000 }),
});

describe('integer GEMM', () => {
  it('random integer matrix products agree exactly with the interpreter in every variant', async () => {
    let runs = 0;
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const b = new GraphBuilder();
      const feeds: Record<string, HostTensor> = {};
      const [alo, ahi] = range(c.aType);
      const [blo, bhi] = range(c.bType);
      const aShape = [c.batch, c.m, c.k];
      const x = b.input('a', tensorType(c.aType, aShape));
      feeds['a'] = { dtype: c.aType, shape: aShape, data: ints(c.batch * c.m * c.k, alo, ahi, c.seed) };
      const wShape = c.layout === 'kn' ? [c.k, c.n] : [c.n, c.k];
      const w = b.constant({ dtype: c.bType, shape: wShape, data: ints(c.k * c.n, blo, bhi, c.seed + 1) });
      const inputs: ValueId[] = [x, w];
      const maps: AffineExpr[][] = [[term(0), term(1), term(3)], c.layout === 'kn' ? [term(3), term(2)] : [term(2), term(3)]];
      let ea: ScalarExpr = cast('int32', arg(0));
      let eb: ScalarExpr = cast('int32', arg(1));
      if (c.azp !== 'none') {
        const zp = { dtype: c.aType, shape: [], data: ints(1, alo, ahi, c.seed + 2) };
        if (c.azp === 'input') { feeds['azp'] = zp; inputs.push(b.input('azp', tensorType(c.aType, []))); } else inputs.push(b.constant(zp));
        maps.push([]);
        ea = bin('sub', ea, cast('int32', arg(inputs.length - 1)));
      }
      if (c.bzp !== 'none') {
        inputs.push(b.constant(c.bzp === 'tensor' ? { dtype: c.bType, shape: [], data: ints(1, blo, bhi, c.seed + 3) } : { dtype: c.bType, shape: [c.n], data: ints(c.n, blo, bhi, c.seed + 3) }));
        maps.push(c.bzp === 'tensor' ? [] : [term(2)]);
        eb = bin('sub', eb, cast('int32', arg(inputs.length - 1)));
      }
      let epilogue: ScalarExpr | null = null;
      if (c.epilogue !== 'none') {
        inputs.push(b.constant({ dtype: 'float32', shape: [c.n], data: Float64Array.from({ length: c.n }, (_, j) => Math.fround(0.01 * (j + 1))) }));
        maps.push([term(2)]);
        const scaled = bin('mul', cast('float32', { k: 'acc' }), arg(inputs.length - 1));
        // tanh has no vector form: the epilogue then runs lane by lane
        epilogue = c.epilogue === 'tanh' ? un('tanh', scaled) : scaled;
      }
      const y = b.add1({ kind: 'contract', reductionExtents: [c.k], maps, padValues: maps.map(() => null), combiner: bin('mul', ea, eb), reducer: 'add', accDtype: 'int32', epilogue },
        inputs, [tensorType(c.epilogue !== 'none' ? 'float32' : 'int32', [c.batch, c.m, c.n])]);
      b.output('y', y);
      const kernels = (await expectAllFlavoursAgree(b.build(), feeds, c.epilogue === 'tanh' ? 1e-6 : 0)).map((k) => k.replace(/^k\d+_/, ''));
      expect(kernels, JSON.stringify(c)).toEqual(['widen_a', 'igemm']);
      runs++;
    }), { numRuns: 40, seed: 17 });
    expect(runs).toBe(40);
  }, 300_000);
});
