// Lowering shape and edge cases of the attention family on hand-built models: Attention lowers to
// contract -> map -> softmax -> contract (what the fusion passes look for); qk_matmul_output_mode 0 is the
// scaled QKᵀ even with softcap (the spec's function body); LinearAttention over a longer sequence matches a
// direct float64 recurrence; unsupported attributes and malformed inputs fail with clear CompileErrors.

import { describe, expect, it } from 'vitest';
import { CompileError, type Graph, type HostTensor, OPTIMIZE_PIPELINE, interpret, runPipeline } from '@tensorc/ir';
import { importOnnx } from '../../src/import-onnx.js';
import { attr, graph, model, node, tensorType, valueInfo } from '../../src/onnx/__tests__/proto-writer.js';

const FLOAT = 1;

function build(opType: string, opset: number, inputs: [string, number[]][], outputs: [string, number[]][], attrs: Uint8Array[] = []): Graph {
  return importOnnx(model({
    opsets: [['', opset]],
    graph: graph({
      nodes: [node({ opType, name: 'n', inputs: inputs.map(([n]) => n), outputs: outputs.map(([n]) => n), attrs })],
      inputs: inputs.map(([n, s]) => valueInfo(n, tensorType(FLOAT, s))),
      outputs: outputs.filter(([n]) => n !== '').map(([n, s]) => valueInfo(n, tensorType(FLOAT, s))),
    }),
  }));
}

