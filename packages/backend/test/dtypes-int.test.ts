// Sub-byte integers (int4, uint4, int2, uint2) and uint64 compiled vs the reference interpreter, bit for bit:
// every code cast to and from the other dtypes, arithmetic on every pair of codes (uint64 on its edge values),
// shifts past the width, reductions; and float -> integer casts of NaN, infinities and out-of-range values,
// which follow the interpreter's (numpy on x86-64) results rather than wasm's saturating instructions.

import { describe, it } from 'vitest';
import { type BinaryOp, type DType, arg, bin, cast } from '@tensorc/ir';
import { type Feed, type OutputSpec, allCodes, expectAgree, mapOut, valuesFeed } from './dtype-harness.js';

const SUB_BYTE: readonly { d: DType; bits: number }[] = [{ d: 'int4', bits: 4 }, { d: 'uint4', bits: 4 }, { d: 'int2', bits: 2 }, { d: 'uint2', bits: 2 }];
const INT_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'max', 'min', 'bitand', 'bitor', 'bitxor', 'shl', 'shr', 'lt', 'le', 'eq', 'ne', 'gt', 'ge'];
const DIV_OPS: BinaryOp[] = ['div', 'mod', 'fmod'];

const reduceOut = (name: string, reducer: 'add' | 'mul' | 'max' | 'min', axes: number[]): OutputSpec => ({
  name, build: (b, ids) => b.add1({ kind: 'reduce', reducer, axes, keepDims: false }, [ids['x']!]),
});

describe('sub-byte integers: compiled loop nests agree with the interpreter', () => {
  for (const { d, bits } of SUB_BYTE) {
    it(`${d}: every code cast to floats, ints and the other narrow types, and back from float32/int32`, async () => {
      const targets: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'float8e4m3fn', 'float4e2m1', 'int8', 'uint8', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'int4', 'uint4', 'int2', 'uint2'];
      const outs = targets.filter((t) => t !== d).map((t) => mapOut(`to_${t}`, cast(t, arg(0)), ['x']));
      const floats = [0, -0, 0.5, -0.5, 1.5, 2.5, 7.9, -8.9, 15, 16, 17, -17, 300.7, -300.7, 2 ** 31, -(2 ** 31), 2 ** 40, NaN, Infinity, -Infinity];
      const ints = [0, 1, -1, 7, 8, -8, -9, 15, 16, 255, 256, -(2 ** 31), 2 ** 31 - 1];
      outs.push(mapOut('from_f32', cast(d, arg(0)), ['f']), mapOut('from_i32', cast(d, arg(0)), ['i']));
      await expectAgree({ x: allCodes(d, bits), f: valuesFeed('float32', floats), i: valuesFeed('int32', ints) }, outs);
    });

    it(`${d}: arithmetic on every pair of codes, wrapped to the width`, async () => {
      const n = 2 ** bits;
      const codes = Uint8Array.from({ length: n }, (_, i) => i);
      const nonZero = codes.filter((c) => c !== 0);
      const feeds: Record<string, Feed> = {
        a: { type: d, dims: [n, 1], data: codes }, b: { type: d, dims: [1, n], data: codes },
        a2: { type: d, dims: [n, 1], data: codes }, nz: { type: d, dims: [1, nonZero.length], data: nonZero },
      };
      const outs = INT_OPS.map((op) => mapOut(op, bin(op, arg(0), arg(1)), ['a', 'b']));
      for (const op of DIV_OPS) outs.push(mapOut(op, bin(op, arg(0), arg(1)), ['a2', 'nz']));
      await expectAgree(feeds, outs);
    });

    it(`${d}: reductions`, async () => {
      const codes = Uint8Array.from({ length: 12 * 7 }, (_, i) => (i * 7 + (i >> 3)) % 2 ** bits);
      await expectAgree({ x: { type: d, dims: [12, 7], data: codes } }, [
        reduceOut('sum', 'add', [1]), reduceOut('prod', 'mul', [0]), reduceOut('max', 'max', [1]), reduceOut('min', 'min', [0]),
      ]);
    });
  }
});

