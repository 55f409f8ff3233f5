// Optimization inside regions (passes/in-regions.ts): every registered pass also rewrites If branches, Loop and
// Scan (and experts) bodies, nested ones too. Checked here: the wrapper's identity rules, outer constants seen by
// folds in two sibling branches (fresh ids stay unique), results that pass a param, an outer value or an outer
// constant through, constant folding in a body, symbolic dims, an experts body, rewrites the wrapper must
// refuse, a golden before/after, and the differential property on random
// region programs (region-arbitraries.ts): the exact passes give bit-identical interpreter results, the whole
// pipeline agrees within tolerance on continuous programs, and most cases really fuse inside the bodies.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Graph, GraphBuilder, type HostTensor, type Node, OPTIMIZE_PIPELINE, NO_FUSE_PIPELINE, type Pass, PASSES, type PassReport, SIMPLIFY_PIPELINE,
  arg, bin, cast, interpret, lit, nextFreeId, passByName, printGraph, regionsOf, runPipeline, tensorType, un, verify,
} from '../src/index.js';
import { inRegions } from '../src/passes/in-regions.js';
import { expectClose, expectSameResults, tryInterpret } from './differential-helpers.js';
import { type RegionCase, continuousRegionCase, regionCase, regionNodeCount } from './region-arbitraries.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const I64 = tensorType('int64', []);
const BOOL = tensorType('bool', []);
const vec = (shape: number[], seed: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.cos(i * 1.3 + seed))),
});
const refused = (reports: readonly PassReport[]) => reports.filter((r) => r.counters['regionRewritesRefused']).map((r) => r.pass);
const allNodes = (nodes: readonly Node[]): Node[] => nodes.flatMap((n) => [n, ...regionsOf(n.op).flatMap((r) => allNodes(r.nodes))]);

