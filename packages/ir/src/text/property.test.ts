// Property tests of the text form: random scalar expressions (every op, literals of every dtype), random
// constants of every dtype (NaN, -0, infinities, subnormals, every code of the small float formats, 64-bit
// extremes, odd strings) on both sides of the inline/hex limit, random types and names, and affine maps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AffineExpr, affine } from '../affine.js';
import { DTYPES, DTYPE_INFO, type DType, isBigIntDType } from '../dtype.js';
import type { Graph } from '../graph.js';
import { decodeFloat, isCodedFloatDType } from '../numeric/floats.js';
import { intRange } from '../numeric/ints.js';
import { BINARY_OPS, UNARY_OPS, type ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim, TensorType, ValueType } from '../types.js';
import { parseGraph, parseScalar, printAffine, printGraph, printScalar } from './index.js';
import { readAffineExpr } from './parse-scalar.js';
import { TokenStream } from './token-stream.js';

const dtype = fc.constantFrom(...DTYPES);

/** Exact values of dtype d (bigint for the 64-bit integers). */
function valueOf(d: DType): fc.Arbitrary<number | bigint> {
  if (isBigIntDType(d)) {
    const r = intRange(d);
    return fc.oneof(fc.bigInt(r.min as bigint, r.max as bigint), fc.constantFrom(r.min as bigint, r.max as bigint, 0n));
  }
  if (d === 'bool') return fc.constantFrom(0, 1);
  if (d === 'float64') return fc.oneof(fc.double(), fc.constantFrom(NaN, -0, Infinity, -Infinity, 5e-324, Number.MAX_VALUE));
  if (d === 'float32') return fc.oneof(fc.float(), fc.constantFrom(NaN, -0, 1.401298464324817e-45, 3.4028234663852886e38));
  if (isCodedFloatDType(d)) return fc.integer({ min: 0, max: 2 ** DTYPE_INFO[d].bits - 1 }).map((c) => decodeFloat(c, d));
  const r = intRange(d);
  return fc.integer({ min: Number(r.min), max: Number(r.max) });
}

const numericDType = fc.constantFrom(...DTYPES.filter((d) => d !== 'string'));
const oddString = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', '"', '\\', '\n\r\t', '\u2028\u2029', '\ud800', '%1', '}'));

const tensorOf = (d: DType): fc.Arbitrary<HostTensor> => {
  const n = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 17, max: 40 }));
  if (d === 'string') return fc.array(oddString, { maxLength: 20 }).map((data) => ({ dtype: d, shape: [data.length], data }));
  return n.chain((len) => fc.array(valueOf(d), { minLength: len, maxLength: len })).map((vals): HostTensor => ({
    dtype: d,
    shape: vals.length % 2 === 0 && vals.length > 0 ? [2, vals.length / 2] : [vals.length],
    data: d === 'int64' ? BigInt64Array.from(vals as bigint[]) : d === 'uint64' ? BigUint64Array.from(vals as bigint[]) : Float64Array.from(vals as number[]),
  }));
};

const constantGraph = (t: HostTensor): Graph => ({
  inputs: [],
  nodes: [{ op: { kind: 'constant', value: t }, inputs: [], outputs: [{ id: 0, type: { kind: 'tensor', dtype: t.dtype, shape: t.shape } }] }],
  outputs: [{ name: 'c', value: 0 }],
});

/** Same dtype, shape, array class and elements (Object.is: NaN equals NaN, -0 differs from 0). */
function expectSameTensor(a: HostTensor, b: HostTensor): void {
  expect(a.dtype).toBe(b.dtype);
  expect(a.shape).toEqual(b.shape);
  expect(a.data.constructor).toBe(b.data.constructor);
  expect(a.data.length).toBe(b.data.length);
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) expect(a.data[i]).toBe(b.data[i]);
}

