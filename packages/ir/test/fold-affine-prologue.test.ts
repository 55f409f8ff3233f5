// fold-affine-prologue: golden before/after IR text (BatchNorm before a Gemm with bias and ReLU; before
// convolutions, folded or refused with the reason counted), and the differential property on random prologue
// graphs: the pipeline with and without the pass agree within rounding (each rewritten node, and the outputs),
// the pass folds exactly the cases it should (the map disappears) and refuses the others with the right reason.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type PassReport, SIMPLIFY_PIPELINE, arg, bin, interpret, lit, passByName, printGraph,
  runPipeline, tensorType, un,
} from '../src/index.js';
import { randomCase } from './arbitraries.js';
import { expectClose, expectLocallyClose, tryInterpret } from './differential-helpers.js';
import { fusionCase } from './fusion-arbitraries.js';
import { type Outcome, type PrologueCase, prologueCase } from './prologue-arbitraries.js';

const pass = passByName('fold-affine-prologue')!;
const f32 = (...s: number[]) => tensorType('float32', s);
const tensor = (shape: number[], v: (i: number) => number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(v(i))) });
const vec = (...v: number[]) => tensor([v.length], (i) => v[i]!);

function golden(names: readonly string[], g: Graph): { text: string; after: Graph; counters: Record<string, number> } {
  const { graph, reports } = runPipeline(g, names.map((n) => passByName(n)!), { verifyEach: true });
  return { text: `${printGraph(g)}--- after ${names.join(', ')} ---\n${printGraph(graph)}`, after: graph, counters: reports[0]!.counters };
}

/** BatchNormalization as the frontend imports it: (x - mean) / sqrt(var + eps) * scale + bias. */
function batchNorm(b: GraphBuilder, x: number, shape: number[], k: number): number {
  const c = (lo: number, hi: number, s: number) => b.constant(tensor(shape, (i) => lo + ((Math.sin(i * 1.3 + s + k) + 1) / 2) * (hi - lo)));
  const expr = bin('add', bin('mul', bin('div', bin('sub', arg(0), arg(3)), un('sqrt', bin('add', arg(4), lit(1e-5, 'float32')))), arg(1)), arg(2));
  return b.map(expr, [x, c(0.5, 1.5, 1), c(-0.5, 0.5, 2), c(-0.5, 0.5, 3), c(0.5, 2, 4)]);
}

function expectOutputsClose(g: Graph, h: Graph, feeds: Record<string, HostTensor>): void {
  const want = interpret(g, feeds);
  const got = interpret(h, feeds);
  for (const k of Object.keys(want)) expectClose(want[k] as HostTensor, got[k] as HostTensor, k);
}

