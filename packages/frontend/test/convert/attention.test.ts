// Conformance of the attention family's converters (Attention, RotaryEmbedding, LinearAttention,
// CausalConvWithState, SwiGLU): every matching ONNX node test through importOnnx + the reference interpreter,
// plus the `_expanded` variants (the same maths in primitive ops), which are reported and guarded too.

import { describe, expect, it } from 'vitest';
import { type Outcome, runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';

const dir = suiteDir();

/** Node-test name prefixes of each op (default domain only; FlexAttention is ai.onnx.preview). */
const OPS: Readonly<Record<string, string>> = {
  Attention: 'test_attention_',
  RotaryEmbedding: 'test_rotary_embedding',
  LinearAttention: 'test_linear_attention_',
  CausalConvWithState: 'test_causal_conv_with_state_',
  SwiGLU: 'test_swiglu',
};

/** Tests known not to pass, with the reason (none at present). */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map();

const describeSuite = dir ? describe : describe.skip;
if (!dir) console.warn('[attention] ONNX backend tests not found (set ONNX_BACKEND_TESTS); skipping');

describeSuite('attention family conformance', () => {
  const cases = dir ? listCases(dir).filter((c) => c.suite === 'node') : [];
  for (const [op, prefix] of Object.entries(OPS)) {
    for (const expanded of [false, true]) {
      const mine = cases.filter((c) => c.name.startsWith(prefix) && c.name.includes('_expanded') === expanded);
      it(`${op}${expanded ? ' (_expanded)' : ''}: ${mine.length} node tests`, async () => {
        expect(mine.length).toBeGreaterThan(0);
        const failed: string[] = [];
        for (const c of mine) {
          const o: Outcome = await runCase(dir!, c);
          if (!o.ok && !KNOWN_FAILURES.has(c.name)) failed.push(`${c.name}: ${o.stage}: ${o.reason}`);
          if (o.ok && KNOWN_FAILURES.has(c.name)) failed.push(`${c.name}: passes now; remove it from KNOWN_FAILURES`);
        }
        console.log(`[attention] ${op}${expanded ? ' _expanded' : ''}: ${mine.length - failed.length}/${mine.length} pass`);
        expect(failed).toEqual([]);
      }, 60_000);
    }
  }
});
