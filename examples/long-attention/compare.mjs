// Compiles a long-sequence attention model (from make-model.py) with and without tensorc's fusion passes
// (compile() with fuse: false is the CLI's --no-fuse), prints each artifact's kernels and memory-plan peak,
// checks the outputs agree (exit 1 if not) and times interleaved runs in one process.
// Run after `npm install` at the repository root and make-model.py:
//   node --experimental-wasm-relaxed-simd examples/long-attention/compare.mjs [model.onnx] [threads] [runs]

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor, compile } from 'tensorc';

const here = path.dirname(fileURLToPath(import.meta.url));
const [file = 'attention_causal_2048.onnx', threadsArg = '1', runsArg = '10'] = process.argv.slice(2);
const model = path.isAbsolute(file) ? file : path.join(here, file);
const threads = Number(threadsArg);
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

const runs = [];
let shape;
for (const [label, opts] of [['fused', {}], ['unfused (--no-fuse)', { fuse: false }]]) {
  const artifact = await compile(model, opts);
  const kinds = {};
  for (const k of artifact.manifest.kernels) { const kind = k.name.replace(/^k\d+_|_\d+$/g, ''); kinds[kind] = (kinds[kind] ?? 0) + 1; }
  console.log(`${label}: ${artifact.manifest.kernels.length} kernels (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}), ` +
    `memory plan peak ${mib(artifact.manifest.memory.peakBytes)}, weights ${mib(artifact.weights.length)}`);
  shape = artifact.manifest.inputs[0].shape;
  runs.push({ label, session: await InferenceSession.create(artifact, { numThreads: threads }), times: [] });
}
const x = new Tensor('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 0.5), shape);
const outs = [];
for (const r of runs) outs.push((await r.session.run({ x })).y.data);
let diff = 0;
let scale = 0;
for (let i = 0; i < outs[0].length; i++) { diff = Math.max(diff, Math.abs(outs[0][i] - outs[1][i])); scale = Math.max(scale, Math.abs(outs[1][i])); }
for (let n = 0; n < Number(runsArg); n++) {
  for (const r of runs) { const t = performance.now(); await r.session.run({ x }); r.times.push(performance.now() - t); }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const r of runs) console.log(`${r.label}: median ${median(r.times).toFixed(1)} ms over ${r.times.length} runs (${r.session.variant}, ${r.session.numThreads} thread(s))`);
console.log(`fused / unfused time: ${(median(runs[0].times) / median(runs[1].times)).toFixed(3)}; max |fused - unfused| = ${diff.toExponential(2)} (outputs up to ${scale.toFixed(2)})`);
for (const r of runs) await r.session.release();
if (!(diff <= 1e-4 * Math.max(1, scale))) { console.error('fused and unfused outputs differ'); process.exitCode = 1; }
