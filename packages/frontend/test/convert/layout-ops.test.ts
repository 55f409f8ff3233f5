// DepthToSpace, SpaceToDepth, ReverseSequence, MaxPool's Indices output and TensorScatter beyond the conformance
// cases: one-node models over several shapes and attribute values, against direct evaluations of the ONNX
// definitions written here (index formulas, the reference's Python slicing, the reference MaxPool loop), in
// the interpreter and, for some, compiled to WebAssembly; plus the typed errors for refused attribute values.

import { describe, expect, it } from 'vitest';
import { type Graph, type HostTensor, interpret } from '@tensorc/ir';
import { attr } from '../../src/onnx/__tests__/proto-writer.js';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { type Io, ONNX, type OneNode, errorOf, oneNode, rand } from './one-node-model.js';

const values = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const strides = (shape: readonly number[]) => shape.map((_, i) => size(shape.slice(i + 1)));
const unravel = (flat: number, shape: readonly number[]) => shape.map((_, i) => Math.floor(flat / strides(shape)[i]!) % shape[i]!);
const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((a, v, i) => a + v * strides(shape)[i]!, 0);
const f32 = (name: string, shape: (number | string)[]): Io => ({ name, type: ONNX.FLOAT, shape });
const i64 = (name: string, shape: (number | string)[]): Io => ({ name, type: ONNX.INT64, shape });
const int64Tensor = (shape: number[], v: number[]): HostTensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(v, BigInt) });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Runs the one-node model in the interpreter (and compiled when asked); returns the outputs by name. */
async function run(spec: OneNode, feeds: Record<string, HostTensor>, compiled = false): Promise<Record<string, HostTensor>> {
  const g: Graph = oneNode(spec);
  const out = interpret(g, feeds) as Record<string, HostTensor>;
  if (compiled) {
    const c = (await compiledEvaluate(g, feeds)) as Record<string, HostTensor>;
    for (const k of Object.keys(out)) expect(values(c[k]!), `compiled ${k}`).toEqual(values(out[k]!));
  }
  return out;
}

describe('DepthToSpace and SpaceToDepth', () => {
  // y[n, c, h*b+i, w*b+j] = x[n, channel(c, i, j), h, w]
  const d2sChannel = (mode: string, c: number, i: number, j: number, b: number, d: number) =>
    mode === 'DCR' ? (i * b + j) * d + c : c * b * b + i * b + j;

  for (const [shape, b] of [[[2, 8, 3, 2], 2], [[1, 18, 2, 3], 3], [[1, 3, 2, 2], 1]] as const) {
    for (const mode of ['DCR', 'CRD']) {
      it(`DepthToSpace ${mode} ${JSON.stringify(shape)} blocksize ${b}`, async () => {
        const [n, c, h, w] = shape;
        const d = c / (b * b);
        const ys = [n, d, h * b, w * b];
        const x = rand([...shape], 7);
        const out = await run({
          opType: 'DepthToSpace', domain: '', opsets: [['', 13]], attrs: [attr.int('blocksize', b), attr.string('mode', mode)],
          inputs: [f32('x', [...shape])], outputs: [f32('y', ys)],
        }, { x }, b === 2);
        const xv = values(x);
        const expected = Array.from({ length: size(ys) }, (_, f) => {
          const [nn, cc, hh, ww] = unravel(f, ys) as [number, number, number, number];
          return xv[ravel([nn, d2sChannel(mode, cc, hh % b, ww % b, b, d), Math.floor(hh / b), Math.floor(ww / b)], shape)]!;
        });
        expect(out['y']!.shape).toEqual(ys);
        expect(values(out['y']!)).toEqual(expected);
      });
    }
  }

  it('DepthToSpace before opset 11 (no mode attribute) is DCR', async () => {
    const x = rand([1, 8, 1, 1], 3);
    const out = await run({ opType: 'DepthToSpace', domain: '', opsets: [['', 1]], attrs: [attr.int('blocksize', 2)],
      inputs: [f32('x', [1, 8, 1, 1])], outputs: [f32('y', [1, 2, 2, 2])] }, { x });
    const xv = values(x);
    // y[0, c, i, j] = x[0, (i*2 + j)*2 + c]
    expect(values(out['y']!)).toEqual([0, 2, 4, 6, 1, 3, 5, 7].map((k) => xv[k]));
  });

  for (const [shape, b] of [[[2, 3, 4, 6], 2], [[1, 2, 6, 3], 3], [[1, 1, 2, 2], 1]] as const) {
    it(`SpaceToDepth ${JSON.stringify(shape)} blocksize ${b}`, async () => {
      const [n, c, h, w] = shape;
      const ys = [n, c * b * b, h / b, w / b];
      const x = rand([...shape], 11);
      const out = await run({ opType: 'SpaceToDepth', domain: '', opsets: [['', 13]], attrs: [attr.int('blocksize', b)],
        inputs: [f32('x', [...shape])], outputs: [f32('y', ys)] }, { x }, b === 2);
      const xv = values(x);
      // y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]
      const expected = Array.from({ length: size(ys) }, (_, f) => {
        const [nn, ch, hh, ww] = unravel(f, ys) as [number, number, number, number];
        const cell = Math.floor(ch / c);
        return xv[ravel([nn, ch % c, hh * b + Math.floor(cell / b), ww * b + (cell % b)], shape)]!;
      });
      expect(values(out['y']!)).toEqual(expected);
    });
  }

  it('refuses bad modes, blocksizes, shapes', () => {
    const d2s = (shape: number[], attrs: Uint8Array[]) => errorOf(() => oneNode({ opType: 'DepthToSpace', domain: '', opsets: [['', 13]], attrs,
      inputs: [f32('x', shape)], outputs: [f32('y', [])] }));
    const bad = d2s([1, 8, 2, 2], [attr.int('blocksize', 2), attr.string('mode', 'RDC')]);
    expect(bad).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE', opType: 'DepthToSpace', node: 'n' });
    expect(bad.message).toContain('RDC');
    expect(d2s([1, 6, 2, 2], [attr.int('blocksize', 2)])).toMatchObject({ code: 'SHAPE_ERROR' });
    expect(d2s([8, 2, 2], [attr.int('blocksize', 2)])).toMatchObject({ code: 'SHAPE_ERROR' });
    expect(d2s([1, 8, 2, 2], [attr.int('blocksize', 0)])).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE' });
    expect(d2s([1, 8, 2, 2], [])).toMatchObject({ code: 'INVALID_MODEL' });
    const s2d = errorOf(() => oneNode({ opType: 'SpaceToDepth', domain: '', opsets: [['', 13]], attrs: [attr.int('blocksize', 2)],
      inputs: [f32('x', [1, 1, 3, 4])], outputs: [f32('y', [])] }));
    expect(s2d).toMatchObject({ code: 'SHAPE_ERROR', opType: 'SpaceToDepth' });
    expect(s2d.message).toContain('height 3');
  });
});