/** Deterministic pseudo-random float32 tensor in [-1, 1). */
function rand(shape: number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const data = Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(s / 2 ** 31 - 1);
  });
  return { dtype: 'float32', shape, data };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('Attention lowering', () => {
  const q: [string, number[]] = ['q', [1, 2, 3, 4]];
  const k: [string, number[]] = ['k', [1, 2, 5, 4]];
  const v: [string, number[]] = ['v', [1, 2, 5, 4]];

  it('is contract (QKᵀ) -> map (scale) -> softmax -> contract (PV)', () => {
    const g = build('Attention', 23, [q, k, v], [['y', [1, 2, 3, 4]]]);
    const kinds = g.nodes.map((n) => n.op.kind).filter((kd) => kd !== 'constant');
    expect(kinds).toEqual(['contract', 'map', 'softmax', 'contract']);
    const [qk, scale, sm, pv] = g.nodes.filter((n) => n.op.kind !== 'constant');
    expect(scale!.inputs).toEqual([qk!.outputs[0]!.id]);
    expect(sm!.inputs).toEqual([scale!.outputs[0]!.id]);
    expect(pv!.inputs[0]).toBe(sm!.outputs[0]!.id);
  });

  it('qk_matmul_output_mode 0 with softcap is the scaled QKᵀ; mode 1 is softcapped', () => {
    const feeds = { q: rand([1, 2, 3, 4], 1), k: rand([1, 2, 5, 4], 2), v: rand([1, 2, 5, 4], 3) };
    const run = (mode: number) => {
      const g = build('Attention', 23, [q, k, v], [['y', [1, 2, 3, 4]], ['', []], ['', []], ['qk', [1, 2, 3, 5]]],
        [attr.float('softcap', 0.5), attr.float('scale', 2), attr.int('qk_matmul_output_mode', mode)]);
      return (interpret(g, feeds)['qk'] as HostTensor).data as Float64Array;
    };
    const raw = run(0);
    const capped = run(1);
    // Direct: q[0,0,0,:] . k[0,0,0,:] * 2.
    let dot = 0;
    for (let d = 0; d < 4; d++) dot += feeds.q.data[d]! * (feeds.k.data[d] as number);
    expect(raw[0]).toBeCloseTo(2 * dot, 5);
    expect(capped[0]).toBeCloseTo(0.5 * Math.tanh((2 * dot) / 0.5), 5);
    expect(Math.max(...capped.map(Math.abs))).toBeLessThanOrEqual(0.5);
  });

  it('grouped-query heads read each K/V head in place (no repeat copy) and match a direct computation', () => {
    const [B, QH, KH, QS, KS, D] = [2, 4, 2, 3, 5, 4];
    const g = build('Attention', 23, [['q', [B, QH, QS, D]], ['k', [B, KH, KS, D]], ['v', [B, KH, KS, D]], ['m', [1, QH, QS, KS]]],
      [['y', [B, QH, QS, D]]], [attr.int('is_causal', 1)]);
    const feeds = { q: rand([B, QH, QS, D], 1), k: rand([B, KH, KS, D], 2), v: rand([B, KH, KS, D], 3), m: rand([1, QH, QS, KS], 4) };
    const y = interpret(g, feeds)['y'] as HostTensor;
    const expectSame = (a: HostTensor, b: HostTensor) => expect(Array.from(a.data as Float64Array)).toEqual(Array.from(b.data as Float64Array));
    const at = (t: HostTensor, ...i: number[]) => t.data[i.reduce((a, x, d) => a * t.shape[d]! + x, 0)] as number;
    for (let b = 0; b < B; b++) for (let h = 0; h < QH; h++) for (let i = 0; i < QS; i++) {
      const kh = Math.floor(h / (QH / KH));
      const s = [...Array(KS).keys()].map((j) => (j > i ? -Infinity
        : [...Array(D).keys()].reduce((a, d) => a + at(feeds.q, b, h, i, d) * at(feeds.k, b, kh, j, d), 0) / Math.sqrt(D) + at(feeds.m, 0, h, i, j)));
      const mx = Math.max(...s);
      const e = s.map((x) => Math.exp(x - mx));
      const z = e.reduce((a, x) => a + x, 0);
      for (let d = 0; d < D; d++) {
        const want = e.reduce((a, x, j) => a + (x / z) * at(feeds.v, b, kh, j, d), 0);
        expect(Math.abs(at(y, b, h, i, d) - want)).toBeLessThan(1e-5);
      }
    }
    // One attention op with the run-time mask too (its fully-masked-row guard is applied after PV).
    const opt = runPipeline(g, OPTIMIZE_PIPELINE).graph;
    expect(opt.nodes.filter((n) => n.op.kind === 'attention')).toHaveLength(1);
    expect(opt.nodes.filter((n) => n.op.kind === 'expand' || n.op.kind === 'concat' || n.op.kind === 'softmax')).toHaveLength(0);
    expectSame(interpret(opt, feeds)['y'] as HostTensor, y);
  });

  it('rejects an unknown qk_matmul_output_mode', () => {
    expect(codeOf(() => build('Attention', 23, [q, k, v], [['y', [1, 2, 3, 4]], ['', []], ['', []], ['qk', [1, 2, 3, 5]]],
      [attr.int('qk_matmul_output_mode', 7)]))).toBe('UNSUPPORTED_ATTRIBUTE');
  });
});

