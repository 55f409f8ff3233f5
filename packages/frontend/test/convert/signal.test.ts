// The signal converters against definitions written in the test: DFT (both opsets, every axis, real and
// complex input, dft_length padding and truncation, RFFT, inverse, IRFFT) and STFT against a naive O(N^2)
// complex DFT over random signals of odd, prime and power-of-two lengths; inverse and IRFFT round trips;
// compiled WebAssembly against the interpreter; and the errors for values needed at compile time.

import { CompileError, type DType, type HostTensor, interpret } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel } from '../../src/lowering-model.js';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { type OneNode, int64, naiveDft, oneNodeModel, randomTensor, relError, rng, runOneNode } from './signal-helpers.js';

const LENGTHS = [1, 2, 3, 5, 7, 8, 9, 12, 13, 16, 17, 31];

interface DftCase {
  readonly opset: 17 | 20;
  readonly shape: number[];
  readonly axis: number;
  readonly negativeAxis: boolean;
  readonly dftLength: number | undefined;
  readonly inverse: boolean;
  readonly onesided: boolean;
  readonly dtype: DType;
}

function dftNode(c: DftCase): OneNode {
  const r = c.shape.length;
  const axisValue = c.negativeAxis ? c.axis - r : c.axis;
  const inits: Record<string, HostTensor> = {};
  if (c.dftLength !== undefined) inits['len'] = int64(c.dftLength);
  if (c.opset === 20) inits['axis'] = int64(axisValue);
  return {
    op: 'DFT', opset: c.opset,
    inputs: ['x', c.dftLength !== undefined ? 'len' : '', ...(c.opset === 20 ? ['axis'] : [])],
    graphInputs: [{ name: 'x', dtype: c.dtype, shape: c.shape }],
    initializers: inits,
    attrs: { inverse: c.inverse ? 1 : 0, onesided: c.onesided ? 1 : 0, ...(c.opset === 17 ? { axis: axisValue } : {}) },
  };
}

/** Random DFT cases: every mode, both opsets, GEMM-shaped (axis = rank-2) and strided axes. */
function dftCases(): DftCase[] {
  const random = rng(20240917);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const cases: DftCase[] = [];
  const modes = [[false, false], [false, true], [true, false], [true, true]] as const;
  for (let i = 0; i < 48; i++) {
    const [inverse, onesided] = modes[i % 4]!;
    const rank = 2 + (i % 3);
    const axis = i % 2 === 0 ? rank - 2 : Math.floor(random() * (rank - 1));
    const L = pick(LENGTHS);
    const shape = Array.from({ length: rank - 1 }, (_, j) => (j === axis ? L : 1 + Math.floor(random() * 3)));
    // IRFFT takes one-sided complex input; RFFT real input; the others either.
    shape.push(inverse && onesided ? 2 : !inverse && onesided ? 1 : 1 + (i % 2));
    const irfftDefault = inverse && onesided ? 2 * (L - 1) : L;
    const lenChoice = i % 3;
    let dftLength = lenChoice === 0 ? undefined : lenChoice === 1 ? Math.max(1, L - 1 - Math.floor(random() * 3)) : L + 1 + Math.floor(random() * 5);
    if (dftLength === undefined && irfftDefault < 1) dftLength = 2 * L - 1;
    cases.push({ opset: i % 4 < 2 ? 17 : 20, shape, axis, negativeAxis: random() < 0.5, dftLength, inverse, onesided, dtype: i % 5 === 0 ? 'float32' : 'float64' });
  }
  return cases;
}

