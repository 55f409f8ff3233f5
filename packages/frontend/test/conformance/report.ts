// Writes CONFORMANCE.md from conformance outcomes: totals per suite, pass/total per op (node suite), and
// every failure with its stage and reason. Nothing is skipped: unsupported ops count as failures.

import type { Outcome } from './run-case.js';
import type { SuiteCase } from './suite.js';

export interface CaseResult { readonly c: SuiteCase; readonly outcome: Outcome; readonly ms: number }

const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 300);

export function renderReport(results: readonly CaseResult[], command: string, column = 'importOnnx + interpret', level = 1): string {
  const suites = [...new Set(results.map((r) => r.c.suite))];
  const lines: string[] = [];
  const h = '#'.repeat(level);
  lines.push(level === 1 ? '# Conformance' : `${h} Compiled`, '');
  lines.push(`ONNX backend test suite (onnx/onnx @ 6be0677, see ../shared/onnx-backend-tests/README.md), run through **${column}** and compared by ONNX's rule (rtol 1e-3, atol 1e-7, exact shape and dtype, NaN where NaN is expected).`, '');
  lines.push(`Produced by: \`${command}\``, '');
  lines.push('| suite | pass | total | rate | pass without specialization | rate |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, rs: readonly CaseResult[]) => {
    const p = rs.filter((r) => r.outcome.ok).length;
    const plain = rs.filter((r) => r.outcome.ok && !r.outcome.specialized).length;
    lines.push(`| ${name} | ${p} | ${rs.length} | ${pct(p, rs.length)} | ${plain} | ${pct(plain, rs.length)} |`);
  };
  for (const s of suites) row(s, results.filter((r) => r.c.suite === s));
  row('**all**', results);
  lines.push('');
  const spec = results.filter((r) => r.outcome.ok && r.outcome.specialized);
  lines.push(`Of the passes, ${spec.length} needed a graph input's value at compile time (axes, shapes, pads or counts fed as data; the importer names the input it needs) and were given the test's value through importOnnx's \`constantInputs\` option, as an ahead-of-time compiler specializes on such values. They are: ${spec.map((r) => r.c.name).join(', ') || 'none'}.`, '');

  lines.push(`${h}# Per op (node suite; a test counts for every op it uses)`, '', '| op | pass | total |', '| --- | ---: | ---: |');
  const byOp = new Map<string, { pass: number; total: number }>();
  for (const r of results.filter((x) => x.c.suite === 'node')) {
    for (const op of r.c.ops) {
      const e = byOp.get(op) ?? { pass: 0, total: 0 };
      e.total++;
      if (r.outcome.ok) e.pass++;
      byOp.set(op, e);
    }
  }
  for (const [op, e] of [...byOp.entries()].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`| ${op} | ${e.pass} | ${e.total} |`);
  lines.push('', `${h}# Failures`, '', '| suite | test | stage | reason |', '| --- | --- | --- | --- |');
  for (const r of results) {
    if (r.outcome.ok) continue;
    lines.push(`| ${r.c.suite} | ${r.c.name} | ${r.outcome.stage} | ${esc(r.outcome.reason)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