const scalarExpr: fc.Arbitrary<ScalarExpr> = fc.letrec<{ e: ScalarExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 1000 }).map((i): ScalarExpr => ({ k: 'arg', i })),
    fc.constant<ScalarExpr>({ k: 'acc' }),
    dtype.chain((d) => valueOf(d === 'string' ? 'float64' : d).map((v): ScalarExpr => ({ k: 'lit', v, dtype: d }))),
    fc.record({ k: fc.constant('un' as const), op: fc.constantFrom(...UNARY_OPS), a: tie('e') }),
    fc.record({ k: fc.constant('bin' as const), op: fc.constantFrom(...BINARY_OPS), a: tie('e'), b: tie('e') }),
    fc.record({ k: fc.constant('select' as const), c: tie('e'), a: tie('e'), b: tie('e') }),
    fc.record({ k: fc.constant('cast' as const), to: dtype, a: tie('e'), saturate: fc.boolean() }),
  ),
})).e;

const dim: fc.Arbitrary<Dim> = fc.oneof(
  fc.nat({ max: 1 << 20 }),
  fc.constantFrom('N', 'seq_len', '_', 'nan', 'inf', 'seq', 'opt', 'f32', '2*N', 'N*S+1', '(N+1)//2', '-1+N'),
  oddString,
);
const tensorType: fc.Arbitrary<TensorType> = fc.record({ kind: fc.constant('tensor' as const), dtype, shape: fc.array(dim, { maxLength: 4 }) });
const valueType: fc.Arbitrary<ValueType> = fc.oneof(
  tensorType,
  tensorType.map((elem): ValueType => ({ kind: 'sequence', elem })),
  fc.oneof(tensorType, tensorType.map((elem) => ({ kind: 'sequence' as const, elem }))).map((elem): ValueType => ({ kind: 'optional', elem })),
);

const affineExpr: fc.Arbitrary<AffineExpr> = fc.tuple(
  fc.array(fc.record({ idx: fc.nat({ max: 12 }), coeff: fc.integer({ min: -1e6, max: 1e6 }) }), { maxLength: 5 }),
  fc.oneof(fc.integer({ min: -1e9, max: 1e9 }), fc.constant(-0)),
).map(([terms, offset]) => affine(terms, offset));

describe('IR text properties', () => {
  it('scalar expressions round-trip', () => {
    fc.assert(fc.property(scalarExpr, (e) => {
      const text = printScalar(e);
      const back = parseScalar(text);
      expect(back).toEqual(e);
      expect(printScalar(back)).toBe(text);
    }), { numRuns: 400, seed: 5 });
  });

  it('constants of every dtype round-trip exactly, inline and as hex', () => {
    fc.assert(fc.property(dtype.chain(tensorOf), (t) => {
      const text = printGraph(constantGraph(t));
      const back = parseGraph(text);
      expectSameTensor((back.nodes[0]!.op as { value: HostTensor }).value, t);
      expect(printGraph(back)).toBe(text);
    }), { numRuns: 400, seed: 11 });
  });

  it('constants whose data is not exact in their dtype still round-trip (hex64)', () => {
    const inexact = numericDType.filter((d) => !isBigIntDType(d) && d !== 'float64').chain((d) =>
      fc.array(fc.double(), { minLength: 17, maxLength: 30 }).map((v): HostTensor => ({ dtype: d, shape: [v.length], data: Float64Array.from(v) })));
    fc.assert(fc.property(inexact, (t) => {
      const text = printGraph(constantGraph(t));
      const back = parseGraph(text);
      expectSameTensor((back.nodes[0]!.op as { value: HostTensor }).value, t);
      expect(printGraph(back)).toBe(text);
    }), { numRuns: 100, seed: 3 });
  });

  it('value types and user names round-trip', () => {
    fc.assert(fc.property(fc.array(fc.tuple(valueType, oddString), { maxLength: 5 }), (ins) => {
      const g: Graph = {
        inputs: ins.map(([type, name], id) => ({ name, value: { id, type } })),
        nodes: [],
        outputs: ins.map(([, name], id) => ({ name: `${name}!`, value: id })),
      };
      const text = printGraph(g);
      expect(parseGraph(text)).toEqual(g);
      expect(printGraph(parseGraph(text))).toBe(text);
    }), { numRuns: 300, seed: 7 });
  });

  it('affine expressions round-trip in canonical form', () => {
    fc.assert(fc.property(affineExpr, (e) => {
      const text = printAffine(e);
      const s = new TokenStream(text);
      const back = readAffineExpr(s);
      s.expectEnd();
      expect(back).toEqual(e);
      expect(printAffine(back)).toBe(text);
    }), { numRuns: 300, seed: 13 });
  });
});
