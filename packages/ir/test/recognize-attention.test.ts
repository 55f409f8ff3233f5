// recognize-attention: golden before/after IR text (PyTorch-style multi-head attention with its head split,
// Kᵀ and head merge; a causal boolean mask over q, k, v sliced from one fused projection; an additive mask),
// cases it must leave alone, the attention op's own rules (verifier errors, interpreter = composition), and
// the differential property: the pipeline with and without the pass gives bit-identical interpreter results
// on random attention graphs (layouts, scales, masks that can mask whole rows), and again with scales on K
// alone, Q alone or both before the product (moved to the source values or into the projections' epilogues).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, OPTIMIZE_PIPELINE, SIMPLIFY_PIPELINE, arg, bin, dimExpr, lit, passByName, printGraph, runPipeline, select, tensorType, un, verify,
} from '../src/index.js';
import { type AttentionParams, attentionCase, attentionParams, buildAttention } from './attention-arbitraries.js';
import { expectRewritesExact, expectSameResults, tryInterpret } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const pass = passByName('recognize-attention')!;
const dce = passByName('dce')!;
const withoutPass = OPTIMIZE_PIPELINE.filter((p) => p !== pass);
const withPass = OPTIMIZE_PIPELINE.includes(pass) ? OPTIMIZE_PIPELINE : [...OPTIMIZE_PIPELINE, pass, dce];

/** The graph optimized up to the pass, then the pass and dce: before and after text. */
function golden(g: Graph): { text: string; after: string } {
  const before = runPipeline(g, withoutPass, { verifyEach: true }).graph;
  const after = printGraph(runPipeline(before, [pass, dce], { verifyEach: true }).graph);
  return { text: `${printGraph(before)}--- after recognize-attention, dce ---\n${after}`, after };
}

const params = (over: Partial<AttentionParams>): AttentionParams => ({ batch: 1, heads: 2, sq: 3, sk: 3, d: 2, layout: 0, scale: 1, mask: 0, seed: 1, ...over });

