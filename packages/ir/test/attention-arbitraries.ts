// fast-check arbitrary for attention as models spell it: QKᵀ -> (scale) -> (mask) -> softmax -> PV, with
// batch and heads, and the layouts exporters produce: PyTorch's multi-head form (reshape [B,S,H*D] ->
// [B,S,H,D] -> transpose, Kᵀ by transpose, head merge by transpose + reshape), plain [B,H,S,D] inputs, einsum
// layouts with merged-head outputs, scores computed as K·Qᵀ with the softmax over the other axis, and q, k, v
// sliced out of one fused projection, and grouped-query heads with K and V repeated as PyTorch's repeat_kv does. Masks: additive float inputs (per query and key, or a key padding mask
// broadcast over queries, with -inf entries, so whole rows can be masked), a causal boolean constant applied with
// where (masked_fill), or a causal mask computed from iota (constant-folded); with the additive mask, optionally
// ONNX Attention's guard that zeroes output rows whose mask row is all -inf (after PV, or on the probabilities
// before PV as its function body does). Scales before the product too: on K alone, on Q alone, or on both (ONNX
// Attention's function body: q and Kᵀ each times sqrt(scale)), optionally with q and k computed by projections
// (PyTorch's Linear layers). Every graph verifies.

import fc from 'fast-check';
import { GraphBuilder, type Graph, type HostTensor, type ValueId, arg, bin, lit, select, tensorType, un } from '../src/index.js';

export interface AttentionCase {
  readonly graph: Graph;
  readonly feeds: Record<string, HostTensor>;
  readonly desc: string;
}

const f32 = (...s: number[]) => tensorType('float32', s);

function data(shape: readonly number[], seed: number, pick?: (i: number) => number | undefined): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float64Array.from({ length: n }, (_, i) => pick?.(i) ?? Math.fround(Math.sin((i + 1) * 1.37 + seed * 2.9) * 2)) };
}

export const attentionParams: fc.Arbitrary<AttentionParams> = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  heads: fc.integer({ min: 1, max: 3 }),
  sq: fc.integer({ min: 1, max: 5 }),
  sk: fc.integer({ min: 1, max: 5 }),
  d: fc.integer({ min: 1, max: 4 }),
  layout: fc.integer({ min: 0, max: 5 }),
  scale: fc.integer({ min: 0, max: 2 }),
  mask: fc.integer({ min: 0, max: 4 }),
  guard: fc.boolean(),
  guardOnProbs: fc.boolean(),
  operandScale: fc.integer({ min: 0, max: 3 }),
  projected: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

export interface AttentionParams {
  readonly batch: number; readonly heads: number; readonly sq: number; readonly sk: number; readonly d: number;
  /** 0 PyTorch multi-head, 1 [B,H,S,D] inputs, 2 einsum merged heads, 3 scores as K·Qᵀ, 4 slices of a fused projection, 5 grouped-query heads (repeat_kv: K, V heads repeated twice) */
  readonly layout: number;
  /** 0 none, 1 Mul, 2 Div */
  readonly scale: number;
  /** 0 none, 1 additive input, 2 causal bool constant (where), 3 key padding input, 4 causal from iota */
  readonly mask: number;
  /** With the additive input mask: zero the output rows whose mask row is all -inf (ONNX Attention's guard). */
  readonly guard?: boolean;
  /** The guard on the probabilities before PV instead (ONNX Attention's function body, the `_expanded` tests). */
  readonly guardOnProbs?: boolean;
  /** A scale on the operands as they enter QKᵀ: 0 none, 1 on K alone, 2 on Q alone, 3 sqrt of it on both (ONNX Attention's body) */
  readonly operandScale?: number;
  /** Layouts 0 and 5: q and k computed as x @ W from run-time inputs (the scale then sits on a projection's result). */
  readonly projected?: boolean;
  readonly seed: number;
}

