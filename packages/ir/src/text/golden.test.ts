// Pins the syntax of the text form: a small graph printed in full, lines of the every-op fixture, and the
// spellings of the pieces (types, scalars, maps, tensors). A change here changes every golden file.

import { describe, expect, it } from 'vitest';
import { affine, constExpr, dimExpr } from '../affine.js';
import type { Graph } from '../graph.js';
import { acc, arg, bin, cast, lit, select, un } from '../scalar.js';
import { everyOpGraph } from '../__tests__/every-op.js';
import { printAffine, printGraph, printScalar, printTensor, printType } from './index.js';

const f32 = (...shape: (number | string)[]) => ({ kind: 'tensor' as const, dtype: 'float32' as const, shape });

describe('IR text syntax (golden)', () => {
  it('prints a small graph exactly', () => {
    const body = { params: [{ id: 4, type: f32('t', 4) }], nodes: [{ op: { kind: 'map' as const, expr: un('neg', arg(0)) }, inputs: [4], outputs: [{ id: 5, type: f32('t', 4) }] }], results: [5] };
    const g: Graph = {
      inputs: [{ name: 'x:0', value: { id: 0, type: f32('N', 'N*4') } }, { name: 'w "1"', value: { id: 1, type: f32(4, 3) } }],
      nodes: [
        {
          op: {
            kind: 'contract', reductionExtents: ['N*4'], maps: [[dimExpr(0), dimExpr(2)], [dimExpr(2, 1, -1), dimExpr(1)]], padValues: [null, 0],
            combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null,
          },
          inputs: [0, 1], outputs: [{ id: 2, type: f32('N', 3) }], origin: { opType: 'MatMul', node: 'mm' },
        },
        { op: { kind: 'experts', numExperts: 2, topK: 1, gate: 'topk', body }, inputs: [0, 2], outputs: [{ id: 3, type: f32('N', 4) }] },
      ],
      outputs: [{ name: 'y', value: 3 }],
    };
    expect(printGraph(g)).toBe([
      'graph(%0: f32[N,"N*4"] "x:0", %1: f32[4,3] "w \\"1\\"") {',
      '  %2: f32[N,3] = contract(%0, %1) {accDtype="float32", combiner=mul(a0, a1), epilogue=_, maps=[(d0, d2), (d2-1, d1)], padValues=[_, 0], reducer="add", reductionExtents=["N*4"]} loc("MatMul", "mm")',
      '  %3: f32[N,4] = experts(%0, %2) {body=^(%4: f32[t,4]) {',
      '    %5: f32[t,4] = map(%4) {expr=neg(a0)}',
      '    yield %5',
      '  }, gate="topk", numExperts=2, topK=1}',
      '  return %3 "y"',
      '}',
      '',
    ].join('\n'));
  });

  it('pins lines of the every-op fixture', () => {
    const lines = printGraph(everyOpGraph()).split('\n');
    expect(lines[0]).toBe('graph(%0: f32[2,3] "input:0", %1: f32[N,4] "x.1 \\"quoted\\"") {');
    expect(lines[1]).toBe('  %2: f32[3,2] = constant() {value=tensor<f32[3,2]>[1, 2, 3, 4, 5, 6]}');
    expect(lines[2]).toBe('  %3: f32[2,2] = contract(%0, %2) {accDtype="float32", combiner=mul(a0, a1), epilogue=_, maps=[(d0, d2), (d2, d1)], padValues=[_, _], reducer="add", reductionExtents=[3]}');
    expect(lines[3]).toBe('  %4: f32[2,2] = map(%3) {expr=max(a0, 0:f32)}');
    expect(lines).toContain('  %33: i8[2,3] = quantize(%0, %32) {scheme={axis=_, blockSize=_, saturate=true}}');
    expect(lines[lines.length - 3]).toBe('  return %4 "y \\"out\\"", %60 "conv", %1 "n"');
  });

  it('spells types, scalars, maps and tensors canonically', () => {
    expect(printType({ kind: 'optional', elem: { kind: 'sequence', elem: { kind: 'tensor', dtype: 'bfloat16', shape: [] } } })).toBe('opt<seq<bf16[]>>');
    expect(printType(f32('N', '(N+1)//2', 0))).toBe('f32[N,"(N+1)//2",0]');
    expect(printScalar(select(bin('lt', arg(0), lit(-0, 'float32')), cast('float8e5m2', acc, true), lit(NaN, 'float16'))))
      .toBe('select(lt(a0, -0:f32), cast<f8e5m2,sat>(acc), nan:f16)');
    expect(printScalar(bin('add', lit(-(2n ** 63n), 'int64'), lit(1e21, 'float64')))).toBe('add(-9223372036854775808:i64, 1e+21:f64)');
    expect(printAffine(affine([{ idx: 3, coeff: -1 }, { idx: 0, coeff: 2 }], -1))).toBe('d0*2-d3-1');
    expect(printAffine(constExpr(0))).toBe('0');
    expect(printAffine(dimExpr(1, -3, 4))).toBe('-d1*3+4');
    expect(printTensor({ dtype: 'float32', shape: [2], data: Float64Array.of(-Infinity, 5e-324) })).toBe('tensor<f32[2]>[-inf, 5e-324]');
    expect(printTensor({ dtype: 'string', shape: [2], data: ['a', '\u2028"'] })).toBe('tensor<str[2]>["a", "\\u2028\\""]');
    expect(printTensor({ dtype: 'int8', shape: [17], data: new Float64Array(17).fill(-1) })).toBe(`tensor<i8[17]>hex"${'ff'.repeat(17)}"`);
    expect(printTensor({ dtype: 'float16', shape: [17], data: new Float64Array(17).fill(1) })).toBe(`tensor<f16[17]>hex"${'003c'.repeat(17)}"`);
    // 0.1 is not a float32 value: the raw float64 bytes keep it exact.
    expect(printTensor({ dtype: 'float32', shape: [17], data: new Float64Array(17).fill(0.1) })).toBe(`tensor<f32[17]>hex64"${'9a9999999999b93f'.repeat(17)}"`);
  });
});
