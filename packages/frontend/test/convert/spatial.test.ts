// Conformance of the spatial converters (Resize, Upsample, ConvTranspose, GridSample, AffineGrid, RoiAlign,
// Col2Im, MaxUnpool, DeformConv): every ONNX backend case that uses one of them, through importOnnx + the
// reference interpreter. Cases listed in KNOWN_FAILURES must fail (so a fix shows up); all others must pass.

import { describe, expect, it } from 'vitest';
import { runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';

const OPS = ['Resize', 'Upsample', 'ConvTranspose', 'GridSample', 'AffineGrid', 'RoiAlign', 'Col2Im', 'MaxUnpool', 'DeformConv'];

/** Cases that fail for reasons outside these converters (name -> why). */
const KNOWN_FAILURES: Record<string, string> = {};

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
        const known = c.name in KNOWN_FAILURES;
        if (!o.ok && !known) failed.push(`${c.suite}/${c.name}: ${o.stage}: ${o.reason}`);
        if (o.ok && known) failed.push(`${c.suite}/${c.name}: passes now; remove it from KNOWN_FAILURES`);
      }
      console.log(`[spatial] ${op}: ${mine.length - failed.length}/${mine.length} as expected`);
      expect(failed).toEqual([]);
    }, 60_000);
  }
});
