// GridSample beyond the conformance cases: random 1-D/2-D/3-D inputs with grid values far outside [-1, 1]
// (several reflection folds, border clamping, zero padding), every mode and align_corners, checked against a
// direct per-output-element evaluation of the ONNX definition written here in plain float64 arithmetic.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel } from '../../src/lowering-model.js';

type Mode = 'nearest' | 'linear' | 'cubic';
type Pad = 'zeros' | 'border' | 'reflection';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const roundHalfEven = (v: number) => (Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

function reflect(v: number, lo: number, hi: number): number {
  const span = hi - lo;
  if (v >= lo && v <= hi) return v;
  const below = v < lo;
  const dx = below ? lo - v : v - hi;
  const n = Math.floor(dx / span);
  const r = dx - n * span;
  return n % 2 === 0 ? (below ? lo + r : hi - r) : (below ? hi - r : lo + r);
}

function keys(s: number): number {
  const A = -0.75;
  const x = Math.abs(s);
  if (x <= 1) return (A + 2) * x ** 3 - (A + 3) * x * x + 1;
  return x < 2 ? A * x ** 3 - 5 * A * x * x + 8 * A * x - 4 * A : 0;
}

/** The expected output, element by element. */
function expected(x: HostTensor, grid: HostTensor, mode: Mode, pad: Pad, align: boolean): Float64Array {
  const [N, C, ...D] = x.shape;
  const k = D.length;
  const O = grid.shape.slice(1, -1);
  const P = O.reduce((a, b) => a * b, 1);
  const X = x.data as Float64Array;
  const G = grid.data as Float64Array;
  const out = new Float64Array(N! * C! * P);
  const pixel = (n: number, c: number, idx: number[]): number => {
    let flat = 0;
    for (let a = 0; a < k; a++) {
      let i = idx[a]!;
      const d = D[a]!;
      if (pad === 'zeros' && (i < 0 || i >= d)) return 0;
      if (pad === 'border') i = Math.min(Math.max(i, 0), d - 1);
      if (pad === 'reflection') i = Math.trunc(reflect(i, align ? 0 : -0.5, align ? d - 1 : d - 0.5));
      flat = flat * d + i;
    }
    return X[(n * C! + c) * (X.length / (N! * C!)) + flat]!;
  };
  for (let n = 0; n < N!; n++) {
    for (let p = 0; p < P; p++) {
      const coords = D.map((d, a) => {
        const g = G[(n * P + p) * k + (k - 1 - a)]!;
        let v = align ? ((g + 1) / 2) * (d - 1) : ((g + 1) * d - 1) / 2;
        if (mode === 'nearest') v = roundHalfEven(v);
        const [lo, hi] = align ? [0, d - 1] : [-0.5, d - 0.5];
        if (v < lo || v > hi) {
          if (pad === 'border') v = Math.min(Math.max(v, 0), d - 1);
          if (pad === 'reflection') v = reflect(v, lo, hi);
        }
        return v;
      });
      const offsets = mode === 'nearest' ? [0] : mode === 'linear' ? [0, 1] : [-1, 0, 1, 2];
      for (let c = 0; c < C!; c++) {
        let acc = 0;
        const combos = offsets.length ** k;
        for (let t = 0; t < combos; t++) {
          let w = 1;
          const idx: number[] = [];
          for (let a = 0, r = t; a < k; a++, r = Math.floor(r / offsets.length)) {
            const o = offsets[r % offsets.length]!;
            const v = coords[a]!;
            const base = mode === 'nearest' ? Math.trunc(v) : Math.floor(v);
            const dist = v - base - o;
            w *= mode === 'nearest' ? 1 : mode === 'linear' ? 1 - Math.abs(dist) : keys(dist);
            idx.push(base + o);
          }
          acc += w * pixel(n, c, idx);
        }
        out[(n * C! + c) * P + p] = acc;
      }
    }
  }
  return out;
}

function model(xShape: number[], gShape: number[], mode: Mode, pad: Pad, align: boolean): LoweringModel {
  const outShape = [xShape[0]!, xShape[1]!, ...gShape.slice(1, -1)];
  const t = (shape: number[]) => ({ kind: 'tensor' as const, dtype: 'float32' as const, shape });
  return {
    irVersion: 9, producer: 'test', opsets: new Map([['', 20]]),
    graph: {
      name: 'g', initializers: [], valueInfo: new Map(),
      inputs: [{ name: 'X', type: t(xShape) }, { name: 'G', type: t(gShape) }],
      outputs: [{ name: 'Y', type: t(outShape) }],
      nodes: [{
        opType: 'GridSample', domain: '', name: 'gs', inputs: ['X', 'G'], outputs: ['Y'],
        attributes: new Map([
          ['mode', { kind: 'string', value: mode }], ['padding_mode', { kind: 'string', value: pad }],
          ['align_corners', { kind: 'int', value: align ? 1 : 0 }],
        ]),
      }],
    },
  };
}

describe('GridSample against a direct evaluation', () => {
  const random = rng(7);
  const f32 = (n: number, scale: number, shift: number) => Float64Array.from({ length: n }, () => Math.fround(random() * scale + shift));
  for (const k of [1, 2, 3]) {
    for (const mode of ['nearest', 'linear', 'cubic'] as const) {
      if (k === 3 && mode === 'cubic') continue; // ONNX defines cubic for 2-D only
      for (const pad of ['zeros', 'border', 'reflection'] as const) {
        for (const align of [false, true]) {
          it(`${k}-D ${mode} ${pad} align_corners=${align ? 1 : 0}`, async () => {
            const D = Array.from({ length: k }, () => 2 + Math.floor(random() * 3));
            const O = Array.from({ length: k }, () => 1 + Math.floor(random() * 3));
            const xShape = [2, 2, ...D];
            const gShape = [2, ...O, k];
            const x: HostTensor = { dtype: 'float32', shape: xShape, data: f32(xShape.reduce((a, b) => a * b, 1), 2, -1) };
            const grid: HostTensor = { dtype: 'float32', shape: gShape, data: f32(gShape.reduce((a, b) => a * b, 1), 7, -3.5) };
            const g = lowerModel(model(xShape, gShape, mode, pad, align));
            const y = (await interpret(g, { X: x, G: grid }))['Y'] as HostTensor;
            const want = expected(x, grid, mode, pad, align);
            const got = y.data as Float64Array;
            expect(y.shape).toEqual([2, 2, ...O]);
            for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(want[i]!));
          });
        }
      }
    }
  }
});
