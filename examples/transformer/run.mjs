// Compiles one transformer block (pre-LayerNorm, causal 4-head self-attention, GELU MLP; model.onnx from
// make-model.py) with tensorc, runs it on input.npy with @tensorc/runtime, checks the output against PyTorch's
// (expected.npy), shows that the compiled attention is causal, and prints the timing.
// Run after `npm install` at the repository root:  node examples/transformer/run.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor, compile, readNpy } from 'tensorc';

const here = path.dirname(fileURLToPath(import.meta.url));
const npy = (file) => readNpy(new Uint8Array(fs.readFileSync(path.join(here, file))));
const x = npy('input.npy'); // [1, 32, 64]: 32 tokens of width 64
const [, seq, width] = x.dims;

let t0 = performance.now();
const artifact = await compile(path.join(here, 'model.onnx'), { inputShapes: { x: [...x.dims] } });
await artifact.save(path.join(here, 'out'));
console.log(`compiled model.onnx in ${(performance.now() - t0).toFixed(0)} ms: ${artifact.graph.nodes.length} IR nodes after ` +
  `optimization, ${artifact.manifest.kernels.length} kernels, model.wasm ${artifact.wasm.length} bytes, weights ${artifact.weights.length} bytes`);

t0 = performance.now();
const session = await InferenceSession.create(path.join(here, 'out'));
console.log(`session created in ${(performance.now() - t0).toFixed(1)} ms (${session.variant})`);
const times = [];
let y;
for (let r = 0; r < 50; r++) {
  const s = performance.now();
  ({ y } = await session.run({ x }));
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
console.log(`y: ${y.type}[${y.dims.join(', ')}], token 0 starts [${Array.from(y.data.subarray(0, 5), (v) => v.toFixed(4)).join(', ')}, ...]`);
console.log(`run: median ${times[25].toFixed(3)} ms, best ${times[0].toFixed(3)} ms over 50 runs`);

// Causality: changing the last token may change only the last output row.
const changed = Float32Array.from(x.data);
for (let i = (seq - 1) * width; i < seq * width; i++) changed[i] += 1;
const { y: y2 } = await session.run({ x: new Tensor('float32', changed, x.dims) });
await session.release();
let earlierMoved = 0;
let lastMoved = 0;
for (let i = 0; i < y.data.length; i++) {
  const d = Math.abs(y.data[i] - y2.data[i]);
  if (i < (seq - 1) * width) earlierMoved = Math.max(earlierMoved, d);
  else lastMoved = Math.max(lastMoved, d);
}
console.log(`causal mask: changing token ${seq - 1} moved earlier outputs by ${earlierMoved} and its own by ${lastMoved.toFixed(3)}`);

// The check: tensorc against PyTorch on the same input.
const expected = npy('expected.npy');
const maxAbs = Math.max(...Array.from(expected.data, (v, i) => Math.abs(y.data[i] - v)));
const ok = maxAbs <= 1e-4 && earlierMoved === 0 && lastMoved > 0;
console.log(`max |tensorc - PyTorch| = ${maxAbs.toExponential(2)} (${ok ? 'ok' : 'MISMATCH'}: tolerance 1e-4, causal)`);
if (!ok) process.exitCode = 1;
