// quant-as-map: quantize / dequantize become elementwise maps that the fusion passes then merge (a QDQ pair
// into one fake-quant map, a requantize into the producing contraction's epilogue), and large dequantized
// constant weights fold. Golden IR text for a QDQ MatMul, and a property: on random data (ties that round
// half to even, saturating values, infinities, NaN), per-tensor and per-axis scales, with and without zero
// points, the maps give the quantize / dequantize kernels' results bit for bit. Cases the maps cannot
// reproduce exactly are left alone.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DType, type Graph, GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const pass = passByName('quant-as-map')!;
const CODES = ['int8', 'uint8', 'int16', 'uint16'] as const;
type Code = (typeof CODES)[number];
const RANGE: Record<Code, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535] };
const tensor = (dtype: DType, shape: number[], data: number[]): HostTensor => ({ dtype, shape, data: Float64Array.from(data) });
const quantizeOp = (axis: number | null) => ({ kind: 'quantize' as const, scheme: { axis, blockSize: null, saturate: true } });
const dequantizeOp = (axis: number | null) => ({ kind: 'dequantize' as const, scheme: { axis, blockSize: null, saturate: true } });
const kinds = (g: Graph) => g.nodes.map((n) => n.op.kind);

describe('quant-as-map', () => {
  it('golden: a QDQ MatMul (per-tensor uint8 activations, per-column int8 weights, int8 requantize) becomes one contraction', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2, 3]));
    const s = b.constant(tensor('float32', [], [0.05]));
    const zp = b.constant(tensor('uint8', [], [128]));
    const xq = b.add1(quantizeOp(null), [x, s, zp], [tensorType('uint8', [2, 3])]);
    const xd = b.add1(dequantizeOp(null), [xq, s, zp], [tensorType('float32', [2, 3])]);
    const wq = b.constant(tensor('int8', [3, 4], [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]));
    const ws = b.constant(tensor('float32', [4], [0.5, 0.25, 0.125, 1]));
    const wd = b.add1(dequantizeOp(1), [wq, ws], [tensorType('float32', [3, 4])]);
    const y = b.map(bin('add', arg(0), arg(1)), [b.matmul(xd, wd), b.constant(tensor('float32', [4], [0.1, 0.2, 0.3, 0.4]))]);
    b.output('q', b.add1(quantizeOp(null), [y, b.constant(tensor('float32', [], [0.1])), b.constant(tensor('int8', [], [-5]))], [tensorType('int8', [2, 4])]));
    const g = b.build();
    const once = runPipeline(g, [pass], { verifyEach: true }).graph;
    const all = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
    await expect(`${printGraph(g)}--- after quant-as-map ---\n${printGraph(once)}--- after OPTIMIZE_PIPELINE ---\n${printGraph(all)}`)
      .toMatchFileSnapshot('golden/pass-quant-as-map.ir');
    expect(kinds(once)).not.toContain('quantize');
    expect(kinds(all).filter((k) => k !== 'constant')).toEqual(['map', 'contract']);
    const feeds = { x: tensor('float32', [2, 3], [0.3, -1.2, 2.5, 0.025, -0.075, 9]) };
    // Only the pass itself is compared bit for bit here: fold-affine then moves the requantize scale into the
    // weights, which rounds differently (it is an inexact pass, checked with a tolerance elsewhere).
    expectRewritesExact(g, [once], feeds);
  });

  const caseArb = fc.record({
    op: fc.constantFrom('quantize', 'dequantize', 'qdq'),
    code: fc.constantFrom(...CODES),
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    perAxis: fc.boolean(),
    axisSeed: fc.nat(),
    zp: fc.constantFrom('none', 'constant', 'input'),
    scaleRank1: fc.boolean(),
    values: fc.array(fc.oneof(
      fc.float({ noDefaultInfinity: false, noNaN: false }),
      fc.integer({ min: -70000, max: 70000 }).map((k) => k / 2), // ties once divided by a scale of 1 or 0.5
      fc.integer({ min: -300, max: 300 }),
    ), { minLength: 64, maxLength: 64 }),
    scales: fc.array(fc.constantFrom(1, 0.5, 0.25, 3, 0.1, 1e-3, 7.5), { minLength: 4, maxLength: 4 }),
  });

  it('random quantize / dequantize / QDQ pairs give the kernels\' results bit for bit', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const n = c.shape.reduce((a, q) => a * q, 1);
      const axis = c.perAxis ? c.axisSeed % c.shape.length : null;
      const C = axis === null ? 1 : c.shape[axis]!;
      const [lo, hi] = RANGE[c.code];
      const b = new GraphBuilder();
      const feeds: Record<string, HostTensor> = {};
      const scaleShape = axis === null ? (c.scaleRank1 ? [1] : []) : [C];
      const s = b.constant(tensor('float32', scaleShape, Array.from({ length: C }, (_, i) => Math.fround(c.scales[i % 4]!))));
      const zpData = Array.from({ length: C }, (_, i) => Math.round(lo + ((hi - lo) * (i + 1)) / (C + 2)));
      let zp: ValueId | undefined;
      if (c.zp === 'constant') zp = b.constant(tensor(c.code, scaleShape, zpData));
      if (c.zp === 'input') {
        zp = b.input('zp', tensorType(c.code, scaleShape));
        feeds['zp'] = tensor(c.code, scaleShape, zpData);
      }
      const extra = zp === undefined ? [] : [zp];
      const floats = (shape: number[]) => tensor('float32', shape, Array.from({ length: n }, (_, i) => Math.fround(c.values[i % 64]!)));
      const codes = (shape: number[]) => tensor(c.code, shape, Array.from({ length: n }, (_, i) => Math.min(hi, Math.max(lo, Math.trunc(c.values[i % 64]! || 0)))));
      if (c.op === 'dequantize') {
        feeds['x'] = codes(c.shape);
        const x = b.input('x', tensorType(c.code, c.shape));
        b.output('y', b.add1(dequantizeOp(axis), [x, s, ...extra], [tensorType('float32', c.shape)]));
      } else {
        feeds['x'] = floats(c.shape);
        const x = b.input('x', tensorType('float32', c.shape));
        const q = b.add1(quantizeOp(axis), [x, s, ...extra], [tensorType(c.code, c.shape)]);
        b.output('y', c.op === 'qdq' ? b.add1(dequantizeOp(axis), [q, s, ...extra], [tensorType('float32', c.shape)]) : q);
      }
      const g = b.build();
      const once = runPipeline(g, [pass], { verifyEach: true }).graph;
      expect(kinds(once).filter((k) => k === 'quantize' || k === 'dequantize')).toEqual([]);
      expectRewritesExact(g, [once, runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph], feeds);
    }), { numRuns: 400, seed: 77 });
  });

  it('leaves alone what the maps cannot reproduce exactly: float16 data, blocked scales, int32 and float8 codes', () => {
    const b = new GraphBuilder();
    const x16 = b.input('h', tensorType('float16', [4]));
    b.output('a', b.add1(quantizeOp(null), [x16, b.constant(tensor('float16', [], [0.5]))], [tensorType('uint8', [4])]));
    const x = b.input('x', tensorType('float32', [2, 4]));
    const blocked = { kind: 'quantize' as const, scheme: { axis: 1, blockSize: 2, saturate: true } };
    b.output('b', b.add1(blocked, [x, b.constant(tensor('float32', [2, 2], [1, 2, 3, 4]))], [tensorType('int8', [2, 4])]));
    b.output('c', b.add1(quantizeOp(null), [x, b.constant(tensor('float32', [], [0.5])), b.constant(tensor('int32', [], [3]))], [tensorType('int32', [2, 4])]));
    b.output('d', b.add1(quantizeOp(null), [x, b.constant(tensor('float32', [], [0.5]))], [tensorType('float8e4m3fn', [2, 4])]));
    const stats = { counters: {} as Record<string, number> };
    const after = pass.run(b.build(), stats);
    expect(kinds(after).filter((k) => k === 'quantize')).toHaveLength(4);
    expect(stats.counters).toEqual({});
  });

  it('constfold folds a large dequantized constant (no more elements than its codes) but not a large broadcast', () => {
    const b = new GraphBuilder();
    const codes = b.constant(tensor('int8', [300, 300], Array.from({ length: 90000 }, (_, i) => (i % 255) - 127)));
    const w = b.add1(dequantizeOp(null), [codes, b.constant(tensor('float32', [], [0.01]))], [tensorType('float32', [300, 300])]);
    b.output('w', w);
    const grown = b.map(bin('add', arg(0), arg(1)), [b.constant(tensor('float32', [300, 1], new Array(300).fill(1))), b.constant(tensor('float32', [1, 300], new Array(300).fill(2)))]);
    b.output('grown', grown);
    const g = runPipeline(b.build(), [pass, passByName('constfold')!, passByName('dce')!], { verifyEach: true }).graph;
    expect(kinds(g)).toEqual(['constant', 'constant', 'constant', 'map']);
  });
});
