// Conformance of the non-default ONNX domains (ai.onnx.ml, ai.onnx.preview.training, ai.onnx.preview):
// every backend-suite case with such an op through importOnnx + the reference interpreter (all must pass),
// and compiled to WebAssembly (all but the listed backend gaps, which must keep failing for that reason).

import { describe, expect, it } from 'vitest';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';

const DOMAINS = ['ai.onnx.ml', 'ai.onnx.preview.training', 'ai.onnx.preview'];

/** Compiled cases that fail for a backend gap: case name -> the reason the failure message must contain. */
const COMPILED_GAPS: ReadonlyMap<string, string> = new Map([
  ['test_ai_onnx_ml_label_encoder_string_int', 'dtype string is not supported'],
  ['test_ai_onnx_ml_label_encoder_string_int_no_default', 'dtype string is not supported'],
  ['test_ai_onnx_ml_label_encoder_tensor_mapping', 'dtype string is not supported'],
  ['test_ai_onnx_ml_label_encoder_tensor_value_only_mapping', 'dtype string is not supported'],
]);

const dir = suiteDir();

describe('non-default domains on the ONNX backend suite', () => {
  if (!dir) {
    it.skip('ONNX backend tests not found (set ONNX_BACKEND_TESTS)', () => {});
    console.warn('[domains] ONNX backend tests not found: skipping');
    return;
  }
  const cases = listCases(dir);
  for (const domain of DOMAINS) {
    // An op name is "domain:op"; "ai.onnx.preview" must not also claim "ai.onnx.preview.training".
    const mine = cases.filter((c) => c.ops.some((op) => op.slice(0, op.lastIndexOf(':')) === domain));
    it(`${domain}: ${mine.length} cases`, async () => {
      expect(mine.length).toBeGreaterThan(0);
      const failed: string[] = [];
      for (const c of mine) {
        const o = await runCase(dir, c);
        if (!o.ok) failed.push(`${c.suite}/${c.name}: ${o.stage}: ${o.reason}`);
        const oc = await runCase(dir, c, compiledEvaluate);
        const gap = COMPILED_GAPS.get(c.name);
        if (gap === undefined && !oc.ok) failed.push(`compiled ${c.suite}/${c.name}: ${oc.stage}: ${oc.reason}`);
        if (gap !== undefined && oc.ok) failed.push(`compiled ${c.name} passes now: remove it from COMPILED_GAPS`);
        if (gap !== undefined && !oc.ok && !oc.reason.includes(gap)) failed.push(`compiled ${c.name} fails for another reason: ${oc.reason}`);
      }
      console.log(`[domains] ${domain}: ${mine.length} cases, failures: ${failed.length}`);
      expect(failed).toEqual([]);
    }, 120_000);
  }
});
