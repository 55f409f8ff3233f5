// The contraction kernel against naive loops written independently: einsum strings (including batch,
// diagonal, broadcast "..." and pure reductions) and direct convolution with stride, dilation, padding and
// groups. Inputs are small integers, so float32 sums are exact and results must match exactly.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { HostTensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { interpret } from './interpret.js';

const tensor = (shape: number[], f: (i: number) => number): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float64Array.from({ length: n }, (_, i) => f(i)) };
};
const ints = (shape: number[], seed: number) => tensor(shape, (i) => ((i * 7 + seed * 13) % 9) - 4);

function runEinsum(spec: string, ins: HostTensor[]): HostTensor {
  const b = new GraphBuilder();
  const ids = ins.map((t, i) => b.input(`in${i}`, tensorType('float32', t.shape)));
  b.output('y', b.einsum(spec, ids));
  const feeds = Object.fromEntries(ins.map((t, i) => [`in${i}`, t]));
  return interpret(b.build(), feeds)['y'] as HostTensor;
}

/** Naive einsum over explicit letter strings (no "..."): sums every letter not in the output. */
function naiveEinsum(terms: string[], out: string, ins: HostTensor[]): { shape: number[]; data: number[] } {
  const size = new Map<string, number>();
  terms.forEach((t, j) => [...t].forEach((c, d) => size.set(c, ins[j]!.shape[d]!)));
  const letters = [...size.keys()];
  const outShape = [...out].map((c) => size.get(c)!);
  const data = new Array(outShape.reduce((a, b) => a * b, 1)).fill(0);
  const total = letters.reduce((a, c) => a * size.get(c)!, 1);
  for (let flat = 0; flat < total; flat++) {
    const val = new Map<string, number>();
    let r = flat;
    for (const c of letters) { val.set(c, r % size.get(c)!); r = Math.floor(r / size.get(c)!); }
    let prod = 1;
    terms.forEach((t, j) => {
      let off = 0;
      [...t].forEach((c, d) => { off = off * ins[j]!.shape[d]! + val.get(c)!; });
      prod *= ins[j]!.data[off] as number;
    });
    let o = 0;
    [...out].forEach((c, d) => { o = o * outShape[d]! + val.get(c)!; });
    data[o] += prod;
  }
  return { shape: outShape, data };
}

describe('contract: einsum', () => {
  it('matches naive loops on random two-operand specs', () => {
    const letter = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    fc.assert(fc.property(
      fc.array(letter, { minLength: 1, maxLength: 3 }), fc.array(letter, { minLength: 1, maxLength: 3 }),
      fc.array(letter, { maxLength: 3 }), fc.dictionary(letter, fc.integer({ min: 1, max: 3 })),
      (t0, t1, outPick, sizes) => {
        const outLetters = [...new Set(outPick.filter((c) => t0.includes(c) || t1.includes(c)))];
        const sz = (c: string) => sizes[c] ?? 2;
        const a = ints(t0.map(sz), 1);
        const b = ints(t1.map(sz), 2);
        const spec = `${t0.join('')},${t1.join('')}->${outLetters.join('')}`;
        const got = runEinsum(spec, [a, b]);
        const want = naiveEinsum([t0.join(''), t1.join('')], outLetters.join(''), [a, b]);
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.data as Float64Array)).toEqual(want.data);
      }), { numRuns: 150, seed: 42 });
  });
  it('handles implicit outputs, batch matmul and broadcast "..."', () => {
    const a = ints([2, 3, 4], 1);
    const b = ints([2, 4, 5], 2);
    // Implicit output: letters used once, in alphabetical order (numpy's rule), so b is summed too.
    const got = runEinsum('bij,bjk', [a, b]);
    const want = naiveEinsum(['bij', 'bjk'], 'ik', [a, b]);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data as Float64Array)).toEqual(want.data);
    const c = ints([1, 3, 4], 3);
    const d = ints([2, 4, 5], 4);
    const e = runEinsum('...ij,...jk->...ik', [c, d]);
    expect(e.shape).toEqual([2, 3, 5]);
    const c2 = tensor([2, 3, 4], (i) => (c.data[i % 12] as number));
    expect(Array.from(e.data as Float64Array)).toEqual(naiveEinsum(['bij', 'bjk'], 'bik', [c2, d]).data);
  });
  it('takes diagonals and traces', () => {
    const a = ints([3, 3], 5);
    expect(Array.from(runEinsum('ii->i', [a]).data as Float64Array)).toEqual([0, 1, 2].map((i) => a.data[i * 4]));
    expect(Array.from(runEinsum('ii', [a]).data as Float64Array)).toEqual([[0, 1, 2].reduce((s, i) => s + (a.data[i * 4] as number), 0)]);
  });
});

