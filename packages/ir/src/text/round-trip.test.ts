// Round-trip of hand-written graphs: the builder's every-op fixture, and a raw graph (not type-checked) that
// pushes every op kind's fields to their odd corners: symbolic dims, nulls, NaN pads, nested regions, nodes
// without results, every dtype as a constant, and user names that need escaping.

import { describe, expect, it } from 'vitest';
import { affine, constExpr, dimExpr } from '../affine.js';
import { DTYPES, type DType, isBigIntDType } from '../dtype.js';
import type { Graph, Node, Region, Value } from '../graph.js';
import { OP_KINDS, type Op } from '../ops.js';
import { acc, arg, bin, cast, lit, select, un } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim, ValueType } from '../types.js';
import { everyOpGraph } from '../__tests__/every-op.js';
import { verify } from '../verify/index.js';
import { parseGraph, printGraph } from './index.js';

const T = (dtype: DType, ...shape: Dim[]): ValueType => ({ kind: 'tensor', dtype, shape });
const V = (id: number, type: ValueType = T('float32', 2)): Value => ({ id, type });
const node = (op: Op, inputs: number[], outputs: Value[], origin?: { opType: string; node: string }): Node =>
  origin ? { op, inputs, outputs, origin } : { op, inputs, outputs };
const region = (params: Value[], nodes: Node[], results: number[]): Region => ({ params, nodes, results });

/** A small exact tensor of each dtype (17+ elements for some, so hex is used too). */
function sampleTensor(d: DType, n: number): HostTensor {
  if (d === 'string') return { dtype: d, shape: [n], data: Array.from({ length: n }, (_, i) => `s${i}"\n\u00e9`) };
  if (isBigIntDType(d)) {
    const vals = Array.from({ length: n }, (_, i) => (d === 'int64' ? BigInt(i) * -1234567890123n : BigInt(i) * 1234567890123n));
    return { dtype: d, shape: [n], data: d === 'int64' ? BigInt64Array.from(vals) : BigUint64Array.from(vals) };
  }
  const vals = Array.from({ length: n }, (_, i) => (d === 'bool' ? i % 2 : i % 3) * (d.startsWith('u') || d === 'bool' || d === 'float8e8m0' ? 1 : -1) + (d === 'float8e8m0' ? 1 : 0)).map((v) => (d === 'float8e8m0' ? 2 ** v : v));
  return { dtype: d, shape: [n], data: Float64Array.from(vals) };
}

