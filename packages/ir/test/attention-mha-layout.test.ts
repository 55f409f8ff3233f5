// recognize-attention on nn.MultiheadAttention's layout as torch exports it: one in-projection [S, B, 3E]
// sliced into q, k, v, each reshaped [S, B, E] -> [S, B*H, D] (a split of E into (H, D), then (B, H) merged)
// and transposed to [B*H, S, D]. The op's head loop splits into (B, H) so every operand is read in place from
// the projection: k and v at their column offsets with no copy, q through its scale (applied to q's slice).
// Property: random sizes give the same bits with and without the pipeline, and all fuse.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, arg, bin, lit, runPipeline, tensorType } from '../src/index.js';
import { expectRewritesExact } from './differential-helpers.js';

const f32 = (...s: number[]) => tensorType('float32', s);
const wave = (shape: number[], k: number): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, q) => a * q, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37 + k) * 0.8)),
});

const mhaCase = fc.record({
  s: fc.integer({ min: 1, max: 6 }),
  b: fc.integer({ min: 2, max: 3 }),
  h: fc.integer({ min: 2, max: 4 }),
  d: fc.integer({ min: 2, max: 5 }),
  scaled: fc.boolean(),
  seed: fc.integer({ min: 0, max: 100 }),
});

describe('recognize-attention: nn.MultiheadAttention head layout', () => {
  it('random sizes: fused, k and v read in place from the projection, same bits', () => {
    let runs = 0;
    fc.assert(fc.property(mhaCase, (c) => {
      const E = c.h * c.d;
      const b = new GraphBuilder();
      const x = b.input('x', f32(c.s, c.b, E));
      const proj = b.map(bin('add', arg(0), arg(1)), [b.matmul(x, b.constant(wave([E, 3 * E], c.seed))), b.constant(wave([3 * E], c.seed + 1))]);
      const heads = (i: number) => {
        const part = b.add1({ kind: 'slice', starts: [0, 0, i * E], steps: [1, 1, 1] }, [proj], [f32(c.s, c.b, E)]);
        return b.add1({ kind: 'transpose', perm: [1, 0, 2] }, [b.add1({ kind: 'reshape' }, [part], [f32(c.s, c.b * c.h, c.d)])]);
      };
      let q = heads(0);
      if (c.scaled) q = b.map(bin('div', arg(0), lit(Math.fround(Math.sqrt(c.d)), 'float32')), [q]);
      const kT = b.add1({ kind: 'transpose', perm: [0, 2, 1] }, [heads(1)]);
      const p = b.add1({ kind: 'softmax', axis: 2, log: false }, [b.matmul(q, kT)]);
      const o = b.add1({ kind: 'transpose', perm: [1, 0, 2] }, [b.matmul(p, heads(2))]);
      b.output('y', b.add1({ kind: 'reshape' }, [o], [f32(c.s * c.b, E)]));
      const g = b.build();
      const opt = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      runs++;
      expect(opt.nodes.filter((n) => n.op.kind === 'attention'), JSON.stringify(c)).toHaveLength(1);
      // only q's slice is left (its scale is applied there), and only when it is scaled
      expect(opt.nodes.filter((n) => n.op.kind === 'slice'), JSON.stringify(c)).toHaveLength(c.scaled ? 1 : 0);
      expect(opt.nodes.filter((n) => n.op.kind === 'transpose' || n.op.kind === 'softmax'), JSON.stringify(c)).toHaveLength(0);
      expectRewritesExact(g, [opt], { x: wave([c.s, c.b, E], c.seed + 2) });
    }), { numRuns: 100, seed: 77 });
    expect(runs).toBe(100);
  });
});