describe('DFT against a naive complex DFT', () => {
  const random = rng(11);
  for (const c of dftCases()) {
    const mode = c.inverse ? (c.onesided ? 'irfft' : 'inverse') : c.onesided ? 'rfft' : 'forward';
    const name = `opset ${c.opset} ${mode} ${c.dtype}[${c.shape.join(',')}] axis ${c.axis} dft_length ${c.dftLength ?? 'default'}`;
    it(name, async () => {
      const x = randomTensor(random, c.dtype, c.shape);
      const L = c.shape[c.axis]!;
      const n = c.dftLength ?? (c.inverse && c.onesided ? 2 * (L - 1) : L);
      const want = naiveDft(x, { axis: c.axis, n, inverse: c.inverse, onesided: c.onesided });
      const y = await runOneNode(dftNode(c), { x });
      expect(y.dtype).toBe(c.dtype);
      expect(y.shape).toEqual(want.shape);
      expect(relError(y.data as Float64Array, want.data)).toBeLessThan(c.dtype === 'float64' ? 1e-12 : 1e-5);
    });
  }

  it('float16 input computes in float32 and rounds once to float16', async () => {
    const x = randomTensor(rng(3), 'float32', [2, 13, 2]);
    const x16: HostTensor = { ...x, dtype: 'float16' };
    const y = await runOneNode(dftNode({ opset: 20, shape: [2, 13, 2], axis: 1, negativeAxis: false, dftLength: undefined, inverse: false, onesided: false, dtype: 'float16' }), { x: x16 });
    expect(y.dtype).toBe('float16');
    expect(relError(y.data as Float64Array, naiveDft(x, { axis: 1, n: 13, inverse: false, onesided: false }).data)).toBeLessThan(1e-3);
  });
});

/** DFT then DFT in one model; y should give back x. */
function twoDftModel(shape: number[], first: Record<string, number>, second: Record<string, number>, secondLen?: number): LoweringModel {
  const m = oneNodeModel({ op: 'DFT', opset: 20, inputs: ['x'], graphInputs: [{ name: 'x', dtype: 'float64', shape }], ...(secondLen ? { initializers: { len: int64(secondLen) } } : {}) });
  const attr = (a: Record<string, number>) => new Map(Object.entries(a).map(([k, v]) => [k, { kind: 'int' as const, value: v }]));
  return {
    ...m,
    graph: {
      ...m.graph,
      nodes: [
        { opType: 'DFT', domain: '', name: 'a', inputs: ['x'], outputs: ['f'], attributes: attr(first) },
        { opType: 'DFT', domain: '', name: 'b', inputs: ['f', secondLen ? 'len' : ''], outputs: ['y'], attributes: attr(second) },
      ],
    },
  };
}

describe('round trips', () => {
  const random = rng(5);
  for (const L of [1, 6, 9, 13, 16]) {
    it(`inverse(DFT(x)) = x for complex length ${L}`, async () => {
      const x = randomTensor(random, 'float64', [3, L, 2]);
      const y = (await interpret(lowerModel(twoDftModel([3, L, 2], {}, { inverse: 1 })), { x }))['y'] as HostTensor;
      expect(relError(y.data as Float64Array, x.data as Float64Array)).toBeLessThan(1e-12);
    });
    it(`IRFFT(RFFT(x), dft_length ${L}) = x for real length ${L}`, async () => {
      const x = randomTensor(random, 'float64', [2, L, 1]);
      const y = (await interpret(lowerModel(twoDftModel([2, L, 1], { onesided: 1 }, { inverse: 1, onesided: 1 }, L)), { x }))['y'] as HostTensor;
      expect(y.shape).toEqual([2, L, 1]);
      expect(relError(y.data as Float64Array, x.data as Float64Array)).toBeLessThan(1e-12);
    });
  }
});

/** Expected STFT by definition: frames f*step + m of the signal times the window, DFT of length n. */
function naiveStft(x: HostTensor, step: number, n: number, window: ArrayLike<number> | undefined, onesided: boolean): { shape: number[]; data: Float64Array } {
  const [B, L, C] = x.shape as [number, number, number];
  const F = 1 + Math.floor((L - n) / step);
  const W = window ? window.length : n;
  const frames = new Float64Array(B * F * W * C);
  const xd = x.data as Float64Array;
  for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) for (let m = 0; m < W; m++) for (let c = 0; c < C; c++) {
    const pos = f * step + m;
    frames[((b * F + f) * W + m) * C + c] = pos < L ? xd[(b * L + pos) * C + c]! * (window ? window[m]! : 1) : 0;
  }
  return naiveDft({ dtype: 'float64', shape: [B, F, W, C], data: frames }, { axis: 2, n, inverse: false, onesided });
}

