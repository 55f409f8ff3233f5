// Conformance of the spatial converters (Resize, Upsample, ConvTranspose, GridSample, AffineGrid, RoiAlign,
// Col2Im, MaxUnpool, DeformConv): every ONNX backend case that uses one of them, through importOnnx + the
// reference interpreter (all must pass), and compiled to WebAssembly (all but the listed backend gaps).

import { describe, expect, it } from 'vitest';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';

const OPS = ['Resize', 'Upsample', 'ConvTranspose', 'GridSample', 'AffineGrid', 'RoiAlign', 'Col2Im', 'MaxUnpool', 'DeformConv'];

/** Ops whose compiled cases may fail for a backend gap (op -> why); they must still pass in the interpreter. */
const COMPILED_GAPS: Record<string, string> = { MaxUnpool: 'the wasm backend has no scatter_elements yet' };

const dir = suiteDir();

describe('spatial converters on the ONNX backend suite', () => {
  if (!dir) {
    it.skip('ONNX backend tests not found (set ONNX_BACKEND_TESTS)', () => {});
    console.warn('[spatial] ONNX backend tests not found: skipping');
    return;
  }
  const cases = listCases(dir);
  for (const op of OPS) {
    const mine = cases.filter((c) => c.ops.includes(op));
    it(`${op}: ${mine.length} cases`, async () => {
      const failed: string[] = [];
      for (const c of mine) {
        const o = await runCase(dir, c);
        if (!o.ok) failed.push(`${c.suite}/${c.name}: ${o.stage}: ${o.reason}`);
        if (op in COMPILED_GAPS) continue;
        const oc = await runCase(dir, c, compiledEvaluate);
        if (!oc.ok) failed.push(`compiled ${c.suite}/${c.name}: ${oc.stage}: ${oc.reason}`);
      }
      console.log(`[spatial] ${op}: ${mine.length} cases, failures: ${failed.length}`);
      expect(failed).toEqual([]);
    }, 120_000);
  }
});
