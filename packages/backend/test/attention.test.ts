// The fused attention kernel (emit-attention.ts; emit-attention-exact.ts under exactMath) against the reference
// interpreter in every code variant (baseline and relaxed SIMD, 1 and 2 threads): sequence lengths that are not
// multiples of the row or key block, head dims 8..128, one query and one key, a 1024-long sequence (16 key
// blocks), batch and heads read through strides, masks (additive float with -inf, causal boolean, key padding
// that masks whole rows to NaN), and the attention the recognize-attention pass makes of exported layouts.
// The tiled kernel sums in float32 with an online softmax: 1e-5 relative; the exact one: bit for bit.

import { describe, expect, it } from 'vitest';
import {
  CompileError, GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ScalarExpr, type ValueId, acc, affine, arg, bin, dimExpr, lit, passByName,
  runPipeline, select, tensorType,
} from '@tensorc/ir';
import { compileGraph, lowerGraph } from '../src/index.js';
import type { AttentionKernel } from '../src/wasm/lower-attention.js';
import { expectAllFlavoursAgree } from './variants-harness.js';
import { attentionParams, buildAttention } from '../../ir/test/attention-arbitraries.js';
import fc from 'fast-check';

const f32 = (...s: number[]) => tensorType('float32', s);
const rnd = (shape: number[], s: number, scale = 2): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 1.37 + s * 2.1) * scale)),
});
const d = (i: number) => dimExpr(i);

interface Spec {
  batch: number; heads: number; sq: number; sk: number; depth: number; features: number; scale?: number;
  /** add: a float input with -inf entries; causal: a constant bool (masked_fill), masked where key - query > diag;
   * causal-add: the same as a constant 0 / -inf addend; scattered: a constant bool without a diagonal; pad: key padding input */
  mask?: 'add' | 'causal' | 'causal-add' | 'scattered' | 'pad'; diag?: number;
}

/**
 * Attention over q [B, Sq, H, D], k [B, Sk, H, D], v [B, Sk, H, F] into [B, Sq, H, F] (heads read through
 * strides): loops b d0, query d1, head d2, feature d3, key d4, depth d5.
 */
function attentionGraph(s: Spec): { graph: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const q = b.input('q', f32(s.batch, s.sq, s.heads, s.depth));
  const k = b.input('k', f32(s.batch, s.sk, s.heads, s.depth));
  const v = b.input('v', f32(s.batch, s.sk, s.heads, s.features));
  const feeds: Record<string, HostTensor> = {
    q: rnd([s.batch, s.sq, s.heads, s.depth], 1), k: rnd([s.batch, s.sk, s.heads, s.depth], 2), v: rnd([s.batch, s.sk, s.heads, s.features], 3),
  };
  const inputs: ValueId[] = [q, k, v];
  const maps = [[d(0), d(1), d(2), d(5)], [d(0), d(4), d(2), d(5)], [d(0), d(4), d(2), d(3)]];
  const scaled: ScalarExpr = bin('mul', acc, lit(Math.fround(s.scale ?? 1 / Math.sqrt(s.depth)), 'float32'));
  let epi: ScalarExpr | null = s.scale === 1 ? null : scaled;
  if (s.mask === 'add') {
    inputs.push(b.input('mask', f32(s.sq, s.sk)));
    feeds['mask'] = { ...rnd([s.sq, s.sk], 4), data: Float64Array.from(rnd([s.sq, s.sk], 4).data as Float64Array, (x, i) => (i % 7 === 3 ? -Infinity : x)) };
    maps.push([d(1), d(4)]);
    epi = bin('add', scaled, arg(3));
  } else if (s.mask === 'causal' || s.mask === 'scattered') {
    const masked = (i: number) => (s.mask === 'causal' ? i % s.sk - Math.floor(i / s.sk) > (s.diag ?? 0) : (i * 7) % 5 === 1);
    inputs.push(b.constant({ dtype: 'bool', shape: [s.sq, s.sk], data: Float64Array.from({ length: s.sq * s.sk }, (_, i) => (masked(i) ? 1 : 0)) }));
    maps.push([d(1), d(4)]);
    epi = select(arg(3), lit(-Infinity, 'float32'), scaled);
  } else if (s.mask === 'causal-add') {
    inputs.push(b.constant({ dtype: 'float32', shape: [s.sq, s.sk], data: Float64Array.from({ length: s.sq * s.sk }, (_, i) => (i % s.sk - Math.floor(i / s.sk) > (s.diag ?? 0) ? -Infinity : 0)) }));
    maps.push([d(1), d(4)]);
    epi = bin('add', scaled, arg(3));
  } else if (s.mask === 'pad') {
    // key padding per batch; batch 0 masks every key, so its rows are NaN as in the reference
    inputs.push(b.input('pad', f32(s.batch, s.sk)));
    feeds['pad'] = { dtype: 'float32', shape: [s.batch, s.sk], data: Float64Array.from({ length: s.batch * s.sk }, (_, i) => (i < s.sk || i % 3 === 1 ? -Infinity : 0)) };
    maps.push([d(0), d(4)]);
    epi = bin('add', scaled, arg(3));
  }
  b.output('y', b.add1({ kind: 'attention', keyExtent: s.sk, qkExtent: s.depth, valueAxis: 3, maps, scoreEpilogue: epi }, inputs, [f32(s.batch, s.sq, s.heads, s.features)]));
  return { graph: b.build(), feeds };
}