describe('inRegions', () => {
  it('wraps each pass once; dce and cse walk regions themselves; the registry and pipelines share the wrapped objects', () => {
    const fe = passByName('fuse-elementwise')!;
    expect(inRegions(fe)).toBe(fe);
    expect(PASSES.find((p) => p.name === 'dce')!.run).toBe(OPTIMIZE_PIPELINE.find((p) => p.name === 'dce')!.run);
    for (const p of [...OPTIMIZE_PIPELINE, ...SIMPLIFY_PIPELINE, ...NO_FUSE_PIPELINE]) expect(passByName(p.name), p.name).toBe(p);
    expect(passByName('fold-affine')!.inexact).toBe(true);
  });

  it('folds outer constant weights into the contractions of both If branches (BatchNorm after matmul + bias), with fresh ids unique', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(3, 4));
    const c = b.input('c', BOOL);
    const w = b.constant(vec([4, 2], 1));
    const bias = b.constant(vec([2], 2));
    const [scale, shift] = [b.constant(vec([2], 3)), b.constant(vec([2], 4))];
    const branch = (k: number) => b.region([], () => {
      const y = b.map(bin('add', arg(0), arg(1)), [b.matmul(x, w), bias]);
      const bn = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [y, scale, shift]);
      return [b.map(k ? bin('max', arg(0), lit(0, 'float32')) : un('tanh', arg(0)), [bn])];
    });
    const [o] = b.add({ kind: 'if', thenBranch: branch(0), elseBranch: branch(1) }, [c]);
    b.output('y', b.map(bin('mul', arg(0), lit(2, 'float32')), [o!]));
    const g = b.build();
    const { graph, reports } = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    expect(reports.filter((r) => r.pass === 'fold-affine').reduce((s, r) => s + (r.counters['folded'] ?? 0), 0)).toBe(2);
    const ifNode = graph.nodes.find((n) => n.op.kind === 'if')!;
    for (const r of regionsOf(ifNode.op)) expect(r.nodes.filter((n) => n.op.kind !== 'constant').map((n) => n.op.kind)).toEqual(['contract']);
    expect(graph.nodes.filter((n) => n.op.kind === 'constant')).toHaveLength(0); // the outer weights went into the branches
    for (const flag of [0, 1]) {
      const feeds = { x: vec([3, 4], 5), c: { dtype: 'bool' as const, shape: [], data: Float64Array.of(flag) } };
      expectClose(interpret(g, feeds)['y'] as HostTensor, interpret(graph, feeds)['y'] as HostTensor, `flag ${flag}`);
    }
  });

  it('keeps results that pass through a param, an outer value and an outer constant; fuses the rest of the body', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const k = b.constant(vec([2, 3], 7));
    const body = b.region([I64, BOOL, f32(2, 3), f32(2, 3)], ([, c, h, keep]) => {
      const h1 = b.map(bin('add', arg(0), arg(1)), [b.map(un('tanh', arg(0)), [h!]), b.map(bin('mul', arg(0), arg(1)), [x, k])]);
      return [c!, h1, keep!, x, k];
    });
    const trip = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(3n) });
    const outs = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trip, x, x], [f32(2, 3), f32(2, 3), f32(3, 2, 3), f32(3, 2, 3)]);
    outs.forEach((id, i) => b.output(`o${i}`, id));
    const g = b.build();
    const { graph, reports } = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    const loop = graph.nodes.find((n) => n.op.kind === 'loop')!;
    const r = regionsOf(loop.op)[0]!;
    expect(r.nodes.map((n) => n.op.kind)).toEqual(['map']);
    expect(r.results.slice(2)).toEqual([r.params[3]!.id, x, k]);
    const feeds = { x: vec([2, 3], 8) };
    expectSameResults(interpret(g, feeds), interpret(graph, feeds));
  });

  it('folds constants in a body (constfold did not reach regions): outer-constant arithmetic and shape_of of a static param', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const [k1, k2] = [b.constant(vec([3], 1)), b.constant(vec([3], 2))];
    const body = b.region([I64, BOOL, f32(2, 3)], ([, c, h]) => {
      const k = b.map(bin('mul', arg(0), arg(1)), [k1, k2]); // constant, recomputed every iteration unless folded
      const n = b.map(cast('float32', arg(0)), [b.add1({ kind: 'shape_of', start: 1, end: 2 }, [h!])]);
      return [c!, b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [h!, k, n])];
    });
    const trip = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(2n) });
    const [o] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trip, x], [f32(2, 3)]);
    b.output('y', o!);
    const g = b.build();
    const { graph, reports } = runPipeline(g, SIMPLIFY_PIPELINE, { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    expect(reports.filter((r) => r.pass === 'constfold').reduce((s, r) => s + (r.counters['folded'] ?? 0), 0)).toBe(3);
    const r = regionsOf(graph.nodes.find((n) => n.op.kind === 'loop')!.op)[0]!;
    expect(r.nodes.filter((n) => n.op.kind !== 'constant').map((n) => n.op.kind)).toEqual(['map']);
    const feeds = { x: vec([2, 3], 4) };
    expectSameResults(interpret(g, feeds), interpret(graph, feeds));
  });

  it('keeps symbolic dims of carried values and scan slices (a batch N bound at run time)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', ['N', 4]));
    const xs = b.input('xs', tensorType('float32', ['T', 'N', 4]));
    const w = b.constant(vec([4, 4], 3));
    const bias = b.constant(vec([4], 4));
    const step = (h: number, add: number) => b.map(bin('max', arg(0), lit(0, 'float32')), [b.map(bin('add', arg(0), arg(1)), [b.map(bin('add', arg(0), arg(1)), [b.matmul(h, w), bias]), add])]);
    const body = b.region([tensorType('float32', ['N', 4]), tensorType('float32', ['N', 4])], ([h, row]) => {
      const next = step(h!, row!);
      return [next, b.map(un('tanh', arg(0)), [b.map(bin('mul', arg(0), lit(0.5, 'float32')), [next])])];
    });
    const [fin, ys] = b.add({ kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [false], body },
      [x, xs], [tensorType('float32', ['N', 4]), tensorType('float32', ['T', 'N', 4])]);
    b.output('fin', fin!);
    b.output('ys', ys!);
    const g = b.build();
    const { graph, reports } = runPipeline(g, OPTIMIZE_PIPELINE.filter((p) => !p.inexact), { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    expect(regionNodeCount(graph)).toBe(2); // relu(h @ W + b + row) as one contraction, tanh(0.5 * next) as one map
    for (const [n, t] of [[1, 2], [3, 4]] as const) {
      const feeds = { x: vec([n, 4], n), xs: vec([t, n, 4], t) };
      expectSameResults(interpret(g, feeds), interpret(graph, feeds));
    }
  });

  it('fuses the body of routed experts (matmul + outer bias + ReLU per expert), results unchanged', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(5, 4));
    const scores = b.matmul(x, b.constant(vec([4, 3], 1)));
    const we = b.constant(vec([3, 4, 2], 2));
    const bias = b.constant(vec([2], 3));
    const body = b.region([tensorType('float32', ['t', 4]), f32(4, 2)], ([xs, w]) =>
      [b.map(bin('max', arg(0), lit(0, 'float32')), [b.map(bin('add', arg(0), arg(1)), [b.matmul(xs!, w!), bias])])]);
    b.output('y', b.add1({ kind: 'experts', numExperts: 3, topK: 2, gate: 'softmax_topk', body }, [x, scores, we]));
    const g = b.build();
    const { graph, reports } = runPipeline(g, OPTIMIZE_PIPELINE.filter((p) => !p.inexact), { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    expect(regionNodeCount(graph)).toBe(1);
    const feeds = { x: vec([5, 4], 4) };
    expectSameResults(interpret(g, feeds), interpret(graph, feeds));
  });

  it('renumbers ids a pass makes in a body (they would collide with values after the region)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2));
    const body = b.region([], () => [b.map(un('neg', arg(0)), [x])]);
    const [o] = b.add({ kind: 'if', thenBranch: body, elseBranch: b.region([], () => [x]) }, [b.input('c', BOOL)]);
    let v = o!;
    for (let i = 0; i < 5; i++) v = b.map(un('abs', arg(0)), [v]); // ids after the If
    b.output('y', v);
    const g = b.build();
    // Adds a copy node in front of each graph output, with an id from the graph it sees.
    const copyOut: Pass = {
      name: 'copy-outputs', description: 'test: route outputs through a fresh map',
      run: (h) => {
        let next = nextFreeId(h);
        const nodes = h.outputs.map((out) => ({ op: { kind: 'map' as const, expr: arg(0) }, inputs: [out.value], outputs: [{ id: next++, type: typeOf(h, out.value) }] }));
        return { ...h, nodes: [...h.nodes, ...nodes], outputs: h.outputs.map((out, i) => ({ ...out, value: nodes[i]!.outputs[0]!.id })) };
      },
    };
    const { graph, reports } = runPipeline(g, [inRegions(copyOut)], { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    verify(graph);
    const ids = allNodes(graph.nodes).flatMap((n) => n.outputs.map((o2) => o2.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids.filter((id) => !allNodes(g.nodes).some((n) => n.outputs.some((o2) => o2.id === id))))).toBeGreaterThanOrEqual(nextFreeId(g));
  });

  it('refuses body rewrites that change the view inputs, rewrite an outer constant, or leave the body invalid', () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2));
    const k = b.constant(vec([2], 1));
    const body = () => b.region([], () => [b.map(bin('add', arg(0), arg(1)), [x, k])]);
    const [o] = b.add({ kind: 'if', thenBranch: body(), elseBranch: body() }, [b.input('c', BOOL)]);
    b.output('y', o!);
    const g = b.build();
    const regionOnly = (f: (h: Graph) => Graph): Pass => ({ name: 'bad', description: 'test', run: (h) => (h.inputs.some((i) => i.name === 'x') ? h : f(h)) });
    const bad: ((h: Graph) => Graph)[] = [
      (h) => ({ ...h, inputs: h.inputs.slice(1) }),
      (h) => ({ ...h, nodes: h.nodes.map((n) => (n.op.kind === 'constant' ? { ...n, op: { kind: 'constant' as const, value: vec([2], 9) } } : n)) }),
      (h) => ({ ...h, nodes: h.nodes.filter((n) => n.op.kind !== 'constant') }),
    ];
    for (const f of bad) {
      const { graph, reports } = runPipeline(g, [inRegions(regionOnly(f))], { verifyEach: true });
      expect(reports[0]!.counters['regionRewritesRefused']).toBe(2);
      expect(printGraph(graph)).toBe(printGraph(g));
    }
  });
});

