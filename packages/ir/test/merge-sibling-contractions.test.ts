// merge-sibling-contractions: a golden before/after IR text for a Q/K/V projection of one input feeding
// attention-style products, and the differential property that random groups of projections of one
// activation (weights stored [E, N] or [N, E], with or without a bias and activation epilogue, read by
// products, by a map or as graph outputs) give bit-identical interpreter results merged or not.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, type ValueId, arg, bin, lit, passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const pass = passByName('merge-sibling-contractions')!;
const PRE = ['canonicalize', 'cse', 'dce', 'fuse-elementwise', 'fuse-epilogue', 'fold-movement-into-contract'].map((n) => passByName(n)!);
const wave = (shape: number[], k: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 0.77 + k))),
});

describe('merge-sibling-contractions golden', () => {
  it('merges the Q, K and V projections of x (bias epilogues) and shifts the products reading them', async () => {
    const [S, E, D] = [3, 4, 2];
    const b = new GraphBuilder();
    const x = b.input('x', f32(S, E));
    const proj = (k: number) => b.map(bin('add', arg(0), arg(1)), [b.matmul(x, b.constant(wave([E, D], k))), b.constant(wave([D], k + 10))]);
    const [q, kk, v] = [proj(1), proj(2), proj(3)];
    const scores = b.einsum('sd,td->st', [q, kk]);
    b.output('y', b.matmul(scores, v));
    const g = b.build();
    const pre = runPipeline(g, PRE, { verifyEach: true }).graph;
    const { graph, reports } = runPipeline(pre, [pass, passByName('dce')!], { verifyEach: true });
    expect(reports[0]!.counters).toEqual({ groups: 1, contractionsMerged: 3 });
    expect(graph.nodes.filter((n) => n.op.kind === 'contract')).toHaveLength(3); // one projection, two products
    expect(printGraph(graph)).toContain('(d1, d2+2)'); // k read at its block's offset
    expect(printGraph(graph)).toContain('(d2, d1+4)'); // and v
    expectRewritesExact(g, [graph], { x: wave([S, E], 0) });
    await expect(`${printGraph(pre)}--- after merge-sibling-contractions, dce ---\n${printGraph(graph)}`).toMatchFileSnapshot('golden/pass-merge-sibling-contractions.ir');
  });
});

/** A random group of projections of one activation and what reads them. */
const groupCase = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  depth: fc.integer({ min: 1, max: 5 }),
  widths: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
  /** Weights stored [E, N] (MatMul) or [N, E] (Linear, Gemm transB); 'mixed' alternates (two groups). */
  layout: fc.constantFrom('kn', 'nk', 'mixed'),
  bias: fc.boolean(),
  /** The same activation on every member, or on the first only (it cannot join). */
  act: fc.constantFrom('none', 'relu', 'first'),
  /** Per member: read by a product with a run-time matrix, by a product with the next member, by a map, or a graph output. */
  readers: fc.array(fc.constantFrom('matmul', 'matmul', 'pair', 'map', 'output'), { minLength: 4, maxLength: 4 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function buildGroup(c: fc.RecordValue<typeof groupCase> extends infer T ? T : never): { graph: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const x = b.input('x', f32(c.rows, c.depth));
  const feeds: Record<string, HostTensor> = { x: wave([c.rows, c.depth], c.seed) };
  const members: ValueId[] = c.widths.map((n, i) => {
    const nk = c.layout === 'nk' || (c.layout === 'mixed' && i % 2 === 1);
    let y = nk ? b.einsum('se,ne->sn', [x, b.constant(wave([n, c.depth], i + 1))]) : b.matmul(x, b.constant(wave([c.depth, n], i + 1)));
    if (c.bias) y = b.map(bin('add', arg(0), arg(1)), [y, b.constant(wave([n], i + 20))]);
    if (c.act === 'relu' || (c.act === 'first' && i === 0)) y = b.map(bin('max', arg(0), lit(0, 'float32')), [y]);
    return y;
  });
  members.forEach((y, i) => {
    const n = c.widths[i]!;
    const r = c.readers[i]!;
    if (r === 'pair' && i + 1 < members.length && c.widths[i + 1] === n) b.output(`o${i}`, b.einsum('sn,tn->st', [y, members[i + 1]!]));
    else if (r === 'map') b.output(`o${i}`, b.map(bin('mul', arg(0), lit(3, 'float32')), [y]));
    else if (r === 'output') b.output(`o${i}`, y);
    else {
      feeds[`r${i}`] = wave([n, 3], i + 40);
      b.output(`o${i}`, b.matmul(y, b.input(`r${i}`, f32(n, 3))));
    }
  });
  return { graph: b.build(), feeds };
}

describe('merge-sibling-contractions differential', () => {
  it('random groups of projections of one activation: same bits merged or not', () => {
    let runs = 0;
    let merged = 0;
    let refusedSome = 0;
    fc.assert(fc.property(groupCase, (c) => {
      const { graph, feeds } = buildGroup(c);
      runs++;
      const pre = runPipeline(graph, PRE, { verifyEach: true }).graph;
      const { graph: after, reports } = runPipeline(pre, [pass, passByName('dce')!], { verifyEach: true });
      const k = reports[0]!.counters.contractionsMerged ?? 0;
      if (k > 0) merged++;
      if (k > 0 && k < c.widths.length) refusedSome++;
      expectRewritesExact(graph, [pre, after], feeds);
    }), { numRuns: 300, seed: 907 });
    expect(merged).toBeGreaterThan(runs / 3); // the property must exercise the merge
    expect(refusedSome).toBeGreaterThan(10); // and groups where some member cannot join
  });
});
