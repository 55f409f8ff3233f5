// Times InferenceSession.create on the bench models, as the bench does (create, then release, repeated) but
// with many repeats, because one create is noisy on a shared machine. Models are compiled once with the CLI
// into a cache folder, then loaded into memory so file reads are not timed. Needs built dists (npx tsc -b).
//   node [--experimental-wasm-relaxed-simd] packages/runtime/scripts/create-timing.mjs [--threads 1,2] [--repeats 31]
//     [--models a,b] [--first-run] [--compare <another runtime dist/ folder>]
// --first-run also times create + the first run(), the time until a caller has its first result (inputs all zero).
// --compare times a second build of the runtime (e.g. a copy of dist/ from before a change) in the same rounds.
// Every timed cycle follows an untimed one of the same model and thread count (see the loop).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    repeats: { type: 'string', default: '31' },
    models: { type: 'string' },
    'bench-models': { type: 'string', default: '/work/shared/bench-models' },
    'first-run': { type: 'boolean', default: false },
    compare: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const runtimes = { current: await import(join(root, 'packages/runtime/dist/index.js')) };
if (values.compare) runtimes.compare = await import(join(values.compare, 'index.js'));
const benchDir = values['bench-models'];
const names = values.models?.split(',') ?? readdirSync(benchDir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
const threads = values.threads.split(',').map(Number);
const repeats = Number(values.repeats);
const cache = join(tmpdir(), 'tensorc-create-timing');

/** Compiles a model with the CLI unless the cached artifact is newer than the model, then reads it into memory. */
function artifact(name) {
  const model = join(benchDir, `${name}.onnx`);
  const dir = join(cache, name);
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile) || statSync(manifestFile).mtimeMs < statSync(model).mtimeMs) {
    process.stderr.write(`compiling ${name}...\n`);
    const r = spawnSync(process.execPath, [join(root, 'packages/tensorc/dist/cli.js'), 'compile', model, '-o', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`compiling ${name} failed: ${r.stderr}`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const wasmVariants = Object.fromEntries(manifest.variants.map((v) => [v.file, new Uint8Array(readFileSync(join(dir, v.file)))]));
  const weights = manifest.weights.byteLength ? new Uint8Array(readFileSync(join(dir, 'weights.bin'))) : new Uint8Array(0);
  return { manifest, wasmVariants, weights };
}

const zeros = (Tensor, manifest) => Object.fromEntries(manifest.inputs.map((i) => {
  const n = i.shape.reduce((a, b) => a * b, 1);
  return [i.name, new Tensor(i.dtype, i.dtype === 'int64' ? new BigInt64Array(n) : new Float32Array(n), i.shape)];
}));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const fmt = (x) => x.toFixed(1).padStart(6);

const artifacts = Object.fromEntries(names.map((n) => [n, artifact(n)]));
const times = {}; // `${runtime}/${model}/${threads}` -> { create: [], firstRun: [] }
const warnings = new Set();
// A create, run or release that never finishes is a bug worth hearing about, not a silent hang.
let step = 'start', since = performance.now();
const at = (what) => { step = what; since = performance.now(); if (values.verbose) process.stderr.write(`${what}\n`); };
// The watchdog also keeps the event loop alive: when it empties while a compile is awaited, Node 20 may drain
// background tasks in a way that deadlocks with a concurrent JIT job (nodejs/node#54918; seen here with both the
// old and the new runtime).
const watchdog = setInterval(() => {
  if (performance.now() - since > 20_000) { console.error(`stalled for 20 s in ${step}`); process.exit(2); }
}, 1000);
// Rounds over every model, thread count and runtime, so a burst of load from elsewhere hits all cells alike.
for (let r = -2; r < repeats; r++) { // two untimed warm-up rounds
  for (const name of names) {
    for (const t of threads) {
      const a = artifacts[name];
      // V8 reuses compiled code for bytes it compiled recently, so the first session of a cell may compile
      // afresh and run its first run on baseline code while the next finds optimized code. An untimed cycle
      // first puts every timed one in the same (warm) state, as the bench's repeated creates mostly are.
      {
        const { InferenceSession, Tensor } = runtimes.current;
        at(`warm-up, ${name}, ${t} threads`);
        const s = await InferenceSession.create(a, { numThreads: t, onWarning: (m) => warnings.add(m) });
        await s.run(zeros(Tensor, a.manifest));
        await s.release();
      }
      const order = Object.entries(runtimes);
      if (r % 2 !== 0) order.reverse();
      for (const [label, { InferenceSession, Tensor }] of order) {
        at(`${label} runtime, ${name}, ${t} threads: create`);
        const t0 = performance.now();
        const s = await InferenceSession.create(a, { numThreads: t, onWarning: (m) => warnings.add(m) });
        const t1 = performance.now();
        at(`${label} runtime, ${name}, ${t} threads: run`);
        if (values['first-run']) await s.run(zeros(Tensor, a.manifest));
        const t2 = performance.now();
        at(`${label} runtime, ${name}, ${t} threads: release`);
        await s.release();
        if (r < 0) continue;
        const cell = (times[`${label}/${name}/${t}`] ??= { create: [], firstRun: [] });
        cell.create.push(t1 - t0);
        cell.firstRun.push(t2 - t0);
      }
    }
  }
}
clearInterval(watchdog);
for (const w of warnings) console.log(`warning: ${w}`);
console.log(`InferenceSession.create, ms over ${repeats} create/release cycles per cell (node ${process.version}; ${process.execArgv.join(' ') || 'no flags'})`);
const labels = Object.keys(runtimes);
console.log(`${'model'.padEnd(18)} threads ${labels.length > 1 ? 'runtime ' : ''} median     p25     p75${values['first-run'] ? '  create+first run median' : ''}`);
for (const name of names) {
  for (const t of threads) {
    for (const label of labels) {
      const c = times[`${label}/${name}/${t}`];
      console.log(`${name.padEnd(18)} ${String(t).padStart(7)} ${labels.length > 1 ? label.padEnd(8) : ''}${fmt(median(c.create))}  ${fmt(quantile(c.create, 0.25))}  ${fmt(quantile(c.create, 0.75))}${values['first-run'] ? `  ${fmt(median(c.firstRun))}` : ''}`);
    }
  }
}
