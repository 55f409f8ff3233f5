// Narrow float dtypes compiled vs the reference interpreter, bit for bit: every code of every format decoded
// (cast to float32/float64/ints/bool/every other format, saturating and not), encoding from float64, float32
// and 32/64-bit integers at every value, every midpoint between neighbours (ties to even) and just either
// side of it, past the range (saturation, inf, NaN), arithmetic on every pair of codes of the 8-bit formats
// (sampled pairs for the 16-bit ones) rounded after each op, and reductions (float64 sums rounded once).

import { describe, it } from 'vitest';
import { type BinaryOp, type DType, type UnaryOp, arg, bin, cast, decodeFloat, lit, un, type CodedFloatDType } from '@tensorc/ir';
import { type Feed, type OutputSpec, allCodes, expectAgree, mapOut, valuesFeed } from './dtype-harness.js';

const FORMATS: readonly { d: CodedFloatDType; bits: number }[] = [
  { d: 'float16', bits: 16 }, { d: 'bfloat16', bits: 16 }, { d: 'float8e4m3fn', bits: 8 }, { d: 'float8e4m3fnuz', bits: 8 },
  { d: 'float8e5m2', bits: 8 }, { d: 'float8e5m2fnuz', bits: 8 }, { d: 'float8e8m0', bits: 8 }, { d: 'float4e2m1', bits: 4 },
];

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The next double toward +inf (dir 1) or -inf (dir -1), for finite nonzero x. */
function nextDouble(x: number, dir: 1 | -1): number {
  f64[0] = x;
  u64[0] = (x > 0) === (dir > 0) ? u64[0]! + 1n : u64[0]! - 1n;
  return f64[0]!;
}

/** Values probing every rounding decision of format d: its values, their midpoints and just either side. */
function probeValues(d: CodedFloatDType, bits: number): number[] {
  const vals = [...new Set(Array.from({ length: 2 ** bits }, (_, c) => decodeFloat(c, d)).filter((v) => Number.isFinite(v)))].sort((a, b) => a - b);
  const out: number[] = [...vals, NaN, Infinity, -Infinity, 0, -0, 1e-300, -1e-300, 2 ** -150, 1e300, -1e300, 3e38, 4e38];
  const top = vals[vals.length - 1]!;
  const step = top - vals[vals.length - 2]!;
  // beyond the largest finite value: the overflow tie (half a step past it) and around it, and far out
  for (const t of [top + step / 2, top + step, top * 2, top * 1.0001]) out.push(t, -t, nextDouble(t, 1), nextDouble(t, -1), -nextDouble(t, 1), -nextDouble(t, -1));
  for (let i = 0; i + 1 < vals.length; i++) {
    const a = vals[i]!;
    const b = vals[i + 1]!;
    const mid = a + (b - a) / 2;
    out.push(mid);
    if (mid !== 0) out.push(nextDouble(mid, 1), nextDouble(mid, -1));
    // e8m0 rounds up: just above each value matters
    if (d === 'float8e8m0' && a > 0) out.push(nextDouble(a, 1), a * 1.5);
  }
  return out;
}

const CODED: readonly DType[] = FORMATS.map((f) => f.d);

