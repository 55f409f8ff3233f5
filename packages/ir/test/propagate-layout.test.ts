// propagate-layout: golden before/after IR text (a Keras-style NHWC model whose boundary transposes cancel
// under 'auto'; an NCHW chain forced to NHWC, with a transpose in and a reshape out), the policy rule's
// decisions, and the differential property: random convolution chains (NCHW or NHWC-transposed inputs,
// convolutions of random geometry, bias/ReLU/scalar/broadcast/residual maps, max pools, channel concats,
// global pools, side outputs, NHWC or flattened ends) give bit-identical interpreter results with the pass under every policy,
// alone and inside the optimization pipeline.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AffineExpr, GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, lit, makePropagateLayoutPass,
  passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (n: number, f: number, s = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f + s)));
const idx = (i: number): AffineExpr => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });
const shapeOf = (b: GraphBuilder, v: ValueId) => b.tensorTypeOf(v).shape as number[];
const policy = (p: 'auto' | 'nchw' | 'nhwc') => makePropagateLayoutPass({ policy: p });
/** A sum over H and W keeping dims (a global pool before its division). */
const sumHW = (b: GraphBuilder, x: ValueId): ValueId => {
  const [n, c] = shapeOf(b, x) as [number, number];
  return b.add1({ kind: 'reduce', reducer: 'add', axes: [2, 3], keepDims: true }, [x], [f32(n, c, 1, 1)]);
};

function maxPool2(b: GraphBuilder, y: ValueId): ValueId {
  const [n, c, h, w] = shapeOf(b, y) as [number, number, number, number];
  const map: AffineExpr[] = [idx(0), idx(1), { terms: [{ idx: 2, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 3, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }];
  return b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null },
    [y], [f32(n, c, Math.floor(h / 2), Math.floor(w / 2))]);
}

function conv(b: GraphBuilder, x: ValueId, m: number, k: number, stride = 1, pad = 1, dil = 1, seed = 0): ValueId {
  const c = shapeOf(b, x)[1]!;
  const w = b.constant({ dtype: 'float32', shape: [m, c, k, k], data: wave(m * c * k * k, 0.7, seed) });
  return b.conv({ x, w, strides: [stride, stride], dilations: [dil, dil], pads: [pad, pad, pad, pad], group: 1 });
}

/** A depthwise convolution (one group per channel), as imported: a grouped contraction and the reshape merging its groups. */
function depthwise(b: GraphBuilder, x: ValueId, k: number, stride = 1, pad = 1, dil = 1, seed = 0): ValueId {
  const c = shapeOf(b, x)[1]!;
  const w = b.constant({ dtype: 'float32', shape: [c, 1, k, k], data: wave(c * k * k, 0.53, seed) });
  return b.conv({ x, w, strides: [stride, stride], dilations: [dil, dil], pads: [pad, pad, pad, pad], group: c });
}

const biasRelu = (b: GraphBuilder, y: ValueId) => {
  const m = shapeOf(b, y)[1]!;
  return b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, b.constant({ dtype: 'float32', shape: [m, 1, 1], data: wave(m, 0.9, 1) })]);
};

function goldenText(g: Graph, p: 'auto' | 'nhwc'): string {
  const { graph } = runPipeline(g, [policy(p), passByName('dce')!], { verifyEach: true });
  return `${printGraph(g)}--- after propagate-layout (${p}), dce ---\n${printGraph(graph)}`;
}

