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