interface ConvCase { n: number; g: number; cg: number; mg: number; spatial: number[]; k: number[]; s: number[]; d: number[]; p: number[] }

function naiveConv(c: ConvCase, x: HostTensor, w: HostTensor): { shape: number[]; data: number[] } {
  const r = c.spatial.length;
  const C = c.g * c.cg;
  const M = c.g * c.mg;
  const O = c.spatial.map((sz, i) => Math.floor((sz + c.p[i]! + c.p[r + i]! - c.d[i]! * (c.k[i]! - 1) - 1) / c.s[i]!) + 1);
  const shape = [c.n, M, ...O];
  const data: number[] = [];
  const oCount = O.reduce((a, b) => a * b, 1);
  const kCount = c.k.reduce((a, b) => a * b, 1);
  const unr = (f: number, dims: number[]) => { const idx: number[] = []; for (let i = dims.length - 1; i >= 0; i--) { idx[i] = f % dims[i]!; f = Math.floor(f / dims[i]!); } return idx; };
  const xAt = (n: number, ch: number, pos: number[]) => {
    let off = n * C + ch;
    for (let i = 0; i < r; i++) { if (pos[i]! < 0 || pos[i]! >= c.spatial[i]!) return 0; off = off * c.spatial[i]! + pos[i]!; }
    return x.data[off] as number;
  };
  for (let n = 0; n < c.n; n++) for (let m = 0; m < M; m++) for (let of = 0; of < oCount; of++) {
    const o = unr(of, O);
    const grp = Math.floor(m / c.mg);
    let sum = 0;
    for (let ci = 0; ci < c.cg; ci++) for (let kf = 0; kf < kCount; kf++) {
      const k = unr(kf, c.k);
      const pos = o.map((oi, i) => oi * c.s[i]! + k[i]! * c.d[i]! - c.p[i]!);
      let woff = m * c.cg + ci;
      for (let i = 0; i < r; i++) woff = woff * c.k[i]! + k[i]!;
      sum += xAt(n, grp * c.cg + ci, pos) * (w.data[woff] as number);
    }
    data.push(sum);
  }
  return { shape, data };
}

describe('contract: convolution', () => {
  it('matches direct convolution (stride, dilation, padding, groups, 1-D and 2-D)', () => {
    const caseArb = fc.integer({ min: 1, max: 2 }).chain((r) => fc.record({
      n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 2 }),
      spatial: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: r, maxLength: r }),
      k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
      s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
      d: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: r, maxLength: r }),
      p: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * r, maxLength: 2 * r }),
    }));
    fc.assert(fc.property(caseArb, (c) => {
      const r = c.spatial.length;
      const ok = c.spatial.every((sz, i) => sz + c.p[i]! + c.p[r + i]! >= c.d[i]! * (c.k[i]! - 1) + 1);
      fc.pre(ok);
      const x = ints([c.n, c.g * c.cg, ...c.spatial], 1);
      const w = ints([c.g * c.mg, c.cg, ...c.k], 2);
      const b = new GraphBuilder();
      const xi = b.input('x', tensorType('float32', x.shape));
      const wi = b.input('w', tensorType('float32', w.shape));
      b.output('y', b.conv({ x: xi, w: wi, strides: c.s, dilations: c.d, pads: c.p, group: c.g }));
      const got = interpret(b.build(), { x, w })['y'] as HostTensor;
      const want = naiveConv(c, x, w);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data as Float64Array)).toEqual(want.data);
    }), { numRuns: 200, seed: 7 });
  });
  it('computes a depthwise convolution (group = channels)', () => {
    const c: ConvCase = { n: 1, g: 4, cg: 1, mg: 1, spatial: [5, 5], k: [3, 3], s: [1, 1], d: [1, 1], p: [1, 1, 1, 1] };
    const x = ints([1, 4, 5, 5], 3);
    const w = ints([4, 1, 3, 3], 4);
    const b = new GraphBuilder();
    const xi = b.input('x', tensorType('float32', x.shape));
    const wi = b.input('w', tensorType('float32', w.shape));
    b.output('y', b.conv({ x: xi, w: wi, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 4 }));
    const got = interpret(b.build(), { x, w })['y'] as HostTensor;
    expect(Array.from(got.data as Float64Array)).toEqual(naiveConv(c, x, w).data);
  });
});