describe('STFT against framing + naive DFT', () => {
  const random = rng(99);
  const cases = [
    { B: 1, L: 40, C: 1, step: 4, n: 16, win: 'none', onesided: true },
    { B: 2, L: 37, C: 2, step: 5, n: 13, win: 'const', onesided: false },
    { B: 2, L: 50, C: 1, step: 7, n: 9, win: 'input', onesided: true },
    { B: 1, L: 64, C: 1, step: 16, n: 16, win: 'const', onesided: true },
    { B: 1, L: 30, C: 2, step: 3, n: 11, win: 'input', onesided: false },
    { B: 1, L: 30, C: 1, step: 6, n: 12, win: 'short', onesided: true }, // 8-point window, zero-padded to 12
  ] as const;
  for (const c of cases) {
    it(`[${c.B},${c.L},${c.C}] step ${c.step} frame_length ${c.n} window ${c.win} onesided ${c.onesided}`, async () => {
      const x = randomTensor(random, 'float64', [c.B, c.L, c.C]);
      const wl = c.win === 'short' ? 8 : c.n;
      const window = c.win === 'none' ? undefined : randomTensor(random, 'float64', [wl]);
      const inits: Record<string, HostTensor> = { step: int64(c.step), len: int64(c.n) };
      if (window && c.win !== 'input') inits['w'] = window;
      const graphInputs: OneNode['graphInputs'][number][] = [{ name: 'x', dtype: 'float64', shape: [c.B, c.L, c.C] }];
      if (c.win === 'input') graphInputs.push({ name: 'w', dtype: 'float64', shape: [wl] });
      const node: OneNode = { op: 'STFT', opset: 17, inputs: ['x', 'step', window ? 'w' : '', 'len'], graphInputs, initializers: inits, attrs: { onesided: c.onesided ? 1 : 0 } };
      const y = await runOneNode(node, c.win === 'input' ? { x, w: window! } : { x });
      const want = naiveStft(x, c.step, c.n, window?.data as Float64Array | undefined, c.onesided);
      expect(y.shape).toEqual(want.shape);
      expect(relError(y.data as Float64Array, want.data)).toBeLessThan(1e-12);
    });
  }
});

describe('compiled WebAssembly agrees with the interpreter', () => {
  const random = rng(42);
  const f32 = (c: Omit<DftCase, 'dtype' | 'negativeAxis' | 'opset'>): DftCase => ({ ...c, dtype: 'float32', negativeAxis: false, opset: 20 });
  const cases: [string, OneNode, Record<string, HostTensor>][] = [];
  const dft = (label: string, c: DftCase) => cases.push([label, dftNode(c), { x: randomTensor(random, 'float32', c.shape) }]);
  dft('forward, default axis (GEMM)', f32({ shape: [4, 17, 1], axis: 1, dftLength: undefined, inverse: false, onesided: false }));
  dft('complex inverse along axis 0 (strided)', f32({ shape: [13, 3, 2], axis: 0, dftLength: 16, inverse: true, onesided: false }));
  dft('IRFFT truncated (slice + GEMM)', f32({ shape: [2, 9, 2], axis: 1, dftLength: 10, inverse: true, onesided: true }));
  dft('RFFT of a rank-4 signal along axis 1', f32({ shape: [2, 12, 3, 1], axis: 1, dftLength: undefined, inverse: false, onesided: true }));
  cases.push(['STFT with a run-time window', {
    op: 'STFT', opset: 17, inputs: ['x', 'step', 'w'], initializers: { step: int64(3) },
    graphInputs: [{ name: 'x', dtype: 'float32', shape: [2, 40, 1] }, { name: 'w', dtype: 'float32', shape: [10] }],
  }, { x: randomTensor(random, 'float32', [2, 40, 1]), w: randomTensor(random, 'float32', [10]) }]);
  for (const [label, node, feeds] of cases) {
    it(label, async () => {
      const g = lowerModel(oneNodeModel(node));
      const want = (await interpret(g, feeds))['y'] as HostTensor;
      const got = (await compiledEvaluate(g, feeds))['y'] as HostTensor;
      expect(got.shape).toEqual(want.shape);
      expect(relError(got.data as Float64Array, want.data as Float64Array)).toBeLessThan(1e-5);
    });
  }
});

