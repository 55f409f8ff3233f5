// Compiles the QDQ-quantized MLP (model.onnx from make-model.py: QuantizeLinear -> DequantizeLinear before each
// MatMul, int8 per-channel weights) with tensorc, runs it on input.npy and checks the output against the same
// QDQ arithmetic done in numpy (expected.npy). Shows what the compiler made of the Q/DQ nodes: the large weights
// kept as int8 codes (their scale moved into the GEMM's epilogue, widened once when the session is created),
// each activation's quantize-dequantize pair fused into the epilogue of the GEMM that produces it.
// Run after `npm install` at the repository root:  node examples/qdq/run.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, compile, readNpy } from 'tensorc';

const here = path.dirname(fileURLToPath(import.meta.url));
const npy = (file) => readNpy(new Uint8Array(fs.readFileSync(path.join(here, file))));
const x = npy('input.npy'); // [64, 256]

const artifact = await compile(path.join(here, 'model.onnx'), { inputShapes: { x: [...x.dims] } });
const counters = artifact.passes.find((p) => p.pass === 'quant-as-map')?.counters ?? {};
const kinds = {};
for (const k of artifact.manifest.kernels) { const kind = k.name.replace(/^k\d+_/, ''); kinds[kind] = (kinds[kind] ?? 0) + 1; }
console.log(`quant-as-map: ${counters.quantize ?? 0} QuantizeLinear and ${counters.dequantize ?? 0} DequantizeLinear as maps`);
console.log(`kernels: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}; weights.bin ${artifact.weights.length} bytes ` +
  `(int8 codes), widened to float32 at session creation into ${artifact.manifest.memory.expandedBytes ?? 0} bytes by ${artifact.manifest.initKernels?.length ?? 0} init kernels`);

const session = await InferenceSession.create(artifact);
const times = [];
let logits;
for (let r = 0; r < 50; r++) {
  const s = performance.now();
  ({ logits } = await session.run({ x }));
  times.push(performance.now() - s);
}
await session.release();
times.sort((a, b) => a - b);
console.log(`run: median ${times[25].toFixed(3)} ms, best ${times[0].toFixed(3)} ms over 50 runs`);

// A value on the edge between two codes may round the other way after float32 sums in another order (FMA under
// relaxed SIMD, say), moving the output by about one code step: hence the tolerance.
const expected = npy('expected.npy');
let maxAbs = 0;
let equal = 0;
for (let i = 0; i < expected.data.length; i++) {
  const d = Math.abs(logits.data[i] - expected.data[i]);
  maxAbs = Math.max(maxAbs, d);
  if (d === 0) equal++;
}
const ok = maxAbs <= 2e-2;
console.log(`max |tensorc - numpy QDQ| = ${maxAbs.toExponential(2)}, ${equal} of ${expected.data.length} equal (${ok ? 'ok' : 'MISMATCH'}: tolerance 2e-2, about one code step)`);
if (!ok) process.exitCode = 1;
