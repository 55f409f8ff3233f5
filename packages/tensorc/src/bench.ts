// Benchmark: tensorc vs onnxruntime-web (wasm EP, same thread count, graphOptimizationLevel 'all') on every
// model of ../shared/bench-models (or the given models); a benchmark, never a timed test. onnxruntime-web
// fixes its thread count once per process, so each thread count runs in a child process of its own; inside
// it tensorc's baseline SIMD128, relaxed SIMD and unfused builds run interleaved with ort, outputs checked.
// Writes BENCHMARKS.md when run over all models, with a section on the quantized models of examples/qdq (one
// thread), and ends with cold starts in fresh processes (bench-cold.ts; also with BENCH_COLD=1). Node 20 needs
// --experimental-wasm-relaxed-simd for relaxed SIMD: the children get it when this node accepts the flag. The
// measuring lives in bench-core.ts.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFlavour, type FlavourResult, benchModel, tryLoadOrt } from './bench-core.js';
import { type ColdRow, measureColdStarts, renderColdStarts } from './bench-cold.js';

interface ModelEntry { name: string; file: string; inputs: { name: string; dims: number[] }[]; flops: number }
interface Row { name: string; flops: number; ort?: number; flavours?: Record<string, FlavourResult>; error?: string }

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const benchModelDir = (): string => process.env['BENCH_MODELS'] ?? path.resolve(root, '../shared/bench-models');
const THREAD_COUNTS = [1, 2];

/** The quantized example models (examples/qdq), with the shapes and multiply-add FLOPs they are measured at. */
const QUANTIZED: readonly ModelEntry[] = [
  { name: 'qdq_mlp (static QDQ)', file: 'examples/qdq/model.onnx', inputs: [{ name: 'x', dims: [64, 256] }], flops: 2 * 64 * (256 * 512 + 512 * 512 + 512 * 10) },
  { name: 'dynamic_mlp (MatMulInteger)', file: 'examples/qdq/dynamic.onnx', inputs: [{ name: 'x', dims: [64, 256] }], flops: 2 * 64 * (256 * 512 + 512 * 512 + 512 * 10) },
  // conv 3->16, 16->32, 32->64 (3x3, padded) on 32, 16 and 8 pixels square, then 64->5
  { name: 'qdq_cnn (static QDQ)', file: 'examples/qdq/cnn.onnx', inputs: [{ name: 'image', dims: [8, 3, 32, 32] }], flops: 8 * 2 * (16 * 3 * 9 * 1024 + 32 * 16 * 9 * 256 + 64 * 32 * 9 * 64 + 64 * 5) },
];

/**
 * Measured in every process; `unfused` only on one thread (fusion's effect does not depend on threads). A
 * threaded process also times tensorc on one thread, interleaved with the threaded runs: thread scaling from
 * two processes minutes apart mostly measured how busy the shared machine was in each.
 */
function flavoursFor(threads: number): BenchFlavour[] {
  return [
    { label: 'baseline', relaxedSimd: false },
    { label: 'relaxed', relaxedSimd: true },
    ...(threads === 1 ? [{ label: 'unfused', relaxedSimd: false, fuse: false }] : []),
    ...(threads > 1 ? [{ label: 'baseline_1t', relaxedSimd: false, threads: 1 }, { label: 'relaxed_1t', relaxedSimd: true, threads: 1 }] : []),
  ];
}

export async function benchModels(dir: string, only: readonly string[], threads: number, minMs: number): Promise<Row[]> {
  return benchEntries(dir, (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ModelEntry[]).filter((m) => only.length === 0 || only.includes(m.name)), threads, minMs);
}

async function benchEntries(dir: string, models: readonly ModelEntry[], threads: number, minMs: number): Promise<Row[]> {
  const ort = await tryLoadOrt();
  if (!ort) throw new Error('onnxruntime-web is not installed (it is a dev dependency of the tensorc repository)');
  const rows: Row[] = [];
  for (const m of models) {
    const row: Row = { name: m.name, flops: m.flops };
    rows.push(row);
    process.stderr.write(`[${threads} thread${threads > 1 ? 's' : ''}] ${m.name}: `);
    try {
      const r = await benchModel(path.join(dir, m.file), {
        inputShapes: Object.fromEntries(m.inputs.map((i) => [i.name, i.dims])), threads, minMs, ort, flavours: flavoursFor(threads), onWarning: () => {},
      });
      row.ort = r.ortMs!;
      row.flavours = { ...r.flavours };
      process.stderr.write(`ort ${row.ort.toFixed(2)} ms; ${Object.entries(r.flavours).map(([k, f]) => `${k} ${f.ms.toFixed(2)} ms (${f.variant})`).join(', ')}\n`);
    } catch (e) {
      row.error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      process.stderr.write(`error: ${row.error}\n`);
    }
  }
  return rows;
}