describe('contract: fast path equals the general loop', () => {
  it('on random convolutions and matmuls with float32 rounding', async () => {
    const { setContractFastPath } = await import('./kernels-compute.js');
    // widths up to 12 so rows hold several four-point groups, some of them touching the padded border
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 }), (g, hw, pad, stride) => {
      const x = tensor([1, 2 * g, hw + 2, hw + 1], (i) => Math.fround(Math.sin(i) * 3.7));
      const w = tensor([2 * g, 2, 3, 2], (i) => Math.fround(Math.cos(i * 1.3) / 7));
      const b = new GraphBuilder();
      const xi = b.input('x', tensorType('float32', x.shape));
      const wi = b.input('w', tensorType('float32', w.shape));
      b.output('y', b.conv({ x: xi, w: wi, strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad], group: g }));
      const graph = b.build();
      const fast = interpret(graph, { x, w })['y'] as HostTensor;
      setContractFastPath(false);
      try {
        const slow = interpret(graph, { x, w })['y'] as HostTensor;
        expect(Array.from(fast.data as Float64Array)).toEqual(Array.from(slow.data as Float64Array));
      } finally {
        setContractFastPath(true);
      }
    }), { numRuns: 40, seed: 3 });
  });
});

/** Float32 (or float16) values from a seed (xorshift); with `specials`, some signed zeros, infinities, NaN, tiny and huge values. */
function floats(n: number, seed: number, specials: boolean, half = false): Float64Array {
  let s = (seed >>> 0) || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  const special = half ? [0, -0, Infinity, -Infinity, NaN, 65504, -65504, 2 ** -24] : [0, -0, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 2 ** -149, 1e-30];
  return Float64Array.from({ length: n }, () => {
    if (specials && next() < 0.03) return Math.fround(special[Math.floor(next() * special.length)]!);
    // float16 holds 11-bit integers over 256 exactly
    if (half) return Math.round((next() * 2 - 1) * 2048) / 256;
    // half of them spread over 40 binades, so that float64 sums round and their order shows
    return Math.fround((next() * 2 - 1) * (next() < 0.5 ? 4 : 2 ** Math.floor(next() * 40 - 30)));
  });
}