describe('recognize-attention goldens', () => {
  it('multi-head attention as PyTorch exports it: head split, Kᵀ, scale, head merge -> one attention op, no movement left', async () => {
    const { text, after } = golden(buildAttention(params({})).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (softmax|transpose|contract)/);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention.ir');
  });

  it('causal boolean mask (masked_fill) over q, k, v sliced from one fused projection', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 4, mask: 2, scale: 2 })).graph);
    expect(after).toContain('scoreEpilogue=select(a3, -inf:f32, div(acc, 1.4142135381698608:f32))');
    expect(after).not.toMatch(/= (softmax|transpose|slice|contract)/);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-causal.ir');
  });

  it('additive mask, scores as K·Qᵀ with the softmax over axis 2', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 3, mask: 1, scale: 0, sk: 4 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-additive.ir');
  });

  it('ONNX Attention: the zeroing of wholly masked rows folds away for a constant mask (one-value constants, literal subexpressions)', async () => {
    const b = new GraphBuilder();
    const [S, T, D] = [3, 4, 2];
    const q = b.input('q', f32(1, 2, S, D));
    const k = b.input('k', f32(1, 2, T, D));
    const v = b.input('v', f32(1, 2, T, D));
    const mask = b.constant({ dtype: 'float32', shape: [S, T], data: Float64Array.from({ length: S * T }, (_, i) => (i % T > Math.floor(i / T) ? -Infinity : 0)) });
    const rowMax = b.constant({ dtype: 'float32', shape: [S, 1], data: new Float64Array(S) }); // the mask's row max, folded by the importer
    const s = b.map(bin('add', bin('mul', arg(0), lit(0.5, 'float32')), arg(1)), [b.einsum('bhsd,bhtd->bhst', [q, k]), mask]);
    const p = b.map(select(un('isneginf', arg(1)), lit(0, 'float32'), arg(0)), [b.add1({ kind: 'softmax', axis: 3, log: false }, [s]), rowMax]);
    b.output('y', b.einsum('bhst,bhtd->bhsd', [p, v]));
    const g = b.build();
    const fused = runPipeline(g, withPass, { verifyEach: true }).graph;
    const text = printGraph(fused);
    expect(text.match(/= attention/g)?.length).toBe(1);
    expect(text).not.toMatch(/= (map|softmax|contract)/);
    await expect(`${printGraph(g)}--- after OPTIMIZE_PIPELINE ---\n${text}`).toMatchFileSnapshot('golden/pass-recognize-attention-onnx-rows.ir');
    const feeds = Object.fromEntries(['q', 'k', 'v'].map((n, i) => [n, { dtype: 'float32' as const, shape: [1, 2, n === 'q' ? S : T, D], data: Float64Array.from({ length: 2 * (n === 'q' ? S : T) * D }, (_, j) => Math.fround(Math.sin(j + i))) }]));
    expectSameResults(tryInterpret(g, feeds)!, tryInterpret(fused, feeds)!);
  });

  it('ONNX Attention with a run-time mask: the guard zeroing wholly masked rows after PV becomes a map after the attention op', async () => {
    // [B,H,S,D] inputs, the guard on PV, then the head merge (folded into PV's output order): the guard's
    // operand is read as (query, 0) of a [B,S,H,D] result, so the split-off map reads it reshaped to [1,S,1,1]
    const { text, after } = golden(buildAttention(params({ layout: 1, mask: 1, guard: true, seed: 3 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).toContain('select(isneginf(a1), 0:f32, a0)');
    expect(after).toMatch(/f32\[1,3,1,1\] = reshape/);
    expect(after).not.toMatch(/= (softmax|transpose|contract)/);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-row-guard.ir');
  });

  it('grouped-query heads repeated as PyTorch\'s repeat_kv: the head loop splits into (kv head, group), K and V read in place', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 5, heads: 2, mask: 1 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (expand|softmax|transpose|contract)/);
    expect(after).toMatch(/f32\[1,2,2,3,2\] = attention/); // [B, kv heads, group, S, D], reshaped to [B, 4, S, D]
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-gqa.ir');
  });

  it('ONNX Attention\'s body: sqrt(scale) on q and on Kᵀ of repeated KV heads; the K map moves below the transpose and the repeat', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 5, heads: 2, operandScale: 3, scale: 0, seed: 1 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (expand|softmax|transpose|contract)/);
    // q's map stays on q (nothing below it); k's now maps the [B, kv heads, S, D] input once per element
    expect(after).toMatch(/%\d+: f32\[1,2,3,2\] = map\(%1\) \{expr=mul\(a0, 0\.759835\d+:f32\)\}/);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-operand-scales.ir');
  });

  it('a scale on projected q and k joins the projections\' epilogues: no kernel left for it', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 0, operandScale: 3, projected: true, scale: 0, seed: 1 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (map|softmax|transpose)/);
    expect(after.match(/epilogue=mul\(acc, 0\.759835\d+:f32\)/g)?.length).toBe(2);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-projected-scales.ir');
  });

  it('ONNX Attention\'s body: the row guard on the probabilities before PV becomes select(guard, z, attention), z summing 0 * v', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 1, mask: 1, guard: true, guardOnProbs: true, seed: 2 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (softmax|transpose)/);
    expect(after).toMatch(/f32\[1,2,1,2\] = contract\(%\d+\) \{accDtype="float32", combiner=mul\(0:f32, a0\)/);
    expect(after).toContain('select(a2, a1, a0)');
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-guard-on-probs.ir');
  });

  it('the row guard before PV with repeated KV heads: z per KV head, repeated over the group like the result', async () => {
    const { text, after } = golden(buildAttention(params({ layout: 5, heads: 2, mask: 1, guard: true, guardOnProbs: true, seed: 2 })).graph);
    expect(after.match(/= attention/g)?.length).toBe(1);
    expect(after).not.toMatch(/= (softmax|transpose)/);
    // z [B, kv heads, 1, 1, D] -> expand over the group [B, kv heads, 2, 1, D] -> [B, heads, 1, D]
    expect(after).toMatch(/f32\[1,2,1,1,2\] = contract/);
    expect(after).toMatch(/f32\[1,2,2,1,2\] = expand/);
    expect(after.match(/= expand/g)?.length).toBe(1);
    await expect(text).toMatchFileSnapshot('golden/pass-recognize-attention-guard-gqa.ir');
  });

  it('leaves attention alone when the probabilities are also an output, for log-softmax, and for float16', () => {
    const cases: Graph[] = [];
    for (const variant of ['probs-out', 'log', 'f16'] as const) {
      const b = new GraphBuilder();
      const dt = variant === 'f16' ? 'float16' : 'float32';
      const q = b.input('q', tensorType(dt, [2, 3]));
      const k = b.input('k', tensorType(dt, [4, 3]));
      const v = b.input('v', tensorType(dt, [4, 5]));
      const p = b.add1({ kind: 'softmax', axis: 1, log: variant === 'log' }, [b.einsum('id,jd->ij', [q, k])]);
      b.output('y', b.matmul(p, v));
      if (variant === 'probs-out') b.output('p', p);
      cases.push(b.build());
    }
    for (const g of cases) expect(printGraph(runPipeline(g, withPass).graph)).not.toContain('attention');
  });
});