const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const cell = (f: FlavourResult | undefined, ort: number, flops: number, relaxedWanted = false): string =>
  !f ? '-' : relaxedWanted && !f.variant.includes('relaxed') ? 'n/a (engine lacks relaxed SIMD)' : `${f.ms.toFixed(2)} (**${(f.ms / ort).toFixed(2)}**, ${(flops / f.ms / 1e6).toFixed(1)} GFLOP/s)`;

/** The quantized models' table: their outputs may differ from onnxruntime-web's by a few code steps (cli-bench.ts). */
function renderQuantized(rows: readonly Row[]): string[] {
  const out = ['### Quantized models (examples/qdq), 1 thread', '',
    'Each tensorc cell: median ms (**ratio to onnxruntime-web**, lower is better; GFLOP/s). onnxruntime-web runs them on its integer kernels, so outputs may differ by a few quantization steps.', '',
    '| model | onnxruntime-web ms | tensorc baseline SIMD128 | tensorc relaxed SIMD | tensorc baseline, no fusion | max rel. diff | kernels (unfused) | weights.bin bytes | session create ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    if (!r.flavours || r.ort === undefined) { out.push(`| ${r.name} | failed: ${(r.error ?? '').replace(/\|/g, '\\|')} |`); continue; }
    const f = r.flavours;
    const b = f['baseline']!;
    const diff = Math.max(...Object.values(f).map((x) => x.maxRelDiff ?? 0));
    out.push(`| ${r.name} | ${r.ort.toFixed(2)} | ${cell(b, r.ort, r.flops)} | ${cell(f['relaxed'], r.ort, r.flops, true)} | ${cell(f['unfused'], r.ort, r.flops)} | ${diff.toExponential(1)} | ${b.kernels} (${f['unfused']?.kernels ?? '-'}) | ${b.weightsBytes} | ${b.createMs.toFixed(1)} |`);
  }
  out.push('');
  return out;
}

export function renderBenchmarks(byThreads: ReadonlyMap<number, readonly Row[]>, command: string, quantized: readonly Row[] = [], cold: readonly ColdRow[] = []): string {
  const out: string[] = [];
  for (const [threads, rows] of byThreads) {
    const ok = rows.filter((r) => r.flavours && r.ort !== undefined);
    const unfused = threads === 1;
    out.push(`### ${threads} thread${threads > 1 ? 's' : ''}`, '',
      'Each tensorc cell: median ms (**ratio to onnxruntime-web**, lower is better; GFLOP/s).', '',
      `| model | onnxruntime-web ms | tensorc baseline SIMD128 | tensorc relaxed SIMD |${unfused ? ' tensorc baseline, no fusion |' : ''} max rel. diff | kernels${unfused ? ' (unfused)' : ''} | model.wasm bytes | session create ms | variant run |`,
      `| --- | ---: | ---: | ---: |${unfused ? ' ---: |' : ''} ---: | ---: | ---: | ---: | --- |`);
    for (const r of rows) {
      if (!r.flavours || r.ort === undefined) { out.push(`| ${r.name} | failed: ${(r.error ?? '').replace(/\|/g, '\\|')} |`); continue; }
      const f = r.flavours;
      const b = f['baseline']!;
      const diff = Math.max(...Object.values(f).map((x) => x.maxRelDiff ?? 0));
      out.push(`| ${r.name} | ${r.ort.toFixed(2)} | ${cell(b, r.ort, r.flops)} | ${cell(f['relaxed'], r.ort, r.flops, true)} |${unfused ? ` ${cell(f['unfused'], r.ort, r.flops)} |` : ''} ${diff.toExponential(1)} | ${b.kernels}${unfused && f['unfused'] ? ` (${f['unfused'].kernels})` : ''} | ${b.wasmBytes} | ${b.createMs.toFixed(1)} | ${b.variant}, ${f['relaxed']?.variant ?? '-'} |`);
    }
    const col = (label: string) => ok.filter((r) => r.flavours![label] && (label !== 'relaxed' || r.flavours![label]!.variant.includes('relaxed'))).map((r) => r.flavours![label]!.ms / r.ort!);
    const parts = ['baseline', 'relaxed', ...(unfused ? ['unfused'] : [])].map((l) => [l, col(l)] as const).filter(([, xs]) => xs.length > 0);
    out.push('', `Geometric mean of the ratio over ${ok.length} model(s): ${parts.map(([l, xs]) => `${l} **${geomean(xs).toFixed(2)}**`).join(', ')}.`, '');
  }
  const one = byThreads.get(1);
  const two = byThreads.get(2);
  if (two) out.push(...renderScaling(two, one));
  if (quantized.length > 0) out.push(...renderQuantized(quantized));
  if (cold.length > 0) out.push(...renderColdStarts(cold));
  out.push(`Produced by \`${command}\`.`, '');
  return out.join('\n');
}