const U64_EDGES = [0n, 1n, 2n, 3n, 7n, 63n, 64n, 65n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 53n) - 1n, (1n << 53n) + 1n,
  (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, (1n << 64n) - 2n, (1n << 64n) - 1n, 0x0123456789abcdefn, 0xfedcba9876543210n];

describe('uint64: unsigned 64-bit arithmetic, comparisons, shifts and casts', () => {
  it('arithmetic and comparisons on every pair of edge values', async () => {
    const n = U64_EDGES.length;
    const nz = U64_EDGES.filter((v) => v !== 0n);
    const shifts = [0n, 1n, 5n, 31n, 32n, 33n, 63n, 64n, 65n, 200n];
    const feeds: Record<string, Feed> = {
      a: { ...valuesFeed('uint64', U64_EDGES), dims: [n, 1] }, b: { ...valuesFeed('uint64', U64_EDGES), dims: [1, n] },
      a2: { ...valuesFeed('uint64', U64_EDGES), dims: [n, 1] }, nz: { ...valuesFeed('uint64', nz), dims: [1, nz.length] },
      a3: { ...valuesFeed('uint64', U64_EDGES), dims: [n, 1] }, s: { ...valuesFeed('uint64', shifts), dims: [1, shifts.length] },
    };
    const outs = INT_OPS.filter((op) => op !== 'shl' && op !== 'shr').map((op) => mapOut(op, bin(op, arg(0), arg(1)), ['a', 'b']));
    for (const op of DIV_OPS) outs.push(mapOut(op, bin(op, arg(0), arg(1)), ['a2', 'nz']));
    outs.push(mapOut('shl', bin('shl', arg(0), arg(1)), ['a3', 's']), mapOut('shr', bin('shr', arg(0), arg(1)), ['a3', 's']));
    await expectAgree(feeds, outs);
  });

  it('casts to and from floats and integers (out-of-range floats as the interpreter gives them)', async () => {
    const targets: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'float8e5m2', 'int64', 'int32', 'uint32', 'int8', 'uint8', 'int4', 'bool'];
    const outs = targets.map((t) => mapOut(`to_${t}`, cast(t, arg(0)), ['x']));
    const floats = [0, -0, 1.9, -1.9, -1, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, -(2 ** 64), 1.8e19, 1e30, NaN, Infinity, -Infinity];
    for (const src of ['f64', 'f32', 'i64', 'i32']) outs.push(mapOut(`from_${src}`, cast('uint64', arg(0)), [src]));
    await expectAgree({
      x: valuesFeed('uint64', U64_EDGES), f64: valuesFeed('float64', floats), f32: valuesFeed('float32', floats.map(Math.fround)),
      i64: valuesFeed('int64', U64_EDGES.map((v) => BigInt.asIntN(64, v))), i32: valuesFeed('int32', [0, 1, -1, -(2 ** 31), 2 ** 31 - 1]),
    }, outs);
  });

  it('reductions compare unsigned and start from the range extremes', async () => {
    const vals = Array.from({ length: 6 * 7 }, (_, i) => U64_EDGES[(i * 5) % U64_EDGES.length]!);
    await expectAgree({ x: { ...valuesFeed('uint64', vals), dims: [6, 7] } }, [
      reduceOut('sum', 'add', [1]), reduceOut('prod', 'mul', [0]), reduceOut('max', 'max', [1]), reduceOut('min', 'min', [0]),
    ]);
  });
});