describe('fold-affine-prologue goldens', () => {
  it('folds BatchNorm1d before a Gemm (transposed weights) into its weights and bias, keeping the ReLU', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const w = b.constant(tensor([2, 3], (i) => [1, -2, 0.5, 0.25, 3, -1][i]!));
    const y = b.einsum('ik,jk->ij', [batchNorm(b, x, [3], 0), w]);
    b.output('y', b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant(vec(0.5, -0.5))]));
    const g = b.build();
    const fused = runPipeline(g, ['fuse-epilogue'].map((n) => passByName(n)!)).graph;
    const { text, after, counters } = golden(['fold-affine-prologue', 'dce'], fused);
    expect(counters).toEqual({ folded: 1, 'maps-removed': 1 });
    expect(after.nodes.filter((n) => n.op.kind === 'map')).toHaveLength(0);
    expect(text.split('--- after')[1]).toContain('epilogue=max(add(acc, a2), 0:f32)'); // b' = b + shiftᵀW, one add
    expectOutputsClose(g, after, { x: tensor([2, 3], (i) => Math.cos(i * 0.7) * 2) });
    await expect(text).toMatchFileSnapshot('golden/pass-fold-affine-prologue.ir');
  });

  it('convolutions: 1x1 folds scale and shift; 3x3 padded folds a scale, a scalar normalization (pad value moved), refuses a per-channel shift and a shared map', async () => {
    const b = new GraphBuilder();
    const w = (k: number, s: number) => b.constant(tensor([1, 2, k, k], (i) => Math.round(Math.cos(i * 1.1 + s) * 8) / 8));
    const conv = (x: number, k: number, pad: number, s: number) => b.conv({ x, w: w(k, s), strides: [1, 1], dilations: [1, 1], pads: [pad, pad, pad, pad], group: 1 });
    const per = (...v: number[]) => b.constant(tensor([2, 1, 1], (i) => v[i]!));
    const xs = [1, 2, 3, 4, 5].map((i) => b.input(`x${i}`, f32(1, 2, 3, 3)));
    b.output('bn_1x1', conv(batchNorm(b, xs[0]!, [2, 1, 1], 0), 1, 0, 0));
    b.output('scale_3x3_pad1', conv(b.map(bin('mul', arg(0), arg(1)), [xs[1]!, per(2, -0.5)]), 3, 1, 1));
    b.output('scalar_3x3_pad1', conv(b.map(bin('mul', bin('sub', arg(0), lit(0.5, 'float32')), lit(4, 'float32')), [xs[2]!]), 3, 1, 2));
    b.output('bn_3x3_pad1', conv(batchNorm(b, xs[3]!, [2, 1, 1], 1), 3, 1, 3)); // refused: padded positions would be shifted
    const shared = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [xs[4]!, per(2, 3), per(1, -1)]);
    b.output('shared_1x1', conv(shared, 1, 0, 4));
    b.output('shared', shared); // refused: the map is computed anyway
    const g = b.build();
    const { text, after, counters } = golden(['fold-affine-prologue', 'dce'], g);
    expect(counters).toEqual({ folded: 3, 'maps-removed': 3, 'refused-padded-shift': 1, 'refused-other-use': 1 });
    expect(after.nodes.filter((n) => n.op.kind === 'map')).toHaveLength(2);
    expect(text.split('--- after')[1]).toContain('padValues=[0.5, _, _]');
    const feeds = Object.fromEntries(xs.map((_, i) => [`x${i + 1}`, tensor([1, 2, 3, 3], (k) => Math.sin(k * 0.9 + i))]));
    expectOutputsClose(g, after, feeds);
    await expect(text).toMatchFileSnapshot('golden/pass-fold-affine-prologue-conv.ir');
  });
});

describe('fold-affine-prologue limits', () => {
  const sumOverBatch = (batch: number | string) => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [batch, 3]));
    const y = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [x, b.constant(vec(2, 0.5, -1)), b.constant(vec(1, -2, 0.25))]);
    b.output('y', b.einsum('nc,c->', [y, b.constant(vec(0.5, 1, -2))])); // the shift is summed once per row
    return b.build();
  };
  it('a shift summed over a reduction the weights do not index: folded with its extent when static, refused when symbolic', () => {
    const feeds = { x: tensor([4, 3], (i) => Math.sin(i)) };
    const stat = golden(['fold-affine-prologue'], sumOverBatch(4));
    expect(stat.counters).toEqual({ folded: 1, 'maps-removed': 1 });
    expectOutputsClose(sumOverBatch(4), stat.after, feeds);
    const sym = golden(['fold-affine-prologue'], sumOverBatch('N'));
    expect(sym.counters).toEqual({ 'refused-dynamic-shape': 1 });
  });

  it('an integer scale and shift is refused by dtype', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('int32', [2, 3]));
    const c = (...v: number[]) => b.constant({ dtype: 'int32', shape: [v.length], data: Float64Array.from(v) });
    const y = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [x, c(2, 3, 4), c(1, 0, -1)]);
    b.output('y', b.add1({ kind: 'contract', reductionExtents: [3], maps: [[{ terms: [{ idx: 0, coeff: 1 }], offset: 0 }, { terms: [{ idx: 2, coeff: 1 }], offset: 0 }], [{ terms: [{ idx: 2, coeff: 1 }], offset: 0 }, { terms: [{ idx: 1, coeff: 1 }], offset: 0 }]],
      padValues: [null, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'int32', epilogue: null }, [y, b.constant({ dtype: 'int32', shape: [3, 2], data: Float64Array.of(1, 2, 3, 4, 5, 6) })], [tensorType('int32', [2, 2])]));
    expect(golden(['fold-affine-prologue'], b.build()).counters).toEqual({ 'refused-dtype': 1 });
  });
});

