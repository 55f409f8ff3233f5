// fold-movement-into-contract: golden before/after IR text for attention's head split (Q and V fold, Kᵀ stays
// because its transpose moves the contiguous axis) and head merge (PV's output order), and the differential property that random chains of
// transposes, dim-splitting reshapes, broadcasts and slices feeding a matmul give bit-identical interpreter results folded or not.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, bin, arg, lit, passByName, printGraph, runPipeline, tensorType,
} from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const pass = passByName('fold-movement-into-contract')!;

function golden(g: Graph): string {
  const { graph } = runPipeline(g, [pass, passByName('dce')!], { verifyEach: true });
  return `${printGraph(g)}--- after fold-movement-into-contract, dce ---\n${printGraph(graph)}`;
}

describe('fold-movement-into-contract golden', () => {
  it('folds the head split of Q and V and the head merge into the attention contractions; leaves Kᵀ', async () => {
    const b = new GraphBuilder();
    const [S, H, D] = [4, 2, 3];
    const heads = (v: number) => b.add1({ kind: 'reshape' }, [v], [f32(1, S, H, D)]);
    const q = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [heads(b.input('q', f32(1, S, H * D)))]);
    const k = b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [heads(b.input('k', f32(1, S, H * D)))]);
    const v = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [heads(b.input('v', f32(1, S, H * D)))]);
    const scores = b.map(bin('mul', arg(0), lit(0.5, 'float32')), [b.matmul(q, k)]);
    const merged = b.add1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [b.matmul(scores, v)]); // head merge: the PV contract's output order
    b.output('y', b.add1({ kind: 'reshape' }, [merged], [f32(1, S, H * D)]));
    const text = golden(b.build());
    const after = text.split('--- after')[1]!;
    expect(after.match(/= transpose/g)?.length).toBe(1); // Kᵀ only
    expect(after).toContain('(0, d2, d1*3+d4)');
    await expect(text).toMatchFileSnapshot('golden/pass-fold-movement-into-contract.ir');
  });
});

/** A random movement chain (transposes, dim splits, a broadcast leading dim) from a [p, q, r] input to a matmul operand; r stays last. */
const chainCase = fc.record({
  dims: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 })),
  steps: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
  side: fc.boolean(),
  outPerm: fc.boolean(),
  /** The chain starts by slicing a wider input: its last dim (a column block, offset 1 or 2) or its first dim (every other row). */
  slice: fc.constantFrom('none', 'last1', 'last2', 'lead'),
  seed: fc.integer({ min: 0, max: 1000 }),
});

function buildChain(c: fc.RecordValue<typeof chainCase> extends infer T ? T : never): { graph: Graph; feeds: Record<string, HostTensor> } {
  const [p, h, d, n] = c.dims;
  const b = new GraphBuilder();
  const xShape = c.slice === 'lead' ? [2 * p, h * d, n] : c.slice === 'none' ? [p, h * d, n] : [p, h * d, n + 3];
  const x = b.input('x', f32(...xShape));
  let cur = c.slice === 'none' ? x
    : b.add1({ kind: 'slice', starts: c.slice === 'lead' ? [1, 0, 0] : [0, 0, c.slice === 'last1' ? 1 : 2], steps: c.slice === 'lead' ? [2, 1, 1] : [1, 1, 1] }, [x], [f32(p, h * d, n)]);
  let shape = [p, h * d, n];
  for (const s of c.steps) {
    if (s === 0 && shape.length === 3 && shape[1] === h * d) { cur = b.add1({ kind: 'reshape' }, [cur], [f32(shape[0]!, h, d, shape[2]!)]); shape = [shape[0]!, h, d, shape[2]!]; }
    else if (s === 1) { const perm = shape.map((_, i) => i); [perm[0], perm[1]] = [perm[1]!, perm[0]!]; cur = b.add1({ kind: 'transpose', perm }, [cur]); shape = perm.map((i) => shape[i]!); }
    else if (s === 2) { const perm = shape.map((_, i) => i).reverse(); cur = b.add1({ kind: 'transpose', perm }, [cur]); shape = perm.map((i) => shape[i]!); }
    else if (s === 4 && shape.length < 4) {
      // a leading unit dim broadcast to 2 (a batch the matmul reads with stride 0)
      cur = b.add1({ kind: 'expand' }, [b.add1({ kind: 'reshape' }, [cur], [f32(1, ...shape)])], [f32(2, ...shape)]);
      shape = [2, ...shape];
    }
    else if (s === 3 && shape.length >= 2) { const perm = shape.map((_, i) => i); const l = perm.length; [perm[l - 2], perm[l - 1]] = [perm[l - 1]!, perm[l - 2]!]; cur = b.add1({ kind: 'transpose', perm }, [cur]); shape = perm.map((i) => shape[i]!); }
  }
  // A matmul with a second input sized to the chain's result (as A: [.., M, K] @ [K, 3]; as B: [2, M] @ [.., M, K]).
  const last = shape[shape.length - 1]!;
  const prev = shape[shape.length - 2]!;
  const other = c.side ? b.input('w', f32(last, 3)) : b.input('w', f32(2, prev));
  const mm = c.side ? b.matmul(cur, other) : b.matmul(other, cur);
  const rank = shape.length;
  // Optionally reorder the product's leading dims (the contiguous last dim stays), as a head merge does.
  const swap = [...Array(rank).keys()];
  if (rank >= 3) [swap[0], swap[rank - 2]] = [swap[rank - 2]!, swap[0]!];
  b.output('y', c.outPerm && rank >= 3 ? b.add1({ kind: 'transpose', perm: swap }, [mm]) : mm);
  const graph = b.build();
  const fill = (shape: number[], k: number): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 1.7 + k + c.seed))) });
  return { graph, feeds: { x: fill(xShape, 0), w: fill(c.side ? [last, 3] : [2, prev], 1) } };
}

describe('fold-movement-into-contract differential', () => {
  it('random transpose / split chains into matmuls: same bits with and without the pass', () => {
    let folded = 0;
    let broadcasts = 0;
    let slices = 0;
    let runs = 0;
    fc.assert(fc.property(chainCase, (c) => {
      const { graph, feeds } = buildChain(c);
      runs++;
      const without = runPipeline(graph, OPTIMIZE_PIPELINE.filter((q) => q !== pass), { verifyEach: true }).graph;
      const withPass = runPipeline(graph, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      const alone = runPipeline(graph, [pass], { verifyEach: true }).graph;
      if (printGraph(alone) !== printGraph(graph)) folded++;
      // contract operands produced by an expand
      const readsExpand = (g: Graph) => g.nodes.some((n) => n.op.kind === 'contract' && n.inputs.some((id) => g.nodes.some((p) => p.op.kind === 'expand' && p.outputs[0]!.id === id)));
      if (readsExpand(graph) && !readsExpand(alone)) broadcasts++;
      const readsSlice = (g: Graph) => g.nodes.some((n) => n.op.kind === 'contract' && n.inputs.some((id) => g.nodes.some((p) => p.op.kind === 'slice' && p.outputs[0]!.id === id)));
      if (c.slice !== 'none' && !readsSlice(alone)) slices++;
      expectRewritesExact(graph, [without, withPass, alone], feeds);
    }), { numRuns: 150, seed: 211 });
    expect(folded).toBeGreaterThan(runs / 4); // the property must exercise the pass
    expect(broadcasts).toBeGreaterThan(10); // and its broadcast case
    expect(slices).toBeGreaterThan(runs / 4); // and slices, first or after a split
  });
});