/** The CompileError importing `node` raises. */
function importError(node: OneNode): CompileError {
  try {
    lowerModel(oneNodeModel(node));
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('import succeeded');
}

describe('errors', () => {
  const x = (shape: number[], dtype: DType = 'float32') => [{ name: 'x', dtype, shape }];
  it('a run-time dft_length names the input', () => {
    const e = importError({ op: 'DFT', opset: 17, inputs: ['x', 'len'], graphInputs: [...x([1, 8, 1]), { name: 'len', dtype: 'int64', shape: [] }] });
    expect(e.message).toMatch(/dft_length \(input 1 "len"\) must be known at compile time/);
    expect(e.node).toBe('n0');
  });
  it('a run-time axis (opset 20) names the input', () => {
    const e = importError({ op: 'DFT', opset: 20, inputs: ['x', '', 'ax'], graphInputs: [...x([1, 8, 1]), { name: 'ax', dtype: 'int64', shape: [] }] });
    expect(e.message).toMatch(/axis \(input 2 "ax"\) must be known at compile time/);
  });
  it('a run-time window size names the input', () => {
    for (const op of ['HannWindow', 'HammingWindow', 'BlackmanWindow']) {
      const e = importError({ op, opset: 17, inputs: ['s'], graphInputs: [{ name: 's', dtype: 'int32', shape: [] }] });
      expect(e.message).toMatch(/size \(input 0 "s"\) must be known at compile time/);
    }
  });
  it('a run-time frame_step names the input', () => {
    const e = importError({ op: 'STFT', opset: 17, inputs: ['x', 'st'], graphInputs: [...x([1, 8, 1]), { name: 'st', dtype: 'int64', shape: [] }] });
    expect(e.message).toMatch(/frame_step \(input 1 "st"\) must be known at compile time/);
  });
  it('refuses malformed DFT inputs with the reason', () => {
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x'], graphInputs: x([1, 8, 3]) }).code).toBe('SHAPE_ERROR');
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x'], graphInputs: x([8, 1]), attrs: { axis: 1 } }).message).toMatch(/axis 1 is out of range for rank 2/);
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x'], graphInputs: x([1, 8, 1], 'int32') }).code).toBe('TYPE_ERROR');
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x'], graphInputs: x([1, 8, 1]), attrs: { onesided: 2 } }).code).toBe('UNSUPPORTED_ATTRIBUTE');
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x', 'len'], graphInputs: x([1, 8, 1]), initializers: { len: int64(0) } }).code).toBe('SHAPE_ERROR');
  });
  it('refuses an STFT frame longer than the signal', () => {
    const e = importError({ op: 'STFT', opset: 17, inputs: ['x', 'st', '', 'len'], graphInputs: x([1, 8, 1]), initializers: { st: int64(1), len: int64(9) } });
    expect(e.message).toMatch(/frame_length 9 is longer than the signal/);
  });
  it('refuses a DFT whose table would be too large', () => {
    expect(importError({ op: 'DFT', opset: 17, inputs: ['x'], graphInputs: x([1, 4096, 2]) }).code).toBe('LIMIT_EXCEEDED');
  });
});