describe('fused attention kernel vs the interpreter', () => {
  it('ragged blocks, head dims 8..128, one query or key, masks, batch and heads', async () => {
    const specs: Spec[] = [
      { batch: 1, heads: 1, sq: 17, sk: 65, depth: 8, features: 8 },
      { batch: 2, heads: 3, sq: 5, sk: 9, depth: 16, features: 12, mask: 'add' },
      { batch: 1, heads: 2, sq: 33, sk: 130, depth: 64, features: 64, mask: 'causal' },
      { batch: 1, heads: 1, sq: 9, sk: 70, depth: 128, features: 128 },
      { batch: 1, heads: 2, sq: 1, sk: 1, depth: 8, features: 5, scale: 1 },
      { batch: 1, heads: 1, sq: 1, sk: 300, depth: 32, features: 7 },
      { batch: 3, heads: 2, sq: 6, sk: 6, depth: 3, features: 2, mask: 'pad' },
      { batch: 1, heads: 2, sq: 40, sk: 150, depth: 16, features: 8, mask: 'causal', diag: 70 },
      { batch: 2, heads: 1, sq: 37, sk: 37, depth: 8, features: 8, mask: 'causal', diag: -2 }, // rows 0, 1 wholly masked: NaN
      { batch: 1, heads: 2, sq: 70, sk: 70, depth: 16, features: 16, mask: 'causal-add' },
      { batch: 1, heads: 1, sq: 19, sk: 80, depth: 8, features: 4, mask: 'scattered' },
    ];
    for (const s of specs) {
      const { graph, feeds } = attentionGraph(s);
      const kernels = await expectAllFlavoursAgree(graph, feeds, 1e-5);
      expect(kernels, JSON.stringify(s)).toEqual(['k0_attention']);
    }
  }, 120_000);

  it('a 1024-long sequence (16 key blocks, 64 row blocks)', async () => {
    const { graph, feeds } = attentionGraph({ batch: 1, heads: 2, sq: 1024, sk: 1024, depth: 32, features: 32, mask: 'causal' });
    await expectAllFlavoursAgree(graph, feeds, 1e-5);
  }, 120_000);

  it('under exactMath: bit for bit, masks and NaN rows included', async () => {
    for (const s of [
      { batch: 2, heads: 3, sq: 5, sk: 9, depth: 16, features: 12, mask: 'add' },
      { batch: 1, heads: 2, sq: 20, sk: 70, depth: 8, features: 8, mask: 'causal' },
      { batch: 3, heads: 2, sq: 6, sk: 6, depth: 3, features: 2, mask: 'pad' },
    ] as Spec[]) {
      const { graph, feeds } = attentionGraph(s);
      await expectAllFlavoursAgree(graph, feeds, 0, true);
    }
  }, 120_000);

  it('attention as exported (head split, Kᵀ, slices of a fused projection, masks) fuses into one kernel', async () => {
    const fuse = [...OPTIMIZE_PIPELINE.filter((p) => p.name !== 'recognize-attention'), passByName('recognize-attention')!, passByName('dce')!];
    let runs = 0;
    for (const p of fc.sample(attentionParams, { numRuns: 24, seed: 5 })) {
      const c = buildAttention({ ...p, sq: p.sq * 5, sk: p.sk * 7, d: p.d * 4 });
      const fused = runPipeline(c.graph, fuse).graph;
      const kernels = await expectAllFlavoursAgree(fused, c.feeds, 1e-5);
      expect(kernels.filter((k) => k.endsWith('_attention')), c.desc).toHaveLength(1);
      expect(kernels.filter((k) => /transpose|softmax|expand/.test(k)), c.desc).toEqual([]);
      // a scale on q or k sliced out of a fused projection maps the slice (the map cannot read through it): one copy each
      const scaledSlices = p.layout === 4 ? [0, 1, 1, 2][p.operandScale ?? 0]! : 0;
      expect(kernels.filter((k) => /slice/.test(k)), c.desc).toHaveLength(scaledSlices);
      runs++;
    }
    expect(runs).toBe(24);
  }, 240_000);

  it('ONNX Attention\'s row guard before PV: attention, z = sum of 0 * v (NaN where v has an infinity) and the select agree with the interpreter', async () => {
    const fuse = [...OPTIMIZE_PIPELINE.filter((p) => p.name !== 'recognize-attention'), passByName('recognize-attention')!, passByName('dce')!];
    for (const layout of [0, 1, 3, 5]) {
      // seed 4: query row 1 has every key masked; v[0] = inf makes z NaN in the columns it feeds
      const c = buildAttention({ batch: 2, heads: 2, sq: 6, sk: 9, d: 8, layout, scale: 1, mask: 1, guard: true, guardOnProbs: true, seed: 4 });
      const v = c.feeds['v']!;
      const feeds = { ...c.feeds, v: { ...v, data: Float64Array.from(v.data as Float64Array, (x, i) => (i === 0 ? Infinity : x)) } };
      const fused = runPipeline(c.graph, fuse).graph;
      const kernels = await expectAllFlavoursAgree(fused, feeds, 1e-5);
      expect(kernels.filter((k) => k.endsWith('_attention')), c.desc).toHaveLength(1);
      expect(kernels.filter((k) => /softmax/.test(k)), c.desc).toEqual([]);
    }
  }, 120_000);

  it('constant causal masks: lanes from indices, blocks above the diagonal skipped only when they are -inf for any q·k', () => {
    const kernelOf = (s: Spec) => lowerGraph(runPipeline(attentionGraph(s).graph, OPTIMIZE_PIPELINE).graph).kernels.find((x) => x.kind === 'attention') as AttentionKernel;
    const base = { batch: 1, heads: 2, sq: 100, sk: 100, depth: 8, features: 8 };
    const masked = kernelOf({ ...base, mask: 'causal', diag: 3 });
    expect(masked.extras[0]!.pattern).toEqual({ kind: 'causal', offset: 3, below: 0, above: 1 });
    expect(masked.skipAbove).toBe(3);
    // 0 / -inf added: q·k = NaN or +inf would give NaN there, so nothing is skipped (the lanes still need no loads)
    const added = kernelOf({ ...base, mask: 'causal-add' });
    expect(added.extras[0]!.pattern).toEqual({ kind: 'causal', offset: 0, below: 0, above: -Infinity });
    expect(added.skipAbove).toBeUndefined();
    expect(kernelOf({ ...base, mask: 'scattered' }).extras[0]!.pattern).toBeUndefined();
  });

  it('refuses attention it has no kernel for with a typed error naming the node', () => {
    const b = new GraphBuilder();
    b.origin = { opType: 'Attention', node: 'attn0' };
    const x = b.input('x', tensorType('float64', [2, 3]));
    const m2 = (a: number, c: number) => [affine([{ idx: a, coeff: 1 }]), affine([{ idx: c, coeff: 1 }])];
    b.output('y', b.add1({ kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps: [m2(0, 3), m2(2, 3), m2(2, 1)], scoreEpilogue: null }, [x, x, x], [tensorType('float64', [2, 3])]));
    const g = b.build();
    let err: unknown;
    try { compileGraph(g); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe('UNSUPPORTED_OP');
    expect((err as CompileError).node).toBe('attn0');
    expect((err as CompileError).message).toMatch(/attention on float64/);
  });
});