describe('the attention op', () => {
  const base = () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    return { b, x };
  };
  const maps = [[dimExpr(0), dimExpr(3)], [dimExpr(2), dimExpr(3)], [dimExpr(2), dimExpr(1)]];
  it('the verifier names the loop an operand must not use, bad score epilogues and dtypes', () => {
    const bad: [string, Parameters<GraphBuilder['add1']>[0], string][] = [
      ['q uses the key loop', { kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps: [[dimExpr(2), dimExpr(3)], maps[1]!, maps[2]!], scoreEpilogue: null }, 'index map of q uses loop d2'],
      ['v uses the depth loop', { kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps: [maps[0]!, maps[1]!, [dimExpr(2), dimExpr(3)]], scoreEpilogue: null }, 'index map of v uses loop d3'],
      ['epilogue reads q', { kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps, scoreEpilogue: bin('add', { k: 'acc' }, arg(0)) }, 'score epilogue reads a0'],
      ['reads out of bounds', { kind: 'attention', keyExtent: 3, qkExtent: 3, valueAxis: 1, maps, scoreEpilogue: null }, 'is read at 0..2 but has size 2'],
      ['value axis out of range', { kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 2, maps, scoreEpilogue: null }, 'value axis 2 is out of range'],
    ];
    for (const [what, op, msg] of bad) {
      const { b, x } = base();
      expect(() => b.add1(op, [x, x, x], [f32(2, 3)]), what).toThrow(msg);
    }
    const { b, x } = base();
    const h = b.input('h', tensorType('float16', [2, 3]));
    expect(() => b.add1({ kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps, scoreEpilogue: null }, [x, x, h], [f32(2, 3)])).toThrow('v is float16 but q is float32');
  });

  it('interprets exactly as contract -> softmax -> contract', () => {
    const { b, x } = base();
    const mask = b.constant({ dtype: 'bool', shape: [2, 2], data: Float64Array.of(0, 1, 0, 0) });
    const epi = select(arg(3), lit(-Infinity, 'float32'), bin('mul', { k: 'acc' }, lit(0.5, 'float32')));
    b.output('fused', b.add1({ kind: 'attention', keyExtent: 2, qkExtent: 3, valueAxis: 1, maps: [...maps, [dimExpr(0), dimExpr(2)]], scoreEpilogue: epi }, [x, x, x, mask], [f32(2, 3)]));
    const s = b.map(select(arg(1), lit(-Infinity, 'float32'), bin('mul', arg(0), lit(0.5, 'float32'))), [b.einsum('id,jd->ij', [x, x]), mask]);
    b.output('spelled', b.matmul(b.add1({ kind: 'softmax', axis: 1, log: false }, [s]), x));
    const g = b.build();
    verify(g);
    const out = tryInterpret(g, { x: { dtype: 'float32', shape: [2, 3], data: Float64Array.of(0.5, -1, 2, 1.5, 0.25, -3) } })!;
    expectSameResults({ y: out['fused']! }, { y: out['spelled']! });
  });
});

