// Cumulative scans and scatter reductions on the narrow and 64-bit dtypes (float16, bfloat16, float8, float4,
// sub-byte and 64-bit integers), compiled vs the reference interpreter bit for bit on random codes (NaN and
// infinity codes included): the narrow floats accumulate as exact values rounded once per store, integers wrap,
// uint64 compares unsigned.

import { describe, it } from 'vitest';
import type { DType, Reducer, ScatterReduction } from '@tensorc/ir';
import { type Feed, type OutputSpec, expectAgree } from './dtype-harness.js';

const DTYPES: readonly { d: DType; bits: number }[] = [
  { d: 'float16', bits: 16 }, { d: 'bfloat16', bits: 16 }, { d: 'float8e4m3fn', bits: 8 }, { d: 'float8e5m2', bits: 8 }, { d: 'float8e4m3fnuz', bits: 8 },
  { d: 'float4e2m1', bits: 4 }, { d: 'int4', bits: 4 }, { d: 'uint4', bits: 4 }, { d: 'int2', bits: 2 }, { d: 'uint2', bits: 2 }, { d: 'uint64', bits: 64 },
];

/** [rows, n] random codes of a coded dtype (the runtime's arrays: one code per entry), or uint64 values around the extremes. */
function codesFeed(d: DType, bits: number, rows: number, n: number, seed: number): Feed {
  let s = seed;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
  const len = rows * n;
  if (d === 'uint64') {
    const pool = [0n, 1n, 3n, 7n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 0xffffffffn];
    return { type: d, dims: [rows, n], data: BigUint64Array.from({ length: len }, () => pool[rnd() % pool.length]!) };
  }
  const codes = Array.from({ length: len }, () => rnd() & (2 ** bits - 1));
  const data = bits === 16 ? Uint16Array.from(codes) : Uint8Array.from(codes);
  return { type: d, dims: [rows, n], data };
}

describe('cumulative on narrow and 64-bit dtypes', () => {
  for (const { d, bits } of DTYPES) {
    it(d, async () => {
      const outputs: OutputSpec[] = [];
      for (const reducer of ['add', 'mul', 'max', 'min'] as Reducer[]) for (const exclusive of [false, true]) for (const reverse of [false, true]) {
        outputs.push({ name: `${reducer}_${exclusive}_${reverse}`, build: (b, ids) => b.add1({ kind: 'cumulative', reducer, axis: 1, exclusive, reverse }, [ids['x']!]) });
      }
      outputs.push({ name: 'axis0', build: (b, ids) => b.add1({ kind: 'cumulative', reducer: 'add', axis: 0, exclusive: false, reverse: false }, [ids['x']!]) });
      await expectAgree({ x: codesFeed(d, bits, 3, 6, 11) }, outputs);
    });
  }
});

describe('scatter reductions on narrow and 64-bit dtypes', () => {
  for (const { d, bits } of DTYPES) {
    it(d, async () => {
      const idx: Feed = { type: 'int64', dims: [2, 6], data: BigInt64Array.from([0, 2, 1, 0, -1, 2, 1, 1, 0, 2, 2, -3].map(BigInt)) };
      const nd: Feed = { type: 'int64', dims: [4, 2], data: BigInt64Array.from([0, 1, 2, 5, 0, 1, -1, -1].map(BigInt)) };
      const outputs: OutputSpec[] = [];
      for (const reduction of ['none', 'add', 'mul', 'max', 'min'] as ScatterReduction[]) {
        outputs.push({ name: `se_${reduction}`, build: (b, ids) => b.add1({ kind: 'scatter_elements', axis: 0, reduction }, [ids['data']!, ids['idx']!, ids['upd']!]) });
        // scatter_nd: 4 element tuples (one repeated) take the first 4 updates
        outputs.push({
          name: `nd_${reduction}`,
          build: (b, ids) => {
            const flat = b.add1({ kind: 'reshape' }, [ids['upd']!], [{ kind: 'tensor', dtype: d, shape: [12] }]);
            const first4 = b.add1({ kind: 'slice', starts: [0], steps: [1] }, [flat], [{ kind: 'tensor', dtype: d, shape: [4] }]);
            return b.add1({ kind: 'scatter_nd', reduction }, [ids['data']!, ids['nd']!, first4]);
          },
        });
      }
      await expectAgree({ data: codesFeed(d, bits, 3, 6, 21), upd: codesFeed(d, bits, 2, 6, 22), idx, nd }, outputs);
    });
  }
});

describe('NaN codes of the narrow floats come out as the interpreter holds them (by value)', () => {
  const f16: Feed = { type: 'float16', dims: [6], data: Uint16Array.of(0x7c01, 0xfe00, 0x3c00, 0xffff, 0x7e00, 0x8000) };
  const u16: Feed = { type: 'uint16', dims: [6], data: Uint16Array.of(0x7c01, 0xfe00, 0x3c00, 0xffff, 0x7e00, 0x8000) };
  const e4: Feed = { type: 'float8e4m3fn', dims: [6], data: Uint8Array.of(0xff, 0x7f, 0x38, 0x80, 0x00, 0x7e) };
  const u8: Feed = { type: 'uint8', dims: [6], data: Uint8Array.of(0xff, 0x7f, 0x38, 0x80, 0x00, 0x7e) };
  const idx: Feed = { type: 'int64', dims: [3], data: BigInt64Array.of(5n, 0n, 5n) };
  const upd: Feed = { type: 'float16', dims: [3], data: Uint16Array.of(0xfc01, 0x3c00, 0x4000) };
  const ndIdx: Feed = { type: 'int64', dims: [4, 1], data: BigInt64Array.of(0n, 1n, 3n, 3n) };
  const tensor = (dtype: DType, shape: number[]) => [{ kind: 'tensor', dtype, shape }] as const;
  it('scatter, gather_nd and bitcast', async () => {
    await expectAgree({ f16, u16, e4, u8, idx, upd, ndIdx }, [
      { name: 'scatter_none', build: (b, ids) => b.add1({ kind: 'scatter_elements', axis: 0, reduction: 'none' }, [ids['f16']!, ids['idx']!, ids['upd']!]) },
      { name: 'scatter_add', build: (b, ids) => b.add1({ kind: 'scatter_elements', axis: 0, reduction: 'add' }, [ids['f16']!, ids['idx']!, ids['upd']!]) },
      { name: 'scatter_nd_none', build: (b, ids) => b.add1({ kind: 'scatter_nd', reduction: 'none' }, [ids['f16']!, b.add1({ kind: 'slice', starts: [0, 0], steps: [1, 1] }, [ids['ndIdx']!], [...tensor('int64', [3, 1])]), ids['upd']!]) },
      { name: 'gather_nd', build: (b, ids) => b.add1({ kind: 'gather_nd', batchDims: 0 }, [ids['f16']!, ids['ndIdx']!]) },
      { name: 'u16_to_f16', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['u16']!], [...tensor('float16', [6])]) },
      { name: 'f16_to_u16', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['f16']!], [...tensor('uint16', [6])]) },
      { name: 'f16_to_bf16', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['f16']!], [...tensor('bfloat16', [6])]) },
      { name: 'u8_to_e4', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['u8']!], [...tensor('float8e4m3fn', [6])]) },
      { name: 'e4_to_u8', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['e4']!], [...tensor('uint8', [6])]) },
      { name: 'e4_to_bool', build: (b, ids) => b.add1({ kind: 'bitcast' }, [ids['e4']!], [...tensor('bool', [6])]) },
    ]);
  });
});
