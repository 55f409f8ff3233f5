// Benchmark: tensorc vs onnxruntime-web (wasm EP, same thread count, graphOptimizationLevel 'all') in one
// process, interleaved, on every model of ../shared/bench-models (or the given models). Checks that outputs
// agree, prints medians, GFLOP/s and ratios, and writes BENCHMARKS.md. A benchmark, never a timed test.
// The measuring itself lives in bench-core.ts, shared with `tensorc bench`.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchModel, tryLoadOrt } from './bench-core.js';

interface ModelEntry { name: string; file: string; inputs: { name: string; dims: number[] }[]; flops: number }
interface Row { name: string; flops: number; tensorc?: number; ort?: number; maxDiff?: number; wasmBytes?: number; createMs?: number; error?: string }

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export async function benchModels(dir: string, only: readonly string[], threads: number, minMs: number): Promise<Row[]> {
  const ort = await tryLoadOrt();
  if (!ort) throw new Error('onnxruntime-web is not installed (it is a dev dependency of the tensorc repository)');
  const models = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ModelEntry[]).filter((m) => only.length === 0 || only.includes(m.name));
  const rows: Row[] = [];
  for (const m of models) {
    const row: Row = { name: m.name, flops: m.flops };
    rows.push(row);
    process.stderr.write(`${m.name}: `);
    try {
      const r = await benchModel(path.join(dir, m.file), { inputShapes: Object.fromEntries(m.inputs.map((i) => [i.name, i.dims])), threads, minMs, ort });
      Object.assign(row, { wasmBytes: r.wasmBytes, createMs: r.createMs, maxDiff: r.maxRelDiff, tensorc: r.tensorcMs, ort: r.ortMs });
      process.stderr.write(`tensorc ${row.tensorc!.toFixed(2)} ms, ort ${row.ort!.toFixed(2)} ms, ratio ${(row.tensorc! / row.ort!).toFixed(2)}\n`);
    } catch (e) {
      row.error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      process.stderr.write(`error: ${row.error}\n`);
    }
  }
  return rows;
}

export function renderBenchmarks(rows: readonly Row[], threads: number, command: string): string {
  const ok = rows.filter((r) => r.tensorc !== undefined && r.ort !== undefined);
  const geo = ok.length ? Math.exp(ok.reduce((s, r) => s + Math.log(r.tensorc! / r.ort!), 0) / ok.length) : NaN;
  const lines = [
    `### ${threads} thread${threads > 1 ? 's' : ''}, baseline SIMD128`, '',
    '| model | tensorc ms | onnxruntime-web ms | ratio (lower is better) | tensorc GFLOP/s | ort GFLOP/s | max rel. diff | model.wasm bytes | session create ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => r.error
      ? `| ${r.name} | - | - | - | - | - | - | - | failed: ${r.error.replace(/\|/g, '\\|')} |`
      : `| ${r.name} | ${r.tensorc!.toFixed(2)} | ${r.ort!.toFixed(2)} | ${(r.tensorc! / r.ort!).toFixed(2)} | ${(r.flops / r.tensorc! / 1e6).toFixed(1)} | ${(r.flops / r.ort! / 1e6).toFixed(1)} | ${r.maxDiff!.toExponential(1)} | ${r.wasmBytes} | ${r.createMs!.toFixed(1)} |`),
    '', `Geometric mean of the ratio over ${ok.length} model(s): **${geo.toFixed(2)}** (${command}).`, '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = process.env['BENCH_MODELS'] ?? path.resolve(root, '../shared/bench-models');
  const threads = Number(process.env['BENCH_THREADS'] ?? 1);
  const rows = await benchModels(dir, args, threads, Number(process.env['BENCH_MIN_MS'] ?? 1500));
  const text = renderBenchmarks(rows, threads, `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`);
  process.stdout.write(text);
  if (args.length === 0) fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), `# Benchmarks\n\ntensorc vs onnxruntime-web 1.30.0 (wasm EP, graphOptimizationLevel 'all') in one Node ${process.version} process, interleaved runs, median times; models and FLOP counts from ../shared/bench-models. Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\n\n${text}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e: unknown) => { console.error(e); process.exit(1); });
}
