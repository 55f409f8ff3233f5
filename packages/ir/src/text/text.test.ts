import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, type DType, isBigIntDType } from '../dtype.js';
import { OP_KINDS } from '../ops.js';
import { encodeFloat, decodeFloat, isCodedFloatDType, intRange } from '../numeric/index.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import { verify } from '../verify/index.js';
import { everyOpGraph } from '../__tests__/every-op.js';
import { parseGraph, parseScalar, printGraph, printScalar } from './index.js';

describe('IR text form', () => {
  it('round-trips a graph with every op kind', () => {
    const g = everyOpGraph();
    verify(g);
    expect(new Set(g.nodes.map((n) => n.op.kind)).size + 1).toBeGreaterThanOrEqual(OP_KINDS.length);
    const text = printGraph(g);
    const back = parseGraph(text);
    expect(back).toEqual(g);
    expect(printGraph(back)).toBe(text);
    verify(back);
  });

  it('pins the syntax', () => {
    const text = printGraph(everyOpGraph());
    const lines = text.split('\n');
    expect(lines[0]).toBe('graph(%0: f32[2,3] "input:0", %1: f32[N,4] "x.1 \\"quoted\\"") {');
    expect(lines[1]).toBe('  %2: f32[3,2] = constant() {value=tensor<f32[3,2]>[1, 2, 3, 4, 5, 6]}');
    expect(lines[2]).toBe('  %3: f32[2,2] = contract(%0, %2) {accDtype="float32", combiner=mul(a0, a1), epilogue=_, maps=[(d0, d2), (d2, d1)], padValues=[_, _], reducer="add", reductionExtents=[3]}');
    expect(lines[3]).toBe('  %4: f32[2,2] = map(%3) {expr=max(a0, 0:f32)}');
    expect(text).toContain('body=^(%');
    expect(text).toContain('epilogue=cast<f16>(tanh(acc))');
    expect(lines[lines.length - 3]).toBe('  return %4 "y \\"out\\"", %60 "conv", %1 "n"');
  });

  it('reports parse errors with line and column', () => {
    expect(() => parseGraph('graph() {\n  %1: f32[2] = nosuchop()\n  return\n}')).toThrow('line 2 col 16: expected an op kind, found "nosuchop"');
    expect(() => parseGraph('graph(%0: f99[2] "x") {\n  return\n}')).toThrow(/line 1 col 11: expected a dtype like f32/);
    expect(() => parseGraph('graph() {\n  return\n')).toThrow(/expected "}", found end of input/);
    expect(() => parseGraph('graph() {\n  %1: f32[2] = constant() {value=tensor<f32[2]>[1]}\n  return %1 "y"\n}')).toThrow(/tensor has 1 elements for shape \[2\]/);
  });

  const numericDTypes = DTYPES.filter((d) => d !== 'string');
  const valueOf = (d: DType): fc.Arbitrary<number | bigint> => {
    if (isBigIntDType(d)) { const r = intRange(d); return fc.bigInt(r.min as bigint, r.max as bigint); }
    if (d === 'bool') return fc.constantFrom(0, 1);
    if (d === 'float64') return fc.double();
    if (d === 'float32') return fc.float().map((x) => x);
    if (isCodedFloatDType(d) && d !== 'float8e8m0') return fc.double().map((x) => decodeFloat(encodeFloat(x, d, true), d));
    if (d === 'float8e8m0') return fc.integer({ min: -127, max: 127 }).map((e) => 2 ** e);
    const r = intRange(d);
    return fc.integer({ min: Number(r.min), max: Number(r.max) });
  };

  it('round-trips constants of every dtype exactly (NaN, -0, infinities, extremes)', () => {
    fc.assert(fc.property(fc.constantFrom(...numericDTypes).chain((d) => fc.tuple(fc.constant(d), fc.array(valueOf(d), { maxLength: 40 }))), ([d, vals]) => {
      const data = d === 'int64' ? BigInt64Array.from(vals as bigint[]) : d === 'uint64' ? BigUint64Array.from(vals as bigint[]) : Float64Array.from(vals as number[]);
      const t: HostTensor = { dtype: d, shape: [vals.length], data };
      const text = `graph() {\n  %0: ${printGraph({ inputs: [], nodes: [{ op: { kind: 'constant', value: t }, inputs: [], outputs: [{ id: 0, type: { kind: 'tensor', dtype: d, shape: [vals.length] } }] }], outputs: [] }).split('\n')[1]!.slice(6)}\n  return\n}\n`;
      const g = parseGraph(text);
      const back = (g.nodes[0]!.op as { value: HostTensor }).value;
      expect(back.dtype).toBe(d);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(data as ArrayLike<number | bigint>));
    }), { numRuns: 300, seed: 11 });
  });

  it('round-trips strings', () => {
    const t: HostTensor = { dtype: 'string', shape: [3], data: ['a"b', 'ünï\n', ''] };
    const g = { inputs: [], nodes: [{ op: { kind: 'constant' as const, value: t }, inputs: [], outputs: [{ id: 0, type: { kind: 'tensor' as const, dtype: 'string' as const, shape: [3] } }] }], outputs: [{ name: '{"json": 1}', value: 0 }] };
    expect(parseGraph(printGraph(g))).toEqual(g);
  });

  it('round-trips random scalar expressions', () => {
    const leaf: fc.Arbitrary<ScalarExpr> = fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((i) => ({ k: 'arg' as const, i })),
      fc.constant({ k: 'acc' as const }),
      fc.double().map((v) => ({ k: 'lit' as const, v, dtype: 'float64' as const })),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ k: 'lit' as const, v, dtype: 'int64' as const })),
    );
    const expr = fc.letrec<{ e: ScalarExpr }>((tie) => ({
      e: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf,
        fc.record({ k: fc.constant('un' as const), op: fc.constantFrom('neg' as const, 'exp' as const, 'isnan' as const), a: tie('e') }),
        fc.record({ k: fc.constant('bin' as const), op: fc.constantFrom('add' as const, 'pow' as const, 'lt' as const), a: tie('e'), b: tie('e') }),
        fc.record({ k: fc.constant('select' as const), c: tie('e'), a: tie('e'), b: tie('e') }),
        fc.record({ k: fc.constant('cast' as const), to: fc.constantFrom('float16' as const, 'int8' as const), a: tie('e'), saturate: fc.boolean() })),
    })).e;
    fc.assert(fc.property(expr, (e) => {
      const text = printScalar(e);
      expect(parseScalar(text)).toEqual(e);
      expect(printScalar(parseScalar(text))).toBe(text);
    }), { numRuns: 300, seed: 5 });
  });
});