describe('LinearAttention', () => {
  // B=1, T=6, H_q=4, H_kv=2 (GQA), d_k=3, d_v=2, gated_delta with per-head decay and per-head beta.
  const B = 1, T = 6, HQ = 4, HKV = 2, DK = 3, DV = 2;
  const feeds = {
    q: rand([B, T, HQ * DK], 11), k: rand([B, T, HKV * DK], 12), v: rand([B, T, HKV * DV], 13),
    s: rand([B, HKV, DK, DV], 14), g: rand([B, T, HKV], 15), beta: rand([B, T, HKV], 16),
  };

  /** The recurrence written out directly in float64. */
  function reference(): { out: number[]; state: number[] } {
    const S = Array.from(feeds.s.data as Float64Array);
    const out = new Array<number>(B * T * HQ * DV).fill(0);
    const at = (t: HostTensor, i: number) => (t.data as Float64Array)[i]!;
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < HKV; h++) {
        const e = Math.exp(at(feeds.g, t * HKV + h));
        for (let i = 0; i < DK * DV; i++) S[h * DK * DV + i]! *= e;
        const kt = [0, 1, 2].map((d) => at(feeds.k, t * HKV * DK + h * DK + d));
        for (let m = 0; m < DV; m++) {
          let r = 0;
          for (let d = 0; d < DK; d++) r += S[(h * DK + d) * DV + m]! * kt[d]!;
          const vt = at(feeds.beta, t * HKV + h) * (at(feeds.v, t * HKV * DV + h * DV + m) - r);
          for (let d = 0; d < DK; d++) S[(h * DK + d) * DV + m]! += kt[d]! * vt;
        }
      }
      for (let hq = 0; hq < HQ; hq++) {
        const h = Math.floor(hq / (HQ / HKV));
        for (let m = 0; m < DV; m++) {
          let o = 0;
          for (let d = 0; d < DK; d++) o += at(feeds.q, t * HQ * DK + hq * DK + d) * S[(h * DK + d) * DV + m]!;
          out[t * HQ * DV + hq * DV + m] = o / Math.sqrt(DK);
        }
      }
    }
    return { out, state: S };
  }

  const attrs = [attr.int('q_num_heads', HQ), attr.int('kv_num_heads', HKV)];
  const io: [string, number[]][] = [['q', [B, T, HQ * DK]], ['k', [B, T, HKV * DK]], ['v', [B, T, HKV * DV]], ['s', [B, HKV, DK, DV]], ['g', [B, T, HKV]], ['beta', [B, T, HKV]]];
  const outs: [string, number[]][] = [['o', [B, T, HQ * DV]], ['ps', [B, HKV, DK, DV]]];

  it('gated_delta with GQA over 6 tokens matches the recurrence', () => {
    const r = interpret(build('LinearAttention', 27, io, outs, attrs), feeds);
    const ref = reference();
    Array.from((r['o'] as HostTensor).data as Float64Array).forEach((x, i) => expect(x).toBeCloseTo(ref.out[i]!, 4));
    Array.from((r['ps'] as HostTensor).data as Float64Array).forEach((x, i) => expect(x).toBeCloseTo(ref.state[i]!, 4));
  });

  it('refuses an unknown update_rule and inputs the rule forbids or lacks', () => {
    expect(codeOf(() => build('LinearAttention', 27, io, outs, [...attrs, attr.string('update_rule', 'mamba')]))).toBe('UNSUPPORTED_ATTRIBUTE');
    expect(codeOf(() => build('LinearAttention', 27, io, outs, [...attrs, attr.string('update_rule', 'linear')]))).toBe('INVALID_MODEL');
    expect(codeOf(() => build('LinearAttention', 27, io.slice(0, 3), outs, [...attrs, attr.string('update_rule', 'gated')]))).toBe('INVALID_MODEL');
  });
});

describe('CausalConvWithState and SwiGLU', () => {
  it('CausalConvWithState refuses an unknown activation', () => {
    expect(codeOf(() => build('CausalConvWithState', 27, [['x', [1, 2, 5]], ['w', [2, 1, 3]]], [['y', [1, 2, 5]], ['st', [1, 2, 2]]],
      [attr.string('activation', 'relu')]))).toBe('UNSUPPORTED_ATTRIBUTE');
  });

  it('CausalConvWithState with an input shorter than k - 1 keeps zero padding in the state', () => {
    const g = build('CausalConvWithState', 27, [['x', [1, 1, 2]], ['w', [1, 1, 5]]], [['y', [1, 1, 2]], ['st', [1, 1, 4]]]);
    const r = interpret(g, { x: { dtype: 'float32', shape: [1, 1, 2], data: Float64Array.of(3, 4) }, w: { dtype: 'float32', shape: [1, 1, 5], data: Float64Array.of(1, 2, 3, 4, 5) } });
    expect(Array.from((r['st'] as HostTensor).data as Float64Array)).toEqual([0, 0, 3, 4]);
    expect(Array.from((r['y'] as HostTensor).data as Float64Array)).toEqual([15, 4 * 3 + 5 * 4]);
  });

  it('SwiGLU requires identical shapes', () => {
    expect(codeOf(() => build('SwiGLU', 28, [['a', [2, 4]], ['b', [1, 4]]], [['y', [2, 4]]]))).toBe('SHAPE_ERROR');
  });
});
