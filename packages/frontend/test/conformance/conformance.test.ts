// The conformance run inside `npm test`: every case of the ONNX backend suite through importOnnx + the
// reference interpreter. Writes CONFORMANCE.md at the repo root and guards against regressions with a floor.
// Skips with a notice when the suite folder is absent (a user's machine).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CaseResult, renderReport } from './report.js';
import { compiledEvaluate } from './compiled-evaluate.js';
import { runCase } from './run-case.js';
import { listCases, suiteDir } from './suite.js';

const dir = suiteDir();
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Lowest acceptable pass count over all suites (raise it as conformance improves; never lower it silently). */
const FLOOR = 1879;

describe('ONNX backend conformance (interpreter)', () => {
  if (!dir) {
    it.skip('ONNX backend tests not found (set ONNX_BACKEND_TESTS); skipping conformance', () => {});
    console.warn('[conformance] ONNX backend tests not found: set ONNX_BACKEND_TESTS to run the conformance suite');
    return;
  }
  it('runs every case and writes CONFORMANCE.md', async () => {
    const filter = process.env['CONFORMANCE_FILTER'];
    const cases = listCases(dir).filter((c) => !filter || c.name.includes(filter));
    const results: CaseResult[] = [];
    const compiled: CaseResult[] = [];
    for (const c of cases) {
      const t0 = performance.now();
      const outcome = await runCase(dir, c);
      results.push({ c, outcome, ms: performance.now() - t0 });
      const t1 = performance.now();
      compiled.push({ c, outcome: await runCase(dir, c, compiledEvaluate), ms: performance.now() - t1 });
    }
    console.log(`[conformance] compiled: ${compiled.filter((r) => r.outcome.ok).length}/${compiled.length} pass`);
    const pass = results.filter((r) => r.outcome.ok).length;
    const slow = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5).map((r) => `${r.c.name} ${r.ms.toFixed(0)}ms`);
    console.log(`[conformance] ${pass}/${results.length} pass; slowest: ${slow.join(', ')}`);
    if (filter) for (const r of results) if (!r.outcome.ok) console.log(`[conformance] ${r.c.name}: ${r.outcome.stage}: ${r.outcome.reason}`);
    if (filter) for (const r of compiled) if (!r.outcome.ok) console.log(`[conformance] compiled ${r.c.name}: ${r.outcome.stage}: ${r.outcome.reason}`);
    const command = 'npm test (packages/frontend/test/conformance/conformance.test.ts)';
    if (!filter) {
      fs.writeFileSync(path.join(REPO_ROOT, 'CONFORMANCE.md'), renderReport(results, command) + '\n' + renderReport(compiled, command, 'importOnnx + compileGraph (WebAssembly) + InferenceSession', 2));
    }
    expect(pass).toBeGreaterThanOrEqual(filter ? 0 : FLOOR);
  }, 1_800_000);
});