describe('float -> integer casts of NaN, infinities and out-of-range values', () => {
  it('match the interpreter for every integer target from float32 and float64', async () => {
    const floats = [0, -0, 0.9, -0.9, 127.5, 128, -129, 255.9, 256, 32768, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 40, 2 ** 63, -(2 ** 63), 1e30, -1e30, NaN, Infinity, -Infinity];
    const targets: DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'int4', 'uint4', 'int2', 'uint2', 'bool'];
    const outs = ['f32', 'f64'].flatMap((src) => targets.map((t) => mapOut(`${src}_to_${t}`, cast(t, arg(0)), [src])));
    await expectAgree({ f32: valuesFeed('float32', floats.map(Math.fround)), f64: valuesFeed('float64', floats) }, outs);
  });
});

// (exponents stay small enough for the interpreter's exact bigint powers)
describe('integer pow: the exact power wrapped to the type; negative exponents as the interpreter defines them', () => {
  const cases: { d: DType; bases: number[]; exps: number[]; negExps: number[] }[] = [
    { d: 'int4', bases: [-8, -3, -2, -1, 0, 1, 2, 3, 7], exps: [0, 1, 2, 3, 4, 7], negExps: [-1, -2, -3, -8] },
    { d: 'uint4', bases: [0, 1, 2, 3, 15], exps: [0, 1, 2, 3, 4, 15], negExps: [] },
    { d: 'int8', bases: [-128, -3, -2, -1, 0, 1, 2, 3, 127], exps: [0, 1, 2, 7, 8, 9, 127], negExps: [-1, -2, -127, -128] },
    { d: 'uint8', bases: [0, 1, 2, 3, 255], exps: [0, 1, 2, 7, 8, 9, 255], negExps: [] },
    { d: 'int32', bases: [-(2 ** 31), -3, -2, -1, 0, 1, 2, 3, 46341, 2 ** 31 - 1], exps: [0, 1, 2, 3, 19, 20, 30, 31, 32, 33, 1001], negExps: [-1, -2, -(2 ** 31)] },
    { d: 'uint32', bases: [0, 1, 2, 3, 65536, 2 ** 32 - 1], exps: [0, 1, 2, 31, 32, 999, 1000], negExps: [] },
  ];
  for (const { d, bases, exps, negExps } of cases) {
    it(d, async () => {
      const col = (v: number[]) => ({ ...valuesFeed(d, v), dims: [v.length, 1] });
      const row = (v: number[]) => ({ ...valuesFeed(d, v), dims: [1, v.length] });
      const feeds: Record<string, Feed> = { a: col(bases), e: row(exps) };
      const outs = [mapOut('pow', bin('pow', arg(0), arg(1)), ['a', 'e'])];
      if (negExps.length) {
        Object.assign(feeds, { nz: col(bases.filter((b) => b !== 0)), ne: row(negExps) });
        outs.push(mapOut('pow_neg', bin('pow', arg(0), arg(1)), ['nz', 'ne']));
      }
      await expectAgree(feeds, outs);
    });
  }
  it('int64 and uint64', async () => {
    const b64 = [-(1n << 63n), -3n, -2n, -1n, 0n, 1n, 2n, 3n, 3037000500n, (1n << 63n) - 1n];
    const e64 = [0n, 1n, 2n, 39n, 40n, 62n, 63n, 64n, 65n, 1001n];
    const col = (d: DType, v: bigint[]) => ({ ...valuesFeed(d, v), dims: [v.length, 1] });
    const row = (d: DType, v: bigint[]) => ({ ...valuesFeed(d, v), dims: [1, v.length] });
    await expectAgree({
      a: col('int64', b64), e: row('int64', e64), nz: col('int64', b64.filter((b) => b !== 0n)), ne: row('int64', [-1n, -2n, -(1n << 63n)]),
      ua: col('uint64', b64.map((b) => BigInt.asUintN(64, b))), ue: row('uint64', [...e64, 1000n]),
    }, [
      mapOut('pow', bin('pow', arg(0), arg(1)), ['a', 'e']), mapOut('pow_neg', bin('pow', arg(0), arg(1)), ['nz', 'ne']),
      mapOut('pow_u', bin('pow', arg(0), arg(1)), ['ua', 'ue']),
    ]);
  });
});