export function oddGraph(): Graph {
  const f = (...s: Dim[]) => T('float32', ...s);
  const nodes: Node[] = [];
  let id = 10;
  const add = (op: Op, inputs: number[], types: ValueType[], origin?: { opType: string; node: string }): number[] => {
    const outs = types.map((t) => V(id++, t));
    nodes.push(node(op, inputs, outs, origin));
    return outs.map((o) => o.id);
  };
  for (const d of DTYPES) for (const n of [3, 20]) add({ kind: 'constant', value: sampleTensor(d, n) }, [], [T(d, n)]);
  add({ kind: 'constant', value: { dtype: 'float32', shape: [2, 0, 3], data: new Float64Array(0) } }, [], [T('float32', 2, 0, 3)]);
  add({ kind: 'constant', value: { dtype: 'float64', shape: [], data: Float64Array.of(-0) } }, [], [T('float64')]);
  add({
    kind: 'contract', reductionExtents: ['K', '2*K', 3], padValues: [null, -0, NaN],
    maps: [[dimExpr(0, 2, -1), affine([{ idx: 3, coeff: -1 }, { idx: 1, coeff: 5 }], 7)], [constExpr(0), constExpr(-3)], []],
    combiner: select(bin('lt', arg(0), lit(NaN, 'float32')), un('neg', arg(1)), cast('float8e4m3fn', arg(2), true)),
    reducer: 'max', accDtype: 'bfloat16', epilogue: bin('add', acc, lit(-9223372036854775808n, 'int64')),
  }, [1, 2, 3], [f('N', 'N*4')], { opType: 'Conv', node: 'conv/1 "x"' });
  add({ kind: 'map', expr: bin('shl', arg(12), lit(18446744073709551615n, 'uint64')) }, [1, 1], [f('(N+1)//2')]);
  add({ kind: 'multimap', exprs: [arg(0), un('neg', arg(2)), select(arg(3), arg(1), arg(0))] }, [1, 1], [f(2), f(2), T('bool', 2)]);
  add({ kind: 'reduce', reducer: 'mul', axes: [], keepDims: false }, [1], [f()]);
  add({ kind: 'argreduce', mode: 'min', axis: -1, keepDims: true, selectLast: true }, [1], [T('int64', 2, 1)]);
  add({ kind: 'softmax', axis: 0, log: true }, [1], [f(2)]);
  add({
    kind: 'attention', keyExtent: 'S', qkExtent: 0, valueAxis: 2, maps: [[dimExpr(0, 3, -1)], [], [constExpr(5), affine([{ idx: 1, coeff: -2 }, { idx: 4, coeff: 7 }], 1)], [dimExpr(9)]],
    scoreEpilogue: null,
  }, [1, 2, 3, 1], [f('N', 2, 'S')]);
  add({ kind: 'cumulative', reducer: 'min', axis: 0, exclusive: false, reverse: true }, [1], [f(2)]);
  add({ kind: 'reshape' }, [1, 2], [f('N')]);
  add({ kind: 'transpose', perm: [] }, [1], [f()]);
  add({ kind: 'slice', starts: ['N', 0, '2*N-1'], steps: [-1, 1, 3] }, [1], [f(1, 2, 3)]);
  add({ kind: 'pad', mode: 'constant', low: [0, 'P'], high: [-1, '"q"'], interior: [2, 0], value: -Infinity }, [1], [f(5, 5)]);
  add({ kind: 'pad', mode: 'wrap', low: [], high: [], interior: [], value: NaN }, [1], [f()]);
  add({ kind: 'concat', axis: 3 }, [1, 1, 1], [f(6)]);
  add({ kind: 'expand' }, [1], [f(4, 2)]);
  add({ kind: 'gather', axis: -2 }, [1, 2], [f(2)]);
  add({ kind: 'gather_elements', axis: 0 }, [1, 2], [f(2)]);
  add({ kind: 'gather_nd', batchDims: 1 }, [1, 2], [f(2)]);
  add({ kind: 'scatter_elements', axis: 0, reduction: 'max' }, [1, 2, 3], [f(2)]);
  add({ kind: 'scatter_nd', reduction: 'mul' }, [1, 2, 3], [f(2)]);
  add({ kind: 'iota', axis: 1 }, [], [T('int32', 2, 'M')]);
  add({ kind: 'shape_of', start: -2, end: 9 }, [1], [T('int64', 2)]);
  add({ kind: 'topk', axis: 0, k: 'K', largest: false, sorted: false }, [1, 2], [f('K'), T('int64', 'K')]);
  add({ kind: 'nonzero' }, [1], [T('int64', 1, 'nz_0')]);
  add({ kind: 'bitcast' }, [1], [T('uint32', 2)]);
  add({ kind: 'string_concat' }, [1, 2], [T('string', 2)]);
  add({ kind: 'string_case', upper: false, locale: 'tr-TR' }, [1], [T('string', 2)]);
  add({ kind: 'regex_match', pattern: '"\\Q}\\E\n\u2028(?P<x>\\d)' }, [1], [T('bool', 2)]);
  add({ kind: 'string_split', delimiter: ' \t"', maxSplit: 0 }, [1], [T('string', 2, 'n'), T('int64', 2)]);
  add({ kind: 'quantize', scheme: { axis: 1, blockSize: 32, saturate: false } }, [1, 2, 3], [T('float4e2m1', 2)]);
  add({ kind: 'dequantize', scheme: { axis: -1, blockSize: null, saturate: true } }, [1, 2], [f(2)]);
  const expertBody = region([V(500, f('t', 4)), V(501, f(4, 6))], [node({ kind: 'map', expr: arg(0) }, [500], [V(502, f('t', 4))])], [502]);
  add({ kind: 'experts', numExperts: 8, topK: 2, gate: 'topk', body: expertBody }, [1, 2, 3], [f(5, 6)]);
  // An if inside a loop inside a scan: ids stay global, indentation nests.
  const inner = region([], [node({ kind: 'reshape' }, [601], [V(602)])], [602, 601]);
  const loopBody = region([V(600, T('int64')), V(601, T('bool'))], [
    node({ kind: 'if', thenBranch: inner, elseBranch: region([], [], [1]) }, [601], [V(603), V(604)], { opType: 'If', node: '' }),
  ], [601, 603]);
  const scanBody = region([V(700, f(3))], [
    node({ kind: 'loop', hasMaxTrip: false, hasCond: true, body: loopBody }, [700], [V(701)]),
    node({ kind: 'bitcast' }, [], []), // a node without results
  ], [701]);
  add({
    kind: 'scan', numScanInputs: 2, scanInputAxes: [0, -1], scanInputReverse: [true, false], scanOutputAxes: [], scanOutputReverse: [], body: scanBody,
  }, [1, 2], [f(3)]);
  add({ kind: 'if', thenBranch: region([], [], []), elseBranch: region([], [], []) }, [2], []);
  add({ kind: 'sequence', fn: 'split', axis: -1, keepDims: false }, [1], [{ kind: 'sequence', elem: f('"N*4"') }]);
  add({ kind: 'sequence', fn: 'empty', axis: 0, keepDims: true }, [], [{ kind: 'sequence', elem: T('string') }]);
  add({ kind: 'optional', fn: 'none' }, [], [{ kind: 'optional', elem: { kind: 'sequence', elem: T('bool', 0) } }]);
  add({ kind: 'optional', fn: 'get' }, [1], [T('uint2', 1)]);
  return {
    inputs: [
      { name: 'input:0', value: V(1, f('N', 128)) },
      { name: 'x.1 "q"\n\ttab \u2028 \u00fc \ud83d\ude00 \\', value: V(2, T('int64')) },
      { name: '', value: V(3, { kind: 'optional', elem: T('float16', 'nan', 'inf', '_', 'seq') }) },
    ],
    nodes,
    outputs: [{ name: '{"json": [1]}', value: 11 }, { name: 'dup', value: 11 }, { name: '', value: 1 }],
  };
}

