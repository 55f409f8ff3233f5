// Routed experts (top-2 of 4, each expert a matmul with its own weight slice) checked against a dense
// computation written out here, for all three gate modes; plus a direct kernel call with a fake context
// showing that each expert runs once, on only its tokens in token order, and unused experts never run.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { ExpertsOp } from '../ops.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import { tensorType } from '../types.js';
import { interpret } from './interpret.js';
import type { InterpContext } from './kernel-types.js';
import { expertsKernel } from './kernels-control-experts.js';

const T = 5, H = 3, E = 4, O = 2, K = 2;
const f32 = (shape: number[], v: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from(v, Math.fround) });
const x = f32([T, H], Array.from({ length: T * H }, (_, i) => ((i * 7) % 11) / 4 - 1));
// Row 2 has a tie between experts 1 and 3 (the lower index wins); expert 0 gets no token with the ties set so.
const scores = f32([T, E], [
  0.1, 2.0, 1.5, -1,
  -0.5, 0.3, 0.2, 0.9,
  0, 1.25, -2, 1.25,
  0.2, 0.1, 3, 2.5,
  -1, 0.5, 0.75, 0.4,
]);
const W = f32([E, H, O], Array.from({ length: E * H * O }, (_, i) => ((i * 5) % 13) / 8 - 0.75));

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((a) => Math.exp(a - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / s);
}

/** The dense answer: every token's k best experts, each computed on the whole row, weighted and summed. */
function dense(gate: ExpertsOp['gate']): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = Array.from({ length: E }, (_, e) => scores.data[t * E + e] as number);
    const chosen = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b).slice(0, K);
    const gates = gate === 'softmax_topk' ? chosen.map((e) => softmax(row)[e]!)
      : gate === 'topk_softmax' ? softmax(chosen.map((e) => row[e]!)) : chosen.map((e) => row[e]!);
    for (let o = 0; o < O; o++) {
      let acc = 0;
      chosen.forEach((e, i) => {
        let y = 0;
        for (let h = 0; h < H; h++) y += (x.data[t * H + h] as number) * (W.data[(e * H + h) * O + o] as number);
        acc += gates[i]! * Math.fround(y);
      });
      out.push(Math.fround(acc));
    }
  }
  return out;
}

describe('experts', () => {
  it.each(['softmax_topk', 'topk_softmax', 'topk'] as const)('top-2 of 4 with %s gates matches the dense computation', (gate) => {
    const b = new GraphBuilder();
    const xi = b.input('x', tensorType('float32', [T, H]));
    const si = b.input('scores', tensorType('float32', [T, E]));
    const wi = b.input('w', tensorType('float32', [E, H, O]));
    const body = b.region([tensorType('float32', ['t', H]), tensorType('float32', [H, O])], ([xs, w]) => [b.matmul(xs!, w!)]);
    b.output('y', b.add1({ kind: 'experts', numExperts: E, topK: K, gate, body }, [xi, si, wi]));
    const y = interpret(b.build(), { x, scores, w: W })['y'] as HostTensor;
    expect(y.shape).toEqual([T, O]);
    expect(Array.from(y.data as Float64Array)).toEqual(dense(gate));
  });

  it('runs each used expert once on its tokens, in token order', () => {
    const calls: { rows: number; first: number; e: number }[] = [];
    const ctx: InterpContext = {
      where: 'test',
      dim: (d) => Number(d),
      shape: (ds) => ds.map(Number),
      runRegion: (_r, params: readonly RuntimeValue[]) => {
        const xs = params[0] as HostTensor;
        const tag = params[1] as HostTensor;
        expect(tag.shape).toEqual([1]);
        const e = tag.data[0] as number;
        calls.push({ rows: xs.shape[0]!, first: xs.data[0] as number, e });
        return [{ dtype: 'float32', shape: [xs.shape[0]!, O], data: new Float64Array(xs.shape[0]! * O) }];
      },
    };
    const op: ExpertsOp = { kind: 'experts', numExperts: E, topK: K, gate: 'topk', body: { params: [], nodes: [], results: [] } };
    const tags = f32([E, 1], [0, 1, 2, 3]);
    expertsKernel(op, [x, scores, tags], [tensorType('float32', [T, O])], ctx);
    // chosen: t0 {1,2}, t1 {3,1}, t2 {1,3}, t3 {2,3}, t4 {2,1}: expert 0 unused
    expect(calls.map((c) => [c.e, c.rows])).toEqual([[1, 4], [2, 3], [3, 3]]);
    expect(calls[0]!.first).toBe(x.data[0]); // expert 1's first token is token 0
    expect(calls[2]!.first).toBe(x.data[1 * H]); // expert 3's first token is token 1
  });
});
