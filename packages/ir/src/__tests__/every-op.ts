// Test fixture: one small well-typed graph that uses every op kind (with regions, symbolic dims, odd names),
// for round-trip, verifier and interpreter smoke tests.

import { constExpr, dimExpr } from '../affine.js';
import { GraphBuilder } from '../builder/index.js';
import type { Graph } from '../graph.js';
import { arg, bin, cast, lit, select, un } from '../scalar.js';
import { tensorType } from '../types.js';

const f32 = (...s: (number | string)[]) => tensorType('float32', s);
const f = (shape: number[], ...v: number[]) => ({ dtype: 'float32' as const, shape, data: Float64Array.from(v) });
const i64 = (shape: number[], ...v: number[]) => ({ dtype: 'int64' as const, shape, data: BigInt64Array.from(v.map(BigInt)) });

export function everyOpGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.input('input:0', f32(2, 3));
  const n = b.input('x.1 "quoted"', f32('N', 4));
  const c = b.constant(f([3, 2], 1, 2, 3, 4, 5, 6));
  const mm = b.matmul(x, c);
  const m = b.map(bin('max', arg(0), lit(0, 'float32')), [mm]);
  const r = b.add1({ kind: 'reduce', reducer: 'add', axes: [1], keepDims: true }, [m]);
  b.add1({ kind: 'argreduce', mode: 'max', axis: 1, keepDims: false, selectLast: false }, [x]);
  const sm = b.add1({ kind: 'softmax', axis: 1, log: false }, [x]);
  b.add1({ kind: 'cumulative', reducer: 'add', axis: 1, exclusive: true, reverse: false }, [sm]);
  const rs = b.add1({ kind: 'reshape' }, [x], [f32(3, 2)]);
  const tr = b.add1({ kind: 'transpose', perm: [1, 0] }, [rs]);
  b.add1({ kind: 'slice', starts: [0, 1], steps: [1, 2] }, [x], [f32(2, 1)]);
  b.add1({ kind: 'pad', mode: 'reflect', low: [0, 1], high: [1, 0], interior: [0, 0], value: 0 }, [x]);
  b.add1({ kind: 'concat', axis: 0 }, [tr, x]);
  b.add1({ kind: 'expand' }, [r], [f32(2, 5)]);
  const idx = b.constant(i64([2], 1, -1));
  b.add1({ kind: 'gather', axis: 1 }, [x, idx]);
  const idx2 = b.constant(i64([2, 1], 0, 2));
  b.add1({ kind: 'gather_elements', axis: 1 }, [x, idx2]);
  b.add1({ kind: 'gather_nd', batchDims: 0 }, [x, b.constant(i64([1, 2], 1, 2))]);
  b.add1({ kind: 'scatter_elements', axis: 1, reduction: 'add' }, [x, idx2, b.constant(f([2, 1], 10, 20))]);
  b.add1({ kind: 'scatter_nd', reduction: 'none' }, [x, b.constant(i64([1, 1], 0)), b.constant(f([1, 3], 7, 8, 9))]);
  b.add1({ kind: 'iota', axis: 1 }, [], [tensorType('int64', [2, 3])]);
  b.add1({ kind: 'shape_of', start: 0, end: 2 }, [n]);
  b.add({ kind: 'topk', axis: 1, k: 2, largest: true, sorted: true }, [x]);
  b.add1({ kind: 'nonzero' }, [x], [tensorType('int64', [2, 'nz'])]);
  b.add1({ kind: 'bitcast' }, [x], [tensorType('int32', [2, 3])]);
  const scale = b.constant(f([], 0.5));
  const q = b.add1({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, scale], [tensorType('int8', [2, 3])]);
  b.add1({ kind: 'dequantize', scheme: { axis: null, blockSize: null, saturate: true } }, [q, scale]);
  const scores = b.constant(f([2, 4], 0.1, 0.9, 0.3, 0.2, 0.5, 0.4, 0.8, 0.6));
  const w = b.constant({ dtype: 'float32', shape: [4, 3, 2], data: Float64Array.from({ length: 24 }, (_, i) => i / 8) });
  const body = b.region([f32('t', 3), f32(3, 2)], ([xs, we]) => [b.matmul(xs!, we!)]);
  b.add1({ kind: 'experts', numExperts: 4, topK: 2, gate: 'softmax_topk', body }, [x, scores, w]);
  const cond = b.constant({ dtype: 'bool', shape: [], data: Float64Array.of(1) });
  const thenBranch = b.region([], () => [b.map(un('neg', arg(0)), [x])]);
  const elseBranch = b.region([], () => [x]);
  b.add1({ kind: 'if', thenBranch, elseBranch }, [cond]);
  const trip = b.constant(i64([], 3));
  const loopBody = b.region([tensorType('int64', []), tensorType('bool', []), f32(2, 3)], ([, cnd, acc]) => [cnd!, b.map(bin('mul', arg(0), lit(2, 'float32')), [acc!])]);
  b.add1({ kind: 'loop', hasMaxTrip: true, hasCond: false, body: loopBody }, [trip, x], [f32(2, 3)]);
  const scanBody = b.region([f32(3), f32(3)], ([s, e]) => {
    const sum = b.map(bin('add', arg(0), arg(1)), [s!, e!]);
    return [sum, sum];
  });
  b.add({ kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [true], body: scanBody }, [b.constant(f([3], 0, 0, 0)), x], [f32(3), f32(2, 3)]);
  const seq = b.add1({ kind: 'sequence', fn: 'construct', axis: 0, keepDims: true }, [x, x], [{ kind: 'sequence', elem: f32(2, 3) }]);
  b.add1({ kind: 'sequence', fn: 'length', axis: 0, keepDims: true }, [seq], [tensorType('int64', [])]);
  const opt = b.add1({ kind: 'optional', fn: 'wrap' }, [x], [{ kind: 'optional', elem: f32(2, 3) }]);
  b.add1({ kind: 'optional', fn: 'has' }, [opt], [tensorType('bool', [])]);
  const conv = b.add1({
    kind: 'contract', reductionExtents: [3], maps: [[dimExpr(0), dimExpr(2)], [dimExpr(2), constExpr(0)]], padValues: [null, null],
    combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: cast('float16', un('tanh', { k: 'acc' })),
  }, [x, c], [tensorType('float16', [2, 1])]);
  // String ops last, so the value ids pinned by the golden test stay put.
  const words = b.constant({ dtype: 'string', shape: [2], data: ['Hello world', 'a.b'] });
  const upper = b.add1({ kind: 'string_case', upper: true, locale: '' }, [words]);
  const joined = b.add1({ kind: 'string_concat' }, [upper, b.constant({ dtype: 'string', shape: [], data: ['!'] })]);
  b.add1({ kind: 'regex_match', pattern: '(?i)[a-z]+\\.\\w' }, [joined]);
  b.add({ kind: 'string_split', delimiter: '', maxSplit: -1 }, [joined], [tensorType('string', [2, 'ntok']), tensorType('int64', [2])]);
  // Causal self-attention of x's two rows: loops (query d0, feature d1, key d2, depth d3), mask a3.
  const causal = b.constant({ dtype: 'bool', shape: [2, 2], data: Float64Array.of(0, 1, 0, 0) });
  b.add1({
    kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps: [[dimExpr(0), dimExpr(3)], [dimExpr(2), dimExpr(3)], [dimExpr(2), dimExpr(1)], [dimExpr(0), dimExpr(2)]],
    scoreEpilogue: select(arg(3), lit(-Infinity, 'float32'), bin('mul', { k: 'acc' }, lit(0.5, 'float32'))),
  }, [x, x, x, causal], [f32(2, 3)]);
  // Two results in one pass over x: a float32 value, and a bool reading it back as a1 (the first result).
  b.add({ kind: 'multimap', exprs: [bin('mul', arg(0), lit(2, 'float32')), bin('gt', arg(1), lit(3, 'float32'))] }, [x]);
  b.output('y "out"', m);
  b.output('conv', conv);
  b.output('n', n);
  return b.build();
}
