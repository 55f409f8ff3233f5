// Top-k and argmax/argmin on every numeric dtype, compiled vs the reference interpreter bit for bit: values
// compared in their own type (narrow floats by value with NaN ordering, uint32/uint64 unsigned), ties to the
// lower index (or the last one for select_last). Also data movement (transpose, slice, pad, concat, gather)
// of the coded dtypes, whose codes pass through decode and encode.

import { describe, it } from 'vitest';
import { type DType, tensorType } from '@tensorc/ir';
import { type Feed, type OutputSpec, expectAgree } from './dtype-harness.js';

const DTYPES: readonly { d: DType; bits: number }[] = [
  { d: 'float16', bits: 16 }, { d: 'bfloat16', bits: 16 }, { d: 'float8e4m3fn', bits: 8 }, { d: 'float8e5m2', bits: 8 }, { d: 'float4e2m1', bits: 4 },
  { d: 'int8', bits: 8 }, { d: 'uint8', bits: 8 }, { d: 'int16', bits: 16 }, { d: 'uint16', bits: 16 }, { d: 'int4', bits: 4 }, { d: 'uint2', bits: 2 },
];

/** [rows, n] of codes (int8/int16 as their values) with many repeats (ties) drawn from a small pool. */
function codesFeed(d: DType, bits: number, rows: number, n: number): Feed {
  let s = 4242;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
  const pool = Array.from({ length: 9 }, () => rnd() & (2 ** bits - 1));
  const codes = Array.from({ length: rows * n }, () => pool[rnd() % pool.length]!);
  const data = d === 'int8' ? Int8Array.from(codes) : d === 'int16' ? Int16Array.from(codes) : bits === 16 ? Uint16Array.from(codes) : Uint8Array.from(codes);
  return { type: d, dims: [rows, n], data };
}

function wideFeed(d: 'int64' | 'uint64' | 'uint32' | 'int32' | 'float64', rows: number, n: number): Feed {
  const pool64 = [0n, 1n, 5n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 0x80000000n, 0xffffffffn, 3n];
  let s = 7;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
  const pick = () => pool64[rnd() % pool64.length]!;
  const len = rows * n;
  switch (d) {
    case 'int64': return { type: d, dims: [rows, n], data: BigInt64Array.from({ length: len }, () => BigInt.asIntN(64, pick())) };
    case 'uint64': return { type: d, dims: [rows, n], data: BigUint64Array.from({ length: len }, pick) };
    case 'uint32': return { type: d, dims: [rows, n], data: Uint32Array.from({ length: len }, () => Number(BigInt.asUintN(32, pick()))) };
    case 'int32': return { type: d, dims: [rows, n], data: Int32Array.from({ length: len }, () => Number(BigInt.asIntN(32, pick()))) };
    case 'float64': return { type: d, dims: [rows, n], data: Float64Array.from({ length: len }, () => [NaN, -0, 0, 1.5, -Infinity, 1e300, 2 ** -1074][rnd() % 7]!) };
  }
}

const topk = (axis: number, k: number, largest: boolean): OutputSpec => ({
  name: `top${k}_${axis}_${largest ? 'l' : 's'}`, build: (b, ids) => b.add({ kind: 'topk', axis, k, largest, sorted: true }, [ids['x']!])[0]!,
});
const topkIdx = (axis: number, k: number, largest: boolean): OutputSpec => ({
  name: `top${k}_${axis}_${largest ? 'l' : 's'}_idx`, build: (b, ids) => b.add({ kind: 'topk', axis, k, largest, sorted: true }, [ids['x']!])[1]!,
});
const argred = (mode: 'max' | 'min', axis: number, selectLast: boolean): OutputSpec => ({
  name: `arg${mode}_${axis}${selectLast ? '_last' : ''}`, build: (b, ids) => b.add1({ kind: 'argreduce', mode, axis, keepDims: false, selectLast }, [ids['x']!]),
});

const outputs: OutputSpec[] = [
  topk(1, 4, true), topkIdx(1, 4, true), topk(0, 3, false), topkIdx(0, 3, false),
  argred('max', 1, false), argred('max', 0, true), argred('min', 1, true), argred('min', 0, false),
];

describe('top-k and argmax/argmin agree with the interpreter on every dtype', () => {
  for (const { d, bits } of DTYPES) it(d, async () => { await expectAgree({ x: codesFeed(d, bits, 6, 11) }, outputs); });
  for (const d of ['int64', 'uint64', 'uint32', 'int32', 'float64'] as const) it(d, async () => { await expectAgree({ x: wideFeed(d, 6, 11) }, outputs); });
});

describe('data movement keeps the codes of the narrow dtypes', () => {
  const movement: OutputSpec[] = [
    { name: 'transpose', build: (b, ids) => b.add1({ kind: 'transpose', perm: [1, 0] }, [ids['x']!]) },
    { name: 'slice', build: (b, ids) => b.add1({ kind: 'slice', starts: [1, 2], steps: [2, 3] }, [ids['x']!], [tensorType(b.tensorTypeOf(ids['x']!).dtype, [3, 3])]) },
    { name: 'pad', build: (b, ids) => b.add1({ kind: 'pad', mode: 'constant', low: [1, 0], high: [0, 2], interior: [0, 0], value: 1.25 }, [ids['x']!]) },
    { name: 'concat', build: (b, ids) => b.add1({ kind: 'concat', axis: 1 }, [ids['x']!, ids['x']!]) },
    {
      name: 'gather', build: (b, ids) => b.add1({ kind: 'gather', axis: 1 }, [ids['x']!, b.constant({ dtype: 'int64', shape: [4], data: BigInt64Array.from([3n, -1n, 0n, 10n]) })]),
    },
  ];
  for (const { d, bits } of [...DTYPES.filter((t) => t.bits !== 16 || t.d === 'float16'), { d: 'float8e8m0' as DType, bits: 8 }]) {
    it(d, async () => { await expectAgree({ x: codesFeed(d, bits, 6, 11) }, movement); });
  }
  it('uint64', async () => { await expectAgree({ x: wideFeed('uint64', 6, 11) }, movement); });
});