/** Where two results differ bit for bit (NaN equals NaN, 0 differs from -0), or undefined. */
function bitDifference(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `element ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
}

/** The graph's output "y" with the fast contraction path and with the general loop. */
async function fastAndGeneral(graph: ReturnType<GraphBuilder['build']>, feeds: Record<string, HostTensor>): Promise<[Float64Array, Float64Array]> {
  const { setContractFastPath } = await import('./kernels-compute.js');
  const fast = interpret(graph, feeds)['y'] as HostTensor;
  setContractFastPath(false);
  try {
    const general = interpret(graph, feeds)['y'] as HostTensor;
    expect(fast.shape).toEqual(general.shape);
    return [fast.data as Float64Array, general.data as Float64Array];
  } finally {
    setContractFastPath(true);
  }
}

interface RandomConv { r: number; n: number; g: number; cg: number; mg: number; spatial: number[]; k: number[]; s: number[]; d: number[]; p: number[]; half: boolean; padValue: number; seed: number; specials: boolean }

const convArb = (size: { min: number; max: number }, rank: { min: number; max: number }, maxStride = 3) => fc.integer(rank).chain((r) => fc.record({
  r: fc.constant(r), n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }),
  spatial: fc.array(fc.integer(size), { minLength: r, maxLength: r }),
  k: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: r, maxLength: r }),
  s: fc.array(fc.integer({ min: 1, max: maxStride }), { minLength: r, maxLength: r }),
  d: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
  p: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2 * r, maxLength: 2 * r }),
  half: fc.boolean(), padValue: fc.constantFrom(0, 0, -1.5, 0.25), seed: fc.integer(), specials: fc.boolean(),
}));

async function checkConv(c: RandomConv): Promise<void> {
  const ok = c.spatial.every((sz, i) => sz + c.p[i]! + c.p[c.r + i]! >= c.d[i]! * (c.k[i]! - 1) + 1);
  fc.pre(ok);
  const dtype = c.half ? 'float16' : 'float32';
  const xs = [c.n, c.g * c.cg, ...c.spatial], ws = [c.g * c.mg, c.cg, ...c.k];
  const x: HostTensor = { dtype, shape: xs, data: floats(xs.reduce((a, b) => a * b, 1), c.seed, c.specials, c.half) };
  const w: HostTensor = { dtype, shape: ws, data: floats(ws.reduce((a, b) => a * b, 1), c.seed + 1, c.specials, c.half) };
  const b = new GraphBuilder();
  const xi = b.input('x', tensorType(dtype, xs));
  const wi = b.input('w', tensorType(dtype, ws));
  b.output('y', b.conv({ x: xi, w: wi, strides: c.s, dilations: c.d, pads: c.p, group: c.g, padValue: c.padValue }));
  const [fast, general] = await fastAndGeneral(b.build(), { x, w });
  expect(bitDifference(fast, general)).toBeUndefined();
}

describe('contract: tiled sums equal the general loop bit for bit', () => {
  it('tiledProductsF32 on random affine operands, one still over an output-loop suffix', async () => {
    const { tiledProductsF32 } = await import('./contract-tiled.js');
    let applied = 0;
    const caseArb = fc.record({
      out: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
      // one output dim made long: tiles cut into chunks, or a last dim longer than a tile, cut inside rows
      long: fc.option(fc.record({ at: fc.nat(), size: fc.integer({ min: 100, max: 2200 }) }), { freq: 3 }),
      red: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      still: fc.nat(), coeffs: fc.array(fc.integer({ min: -2, max: 4 }), { minLength: 14, maxLength: 14 }),
      lastStep: fc.integer({ min: -5, max: 5 }), pairFree: fc.boolean(), fixedFirst: fc.boolean(), seed: fc.integer(), specials: fc.boolean(),
    });
    fc.assert(fc.property(caseArb, (c) => {
      const outShape = [...c.out];
      if (c.long) {
        const at = c.long.at % (outShape.length + 1);
        if (at === outShape.length) outShape[at - 1] = c.long.size;
        else outShape[at] = Math.max(1, Math.floor(c.long.size / outShape.reduce((a, b, i) => (i === at ? a : a * b), 1)));
      }
      const r = outShape.length, extents = [...outShape, ...c.red], nLoops = extents.length;
      const t = c.still % r;
      let ci = 0;
      const coeff = () => c.coeffs[ci++ % c.coeffs.length]!;
      // fixed: does not move over output loops t..r-1; moving: steps lastStep along the last output loop
      const fixedW = extents.map((_, l) => (l >= t && l < r ? 0 : Math.abs(coeff())));
      const movingW = extents.map((_, l) => (l === r - 1 ? c.lastStep : l === t - 1 && c.pairFree ? 0 : coeff()));
      const operand = (wts: number[], seed: number) => {
        let lo = 0, hi = 0;
        wts.forEach((wt, l) => { if (wt < 0) lo += wt * (extents[l]! - 1); else hi += wt * (extents[l]! - 1); });
        return { data: floats(hi - lo + 1, seed, c.specials), weights: Float64Array.from(wts), base: -lo };
      };
      const F = operand(fixedW, c.seed), M = operand(movingW, c.seed + 7);
      const nRed = c.red.reduce((a, b) => a * b, 1), nOut = outShape.reduce((a, b) => a * b, 1);
      const table = (x: typeof F) => {
        const tab = new Int32Array(nRed);
        for (let k = 0; k < nRed; k++) {
          let rem = k, v = 0;
          for (let d = c.red.length - 1; d >= 0; d--) { v += x.weights[r + d]! * (rem % c.red[d]!); rem = Math.floor(rem / c.red[d]!); }
          tab[k] = v;
        }
        return tab;
      };
      const [A, B] = c.fixedFirst ? [F, M] : [M, F];
      const out = new Float64Array(nOut);
      if (!tiledProductsF32(A, table(A), B, table(B), outShape, out)) return;
      applied++;
      // the general loop's order: every output from 0, reduction points in row-major order, products rounded
      const want = new Float64Array(nOut);
      const point = new Array<number>(nLoops).fill(0);
      for (let o = 0; o < nOut; o++) {
        let rem = o;
        for (let d = r - 1; d >= 0; d--) { point[d] = rem % outShape[d]!; rem = Math.floor(rem / outShape[d]!); }
        let s = 0;
        for (let k = 0; k < nRed; k++) {
          let kr = k;
          for (let d = c.red.length - 1; d >= 0; d--) { point[r + d] = kr % c.red[d]!; kr = Math.floor(kr / c.red[d]!); }
          const at = (x: typeof F) => x.data[x.weights.reduce((v, wt, l) => v + wt * point[l]!, x.base)]!;
          s += Math.fround(at(A) * at(B));
        }
        want[o] = s;
      }
      expect(bitDifference(out, want)).toBeUndefined();
    }), { numRuns: 300, seed: 11 });
    expect(applied).toBeGreaterThan(100);
  });
  it('on random convolutions: 1-3 spatial dims, stride, dilation, asymmetric padding, pad values, groups, float16', async () => {
    await fc.assert(fc.asyncProperty(convArb({ min: 1, max: 9 }, { min: 1, max: 2 }), checkConv), { numRuns: 150, seed: 5 });
    await fc.assert(fc.asyncProperty(convArb({ min: 1, max: 5 }, { min: 3, max: 3 }), checkConv), { numRuns: 30, seed: 6 });
  });
  it('on convolutions large enough to cut tiles into chunks (2-D) or rows (1-D)', async () => {
    await fc.assert(fc.asyncProperty(convArb({ min: 30, max: 48 }, { min: 2, max: 2 }), checkConv), { numRuns: 6, seed: 8 });
    // stride 1 keeps rows longer than a tile
    await fc.assert(fc.asyncProperty(convArb({ min: 1030, max: 1300 }, { min: 1, max: 1 }, 1), checkConv), { numRuns: 6, seed: 9 });
  });
  it('on random matmuls (broadcast batches) and transposed products', async () => {
    const dims = fc.record({ batchA: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), m: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 20 }), n: fc.integer({ min: 1, max: 40 }), transposed: fc.boolean(), seed: fc.integer(), specials: fc.boolean() });
    await fc.assert(fc.asyncProperty(dims, async (c) => {
      const as = [...c.batchA, c.m, c.k];
      const bs = c.transposed ? [c.n, c.k] : [...c.batchA.map((d, i) => (i % 2 ? d : 1)), c.k, c.n];
      const a: HostTensor = { dtype: 'float32', shape: as, data: floats(as.reduce((x, y) => x * y, 1), c.seed, c.specials) };
      const bt: HostTensor = { dtype: 'float32', shape: bs, data: floats(bs.reduce((x, y) => x * y, 1), c.seed + 3, c.specials) };
      const b = new GraphBuilder();
      const ai = b.input('a', tensorType('float32', as));
      const bi = b.input('b', tensorType('float32', bs));
      b.output('y', c.transposed ? b.einsum('...ik,jk->...ij', [ai, bi]) : b.matmul(ai, bi));
      const [fast, general] = await fastAndGeneral(b.build(), { a, b: bt });
      expect(bitDifference(fast, general)).toBeUndefined();
    }), { numRuns: 80, seed: 10 });
  });
});

describe('interpreter: every op kind', () => {
  it('evaluates the every-op fixture', async () => {
    const { everyOpGraph } = await import('../__tests__/every-op.js');
    const x: HostTensor = { dtype: 'float32', shape: [2, 3], data: Float64Array.from([1, -2, 3, 0, 5, -6]) };
    const n: HostTensor = { dtype: 'float32', shape: [3, 4], data: new Float64Array(12) };
    const out = interpret(everyOpGraph(), { 'input:0': x, 'x.1 "quoted"': n });
    expect((out['y "out"'] as HostTensor).data).toEqual(Float64Array.from([10, 12, 0, 0]));
    expect((out['n'] as HostTensor).shape).toEqual([3, 4]);
    expect((out['conv'] as HostTensor).dtype).toBe('float16');
  });
});