describe('recognize-attention differential', () => {
  it('scales on K alone, Q alone or both: same bits with and without the pass, the maps end on the source values', () => {
    const withScales = fc.tuple(attentionParams, fc.integer({ min: 1, max: 3 })).map(([p, operandScale]) => buildAttention({ ...p, operandScale }));
    let runs = 0;
    let fused = 0;
    let atSource = 0;
    let intoProjections = 0;
    fc.assert(fc.property(withScales, (c) => {
      runs++;
      const fusedGraph = runPipeline(c.graph, withPass, { verifyEach: true }).graph;
      const alone = runPipeline(runPipeline(c.graph, SIMPLIFY_PIPELINE).graph, [pass, dce], { verifyEach: true }).graph;
      const kinds = fusedGraph.nodes.map((n) => n.op.kind);
      if (kinds.includes('attention')) fused++;
      // q and k reach the attention op without a copy in between: no map reads a moved value for it, no expand is left
      // (K repeated to a head count, read as [..., 1, S] when D = 1, is a reshape the pass does not read through: not counted)
      const producer = new Map(fusedGraph.nodes.flatMap((n) => n.outputs.map((o) => [o.id, n] as const)));
      const attn = fusedGraph.nodes.find((n) => n.op.kind === 'attention');
      const moved = (id: number) => ['transpose', 'expand', 'reshape'].includes(producer.get(id)?.op.kind ?? '');
      const copies = attn ? attn.inputs.slice(0, 2).filter((i) => producer.get(i)?.op.kind === 'map' && moved(producer.get(i)!.inputs[0]!)) : [];
      if (attn && copies.length === 0 && !kinds.includes('expand')) atSource++;
      if (c.desc.includes('projected') && !kinds.includes('map')) intoProjections++;
      try {
        expectRewritesExact(c.graph, [fusedGraph, alone], c.feeds);
      } catch (e) {
        throw new Error(`${c.desc}: ${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}\n--- rewritten ---\n${printGraph(fusedGraph)}`);
      }
    }), { numRuns: 200, seed: 523 });
    console.log(`[recognize-attention] operand scales: ${runs} graphs, ${fused} fused, ${atSource} with the scales on the source values, ${intoProjections} in projection epilogues`);
    expect(fused).toBeGreaterThan(runs * 0.9);
    expect(atSource).toBeGreaterThan(runs * 0.9);
    expect(intoProjections).toBeGreaterThan(runs * 0.05);
  }, 120_000);

  it('the row guard on the probabilities (ONNX Attention\'s body): same bits, all fused', () => {
    const guarded = attentionParams.map((p) => buildAttention({ ...p, mask: 1, guard: true, guardOnProbs: true }));
    let runs = 0;
    let fused = 0;
    fc.assert(fc.property(guarded, (c) => {
      runs++;
      const fusedGraph = runPipeline(c.graph, withPass, { verifyEach: true }).graph;
      const alone = runPipeline(runPipeline(c.graph, SIMPLIFY_PIPELINE).graph, [pass, dce], { verifyEach: true }).graph;
      const text = printGraph(fusedGraph);
      if (text.includes('= attention')) fused++;
      try {
        expectRewritesExact(c.graph, [fusedGraph, alone], c.feeds);
      } catch (e) {
        throw new Error(`${c.desc}: ${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}\n--- rewritten ---\n${text}`);
      }
    }), { numRuns: 200, seed: 947 });
    console.log(`[recognize-attention] guard on the probabilities: ${runs} graphs, ${fused} fused`);
    expect(fused).toBe(runs);
  }, 120_000);

  it('random attention graphs: same bits with and without the pass; the pass fires', () => {
    let runs = 0;
    let fused = 0;
    fc.assert(fc.property(attentionCase, (c) => {
      runs++;
      const want = tryInterpret(c.graph, c.feeds)!;
      const without = runPipeline(c.graph, withoutPass, { verifyEach: true }).graph;
      const fusedGraph = runPipeline(c.graph, withPass, { verifyEach: true }).graph;
      const simplified = runPipeline(c.graph, SIMPLIFY_PIPELINE).graph;
      const alone = runPipeline(simplified, [pass, dce], { verifyEach: true }).graph;
      if (printGraph(fusedGraph).includes('= attention')) fused++;
      for (const g of [without, fusedGraph, alone]) {
        try {
          expectSameResults(want, tryInterpret(g, c.feeds)!);
        } catch (e) {
          throw new Error(`${c.desc}: ${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}\n--- rewritten ---\n${printGraph(g)}`);
        }
      }
    }), { numRuns: 200, seed: 311 });
    console.log(`[recognize-attention] differential: ${runs} random attention graphs, ${fused} fused`);
    expect(fused).toBeGreaterThan(runs * 0.9);
  }, 120_000);
});
