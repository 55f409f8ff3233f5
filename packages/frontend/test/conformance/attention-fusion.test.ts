// How many ONNX attention node tests (test_attention_*, the Attention op and its `_expanded` function body)
// fuse into one `attention` op under OPTIMIZE_PIPELINE, and that the fused graph still passes each test through
// the reference interpreter. Prints the cases that do not fuse with what is left of them (ATTENTION_FUSION_LIST=1
// lists them all); the floor guards against a pass change that silently stops recognizing them.

import { type Graph, type Node, OPTIMIZE_PIPELINE, interpret, regionsOf, runPipeline } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { type Evaluate, runCase } from './run-case.js';
import { listCases, suiteDir } from './suite.js';

/** Lowest acceptable count of fused attention node tests (raise it as recognition improves). */
const FLOOR = 112;

function kindsOf(g: Graph): string[] {
  const out: string[] = [];
  const walk = (nodes: readonly Node[]) => { for (const n of nodes) { out.push(n.op.kind); regionsOf(n.op).forEach((r) => walk(r.nodes)); } };
  walk(g.nodes);
  return out;
}

describe('ONNX attention node tests through recognize-attention', () => {
  const dir = suiteDir();
  if (!dir) {
    it.skip('ONNX backend tests not found (set ONNX_BACKEND_TESTS)', () => {});
    return;
  }
  it('fuses them and the fused graphs still pass', async () => {
    const cases = listCases(dir).filter((c) => c.suite === 'node' && c.name.startsWith('test_attention_'));
    const fused = new Set<string>();
    const left = new Map<string, string>();
    const failed: string[] = [];
    for (const c of cases) {
      let kinds: string[] = [];
      const evaluate: Evaluate = async (graph, feeds) => {
        const opt = runPipeline(graph, OPTIMIZE_PIPELINE).graph;
        kinds = kindsOf(opt);
        return interpret(opt, feeds);
      };
      const outcome = await runCase(dir, c, evaluate);
      if (!outcome.ok) failed.push(`${c.name}: ${outcome.stage}: ${outcome.reason}`);
      if (kinds.includes('attention')) fused.add(c.name);
      else left.set(c.name, kinds.filter((k) => k !== 'constant').join(' '));
    }
    const plain = cases.filter((c) => !c.name.endsWith('_expanded'));
    console.log(`[attention-fusion] fused ${fused.size}/${cases.length} (${plain.filter((c) => fused.has(c.name)).length}/${plain.length} without _expanded)`);
    for (const [name, kinds] of left) console.log(`[attention-fusion] not fused: ${name}: ${kinds}`);
    if (process.env['ATTENTION_FUSION_LIST']) for (const name of fused) console.log(`[attention-fusion] fused: ${name}`);
    expect(failed).toEqual([]);
    expect(fused.size).toBeGreaterThanOrEqual(FLOOR);
  }, 600_000);
});
