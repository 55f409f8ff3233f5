// Compiles an ONNX model with propagate-layout forced to each policy (nchw: the layouts as imported; auto;
// nhwc: every convolution chain in NHWC) in place of the pipeline's own, prints each artifact's kernels,
// checks the outputs agree and times interleaved runs in one process (median).
// Run after `npm install` (which builds the packages) at the repository root:
//   node --experimental-wasm-relaxed-simd examples/nhwc-cnn/compare-policies.mjs <model.onnx> [threads] [runs]

import fs from 'node:fs';
import { importOnnx } from '@tensorc/frontend';
import { OPTIMIZE_PIPELINE, makePropagateLayoutPass, runPipeline } from '@tensorc/ir';
import { compileGraph } from '@tensorc/backend';
import { InferenceSession, Tensor } from '@tensorc/runtime';

const [file, threadsArg = '1', runsArg = '15'] = process.argv.slice(2);
if (!file) { console.error('usage: compare-policies.mjs <model.onnx> [threads] [runs]'); process.exit(2); }
const graph = await importOnnx(new Uint8Array(fs.readFileSync(file)));
const base = OPTIMIZE_PIPELINE.filter((p) => p.name !== 'propagate-layout');
const at = base.findIndex((p) => p.name === 'fold-movement-into-contract');
const runs = [];
for (const policy of ['nchw', 'auto', 'nhwc']) {
  const { graph: g } = runPipeline(graph, [...base.slice(0, at), makePropagateLayoutPass({ policy }), ...base.slice(at)]);
  const art = compileGraph(g, { simplify: false });
  const kinds = {};
  for (const k of art.manifest.kernels) { const kind = k.name.replace(/^k\d+_/, ''); kinds[kind] = (kinds[kind] ?? 0) + 1; }
  console.log(`${policy}: ${art.manifest.kernels.length} kernels (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')})`);
  const session = await InferenceSession.create(art, { numThreads: Number(threadsArg) });
  runs.push({ policy, session, times: [] });
}
const input = runs[0].session.inputNames[0];
const shape = graph.inputs[0].value.type.shape;
const x = new Tensor('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 0.5), shape);
const outs = [];
for (const r of runs) outs.push(Object.values(await r.session.run({ [input]: x }))[0].data);
let diff = 0;
for (const o of outs) for (let i = 0; i < o.length; i++) diff = Math.max(diff, Math.abs(o[i] - outs[0][i]) / (1 + Math.abs(outs[0][i])));
for (let n = 0; n < Number(runsArg); n++) for (const r of runs) { const t = performance.now(); await r.session.run({ [input]: x }); r.times.push(performance.now() - t); }
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const r of runs) console.log(`${r.policy}: median ${median(r.times).toFixed(2)} ms over ${r.times.length} runs (${r.session.variant})`);
console.log(`outputs ${diff < 1e-4 ? 'agree' : 'DISAGREE'}: max relative difference ${diff.toExponential(1)}`);
for (const r of runs) await r.session.release();
if (diff >= 1e-4) process.exit(1);