export function buildAttention(p: AttentionParams): AttentionCase {
  const { batch: B, heads: H, d: D, seed } = p;
  // self-attention for the fused-projection layout (one sequence length)
  const sk = p.layout === 4 ? p.sq : p.sk;
  const sq = p.sq;
  const b = new GraphBuilder();
  const feeds: Record<string, HostTensor> = {};
  const input = (name: string, shape: number[], k: number, pick?: (i: number) => number | undefined): ValueId => {
    feeds[name] = data(shape, seed + k, pick);
    return b.input(name, f32(...shape));
  };
  // the operand scale, as a Mul by a scalar constant or a literal, or a Div (seed picks), applied to q or k as QKᵀ reads them
  const os = p.operandScale ?? 0;
  const full = Math.fround(1 / Math.sqrt(D + 1));
  const factor = os === 3 ? Math.fround(Math.sqrt(full)) : full;
  const scaled = (x: ValueId, on: boolean): ValueId => {
    if (!on) return x;
    if (seed % 3 === 0) return b.map(bin('mul', arg(0), arg(1)), [x, b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(factor) })]);
    if (seed % 3 === 1) return b.map(bin('mul', arg(0), lit(factor, 'float32')), [x]);
    return b.map(bin('div', arg(0), lit(Math.fround(1 / factor), 'float32')), [x]);
  };
  const scaleQ = (x: ValueId) => scaled(x, os >= 2);
  const scaleK = (x: ValueId) => scaled(x, os === 1 || os === 3);
  // a run-time input, or (projected) a run-time input times a run-time weight
  const source = (name: string, shape: number[], k: number): ValueId => {
    if (!p.projected) return input(name, shape, k);
    const w = input(`w${name}`, [shape.at(-1)!, shape.at(-1)!], k + 10);
    return b.matmul(input(name, shape, k), w);
  };
  const heads = (x: ValueId, s: number) => b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [b.add1({ kind: 'reshape' }, [x], [f32(B, s, H, D)])]);
  let scores: ValueId;
  let v: ValueId;
  let keyAxis = 3;
  // PV from probabilities p: [B,H,sq,D] (or merged [B,sq,H*D]) output
  let pv: (probs: ValueId) => ValueId;
  if (p.layout === 0 || p.layout === 4) {
    let q: ValueId;
    let k: ValueId;
    if (p.layout === 0) {
      q = heads(source('q', [B, sq, H * D], 1), sq);
      k = b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [b.add1({ kind: 'reshape' }, [source('k', [B, sk, H * D], 2)], [f32(B, sk, H, D)])]);
      v = heads(input('v', [B, sk, H * D], 3), sk);
    } else {
      const qkv = input('qkv', [B, sq, 3 * H * D], 1);
      const part = (i: number) => b.add1({ kind: 'slice', starts: [0, 0, i * H * D], steps: [1, 1, 1] }, [qkv], [f32(B, sq, H * D)]);
      q = heads(part(0), sq);
      k = b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [b.add1({ kind: 'reshape' }, [part(1)], [f32(B, sk, H, D)])]);
      v = heads(part(2), sk);
    }
    scores = b.matmul(scaleQ(q), scaleK(k));
    pv = (probs) => b.add1({ kind: 'reshape' }, [b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [b.matmul(probs, v)])], [f32(B, sq, H * D)]);
  } else if (p.layout === 5) {
    // PyTorch's repeat_kv: [B, H, S, D] -> [B, H, 1, S, D] -> expand [B, H, 2, S, D] -> [B, 2H, S, D]
    const q = source('q', [B, 2 * H, sq, D], 1);
    const repeat = (x: ValueId, s: number) => b.add1({ kind: 'reshape' }, [b.add1({ kind: 'expand' }, [b.add1({ kind: 'reshape' }, [x], [f32(B, H, 1, s, D)])], [f32(B, H, 2, s, D)])], [f32(B, 2 * H, s, D)]);
    const k = repeat(source('k', [B, H, sk, D], 2), sk);
    v = repeat(input('v', [B, H, sk, D], 3), sk);
    scores = b.matmul(scaleQ(q), scaleK(b.add1({ kind: 'transpose', perm: [0, 1, 3, 2] }, [k])));
    pv = (probs) => b.matmul(probs, v);
  } else if (p.layout === 1) {
    const q = input('q', [B, H, sq, D], 1);
    const k = input('k', [B, H, sk, D], 2);
    v = input('v', [B, H, sk, D], 3);
    scores = b.matmul(scaleQ(q), scaleK(b.add1({ kind: 'transpose', perm: [0, 1, 3, 2] }, [k])));
    pv = (probs) => b.matmul(probs, v);
  } else if (p.layout === 2) {
    const q = input('q', [B, sq, H, D], 1);
    const k = input('k', [B, sk, H, D], 2);
    v = input('v', [B, sk, H, D], 3);
    scores = b.einsum('bqhd,bkhd->bhqk', [scaleQ(q), scaleK(k)]);
    pv = (probs) => b.einsum('bhqk,bkhd->bqhd', [probs, v]);
  } else {
    // scores as K·Qᵀ: [B,H,sk,sq], softmax over axis 2; PV as Vᵀ-first einsum
    const q = input('q', [B, H, sq, D], 1);
    const k = input('k', [B, H, sk, D], 2);
    v = input('v', [B, H, sk, D], 3);
    scores = b.einsum('bhkd,bhqd->bhkq', [scaleK(k), scaleQ(q)]);
    keyAxis = 2;
    pv = (probs) => b.einsum('bhkd,bhkq->bhqd', [v, probs]);
  }
  // scale as exporters write it: a Mul or a Div after the matmul (fuse-epilogue moves it into the QKᵀ epilogue)
  if (p.scale === 1) scores = b.map(bin('mul', arg(0), arg(1)), [scores, b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(Math.fround(1 / Math.sqrt(D))) })]);
  if (p.scale === 2) scores = b.map(bin('div', arg(0), lit(Math.fround(Math.sqrt(D)), 'float32')), [scores]);
  const qkShape = keyAxis === 3 ? [sq, sk] : [sk, sq];
  let guard: ((y: ValueId) => ValueId) | undefined;
  let guardProbs: ((probs: ValueId) => ValueId) | undefined;
  if (p.mask === 1) {
    // every key of query row 1 masked now and then, so the guard has rows to zero
    const mask = input('mask', qkShape, 4, (i) => (i % 5 === 3 || (seed % 2 === 0 && (keyAxis === 3 ? Math.floor(i / sk) : i % sq) === 1) ? -Infinity : undefined));
    scores = b.map(bin('add', arg(0), arg(1)), [scores, mask]);
    if (p.guard && p.guardOnProbs) {
      // p' = where(rowMax == -inf, 0, p): rowMax [sq, 1] (or [1, sq] for K·Qᵀ) broadcasts against the probabilities
      const rowMax = b.add1({ kind: 'reduce', reducer: 'max', axes: [keyAxis === 3 ? 1 : 0], keepDims: true }, [mask]);
      const masked = b.map(bin('eq', arg(0), lit(-Infinity, 'float32')), [rowMax]);
      guardProbs = (probs) => (seed % 2 === 0
        ? b.map(select(arg(0), lit(0, 'float32'), arg(1)), [masked, probs])
        : b.map(select(un('not', arg(1)), arg(0), lit(0, 'float32')), [probs, masked]));
    } else if (p.guard) {
      // rowMax [sq, 1, ...] broadcast against the output, whose query dim is 1 (merged or [B,sq,H,D]) or 2
      const rowMax = b.add1({ kind: 'reduce', reducer: 'max', axes: [keyAxis === 3 ? 1 : 0], keepDims: true }, [mask]);
      guard = (y) => {
        const r = b.tensorTypeOf(y).shape.length;
        const qpos = p.layout === 1 || p.layout === 3 || p.layout === 5 ? 2 : 1;
        const m = b.add1({ kind: 'reshape' }, [rowMax], [f32(sq, ...Array(r - qpos - 1).fill(1))]);
        return b.map(select(un('isneginf', arg(1)), lit(0, 'float32'), arg(0)), [y, m]);
      };
    }
  } else if (p.mask === 2 || p.mask === 4) {
    // causal: key j masked for query i when j > i
    const causal = (i: number) => { const [a, c] = [Math.floor(i / qkShape[1]!), i % qkShape[1]!]; return keyAxis === 3 ? c > a : a > c; };
    if (p.mask === 2) {
      const m = b.constant({ dtype: 'bool', shape: qkShape, data: Float64Array.from({ length: sq * sk }, (_, i) => (causal(i) ? 1 : 0)) });
      scores = b.map(select(arg(1), lit(-Infinity, 'float32'), arg(0)), [scores, m]);
    } else {
      const rows = b.add1({ kind: 'iota', axis: keyAxis === 3 ? 0 : 1 }, [], [tensorType('int64', qkShape)]);
      const cols = b.add1({ kind: 'iota', axis: keyAxis === 3 ? 1 : 0 }, [], [tensorType('int64', qkShape)]);
      scores = b.map(select(bin('le', arg(2), arg(1)), arg(0), lit(-Infinity, 'float32')), [scores, rows, cols]);
    }
  } else if (p.mask === 3) {
    // key padding mask broadcast over heads and queries; batch 0 masks every key of its last... sometimes all
    const shape = keyAxis === 3 ? [B, 1, 1, sk] : [B, 1, sk, 1];
    scores = b.map(bin('add', arg(0), arg(1)), [scores, input('pad', shape, 5, (i) => ((i + seed) % 3 === 0 ? -Infinity : 0))]);
  }
  const softmax = b.add1({ kind: 'softmax', axis: keyAxis, log: false }, [scores]);
  const probs = guardProbs ? guardProbs(softmax) : softmax;
  // ONNX Attention's 3-D form merges heads after the guard: a transpose the fusion passes fold into PV's output order
  const merged = (y: ValueId) => (p.layout === 1 && seed % 3 === 0 ? b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [y]) : y);
  b.output('y', guard ? merged(guard(pv(probs))) : pv(probs));
  const operands = `${os === 0 ? '' : ` operandScale=${['', 'k', 'q', 'q,k'][os]}`}${p.projected && (p.layout === 0 || p.layout === 5) ? ' projected' : ''}`;
  const desc = `B=${B} H=${H} sq=${sq} sk=${sk} D=${D} layout=${p.layout} scale=${p.scale} mask=${p.mask}${guard ? ' guard' : guardProbs ? ' guard-on-probs' : ''}${operands} seed=${seed}`;
  return { graph: b.build(), feeds, desc };
}

export const attentionCase: fc.Arbitrary<AttentionCase> = attentionParams.map(buildAttention);