describe('ReverseSequence', () => {
  /** Python's slice(start, stop, step) over a length-n axis, as the indices it visits. */
  function pySlice(start: number | null, stop: number | null, step: number, n: number): number[] {
    const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    const s = start === null ? (step > 0 ? 0 : n - 1) : norm(start, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
    const e = stop === null ? (step > 0 ? n : -1) : norm(stop, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
    const out: number[] = [];
    for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
    return out;
  }

  /** The reference implementation's loop: result[b, 0:sl] = data[b, sl-1::-1], lengths 0 skipped. */
  function reference(x: number[], shape: number[], lens: number[], batchAxis: number, timeAxis: number): number[] {
    const out = [...x];
    const T = shape[timeAxis]!;
    lens.forEach((sl, b) => {
      if (sl === 0) return;
      const dst = pySlice(0, sl, 1, T);
      const src = pySlice(sl - 1, null, -1, T);
      expect(dst.length).toBe(src.length);
      for (let f = 0; f < x.length; f++) {
        const idx = unravel(f, shape);
        if (idx[batchAxis] !== b) continue;
        const k = dst.indexOf(idx[timeAxis]!);
        if (k < 0) continue;
        idx[timeAxis] = src[k]!;
        out[f] = x[ravel(idx, shape)]!;
      }
    });
    return out;
  }

  const spec = (shape: (number | string)[], batchAxis: number, timeAxis: number): OneNode => ({
    opType: 'ReverseSequence', domain: '', opsets: [['', 10]],
    attrs: [attr.int('batch_axis', batchAxis), attr.int('time_axis', timeAxis)],
    inputs: [f32('x', shape), i64('lens', [shape[batchAxis]!])], outputs: [f32('y', shape)],
  });

  const random = rng(3);
  for (const [shape, batchAxis, timeAxis] of [[[4, 3], 1, 0], [[3, 5, 2], 0, 1], [[5, 3, 2, 2], 1, 0], [[2, 6], 0, 1]] as const) {
    it(`${JSON.stringify(shape)} batch_axis ${batchAxis} time_axis ${timeAxis}, lengths at run time`, async () => {
      const T = shape[timeAxis];
      const B = shape[batchAxis];
      const x = rand([...shape], 5);
      for (let trial = 0; trial < 4; trial++) {
        // Lengths in and out of [0, T] (the reference slices them Python-style).
        const lens = Array.from({ length: B }, () => Math.floor(random() * (2 * T + 4)) - T - 1);
        const out = await run(spec([...shape], batchAxis, timeAxis), { x, lens: int64Tensor([B], lens) }, trial === 0);
        expect(values(out['y']!), JSON.stringify(lens)).toEqual(reference(values(x), [...shape], lens, batchAxis, timeAxis));
      }
    });
  }

  it('a symbolic batch size (time_axis 0) is read at run time', async () => {
    const x = rand([4, 3, 2], 9);
    const lens = [2, 0, 4];
    const out = await run(spec([4, 'B', 2], 1, 0), { x, lens: int64Tensor([3], lens) });
    expect(values(out['y']!)).toEqual(reference(values(x), [4, 3, 2], lens, 1, 0));
  });

  it('refuses bad axes and lengths shapes', () => {
    const err = (s: OneNode) => errorOf(() => oneNode(s));
    expect(err(spec([4, 3], 0, 0))).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE', opType: 'ReverseSequence', node: 'n' });
    expect(err(spec([4, 3, 2], 2, 0))).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE' });
    expect(err({ ...spec([4, 3], 1, 0), inputs: [f32('x', [4, 3]), i64('lens', [4])] })).toMatchObject({ code: 'SHAPE_ERROR' });
    expect(err({ ...spec([4], 1, 0), inputs: [f32('x', [4]), i64('lens', [1])] })).toMatchObject({ code: 'SHAPE_ERROR' });
  });
});

describe('MaxPool with Indices', () => {
  interface Pool { kernel: number[]; strides?: number[]; dilations?: number[]; pads?: number[]; ceil?: boolean; storage?: number; autoPad?: string }

  function outShape(shape: number[], p: Pool, pads: number[]): number[] {
    const n = p.kernel.length;
    return [shape[0]!, shape[1]!, ...p.kernel.map((k, i) => {
      const s = p.strides?.[i] ?? 1;
      const span = (k - 1) * (p.dilations?.[i] ?? 1) + 1;
      const avail = shape[2 + i]! + pads[i]! + pads[i + n]! - span;
      let o = (p.ceil ? Math.ceil(avail / s) : Math.floor(avail / s)) + 1;
      if (p.ceil && (o - 1) * s >= shape[2 + i]! + pads[i]!) o--;
      return o;
    })];
  }

  /** The reference loop: scan each window row-major over in-bounds cells, keep the first strict maximum. */
  function reference(x: number[], shape: number[], p: Pool, pads: number[]): { y: number[]; z: number[]; ys: number[] } {
    const n = p.kernel.length;
    const ys = outShape(shape, p, pads);
    const sp = shape.slice(2);
    const colStrides = sp.map((_, i) => size(sp.slice(0, i)));
    const y: number[] = [];
    const z: number[] = [];
    for (let f = 0; f < size(ys); f++) {
      const o = unravel(f, ys);
      let best: number | undefined;
      let at: number[] = [];
      for (let k = 0; k < size(p.kernel); k++) {
        const kk = unravel(k, p.kernel);
        const pos = kk.map((ki, i) => o[2 + i]! * (p.strides?.[i] ?? 1) + ki * (p.dilations?.[i] ?? 1) - pads[i]!);
        if (pos.some((q, i) => q < 0 || q >= sp[i]!)) continue;
        const v = x[ravel([o[0]!, o[1]!, ...pos], shape)]!;
        if (best === undefined || v > best) { best = v; at = pos; }
      }
      const plane = o[0]! * shape[1]! + o[1]!;
      y.push(best!);
      z.push(plane * size(sp) + (p.storage === 1 ? at.reduce((a, q, i) => a + q * colStrides[i]!, 0) : ravel(at, sp)));
    }
    void n;
    return { y, z, ys };
  }

  function spec(shape: number[], ys: number[], p: Pool, type: number = ONNX.FLOAT): OneNode {
    const attrs = [attr.ints('kernel_shape', p.kernel)];
    if (p.strides) attrs.push(attr.ints('strides', p.strides));
    if (p.dilations) attrs.push(attr.ints('dilations', p.dilations));
    if (p.pads) attrs.push(attr.ints('pads', p.pads));
    if (p.ceil) attrs.push(attr.int('ceil_mode', 1));
    if (p.storage !== undefined) attrs.push(attr.int('storage_order', p.storage));
    if (p.autoPad) attrs.push(attr.string('auto_pad', p.autoPad));
    return { opType: 'MaxPool', domain: '', opsets: [['', 12]], attrs,
      inputs: [{ name: 'x', type, shape }], outputs: [{ name: 'y', type, shape: ys }, i64('z', ys)] };
  }

  const random = rng(17);
  /** Values from a small pool so windows tie often; -inf too. */
  const tiesInput = (shape: number[], pool: number[]): HostTensor => ({
    dtype: 'float32', shape, data: Float64Array.from({ length: size(shape) }, () => pool[Math.floor(random() * pool.length)]!),
  });

  const cases: [string, number[], Pool, number[]?][] = [
    ['2-D 3x3 pads 1', [1, 2, 5, 5], { kernel: [3, 3], pads: [1, 1, 1, 1] }],
    ['2-D 2x2 strides 2', [2, 1, 4, 6], { kernel: [2, 2], strides: [2, 2] }],
    ['2-D dilated, strided, padded', [1, 2, 7, 6], { kernel: [3, 2], strides: [2, 1], dilations: [2, 2], pads: [1, 2, 1, 0] }],
    ['2-D asymmetric pads', [1, 1, 5, 4], { kernel: [3, 3], pads: [2, 0, 0, 2] }],
    ['2-D ceil mode', [1, 2, 5, 5], { kernel: [2, 2], strides: [2, 2], ceil: true }],
    ['2-D auto_pad SAME_LOWER', [1, 1, 5, 4], { kernel: [3, 2], strides: [2, 1], autoPad: 'SAME_LOWER' }, [1, 1, 1, 0]],
    ['1-D', [2, 3, 7], { kernel: [3], strides: [2], pads: [2, 1] }],
    ['3-D', [1, 2, 4, 3, 5], { kernel: [2, 2, 3], strides: [1, 2, 2], pads: [1, 0, 1, 0, 1, 1] }],
  ];
  for (const [name, shape, p0, autoPads] of cases) {
    for (const storage of [0, 1]) {
      it(`${name}, storage_order ${storage}`, async () => {
        const p = { ...p0, storage };
        const pads = autoPads ?? p.pads ?? Array(2 * p.kernel.length).fill(0);
        for (const pool of [[0, 1, 2], [-Infinity, 0, 1.5], [-Infinity]]) {
          const x = tiesInput(shape, pool);
          const r = reference(values(x), shape, p, pads);
          const out = await run(spec(shape, r.ys, p), { x }, pool.length === 3 && storage === 1);
          expect(out['z']!.shape).toEqual(r.ys);
          expect(values(out['z']!), `${JSON.stringify(pool)}`).toEqual(r.z);
          expect(values(out['y']!)).toEqual(r.y);
        }
      });
    }
  }

  it('a NaN first in its window wins, a later one is skipped (as the reference loop compares)', async () => {
    const shape = [1, 1, 4, 4];
    const p: Pool = { kernel: [3, 3], pads: [1, 1, 1, 1], storage: 0 };
    const pads = p.pads!;
    for (let trial = 0; trial < 5; trial++) {
      const x = tiesInput(shape, [NaN, 0, 1]);
      const r = reference(values(x), shape, p, pads);
      const out = await run(spec(shape, r.ys, p), { x });
      expect(values(out['z']!)).toEqual(r.z);
    }
  });

  it('int8 input', async () => {
    const shape = [1, 2, 4, 5];
    const p: Pool = { kernel: [2, 3], strides: [1, 2], pads: [0, 1, 1, 1], storage: 1 };
    const x: HostTensor = { dtype: 'int8', shape, data: Float64Array.from({ length: size(shape) }, () => Math.floor(random() * 5) - 128) };
    const r = reference(values(x), shape, p, p.pads!);
    const out = await run(spec(shape, r.ys, p, ONNX.INT8), { x }, true);
    expect(values(out['z']!)).toEqual(r.z);
    expect(values(out['y']!)).toEqual(r.y);
  });

  it('a single-output MaxPool stays one contraction', () => {
    const g = oneNode({ ...spec([1, 1, 4, 4], [1, 1, 2, 2], { kernel: [2, 2], strides: [2, 2] }), outputs: [f32('y', [1, 1, 2, 2])] });
    expect(g.nodes.map((n) => n.op.kind)).toEqual(['contract']);
  });

  it('refuses storage_order 2 and windows lying entirely in the padding', () => {
    const bad = errorOf(() => oneNode(spec([1, 1, 4, 4], [1, 1, 3, 3], { kernel: [2, 2], storage: 2 })));
    expect(bad).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE', opType: 'MaxPool', node: 'n' });
    expect(bad.message).toContain('storage_order');
    const padded = errorOf(() => oneNode(spec([1, 1, 4, 4], [1, 1, 5, 3], { kernel: [2, 2], pads: [2, 0, 0, 0] })));
    expect(padded).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE', opType: 'MaxPool' });
    expect(padded.message).toContain('entirely in the padding');
  });
});

describe('TensorScatter', () => {
  /** The spec's loop, with the modulo on the write position (the prefix dims here are below max_sequence_length). */
  function reference(past: number[], ps: number[], upd: number[], us: number[], axis: number, w: number[] | undefined, circular: boolean): number[] {
    const out = [...past];
    const M = ps[axis]!;
    for (let f = 0; f < upd.length; f++) {
      const idx = unravel(f, us);
      let pos = (w?.[idx[0]!] ?? 0) + idx[axis]!;
      if (circular) pos = ((pos % M) + M) % M;
      else if (pos < 0) pos += M; // numpy indexing of a negative write index
      idx[axis] = pos;
      out[ravel(idx, ps)] = upd[f]!;
    }
    return out;
  }

  const spec = (ps: number[], us: number[], attrs: Uint8Array[], withIndices = true): OneNode => ({
    opType: 'TensorScatter', domain: '', opsets: [['', 24]], attrs,
    inputs: [f32('past', ps), f32('update', us), ...(withIndices ? [i64('w', [ps[0]!])] : [])], outputs: [f32('present', ps)],
  });

  const random = rng(29);
  const cases: [number[], number[], number][] = [
    [[2, 3, 6, 4], [2, 3, 2, 4], -2],
    [[3, 5, 2], [3, 2, 2], 1],
    [[2, 2, 3, 5], [2, 2, 3, 3], 3],
    [[4, 7], [4, 7], 1],
  ];
  for (const [ps, us, axis] of cases) {
    for (const mode of ['linear', 'circular']) {
      it(`${mode} ${JSON.stringify(ps)} <- ${JSON.stringify(us)} axis ${axis}`, async () => {
        const a = axis < 0 ? axis + ps.length : axis;
        const M = ps[a]!;
        const L = us[a]!;
        const past = rand(ps, 1);
        const update = rand(us, 2);
        for (let trial = 0; trial < 3; trial++) {
          const w = Array.from({ length: ps[0]! }, () => (mode === 'linear' ? Math.floor(random() * (M - L + 1)) : Math.floor(random() * 3 * M) - M));
          const out = await run(spec(ps, us, [attr.int('axis', axis), attr.string('mode', mode)]), { past, update, w: int64Tensor([ps[0]!], w) }, trial === 0);
          expect(values(out['present']!), JSON.stringify(w)).toEqual(reference(values(past), ps, values(update), us, a, w, mode === 'circular'));
        }
        // Without write_indices every batch entry writes at 0.
        const out = await run(spec(ps, us, [attr.int('axis', axis), attr.string('mode', mode)], false), { past, update });
        expect(values(out['present']!)).toEqual(reference(values(past), ps, values(update), us, a, undefined, mode === 'circular'));
      });
    }
  }

  it('a linear write past the end fails at run time instead of writing elsewhere', () => {
    const g = oneNode(spec([1, 4, 2], [1, 2, 2], [attr.int('axis', 1)]));
    expect(() => interpret(g, { past: rand([1, 4, 2], 1), update: rand([1, 2, 2], 2), w: int64Tensor([1], [3]) })).toThrow(/index/);
  });

  it('refuses axis 0, unknown modes and mismatched shapes', () => {
    const err = (s: OneNode) => errorOf(() => oneNode(s));
    expect(err(spec([2, 4], [2, 4], [attr.int('axis', 0)]))).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE', opType: 'TensorScatter', node: 'n' });
    const mode = err(spec([2, 4, 3], [2, 1, 3], [attr.string('mode', 'ring')]));
    expect(mode).toMatchObject({ code: 'UNSUPPORTED_ATTRIBUTE' });
    expect(mode.message).toContain('ring');
    expect(err(spec([2, 4, 3], [2, 5, 3], []))).toMatchObject({ code: 'SHAPE_ERROR' });
    expect(err(spec([2, 4, 3], [2, 2, 2], []))).toMatchObject({ code: 'SHAPE_ERROR' });
  });
});