describe('propagate-layout golden', () => {
  it('a Keras-style NHWC model: the chain goes NHWC and both boundary transposes cancel (auto); an NCHW chain forced to NHWC', async () => {
    const b = new GraphBuilder();
    const x = b.add1({ kind: 'transpose', perm: [0, 3, 1, 2] }, [b.input('x', f32(1, 4, 4, 2))]);
    const y = maxPool2(b, biasRelu(b, conv(b, x, 3, 3)));
    b.output('y', b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [y]));
    const keras = goldenText(b.build(), 'auto');
    const after = keras.split('--- after')[1]!;
    expect(after).not.toContain('transpose');
    expect(after).toContain('(d0, d1+d5-1, d2+d6-1, d4)'); // the convolution reads x in NHWC

    const c = new GraphBuilder();
    const z = biasRelu(c, conv(c, c.input('x', f32(1, 2, 4, 4)), 3, 1, 1, 0));
    c.output('gap', sumHW(c, z));
    c.output('z', z);
    const forced = goldenText(c.build(), 'nhwc');
    const tail = forced.split('--- after')[1]!;
    // in: one transpose; out: a transpose back for z, a reshape for the [1, 1, 1, 3] pool
    expect(tail.match(/= transpose/g)?.length).toBe(2);
    expect(tail).toMatch(/f32\[1,3,1,1\] = reshape/);
    await expect(`${keras}\n${forced}`).toMatchFileSnapshot('golden/pass-propagate-layout.ir');
  });

  it("'auto' keeps an NCHW model NCHW (NHWC would add transposes) and 'nchw' changes nothing", () => {
    const b = new GraphBuilder();
    b.output('y', maxPool2(b, biasRelu(b, conv(b, b.input('x', f32(1, 2, 4, 4)), 3, 3))));
    const g = b.build();
    for (const p of ['auto', 'nchw'] as const) expect(printGraph(runPipeline(g, [policy(p)]).graph)).toBe(printGraph(g));
    const stats = runPipeline(g, [policy('nhwc')]).reports[0]!.counters;
    expect(stats).toEqual({ chainsToNhwc: 1, boundaryTransposesRemoved: 0, boundaryTransposesAdded: 2 });
  });
});

describe('propagate-layout and regions', () => {
  it('a chain value read inside an If branch keeps its NCHW form there (a transpose back), same bits', () => {
    const b = new GraphBuilder();
    const y = biasRelu(b, conv(b, b.input('x', f32(1, 2, 5, 5)), 3, 3));
    const cond = b.input('c', tensorType('bool', []));
    const then = b.region([], () => [b.map(bin('mul', arg(0), lit(2, 'float32')), [y])]);
    const other = b.region([], () => [b.map(bin('add', arg(0), lit(1, 'float32')), [y])]);
    b.output('z', b.add1({ kind: 'if', thenBranch: then, elseBranch: other }, [cond]));
    b.output('p', maxPool2(b, y));
    const g = b.build();
    const after = runPipeline(g, [policy('nhwc')], { verifyEach: true }).graph;
    expect(after.nodes.filter((n) => n.op.kind === 'transpose')).toHaveLength(3); // in; back for the branches; back for p
    for (const c of [true, false]) {
      expectRewritesExact(g, [after], {
        x: { dtype: 'float32', shape: [1, 2, 5, 5], data: wave(50, 0.37) }, c: { dtype: 'bool', shape: [], data: Float64Array.of(c ? 1 : 0) },
      });
    }
  });
});

/**
 * Steps over a 4-D NCHW value: 0 conv, 1 bias+ReLU, 2 scalar map, 3 max pool, 4 residual add, 5 broadcast add of a
 * run-time [1,C,1,1] input, 6 side output, 7 channel concat with an earlier value of the same spatial size, 8 depthwise conv.
 */
const chainCase = fc.record({
  nhwcInput: fc.boolean(),
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 3 }),
  hw: fc.integer({ min: 3, max: 6 }),
  steps: fc.array(fc.record({ kind: fc.integer({ min: 0, max: 8 }), m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }), d: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 6 }),
  end: fc.constantFrom('nhwc', 'nchw', 'gap', 'flat-gap'),
});
type ChainCase = typeof chainCase extends fc.Arbitrary<infer T> ? T : never;

