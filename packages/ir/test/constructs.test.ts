// The IR expressing the constructs a tensor compiler must: each graph is pinned as golden IR text (reviewed
// snapshots in golden/; CI never writes them) and evaluated by the interpreter against a naive reference.

import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type HostTensor, acc, arg, bin, cast, decodeFloat, encodeE8M0, encodeFloat, interpret, lit, printGraph,
  select, tensorType, verify, type Graph,
} from '../src/index.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const rand = (shape: number[], seed: number): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + seed * 78.233) * 2)) };
};
const at = (t: HostTensor, ...idx: number[]) => {
  let o = 0;
  idx.forEach((v, d) => { o = o * t.shape[d]! + v; });
  return t.data[o] as number;
};
function close(got: HostTensor, want: number[], tol = 1e-5): void {
  expect(got.data.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs((got.data[i] as number) - w)).toBeLessThanOrEqual(tol * (1 + Math.abs(w))));
}
async function golden(name: string, g: Graph): Promise<void> {
  verify(g);
  await expect(printGraph(g)).toMatchFileSnapshot(`golden/${name}.ir`);
}

describe('IR constructs (golden text + interpreter vs naive)', () => {
  it('MatMul and batched MatMul', async () => {
    const b = new GraphBuilder();
    const x = b.input('a', f32(2, 3, 4));
    const w = b.input('b', f32(4, 5));
    b.output('y', b.matmul(x, w));
    const g = b.build();
    await golden('batched-matmul', g);
    const A = rand([2, 3, 4], 1);
    const B = rand([4, 5], 2);
    const y = interpret(g, { a: A, b: B })['y'] as HostTensor;
    const want: number[] = [];
    for (let p = 0; p < 2; p++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += Math.fround(at(A, p, i, k) * at(B, k, j));
      want.push(Math.fround(s));
    }
    close(y, want, 0);
  });

  it('Gemm with a bias + ReLU epilogue', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const w = b.input('w', f32(3, 4));
    const bias = b.input('bias', f32(4));
    const { dimExpr } = await import('../src/affine.js');
    const y = b.add1({
      kind: 'contract', reductionExtents: [3], maps: [[dimExpr(0), dimExpr(2)], [dimExpr(2), dimExpr(1)], [dimExpr(1)]], padValues: [null, null, null],
      combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: bin('max', bin('add', acc, arg(2)), lit(0, 'float32')),
    }, [x, w, bias], [f32(2, 4)]);
    b.output('y', y);
    const g = b.build();
    await golden('gemm-bias-relu', g);
    const X = rand([2, 3], 3);
    const W = rand([3, 4], 4);
    const Bi = rand([4], 5);
    const out = interpret(g, { x: X, w: W, bias: Bi })['y'] as HostTensor;
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += Math.fround(at(X, i, k) * at(W, k, j));
      want.push(Math.max(Math.fround(Math.fround(s) + at(Bi, j)), 0));
    }
    close(out, want, 0);
  });

  it('Conv2d with stride, dilation, padding and groups; depthwise conv', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(1, 4, 7, 7));
    const w = b.input('w', f32(6, 2, 3, 3));
    b.output('y', b.conv({ x, w, strides: [2, 1], dilations: [1, 2], pads: [1, 2, 1, 0], group: 2 }));
    await golden('conv2d-grouped', b.build());
    const d = new GraphBuilder();
    const dx = d.input('x', f32(1, 3, 5, 5));
    const dw = d.input('w', f32(3, 1, 3, 3));
    d.output('y', d.conv({ x: dx, w: dw, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 3 }));
    const g = d.build();
    await golden('conv2d-depthwise', g);
    const X = rand([1, 3, 5, 5], 6);
    const W = rand([3, 1, 3, 3], 7);
    const y = interpret(g, { x: X, w: W })['y'] as HostTensor;
    const want: number[] = [];
    for (let c = 0; c < 3; c++) for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
        const ii = i + p - 1;
        const jj = j + q - 1;
        if (ii >= 0 && ii < 5 && jj >= 0 && jj < 5) s += Math.fround(at(X, 0, c, ii, jj) * at(W, c, 0, p, q));
      }
      want.push(Math.fround(s));
    }
    close(y, want, 1e-6);
  });

  it('attention: QKᵀ, scale, causal mask, softmax, PV', async () => {
    const b = new GraphBuilder();
    const q = b.input('q', f32(2, 4, 8));
    const k = b.input('k', f32(2, 4, 8));
    const v = b.input('v', f32(2, 4, 8));
    const s = b.einsum('hid,hjd->hij', [q, k]);
    const i = b.add1({ kind: 'iota', axis: 0 }, [], [tensorType('int64', [4, 4])]);
    const j = b.add1({ kind: 'iota', axis: 1 }, [], [tensorType('int64', [4, 4])]);
    const masked = b.map(select(bin('le', arg(2), arg(1)), bin('mul', arg(0), lit(1 / Math.sqrt(8), 'float32')), lit(-Infinity, 'float32')), [s, i, j]);
    const p = b.add1({ kind: 'softmax', axis: 2, log: false }, [masked]);
    b.output('o', b.einsum('hij,hjd->hid', [p, v]));
    const g = b.build();
    await golden('attention-causal', g);
    const Q = rand([2, 4, 8], 8);
    const K = rand([2, 4, 8], 9);
    const V = rand([2, 4, 8], 10);
    const o = interpret(g, { q: Q, k: K, v: V })['o'] as HostTensor;
    const want: number[] = [];
    for (let h = 0; h < 2; h++) for (let r = 0; r < 4; r++) {
      const sc = [0, 1, 2, 3].map((c) => { let t = 0; for (let d2 = 0; d2 < 8; d2++) t += at(Q, h, r, d2) * at(K, h, c, d2); return c <= r ? t / Math.sqrt(8) : -Infinity; });
      const m = Math.max(...sc);
      const e = sc.map((x) => Math.exp(x - m));
      const z = e.reduce((a2, b2) => a2 + b2, 0);
      for (let d2 = 0; d2 < 8; d2++) want.push([0, 1, 2, 3].reduce((t, c) => t + (e[c]! / z) * at(V, h, c, d2), 0));
    }
    close(o, want, 1e-5);
  });

  it('a top-2-of-8 MoE layer', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(5, 4));
    const router = b.input('router', f32(4, 8));
    const w1 = b.input('w1', f32(8, 4, 6));
    const scores = b.matmul(x, router);
    const body = b.region([tensorType('float32', ['t', 4]), f32(4, 6)], ([xs, w]) => [b.map(bin('max', arg(0), lit(0, 'float32')), [b.matmul(xs!, w!)])]);
    b.output('y', b.add1({ kind: 'experts', numExperts: 8, topK: 2, gate: 'topk_softmax', body }, [x, scores, w1]));
    const g = b.build();
    await golden('moe-top2-of-8', g);
    const X = rand([5, 4], 11);
    const R = rand([4, 8], 12);
    const W = rand([8, 4, 6], 13);
    const y = interpret(g, { x: X, router: R, w1: W })['y'] as HostTensor;
    const want: number[] = [];
    for (let t = 0; t < 5; t++) {
      const sc = Array.from({ length: 8 }, (_, e) => { let s = 0; for (let h = 0; h < 4; h++) s += Math.fround(at(X, t, h) * at(R, h, e)); return Math.fround(s); });
      const top = sc.map((s, e) => [s, e] as const).sort((a2, b2) => b2[0] - a2[0] || a2[1] - b2[1]).slice(0, 2);
      const m = Math.max(top[0]![0], top[1]![0]);
      const ex = top.map(([s]) => Math.exp(s - m));
      const z = ex[0]! + ex[1]!;
      for (let o = 0; o < 6; o++) {
        let sum = 0;
        top.forEach(([, e], i2) => { let s = 0; for (let h = 0; h < 4; h++) s += at(X, t, h) * at(W, e, h, o); sum += (ex[i2]! / z) * Math.max(s, 0); });
        want.push(sum);
      }
    }
    close(y, want, 1e-5);
  });

  it('an int8 per-channel quantized MatMul', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('int8', [2, 4]));
    const wq = b.input('wq', tensorType('int8', [4, 3]));
    const sx = b.input('sx', f32());
    const sw = b.input('sw', f32(3));
    const accI = b.matmul(x, wq, { accDtype: 'int32', outDtype: 'int32' });
    b.output('y', b.map(bin('mul', bin('mul', cast('float32', arg(0)), arg(1)), arg(2)), [accI, sx, sw]));
    const g = b.build();
    await golden('int8-per-channel-matmul', g);
    const X: HostTensor = { dtype: 'int8', shape: [2, 4], data: Float64Array.from([-128, 5, 127, -3, 1, 2, 3, 4]) };
    const WQ: HostTensor = { dtype: 'int8', shape: [4, 3], data: Float64Array.from([127, -128, 1, 2, 3, 4, -5, 6, 7, 8, -9, 10]) };
    const SX: HostTensor = { dtype: 'float32', shape: [], data: Float64Array.of(0.5) };
    const SW: HostTensor = { dtype: 'float32', shape: [3], data: Float64Array.from([0.25, 0.125, 2]) };
    const y = interpret(g, { x: X, wq: WQ, sx: SX, sw: SW })['y'] as HostTensor;
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k2 = 0; k2 < 4; k2++) s += at(X, i, k2) * at(WQ, k2, j);
      want.push(Math.fround(Math.fround(s * 0.5) * (SW.data[j] as number)));
    }
    close(y, want, 0);
  });

  it('an MXFP4 block-quantized weight (block 32, e8m0 scales)', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 64));
    const codes = b.input('w_fp4', tensorType('float4e2m1', [64, 3]));
    const scales = b.input('w_scale', tensorType('float8e8m0', [2, 3]));
    const w = b.add1({ kind: 'dequantize', scheme: { axis: 0, blockSize: 32, saturate: true } }, [codes, scales], [f32(64, 3)]);
    b.output('y', b.matmul(x, w));
    const g = b.build();
    await golden('mxfp4-weight-matmul', g);
    const X = rand([2, 64], 14);
    const Wf = rand([64, 3], 15);
    // Quantize by hand: per block of 32 along K, scale = 2^floor(log2(maxabs)) / 4 (fp4's largest power of two), codes rounded to fp4.
    const S: number[] = [];
    const C: number[] = new Array(64 * 3).fill(0);
    for (let blk = 0; blk < 2; blk++) for (let j = 0; j < 3; j++) {
      let m = 0;
      for (let k2 = 0; k2 < 32; k2++) m = Math.max(m, Math.abs(at(Wf, blk * 32 + k2, j)));
      const s = decodeFloat(encodeE8M0(2 ** Math.floor(Math.log2(m)) / 4, true), 'float8e8m0');
      S[blk * 3 + j] = s;
      for (let k2 = 0; k2 < 32; k2++) C[(blk * 32 + k2) * 3 + j] = decodeFloat(encodeFloat(at(Wf, blk * 32 + k2, j) / s, 'float4e2m1', true), 'float4e2m1');
    }
    const feeds = {
      x: X,
      w_fp4: { dtype: 'float4e2m1' as const, shape: [64, 3], data: Float64Array.from(C) },
      w_scale: { dtype: 'float8e8m0' as const, shape: [2, 3], data: Float64Array.from(S) },
    };
    const y = interpret(g, feeds)['y'] as HostTensor;
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k2 = 0; k2 < 64; k2++) s += Math.fround(at(X, i, k2) * C[k2 * 3 + j]! * S[Math.floor(k2 / 32) * 3 + j]!);
      want.push(s);
    }
    close(y, want, 1e-5);
    // The quantized weight is close to the original (MXFP4 keeps about 1 significant bit per value plus the block scale).
    const err = Math.max(...C.map((c, i) => Math.abs(c * S[Math.floor(Math.floor(i / 3) / 32) * 3 + (i % 3)]! - (Wf.data[i] as number))));
    expect(err).toBeLessThan(1.1);
  });
});
