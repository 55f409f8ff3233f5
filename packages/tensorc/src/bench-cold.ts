// Cold start, for `npm run bench`: how long a fresh process takes from InferenceSession.create to the end of
// the first run, tensorc (a saved artifact) against onnxruntime-web (the .onnx file), one thread. What a web
// page or a short-lived service pays before its first result: session creation, then a first run on code the
// engine has not optimized yet (wasm engines start on baseline code). Each figure is the median over fresh
// processes, which import only their own runtime (no compiler in the process competing for the engine's
// background compile threads); module imports are outside the timing.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ColdModel { readonly name: string; readonly file: string; readonly inputs: readonly { name: string; dims: number[] }[] }
export interface ColdTimes { readonly createMs: number; readonly firstMs: number; readonly secondMs: number }
export interface ColdRow { readonly name: string; readonly tensorc?: ColdTimes; readonly ort?: ColdTimes; readonly error?: string }

/** Fresh processes per runtime and model; the median of each figure is reported. */
const PROCESSES = 3;

/** Deterministic float32 inputs (the bench models take float32 only); no compiler code is imported for them. */
function inputData(dims: readonly number[]): Float32Array {
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 0.5);
}

/** The child: `--cold tensorc <artifact dir> <inputs json>` or `--cold ort <model.onnx> <inputs json>`; prints ColdTimes. */
export async function coldChild(args: readonly string[]): Promise<void> {
  const [which, source, inputsJson] = args.slice(args.indexOf('--cold') + 1);
  const inputs = JSON.parse(inputsJson!) as ColdModel['inputs'];
  // input data is made before the clock starts
  const data = inputs.map((i) => inputData(i.dims));
  let create: () => Promise<{ run(): Promise<unknown> }>;
  if (which === 'tensorc') {
    const { InferenceSession, Tensor } = await import('@tensorc/runtime');
    const feeds = Object.fromEntries(inputs.map((i, n) => [i.name, new Tensor('float32', data[n]!, i.dims)]));
    create = async () => {
      const s = await InferenceSession.create(source!, { numThreads: 1 });
      return { run: () => s.run(feeds) };
    };
  } else {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const feeds = Object.fromEntries(inputs.map((i, n) => [i.name, new ort.Tensor('float32', data[n]!, i.dims)]));
    create = async () => {
      const s = await ort.InferenceSession.create(source!, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      return { run: () => s.run(feeds) };
    };
  }
  const t0 = performance.now();
  const session = await create();
  const t1 = performance.now();
  await session.run();
  const t2 = performance.now();
  await session.run();
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ createMs: t1 - t0, firstMs: t2 - t1, secondMs: t3 - t2 } satisfies ColdTimes));
  process.exit(0); // without waiting on either runtime's handles
}

/** Compiles and saves each model, then times cold starts of both runtimes in fresh processes. */
export async function measureColdStarts(models: readonly ColdModel[], modelDir: string, nodeFlags: readonly string[]): Promise<ColdRow[]> {
  // loaded here, not at the top: the cold-start child must not load the compiler
  const [{ compile }, { median }] = await Promise.all([import('./compile.js'), import('./bench-core.js')]);
  const self = fileURLToPath(import.meta.url);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-cold-'));
  const rows: ColdRow[] = [];
  try {
    for (const m of models) {
      process.stderr.write(`[cold start] ${m.name}\n`);
      try {
        const file = path.join(modelDir, m.file);
        const dir = path.join(tmp, m.name);
        await (await compile(file, { inputShapes: Object.fromEntries(m.inputs.map((i) => [i.name, i.dims])) })).save(dir);
        const times = (which: string, source: string): ColdTimes => {
          const runs: ColdTimes[] = [];
          for (let p = 0; p < PROCESSES; p++) {
            const r = spawnSync(process.execPath, [...nodeFlags, self, '--cold', which, source, JSON.stringify(m.inputs)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`the ${which} cold-start process failed (exit ${r.status})`);
            runs.push(JSON.parse(r.stdout) as ColdTimes);
          }
          return { createMs: median(runs.map((t) => t.createMs)), firstMs: median(runs.map((t) => t.firstMs)), secondMs: median(runs.map((t) => t.secondMs)) };
        };
        rows.push({ name: m.name, tensorc: times('tensorc', dir), ort: times('ort', file) });
      } catch (e) {
        rows.push({ name: m.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

export function renderColdStarts(rows: readonly ColdRow[]): string[] {
  const out = ['### Cold start, 1 thread', '',
    `A fresh process per figure (median of ${PROCESSES}): InferenceSession.create (tensorc from its saved artifact directory, onnxruntime-web from the .onnx file, imports excluded), then the first run and the second. The first run executes code the engine has not optimized yet.`, '',
    '| model | onnxruntime-web create ms | first run ms | create + first run | tensorc create ms | first run ms | create + first run | second run ms (ort / tensorc) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  const f = (x: number) => x.toFixed(1);
  for (const r of rows) {
    if (!r.tensorc || !r.ort) { out.push(`| ${r.name} | failed: ${(r.error ?? '').replace(/\|/g, '\\|')} |`); continue; }
    const { ort: o, tensorc: t } = r;
    out.push(`| ${r.name} | ${f(o.createMs)} | ${f(o.firstMs)} | ${f(o.createMs + o.firstMs)} | ${f(t.createMs)} | ${f(t.firstMs)} | **${f(t.createMs + t.firstMs)}** | ${f(o.secondMs)} / ${f(t.secondMs)} |`);
  }
  out.push('');
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv.includes('--cold')) {
  coldChild(process.argv.slice(2)).catch((e: unknown) => { console.error(e); process.exit(1); });
}