function buildChain(c: ChainCase): { graph: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const feeds: Record<string, HostTensor> = {};
  const input = (name: string, shape: number[]) => { feeds[name] = { dtype: 'float32', shape, data: wave(shape.reduce((p, q) => p * q, 1), 0.37, name.length) }; return b.input(name, f32(...shape)); };
  let cur = c.nhwcInput ? b.add1({ kind: 'transpose', perm: [0, 3, 1, 2] }, [input('x', [c.n, c.hw, c.hw, c.c])]) : input('x', [c.n, c.c, c.hw, c.hw]);
  let convs = 0;
  const seen: ValueId[] = [cur];
  c.steps.forEach((s, i) => {
    const [, ch, h, w] = shapeOf(b, cur) as [number, number, number, number];
    if (s.kind === 0 || s.kind === 8 || convs === 0) {
      if ((h + 2 * s.p - s.d * (s.k - 1) - 1) < 0 || (w + 2 * s.p - s.d * (s.k - 1) - 1) < 0) return;
      cur = s.kind === 8 ? depthwise(b, cur, s.k, s.s, s.p, s.d, i) : conv(b, cur, s.m, s.k, s.s, s.p, s.d, i);
      convs++;
    } else if (s.kind === 1) cur = biasRelu(b, cur);
    else if (s.kind === 2) cur = b.map(bin('mul', arg(0), lit(0.5, 'float32')), [cur]);
    else if (s.kind === 3 && h >= 2 && w >= 2) cur = maxPool2(b, cur);
    else if (s.kind === 4) {
      const same = seen.find((v) => v !== cur && JSON.stringify(shapeOf(b, v)) === JSON.stringify(shapeOf(b, cur)));
      cur = b.map(bin('add', arg(0), arg(1)), [cur, same ?? cur]);
    } else if (s.kind === 5) cur = b.map(bin('sub', arg(0), arg(1)), [cur, input(`s${i}`, [1, ch, 1, 1])]);
    else if (s.kind === 6) b.output(`side${i}`, cur);
    else if (s.kind === 7) {
      const other = seen.find((v) => v !== cur && JSON.stringify(shapeOf(b, v).filter((_, d) => d !== 1)) === JSON.stringify([c.n, h, w]));
      const parts = [cur, other ?? cur];
      const channels = parts.reduce((a, v) => a + shapeOf(b, v)[1]!, 0);
      cur = b.add1({ kind: 'concat', axis: 1 }, parts, [f32(c.n, channels, h, w)]);
    }
    seen.push(cur);
  });
  if (c.end === 'nhwc') b.output('y', b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [cur]));
  else if (c.end === 'nchw') b.output('y', cur);
  else {
    const gap = sumHW(b, cur);
    const [n, ch] = shapeOf(b, gap) as [number, number];
    b.output('y', c.end === 'gap' ? gap : b.add1({ kind: 'reshape' }, [gap], [f32(n, ch)]));
  }
  return { graph: b.build(), feeds };
}

describe('propagate-layout differential', () => {
  it('random convolution chains: same bits under every policy, alone and in the pipeline', () => {
    let rewritten = 0;
    let depthwiseNhwc = 0;
    let runs = 0;
    const base = OPTIMIZE_PIPELINE.filter((p) => p.name !== 'propagate-layout');
    const at = base.findIndex((p) => p.name === 'fold-movement-into-contract');
    fc.assert(fc.property(chainCase, (c) => {
      const { graph, feeds } = buildChain(c);
      runs++;
      const variants: Graph[] = [];
      for (const p of ['auto', 'nhwc'] as const) {
        const alone = runPipeline(graph, [policy(p)], { verifyEach: true }).graph;
        if (p === 'nhwc' && printGraph(alone) !== printGraph(graph)) rewritten++;
        // a depthwise convolution computed NHWC: its grouped result [N, OH, OW, G, 1]
        const piped = runPipeline(graph, [...base.slice(0, at), policy(p), ...base.slice(at)], { verifyEach: true }).graph;
        // a depthwise convolution computed NHWC in the pipeline (its weights folded to a constant first): result [N, OH, OW, G, 1]
        if (p === 'nhwc' && piped.nodes.some((n) => n.op.kind === 'contract' && n.outputs[0]!.type.kind === 'tensor' && n.outputs[0]!.type.shape.length === 5 && n.op.maps[0]![3]!.terms.some((t) => t.idx === 3))) depthwiseNhwc++;
        variants.push(alone, piped);
      }
      expectRewritesExact(graph, variants, feeds);
    }), { numRuns: 150, seed: 5 });
    expect(rewritten).toBeGreaterThan(runs / 2); // the property must exercise the rewrite
    expect(depthwiseNhwc).toBeGreaterThan(runs / 8); // with depthwise convolutions inside chains
  });
});
