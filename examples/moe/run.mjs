// Compiles a top-2-of-8 mixture-of-experts layer (model.onnx from make-model.py) with tensorc, runs it on 32
// tokens with @tensorc/runtime, prints how the router spread the tokens over the experts and the timing, and checks
// both outputs against PyTorch's: the chosen experts exactly, the layer output within 1e-4.
// Run after `npm install` at the repository root:  node examples/moe/run.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, compile, readNpy } from 'tensorc';

const here = path.dirname(fileURLToPath(import.meta.url));
const npy = (file) => readNpy(new Uint8Array(fs.readFileSync(path.join(here, file))));
const x = npy('input.npy'); // [32, 64]: 32 tokens of width 64
const EXPERTS = 8;

let t0 = performance.now();
const artifact = await compile(path.join(here, 'model.onnx'), { inputShapes: { x: [...x.dims] } });
await artifact.save(path.join(here, 'out'));
console.log(`compiled model.onnx in ${(performance.now() - t0).toFixed(0)} ms: ${artifact.manifest.kernels.length} kernels, ` +
  `model.wasm ${artifact.wasm.length} bytes, weights ${artifact.weights.length} bytes, arena peak ${artifact.manifest.memory.peakBytes} bytes`);

t0 = performance.now();
const session = await InferenceSession.create(path.join(here, 'out'));
console.log(`session created in ${(performance.now() - t0).toFixed(1)} ms (${session.variant})`);
const times = [];
let out;
for (let r = 0; r < 50; r++) {
  const s = performance.now();
  out = await session.run({ x });
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
await session.release();
const { y, experts } = out;

const load = new Array(EXPERTS).fill(0);
for (const e of experts.data) load[Number(e)]++;
console.log(`routing: token 0 -> experts ${experts.data[0]} and ${experts.data[1]}; tokens per expert [${load.join(', ')}]`);
console.log(`y: ${y.type}[${y.dims.join(', ')}], token 0 starts [${Array.from(y.data.subarray(0, 5), (v) => v.toFixed(4)).join(', ')}, ...]`);
console.log(`run: median ${times[25].toFixed(3)} ms, best ${times[0].toFixed(3)} ms over 50 runs`);

// The check: the same experts as PyTorch for every token, and the same mixed output.
const wantExperts = npy('expected_experts.npy');
const sameRouting = wantExperts.data.every((e, i) => e === experts.data[i]);
const expected = npy('expected.npy');
const maxAbs = Math.max(...Array.from(expected.data, (v, i) => Math.abs(y.data[i] - v)));
const ok = sameRouting && maxAbs <= 1e-4;
console.log(`experts ${sameRouting ? 'identical to' : 'DIFFER from'} PyTorch's; max |tensorc - PyTorch| = ${maxAbs.toExponential(2)} ` +
  `(${ok ? 'ok' : 'MISMATCH'}: tolerance 1e-4)`);
if (!ok) process.exitCode = 1;
