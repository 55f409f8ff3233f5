// `tensorc inspect`: what a model contains and whether tensorc can import it (and if not, why).

import path from 'node:path';
import { DEFAULT_DOMAIN_CONVERTERS, type LoweringGraph, type LoweringType, importOnnx, toLoweringModel } from '@tensorc/frontend';
import { CompileError } from '@tensorc/ir';
import { progress } from './progress.js';
import { readModelFile } from './read-model-file.js';

const typeText = (t: LoweringType): string => {
  if (t.kind === 'tensor') return `${t.dtype}[${t.shape === null ? '?' : t.shape.map((d) => (d === null ? '?' : d)).join(',')}]`;
  if (t.kind === 'unknown') return '?';
  return `${t.kind}<${t.elem ? typeText(t.elem) : '?'}>`;
};

function countOps(g: LoweringGraph, counts: Map<string, number>): void {
  for (const n of g.nodes) {
    const key = n.domain ? `${n.domain}:${n.opType}` : n.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const a of n.attributes.values()) {
      if (a.kind === 'graph') countOps(a.value as LoweringGraph, counts);
      if (a.kind === 'graphs') for (const s of a.value) countOps(s as LoweringGraph, counts);
    }
  }
}

export async function inspectCommand(file: string, flags: { quiet?: boolean } = {}): Promise<void> {
  const tick = progress(flags.quiet);
  let t0 = performance.now();
  const bytes = await readModelFile(file);
  const baseDir = path.dirname(path.resolve(file));
  const m = toLoweringModel(bytes, baseDir);
  tick('decode', performance.now() - t0);
  const out: string[] = [];
  out.push(`${file}: IR version ${m.irVersion}, producer "${m.producer}"`);
  out.push(`opsets: ${[...m.opsets].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`);
  out.push('inputs:');
  const inits = new Set(m.graph.initializers.map((i) => i.name));
  for (const i of m.graph.inputs) if (!inits.has(i.name)) out.push(`  ${JSON.stringify(i.name)}: ${typeText(i.type)}`);
  out.push('outputs:');
  for (const o of m.graph.outputs) out.push(`  ${JSON.stringify(o.name)}: ${typeText(o.type)}`);
  out.push(`initializers: ${m.graph.initializers.length}`);
  const counts = new Map<string, number>();
  countOps(m.graph, counts);
  out.push('ops:');
  const unsupported: string[] = [];
  for (const [op, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    const ok = !op.includes(':') && (op === 'Constant' || DEFAULT_DOMAIN_CONVERTERS.has(op));
    if (!ok) unsupported.push(op);
    out.push(`  ${op.padEnd(28)} ${String(n).padStart(5)}${ok ? '' : '  (not supported)'}`);
  }
  t0 = performance.now();
  try {
    const g = importOnnx(bytes, { baseDir });
    out.push(`import: ok (${g.nodes.length} IR nodes)`);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    out.push(`import: fails: ${e.message}`);
  }
  tick('import', performance.now() - t0);
  if (unsupported.length) out.push(`unsupported ops: ${unsupported.join(', ')}`);
  process.stdout.write(out.join('\n') + '\n');
}