function typeOf(g: Graph, id: number) {
  return g.inputs.find((i) => i.value.id === id)?.value.type ?? allNodes(g.nodes).flatMap((n) => n.outputs).find((o) => o.id === id)!.type;
}

describe('region golden', () => {
  it('OPTIMIZE_PIPELINE fuses a Loop body (matmul + bias + ReLU with outer weights) and the If nested in it', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 4));
    const w = b.constant(vec([4, 4], 1));
    const bias = b.constant(vec([4], 2));
    const body = b.region([I64, BOOL, f32(2, 4)], ([i, c, h]) => {
      const h1 = b.map(bin('max', arg(0), lit(0, 'float32')), [b.map(bin('add', arg(0), arg(1)), [b.matmul(h!, w), bias])]);
      const even = b.map(bin('eq', bin('mod', arg(0), lit(2n, 'int64')), lit(0n, 'int64')), [i!]);
      const thenBranch = b.region([], () => [b.map(bin('sub', arg(0), lit(1, 'float32')), [b.map(un('exp', arg(0)), [h1])])]);
      const elseBranch = b.region([], () => {
        const sq = b.map(bin('mul', arg(0), arg(0)), [h1]);
        return [b.map(bin('mul', arg(0), arg(1)), [h1, b.add1({ kind: 'reduce', reducer: 'add', axes: [1], keepDims: true }, [sq])])];
      });
      const [s] = b.add({ kind: 'if', thenBranch, elseBranch }, [even]);
      return [c!, h1, s!];
    });
    const trip = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(3n) });
    const [last, all] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trip, x], [f32(2, 4), f32(3, 2, 4)]);
    b.output('last', last!);
    b.output('all', all!);
    const g = b.build();
    const { graph, reports } = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true });
    expect(refused(reports)).toEqual([]);
    expect(regionNodeCount(graph)).toBe(6); // body: contract, parity map, if; then: one map; else: sum of squares, scale
    const feeds = { x: vec([2, 4], 3) };
    expectSameResults(interpret(g, feeds), interpret(graph, feeds));
    await expect(`${printGraph(g)}--- after OPTIMIZE_PIPELINE ---\n${printGraph(graph)}`).toMatchFileSnapshot('golden/pass-in-regions.ir');
  });
});