describe('narrow floats: compiled loop nests agree with the interpreter bit for bit', () => {
  for (const { d, bits } of FORMATS) {
    it(`${d}: every code decoded and cast to float32/float64/ints/bool and to every format`, async () => {
      const targets: DType[] = ['float32', 'float64', 'int32', 'int8', 'uint8', 'int64', 'uint64', 'uint32', 'int4', 'bool', ...CODED];
      const outs: OutputSpec[] = [];
      for (const to of targets) {
        if (to === d) continue;
        outs.push(mapOut(`to_${to}`, cast(to, arg(0)), ['x']));
        if (CODED.includes(to)) outs.push(mapOut(`to_${to}_sat`, cast(to, arg(0), true), ['x']));
      }
      outs.push(mapOut('copy', arg(0), ['x']));
      await expectAgree({ x: allCodes(d, bits) }, outs);
    }, 60_000);

    it(`${d}: encoded from float64, float32 and integers at every rounding boundary`, async () => {
      const v = probeValues(d, bits);
      const ints = [0, 1, -1, 2, 3, 5, 7, 127, 255, 448, 449, 464, 465, 57344, 61440, 65504, 65519, 65520, 2 ** 24 + 1, 2 ** 31 - 1, -(2 ** 31)];
      const bigs = [0n, 1n, -1n, (1n << 53n) + 1n, (1n << 60n) + (1n << 52n) + 1n, (1n << 62n) + (1n << 54n), (1n << 63n) - 1n, -(1n << 63n), -((1n << 56n) + (1n << 48n)), 0x7fffffffffffffffn, 0x0180000000000001n];
      const feeds: Record<string, Feed> = {
        x64: valuesFeed('float64', v), x32: valuesFeed('float32', v.map(Math.fround)),
        i32: valuesFeed('int32', ints.flatMap((i) => [i, -i]).map((i) => i | 0)),
        i64: valuesFeed('int64', bigs), u64: valuesFeed('uint64', bigs.map((b) => BigInt.asUintN(64, b))),
      };
      const outs: OutputSpec[] = [];
      for (const src of Object.keys(feeds)) {
        outs.push(mapOut(`${src}_to`, cast(d, arg(0)), [src]), mapOut(`${src}_to_sat`, cast(d, arg(0), true), [src]));
      }
      await expectAgree(feeds, outs);
    }, 120_000);

    it(`${d}: arithmetic and comparisons, each result rounded to the format`, async () => {
      // 8 bits and fewer: every pair of codes ([n,1] x [1,n]); 16 bits: pseudo-random pairs plus specials.
      let a: Feed;
      let b: Feed;
      if (bits <= 8) {
        const n = 2 ** bits;
        const codes = Uint8Array.from({ length: n }, (_, i) => i);
        a = { type: d, dims: [n, 1], data: codes };
        b = { type: d, dims: [1, n], data: codes };
      } else {
        let s = 12345;
        const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
        const specials = d === 'float16' ? [0, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8001, 0x03ff, 0x0400, 0x3555, 0x5bff]
          : [0, 0x8000, 0x3f80, 0xbf80, 0x7f7f, 0xff7f, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8001, 0x007f, 0x0080, 0x3eab, 0x4b7f];
        const pa: number[] = [];
        const pb: number[] = [];
        for (const x of specials) for (const y of specials) { pa.push(x); pb.push(y); }
        for (let i = 0; i < 16384; i++) {
          const x = rnd();
          // half the pairs near each other in magnitude, where rounding of sums and differences is hardest
          pa.push(x);
          pb.push(i % 2 ? rnd() : (x & 0xff00) | (rnd() & 0xff));
        }
        a = { type: d, dims: [pa.length], data: Uint16Array.from(pa) };
        b = { type: d, dims: [pb.length], data: Uint16Array.from(pb) };
      }
      const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'mod', 'fmod', 'pow', 'lt', 'le', 'eq', 'ne', 'gt', 'ge'];
      const outs: OutputSpec[] = ops.map((op) => mapOut(op, bin(op, arg(0), arg(1)), ['a', 'b']));
      // chains round after every op; literals take the format's value
      outs.push(mapOut('chain', bin('sub', bin('add', bin('mul', arg(0), arg(1)), arg(0)), lit(0.1, d)), ['a', 'b']));
      const unary: UnaryOp[] = ['neg', 'abs', 'sqrt', 'recip', 'floor', 'ceil', 'round', 'exp', 'log', 'sign', 'sigmoid', 'tanh', 'sin', 'isnan', 'isinf', 'isposinf', 'isneginf'];
      for (const op of unary) outs.push(mapOut(`un_${op}`, un(op, arg(0)), ['a']));
      await expectAgree({ a, b }, outs);
    }, 120_000);

    it(`${d}: reductions (sum, product, max, min) accumulate exactly and round once`, async () => {
      let s = 777;
      const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
      const n = 48 * 16;
      const mask = 2 ** bits - 1;
      // mostly moderate magnitudes, so sums neither overflow at once nor vanish; a few arbitrary codes
      const codes = Array.from({ length: n }, (_, i) => {
        if (i % 13 === 0) return rnd() & mask;
        const v = decodeFloat(rnd() & mask, d);
        return Number.isFinite(v) && Math.abs(v) < 64 && Math.abs(v) > 1 / 64 ? rnd() & mask : rnd() & mask & ~(bits === 16 ? 0x4000 : bits === 8 ? 0x40 : 0x4);
      });
      const x: Feed = { type: d, dims: [48, 16], data: bits === 16 ? Uint16Array.from(codes) : Uint8Array.from(codes) };
      const red = (reducer: 'add' | 'mul' | 'max' | 'min', axes: number[]): OutputSpec => ({
        name: `${reducer}_${axes.join('')}`, build: (b, ids) => b.add1({ kind: 'reduce', reducer, axes, keepDims: false }, [ids['x']!]),
      });
      await expectAgree({ x }, [red('add', [1]), red('add', [0]), red('add', [0, 1]), red('mul', [1]), red('max', [1]), red('min', [0])]);
    }, 60_000);
  }

  it('softmax and log-softmax of narrow floats: float64 row statistics, each result rounded once', async () => {
    for (const { d, bits } of FORMATS) {
      let s = 99;
      const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 16; };
      const codes = Array.from({ length: 6 * 9 * 5 }, () => rnd() & (2 ** bits - 1));
      const x: Feed = { type: d, dims: [6, 9, 5], data: bits === 16 ? Uint16Array.from(codes) : Uint8Array.from(codes) };
      const sm = (axis: number, log: boolean): OutputSpec => ({ name: `${log ? 'log' : ''}softmax${axis}`, build: (b, ids) => b.add1({ kind: 'softmax', axis, log }, [ids['x']!]) });
      await expectAgree({ x }, [sm(1, false), sm(2, false), sm(0, true), sm(1, true)]);
    }
  }, 60_000);
});