describe('IR text round-trip', () => {
  it('the every-op fixture round-trips and still verifies', () => {
    const g = everyOpGraph();
    const text = printGraph(g);
    const back = parseGraph(text);
    expect(back).toEqual(g);
    expect(printGraph(back)).toBe(text);
    verify(back);
  });

  it('a raw graph with every op kind and odd fields round-trips exactly', () => {
    const g = oddGraph();
    const kinds = new Set<string>();
    const walk = (ns: readonly Node[]): void => ns.forEach((n) => {
      kinds.add(n.op.kind);
      if ('body' in n.op) walk(n.op.body.nodes);
      if (n.op.kind === 'if') { walk(n.op.thenBranch.nodes); walk(n.op.elseBranch.nodes); }
    });
    walk(g.nodes);
    expect([...kinds].sort()).toEqual([...OP_KINDS].sort());
    const text = printGraph(g);
    const back = parseGraph(text);
    expect(back).toEqual(g);
    expect(printGraph(back)).toBe(text);
    // -0 and NaN survive (toEqual already distinguishes -0 from 0; check one explicitly anyway).
    const neg0 = back.nodes.find((n) => n.op.kind === 'constant' && n.op.value.dtype === 'float64' && n.op.value.shape.length === 0)!;
    expect(Object.is((neg0.op as { value: HostTensor }).value.data[0], -0)).toBe(true);
  });

  it('every dtype constant keeps its array class and exact values', () => {
    const back = parseGraph(printGraph(oddGraph()));
    for (const n of back.nodes) {
      if (n.op.kind !== 'constant') continue;
      const t = n.op.value;
      const cls = t.dtype === 'string' ? Array : t.dtype === 'int64' ? BigInt64Array : t.dtype === 'uint64' ? BigUint64Array : Float64Array;
      expect(t.data).toBeInstanceOf(cls);
    }
  });

  it('accepts comments, blank lines and the short dtype spelling in op fields', () => {
    const text = [
      '# a comment line',
      'graph(%0: f32[2] "x") {   # trailing comment',
      '',
      '  %1: f32[2] = contract(%0, %0) {reducer="add", accDtype=f32, combiner=mul(a0, a1), epilogue=_,',
      '      maps=[(d0), (d0)], padValues=[_, _], reductionExtents=[]}',
      '  return %1 "y"',
      '}',
    ].join('\n');
    const g = parseGraph(text);
    expect(g.nodes[0]!.op).toMatchObject({ kind: 'contract', accDtype: 'float32' });
    expect(parseGraph(printGraph(g))).toEqual(g);
  });
});