/** Region programs through `pipeline`, each with verifyEach; returns the cases evaluated and how many fused inside a body. */
function differential(arb: fc.Arbitrary<RegionCase>, pipeline: readonly Pass[], compare: (want: Record<string, unknown>, got: Record<string, unknown>) => void, runs: number, seed: number) {
  let evaluated = 0;
  let fused = 0;
  const kinds = new Map<string, number>();
  fc.assert(fc.property(arb, (c) => {
    const want = tryInterpret(c.graph, c.feeds);
    const { graph, reports } = runPipeline(c.graph, pipeline, { verifyEach: true });
    try {
      expect(refused(reports)).toEqual([]);
      if (!want) return;
      const got = tryInterpret(graph, c.feeds);
      expect(got).toBeDefined();
      compare(want, got!);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${printGraph(c.graph)}\n--- optimized ---\n${printGraph(graph)}`);
    }
    evaluated++;
    // What the pipeline did before bodies were optimized: dce and cse only.
    const baseline = runPipeline(c.graph, [passByName('cse')!, passByName('dce')!]).graph;
    if (regionNodeCount(graph) < regionNodeCount(baseline)) { fused++; kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1); }
  }), { numRuns: runs, seed });
  return { evaluated, fused, kinds };
}

describe('optimizing region bodies preserves meaning on random If / Loop / Scan programs', () => {
  it('the exact passes of OPTIMIZE_PIPELINE: bit-identical results, and most bodies fuse', () => {
    const exact = OPTIMIZE_PIPELINE.filter((p) => !p.inexact);
    const runs = 160;
    const r = differential(regionCase, exact, (w, g) => expectSameResults(w as never, g as never), runs, 501);
    console.log(`[in-regions exact] ${runs} region programs, ${r.evaluated} evaluated, ${r.fused} fused inside a body (${JSON.stringify(Object.fromEntries(r.kinds))})`);
    expect(r.evaluated).toBeGreaterThan(runs * 0.8);
    expect(r.fused).toBeGreaterThan(r.evaluated * 0.6);
    for (const k of ['if', 'loop', 'scan', 'nested']) expect(r.kinds.get(k) ?? 0, k).toBeGreaterThan(5);
  }, 300_000);

  it('the whole OPTIMIZE_PIPELINE (inexact folds included) on continuous programs: within tolerance', () => {
    const runs = 100;
    const r = differential(continuousRegionCase, OPTIMIZE_PIPELINE, (w, g) => {
      for (const k of Object.keys(w)) expectClose(w[k] as HostTensor, g[k] as HostTensor, k);
    }, runs, 502);
    console.log(`[in-regions full] ${runs} continuous region programs, ${r.evaluated} evaluated, ${r.fused} fused inside a body`);
    expect(r.evaluated).toBeGreaterThan(runs * 0.8);
    expect(r.fused).toBeGreaterThan(r.evaluated * 0.6);
  }, 300_000);
});
