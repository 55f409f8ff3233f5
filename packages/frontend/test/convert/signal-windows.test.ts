// Window ops and MelWeightMatrix: hand-computed values, the periodic/symmetric relation (a periodic window of
// size N is the first N points of the symmetric window of size N+1), output_datatype, a window op feeding STFT
// (folded into the twiddle table at compile time), and a small mel matrix worked out by hand.

import { CompileError, type DType, type HostTensor, interpret } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../src/import-onnx.js';
import { int64, naiveDft, oneNodeModel, randomTensor, relError, rng, runOneNode } from './signal-helpers.js';

const WINDOWS = ['HannWindow', 'HammingWindow', 'BlackmanWindow'] as const;

async function window(op: string, size: number, periodic: number, dtype?: number): Promise<HostTensor> {
  const attrs: Record<string, number> = { periodic, ...(dtype !== undefined ? { output_datatype: dtype } : {}) };
  return runOneNode({ op, opset: 17, inputs: ['s'], graphInputs: [], initializers: { s: int64(size) }, attrs }, {});
}

const values = (t: HostTensor) => Array.from(t.data as Float64Array);
const close = (got: number[], want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(tol));
};

describe('window functions', () => {
  it('hand-computed values (float64 output)', async () => {
    close(values(await window('HannWindow', 5, 0, 11)), [0, 0.5, 1, 0.5, 0]);
    close(values(await window('HannWindow', 4, 1, 11)), [0, 0.5, 1, 0.5]);
    close(values(await window('HammingWindow', 3, 0, 11)), [2 / 23, 1, 2 / 23]);
    close(values(await window('BlackmanWindow', 4, 1, 11)), [0, 0.34, 1, 0.34]);
    close(values(await window('BlackmanWindow', 3, 0, 11)), [0, 1, 0]);
  });

  for (const op of WINDOWS) {
    it(`${op}: periodic N = symmetric N+1 without its last point; symmetric is symmetric`, async () => {
      for (const n of [1, 2, 7, 10, 16]) {
        const periodic = values(await window(op, n, 1, 11));
        const symmetric = values(await window(op, n + 1, 0, 11));
        close(periodic, symmetric.slice(0, n));
        close(symmetric, [...symmetric].reverse());
      }
    });
  }

  it('output_datatype: float32 by default, float16 rounded, integers truncated', async () => {
    const f32 = await window('HannWindow', 10, 1);
    expect(f32.dtype).toBe('float32');
    expect(values(f32).every((v) => v === Math.fround(v))).toBe(true);
    const f16 = await window('HammingWindow', 6, 1, 10);
    expect(f16.dtype).toBe('float16');
    close(values(f16), values(await window('HammingWindow', 6, 1, 11)), 1e-3);
    const i32 = await window('HannWindow', 5, 0, 6);
    expect(i32.dtype).toBe('int32');
    expect(values(i32)).toEqual([0, 0, 1, 0, 0]);
    const i64 = await window('HammingWindow', 3, 0, 7);
    expect(i64.dtype).toBe('int64');
    expect(Array.from(i64.data as BigInt64Array)).toEqual([0n, 1n, 0n]);
    expect((await window('BlackmanWindow', 0, 1)).shape).toEqual([0]);
    // As in ONNX's reference, a symmetric window of size 1 divides by size - 1 = 0.
    expect(values(await window('HannWindow', 1, 0))).toEqual([NaN]);
  });

  it('refuses a non-numeric output_datatype', async () => {
    await expect(window('HannWindow', 4, 1, 9)).rejects.toThrow(/output_datatype: 9/);
  });

  it('a HannWindow feeding STFT is folded into the table and matches framing + DFT', async () => {
    const m = oneNodeModel({ op: 'STFT', opset: 17, inputs: ['x', 'step', 'w'], graphInputs: [{ name: 'x', dtype: 'float64', shape: [1, 30, 1] }], initializers: { step: int64(4), s: int64(12) } });
    const model = { ...m, graph: { ...m.graph, nodes: [
      { opType: 'HannWindow', domain: '', name: 'h', inputs: ['s'], outputs: ['w'], attributes: new Map([['output_datatype', { kind: 'int' as const, value: 11 }]]) },
      ...m.graph.nodes,
    ] } };
    const g = lowerModel(model);
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    expect(g.nodes.some((n) => n.op.kind === 'map')).toBe(false); // no run-time window scaling
    const x = randomTensor(rng(1), 'float64', [1, 30, 1]);
    const y = (await interpret(g, { x }))['y'] as HostTensor;
    const hann = Array.from({ length: 12 }, (_, i) => Math.sin((Math.PI * i) / 12) ** 2);
    const frames = new Float64Array(5 * 12);
    for (let f = 0; f < 5; f++) for (let k = 0; k < 12; k++) frames[f * 12 + k] = (x.data as Float64Array)[f * 4 + k]! * hann[k]!;
    const want = naiveDft({ dtype: 'float64', shape: [1, 5, 12, 1], data: frames }, { axis: 2, n: 12, inverse: false, onesided: true });
    expect(y.shape).toEqual([1, 5, 7, 2]);
    expect(relError(y.data as Float64Array, want.data)).toBeLessThan(1e-12);
  });
});

describe('MelWeightMatrix', () => {
  const mel = (bands: number, dft: number, rate: number, lo: number, hi: number, dtype?: DType) => {
    const f = (v: number): HostTensor => ({ dtype: 'float32', shape: [], data: Float64Array.of(v) });
    const i = (v: number): HostTensor => ({ dtype: 'int32', shape: [], data: Float64Array.of(v) });
    return runOneNode({
      op: 'MelWeightMatrix', opset: 17, inputs: ['b', 'd', 'r', 'lo', 'hi'], graphInputs: [],
      initializers: { b: i(bands), d: i(dft), r: i(rate), lo: f(lo), hi: f(hi) }, ...(dtype === 'float64' ? { attrs: { output_datatype: 11 } } : {}),
    }, {});
  };

  it('a 2-band, 8-point matrix worked out by hand (band edges at bins 0, 0, 1, 2)', async () => {
    const m = await mel(2, 8, 8000, 0, 4000);
    expect(m.dtype).toBe('float32');
    expect(m.shape).toEqual([5, 2]);
    expect(values(m)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('triangles peak at 1 and stay in [0, 1]', async () => {
    const m = await mel(10, 64, 16000, 100, 7000, 'float64');
    expect(m.dtype).toBe('float64');
    expect(m.shape).toEqual([33, 10]);
    const v = values(m);
    for (let band = 0; band < 10; band++) {
      const col = Array.from({ length: 33 }, (_, j) => v[j * 10 + band]!);
      expect(Math.max(...col)).toBe(1);
      expect(col.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
  });

  it('refuses bands that reach past the last DFT bin, and run-time inputs by name', async () => {
    await expect(mel(2, 8, 8000, 0, 16000)).rejects.toThrow(/outside \[0, 5\)/);
    try {
      lowerModel(oneNodeModel({ op: 'MelWeightMatrix', opset: 17, inputs: ['b', 'd', 'r', 'lo', 'hi'], graphInputs: [{ name: 'b', dtype: 'int32', shape: [] }, { name: 'd', dtype: 'int32', shape: [] }, { name: 'r', dtype: 'int32', shape: [] }, { name: 'lo', dtype: 'float32', shape: [] }, { name: 'hi', dtype: 'float32', shape: [] }] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      expect((e as CompileError).message).toMatch(/num_mel_bins \(input 0 "b"\) must be known at compile time/);
    }
  });
});