/**
 * Thread scaling (1-thread time / 2-thread time): first from one-thread runs interleaved with the threaded
 * ones in the 2-thread process, then across the two processes (the only way for onnxruntime-web, which fixes
 * its thread count per process).
 */
function renderScaling(two: readonly Row[], one: readonly Row[] | undefined): string[] {
  const out = ['### Thread scaling (1 thread time / 2 threads time)', '',
    'Interleaved: tensorc on 1 and on 2 threads timed in turn in the 2-thread process. Separate processes: the 1-thread table over the 2-thread table, measured minutes apart.', '',
    '| model | baseline, interleaved (1 thread ms / 2 threads ms) | relaxed, interleaved | baseline, separate processes | relaxed, separate processes | onnxruntime-web, separate processes |',
    '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const r2 of two) {
    const f2 = r2.flavours;
    if (!f2) continue;
    const r1 = one?.find((r) => r.name === r2.name);
    const f1 = r1?.flavours;
    const within = (l: string) => (f2[`${l}_1t`] && f2[l] ? `**${(f2[`${l}_1t`]!.ms / f2[l]!.ms).toFixed(2)}** (${f2[`${l}_1t`]!.ms.toFixed(2)} / ${f2[l]!.ms.toFixed(2)})` : '-');
    const across = (l: string) => (f1?.[l] && f2[l] ? (f1[l]!.ms / f2[l]!.ms).toFixed(2) : '-');
    const ort = r1?.ort !== undefined && r2.ort !== undefined ? (r1.ort / r2.ort).toFixed(2) : '-';
    out.push(`| ${r2.name} | ${within('baseline')} | ${within('relaxed')} | ${across('baseline')} | ${across('relaxed')} | ${ort} |`);
  }
  out.push('');
  return out;
}

/** A child measures one thread count and prints its rows as JSON on stdout. */
async function child(args: readonly string[]): Promise<void> {
  const threads = Number(args[args.indexOf('--threads') + 1]);
  const models = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--threads');
  const dir = benchModelDir();
  const minMs = Number(process.env['BENCH_MIN_MS'] ?? 1500);
  const rows = await benchModels(dir, models, threads, minMs);
  // the quantized examples: on one thread, in a full run
  const quantized = threads === 1 && models.length === 0 ? await benchEntries(root, QUANTIZED, threads, minMs) : [];
  process.stdout.write(JSON.stringify({ rows, quantized }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const self = fileURLToPath(import.meta.url);
  const flagWorks = spawnSync(process.execPath, [RELAXED_FLAG, '-e', '0']).status === 0;
  const only = (process.env['BENCH_THREADS'] ?? '').split(',').filter(Boolean).map(Number);
  const byThreads = new Map<number, Row[]>();
  let quantized: Row[] = [];
  for (const threads of only.length ? only : THREAD_COUNTS) {
    const r = spawnSync(process.execPath, [...(flagWorks ? [RELAXED_FLAG] : []), self, '--child', '--threads', String(threads), ...args],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`the ${threads}-thread benchmark process failed (exit ${r.status})`);
    const measured = JSON.parse(r.stdout) as { rows: Row[]; quantized: Row[] };
    byThreads.set(threads, measured.rows);
    if (measured.quantized.length > 0) quantized = measured.quantized;
  }
  // cold starts in a full run (or with BENCH_COLD=1), on the same models
  const full = args.length === 0 && only.length === 0;
  let cold: ColdRow[] = [];
  if (full || process.env['BENCH_COLD'] === '1') {
    const dir = benchModelDir();
    const models = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ModelEntry[]).filter((m) => args.length === 0 || args.includes(m.name));
    cold = await measureColdStarts(models, dir, flagWorks ? [RELAXED_FLAG] : []);
  }
  const text = renderBenchmarks(byThreads, `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`, quantized, cold);
  process.stdout.write(text);
  if (full) {
    fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), `# Benchmarks\n\ntensorc vs onnxruntime-web 1.30.0 (wasm EP, graphOptimizationLevel 'all', same thread count) in Node ${process.version}, one process per thread count, interleaved runs (with 2 threads, interleaved blocks of 4 timed back-to-back runs, each block after a 50 ms pause and one untimed run, so neither runtime pays for the other's spinning idle workers), median times; models and FLOP counts from ../shared/bench-models. Relaxed SIMD ${flagWorks ? `enabled with ${RELAXED_FLAG}` : 'as this engine ships it'}. Measured on ${new Date().toISOString().slice(0, 10)}.\n\n${text}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (process.argv.includes('--child')) child(process.argv.slice(2)).catch((e: unknown) => { console.error(e); process.exit(1); });
  else {
    main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
  }
}