/** What the pass did in a pipeline run: folded, the refusal it counted, or nothing. */
function outcomeOf(reports: readonly PassReport[]): { outcome: Outcome | 'none'; folded: number } {
  const c = reports.find((r) => r.pass === pass.name)!.counters;
  if (c['folded']) return { outcome: 'folded', folded: c['folded'] };
  const refusals = Object.keys(c).filter((k) => k.startsWith('refused-'));
  return { outcome: (refusals[0] as Outcome | undefined) ?? 'none', folded: 0 };
}

/** Pipelines with and without the pass; the pass alone after SIMPLIFY. Returns the outcome and rewritten nodes checked. */
function differential(c: { graph: Graph; feeds: Record<string, HostTensor> }): { outcome: Outcome | 'none'; folded: number; checked: number; withPass: Graph } {
  const without = runPipeline(c.graph, OPTIMIZE_PIPELINE.filter((p) => p !== pass), { verifyEach: true }).graph;
  const run = runPipeline(c.graph, OPTIMIZE_PIPELINE, { verifyEach: true });
  const simplified = runPipeline(c.graph, SIMPLIFY_PIPELINE).graph;
  const alone = runPipeline(simplified, [pass], { verifyEach: true }).graph;
  const checked = expectLocallyClose(without, run.graph, c.feeds, c.graph) + expectLocallyClose(simplified, alone, c.feeds, c.graph);
  return { ...outcomeOf(run.reports), checked, withPass: run.graph };
}

describe('fold-affine-prologue differential', () => {
  it('random scale-and-shift prologues before matmuls and convolutions: folded exactly when it should, results within rounding', () => {
    const seen: Record<string, number> = {};
    let runs = 0;
    let foldedGraphs = 0;
    fc.assert(fc.property(prologueCase, (c: PrologueCase) => {
      runs++;
      try {
        const r = differential(c);
        seen[r.outcome] = (seen[r.outcome] ?? 0) + 1;
        expect(c.expected, c.label).toContain(r.outcome);
        expectOutputsClose(c.graph, r.withPass, c.feeds);
        if (r.outcome === 'folded') {
          foldedGraphs++;
          expect(r.folded, c.label).toBe(c.graph.outputs.some((o) => o.name === 'y2') ? 2 : 1);
          const x = c.graph.inputs[0]!.value.id;
          expect(r.withPass.nodes.some((n) => n.op.kind === 'map' && n.inputs.includes(x)), c.label).toBe(false); // the prologue is gone
          // The rewritten contraction, in the pipeline and alone (the node-by-node check needs static shapes). A
          // depthwise one in the pipeline also takes the epilogue behind its merge reshape and writes a value the
          // original graph never had, which the node-by-node check cannot look up: only the one alone is checked.
          const depthwise = / dw /.test(c.label);
          if (c.graph.inputs[0]!.value.type.kind === 'tensor' && c.graph.inputs[0]!.value.type.shape.every((d) => typeof d === 'number')) expect(r.checked, c.label).toBeGreaterThanOrEqual(depthwise ? 1 : 2);
        }
      } catch (e) {
        throw new Error(`${c.label}\n${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}`);
      }
    }), { numRuns: 400, seed: 505 });
    console.log(`[fold-affine-prologue] differential: ${runs} prologue graphs, ${foldedGraphs} folded; outcomes ${JSON.stringify(seen)}`);
    expect(foldedGraphs).toBeGreaterThan(runs / 2); // the property cannot pass vacuously
    for (const reason of ['refused-layout', 'refused-padded-shift', 'refused-other-use']) expect(seen[reason] ?? 0, reason).toBeGreaterThan(5);
  }, 240_000);

  it('general random graphs: the pass never breaks the pipeline, and what it rewrites stays within rounding', () => {
    let checked = 0;
    const check = (c: { graph: Graph; feeds: Record<string, HostTensor> }) => {
      if (!tryInterpret(c.graph, c.feeds)) return;
      try {
        checked += differential(c).checked;
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}`);
      }
    };
    fc.assert(fc.property(randomCase, check), { numRuns: 60, seed: 506 });
    fc.assert(fc.property(fusionCase, check), { numRuns: 120, seed: 507 });
    console.log(`[fold-affine-prologue] general random graphs: 180, ${checked} rewritten nodes checked`);
  }, 240_000);
});
