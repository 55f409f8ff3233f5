// Passes: golden before/after IR text per pass, and properties on random well-typed graphs: the verifier
// accepts them, print -> parse -> print is the identity, and every pass (and the pipeline) preserves the
// interpreter's results bit for bit.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, PASSES, SIMPLIFY_PIPELINE, arg, bin, interpret, lit, parseGraph, printGraph, runPipeline, tensorType, verify,
  type Graph, type RuntimeValue, OP_KINDS, regionsOf,
} from '../src/index.js';
import { randomCase } from './arbitraries.js';

function sameResults(a: Record<string, RuntimeValue>, b: Record<string, RuntimeValue>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    const x = a[k] as HostTensor;
    const y = b[k] as HostTensor;
    expect(y.dtype).toBe(x.dtype);
    expect(y.shape).toEqual(x.shape);
    expect(Array.from(y.data as ArrayLike<unknown>)).toEqual(Array.from(x.data as ArrayLike<unknown>));
  }
}

describe('random graphs', () => {
  it('cover every op kind', () => {
    const seen = new Set<string>();
    const walk = (nodes: readonly { op: { kind: string } }[]) => {
      for (const n of nodes) {
        seen.add(n.op.kind);
        for (const r of regionsOf(n.op as never)) walk(r.nodes);
      }
    };
    for (const c of fc.sample(randomCase, { numRuns: 400, seed: 1 })) walk(c.graph.nodes);
    expect(OP_KINDS.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('verify, and print -> parse -> print is the identity', () => {
    fc.assert(fc.property(randomCase, (c) => {
      verify(c.graph);
      const text = printGraph(c.graph);
      expect(printGraph(parseGraph(text))).toBe(text);
    }), { numRuns: 200, seed: 21 });
  });

  // Passes marked inexact change float rounding; fusion-passes.test.ts checks them node by node with a tolerance.
  it('every exact pass and the simplify pipeline preserve interpreter results', () => {
    const exact = (ps: readonly (typeof PASSES)[number][]) => ps.filter((x) => !x.inexact);
    fc.assert(fc.property(randomCase, (c) => {
      const want = interpret(c.graph, c.feeds);
      for (const p of [...exact(PASSES).map((x) => [x]), SIMPLIFY_PIPELINE, exact(OPTIMIZE_PIPELINE)]) {
        const { graph } = runPipeline(c.graph, p, { verifyEach: true });
        sameResults(want, interpret(graph, c.feeds));
      }
    }), { numRuns: 150, seed: 22 });
  });
});

function goldenPass(name: string, g: Graph): { before: string; after: string } {
  const pass = PASSES.find((p) => p.name === name)!;
  const { graph } = runPipeline(g, [pass], { verifyEach: true });
  return { before: printGraph(g), after: printGraph(graph) };
}

describe('pass goldens', () => {
  const f32 = (...s: number[]) => tensorType('float32', s);
  it('dce removes unused chains', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2));
    const dead = b.map(bin('mul', arg(0), lit(3, 'float32')), [x]);
    b.map(bin('add', arg(0), arg(0)), [dead]);
    b.output('y', b.map(bin('add', arg(0), lit(1, 'float32')), [x]));
    const r = goldenPass('dce', b.build());
    await expect(`${r.before}--- after dce ---\n${r.after}`).toMatchFileSnapshot('golden/pass-dce.ir');
  });
  it('cse merges identical nodes and constants', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2));
    const c1 = b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(2) });
    const c2 = b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(2) });
    const a = b.map(bin('mul', arg(0), arg(1)), [x, c1]);
    const a2 = b.map(bin('mul', arg(0), arg(1)), [x, c2]);
    b.output('y', b.map(bin('add', arg(0), arg(1)), [a, a2]));
    const r = goldenPass('cse', b.build());
    await expect(`${r.before}--- after cse ---\n${r.after}`).toMatchFileSnapshot('golden/pass-cse.ir');
  });
  it('constfold evaluates constant subgraphs and static shape_of', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const c = b.constant({ dtype: 'float32', shape: [3], data: Float64Array.of(1, 2, 3) });
    const c2 = b.map(bin('mul', arg(0), lit(10, 'float32')), [c]);
    const s = b.add1({ kind: 'shape_of', start: 0, end: 2 }, [x]);
    b.output('y', b.map(bin('add', arg(0), arg(1)), [x, c2]));
    b.output('shape', s);
    const r = goldenPass('constfold', b.build());
    await expect(`${r.before}--- after constfold ---\n${r.after}`).toMatchFileSnapshot('golden/pass-constfold.ir');
  });
  it('fuse-epilogue folds bias, ReLU and a residual into the contraction', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const w = b.input('w', f32(3, 4));
    const bias = b.input('bias', f32(4));
    const res = b.input('res', f32(2, 4));
    const y = b.matmul(x, w);
    const yb = b.map(bin('add', arg(0), arg(1)), [y, bias]);
    const yr = b.map(bin('max', arg(0), lit(0, 'float32')), [yb]);
    b.output('out', b.map(bin('add', arg(0), arg(1)), [yr, res]));
    const r = goldenPass('fuse-epilogue', b.build());
    expect(r.after.match(/= contract/g)?.length).toBe(1);
    expect(r.after).not.toContain('= map');
    await expect(`${r.before}--- after fuse-epilogue ---\n${r.after}`).toMatchFileSnapshot('golden/pass-fuse-epilogue.ir');
  });

  it('canonicalize applies its identities', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', f32(2, 3));
    const one = b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(1) });
    const m = b.map(bin('mul', arg(0), arg(1)), [x, one]);
    const t1 = b.add1({ kind: 'transpose', perm: [1, 0] }, [m]);
    const t2 = b.add1({ kind: 'transpose', perm: [1, 0] }, [t1]);
    const r1 = b.add1({ kind: 'reshape' }, [t2], [f32(6)]);
    const r2 = b.add1({ kind: 'reshape' }, [r1], [f32(3, 2)]);
    b.output('y', r2);
    const r = goldenPass('canonicalize', b.build());
    await expect(`${r.before}--- after canonicalize ---\n${r.after}`).toMatchFileSnapshot('golden/pass-canonicalize.ir');
  });
});
