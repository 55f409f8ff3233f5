// FlexAttention on hand-built models against attention written out here in float64: grouped-query heads,
// a scale attribute, score_mod and prob_mod subgraphs (inlined), softmax_precision double; and the inputs
// and modifier graphs that must fail with a clear CompileError.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { attr, graph, node, tensor, tensorType, valueInfo } from '../../src/onnx/__tests__/proto-writer.js';
import { ONNX, errorOf, oneNode, rand } from './one-node-model.js';

const OPSETS: [string, number][] = [['', 26], ['ai.onnx.preview', 1]];

/** A modifier graph s -> s <op> c (c a scalar initializer), with its tensor declared as `elem`. */
function modifier(op: string, c: number, elem: number = ONNX.FLOAT): Uint8Array {
  const dims = ['B', 'H', 'L', 'S'];
  return graph({
    name: 'mod',
    nodes: [node({ opType: op, inputs: ['s', 'c'], outputs: ['o'] })],
    initializers: [tensor({ name: 'c', dims: [], dataType: elem, ...(elem === ONNX.DOUBLE ? { doubleData: [c] } : { floatData: [c] }) })],
    inputs: [valueInfo('s', tensorType(elem, dims))],
    outputs: [valueInfo('o', tensorType(elem, dims))],
  });
}

function build(q: number[], k: number[], v: number[], attrs: Uint8Array[]) {
  return oneNode({ opType: 'FlexAttention', domain: 'ai.onnx.preview', opsets: OPSETS, attrs,
    inputs: [{ name: 'q', type: ONNX.FLOAT, shape: q }, { name: 'k', type: ONNX.FLOAT, shape: k }, { name: 'v', type: ONNX.FLOAT, shape: v }],
    outputs: [{ name: 'y', type: ONNX.FLOAT, shape: [q[0]!, q[1]!, q[2]!, v[3]!] }] });
}

/** softmax(score_mod(scale * Q Kᵀ)) -> prob_mod -> · V, query head h reading kv head floor(h / group). */
function direct(q: HostTensor, k: HostTensor, v: HostTensor, scale: number, scoreMod: (x: number) => number, probMod: (x: number) => number): number[] {
  const [B, HQ, L, E] = q.shape as [number, number, number, number];
  const [, HKV, S] = k.shape as [number, number, number, number];
  const DV = v.shape[3]!;
  const at = (t: HostTensor, i: number[]) => t.data[((i[0]! * t.shape[1]! + i[1]!) * t.shape[2]! + i[2]!) * t.shape[3]! + i[3]!] as number;
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let h = 0; h < HQ; h++) for (let l = 0; l < L; l++) {
    const kh = Math.floor(h / (HQ / HKV));
    const s = Array.from({ length: S }, (_, j) => {
      let dot = 0;
      for (let e = 0; e < E; e++) dot += at(q, [b, h, l, e]) * at(k, [b, kh, j, e]);
      return scoreMod(dot * scale);
    });
    const m = Math.max(...s);
    const z = s.reduce((a, x) => a + Math.exp(x - m), 0);
    const p = s.map((x) => probMod(Math.exp(x - m) / z));
    for (let d = 0; d < DV; d++) out.push(p.reduce((a, w, j) => a + w * at(v, [b, kh, j, d]), 0));
  }
  return out;
}

describe('FlexAttention', () => {
  const qs = [1, 4, 3, 8];
  const ks = [1, 2, 5, 8];
  const vs = [1, 2, 5, 6];
  const feeds = { q: rand(qs, 1), k: rand(ks, 2), v: rand(vs, 3) };

  it('grouped-query heads with scale, score_mod and prob_mod match a direct computation', () => {
    const g = build(qs, ks, vs, [attr.float('scale', 0.7), attr.graph('score_mod', modifier('Add', 0.25)), attr.graph('prob_mod', modifier('Mul', 2))]);
    const y = (interpret(g, feeds)['y'] as HostTensor).data;
    const want = direct(feeds.q, feeds.k, feeds.v, Math.fround(0.7), (x) => x + 0.25, (p) => 2 * p);
    expect(y.length).toBe(want.length);
    want.forEach((w, i) => expect(y[i], `element ${i}`).toBeCloseTo(w, 5));
  });

  it('defaults the scale to 1/sqrt(head size) and inlines modifiers (no regions)', () => {
    const g = build(qs, ks, vs, [attr.graph('score_mod', modifier('Mul', 3))]);
    const y = (interpret(g, feeds)['y'] as HostTensor).data;
    const want = direct(feeds.q, feeds.k, feeds.v, 1 / Math.sqrt(8), (x) => 3 * x, (p) => p);
    want.forEach((w, i) => expect(y[i]).toBeCloseTo(w, 5));
    expect(g.nodes.some((n) => n.op.kind === 'if' || n.op.kind === 'loop')).toBe(false);
  });

  it('softmax_precision double runs the modifiers on float64 scores', () => {
    const g = build(qs, ks, vs, [attr.int('softmax_precision', ONNX.DOUBLE), attr.graph('score_mod', modifier('Add', 1, ONNX.DOUBLE))]);
    const y = (interpret(g, feeds)['y'] as HostTensor).data;
    const want = direct(feeds.q, feeds.k, feeds.v, 1 / Math.sqrt(8), (x) => x + 1, (p) => p);
    want.forEach((w, i) => expect(y[i]).toBeCloseTo(w, 5));
  });

  it('rejects bad shapes, precisions and modifier graphs', () => {
    expect(errorOf(() => build([1, 3, 3, 8], ks, vs, [])).message).toContain('3 query heads are not a multiple of 2');
    expect(errorOf(() => build(qs, [1, 2, 5, 4], vs, [])).message).toContain('head sizes differ');
    expect(errorOf(() => build(qs, ks, [1, 2, 4, 6], [])).code).toBe('SHAPE_ERROR');
    expect(errorOf(() => build(qs, ks, vs, [attr.int('softmax_precision', ONNX.INT32)])).code).toBe('UNSUPPORTED_ATTRIBUTE');
    const wrongType = errorOf(() => build(qs, ks, vs, [attr.graph('score_mod', modifier('Add', 1, ONNX.DOUBLE))]));
    expect(wrongType.code).toBe('TYPE_ERROR');
    expect(wrongType.message).toContain('score_mod declares a float64 input');
    const castOut = graph({ name: 'm', nodes: [node({ opType: 'Cast', inputs: ['s'], outputs: ['o'], attrs: [attr.int('to', ONNX.DOUBLE)] })],
      inputs: [valueInfo('s', tensorType(ONNX.FLOAT, ['B', 'H', 'L', 'S']))], outputs: [valueInfo('o', tensorType(ONNX.DOUBLE, ['B', 'H', 'L', 'S']))] });
    expect(errorOf(() => build(qs, ks, vs, [attr.graph('prob_mod', castOut)])).message).toContain('prob_mod must return float32[1,4,3,5]');
  });
});
