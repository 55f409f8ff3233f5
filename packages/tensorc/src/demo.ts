// `npm run demo`: compiles the bundled example MLP (examples/mlp/model.onnx) to WebAssembly, runs it with
// @tensorc/runtime, checks the result against tensorc's reference interpreter, and prints outputs and timing.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOnnx } from '@tensorc/frontend';
import { type HostTensor, interpret, toHostTensor } from '@tensorc/ir';
import { InferenceSession, type TensorType } from '@tensorc/runtime';
import { randomTensor } from './cli-run.js';
import { compile } from './compile.js';
import { readNpy } from './npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const model = process.argv[2] ?? path.join(root, 'examples/mlp/model.onnx');

async function main(): Promise<void> {
  console.log(`tensorc demo: ${path.relative(process.cwd(), model)}`);
  // The example ships an input and PyTorch's output next to the model (examples/mlp/make-model.py).
  const dir = path.dirname(model);
  const inputFile = path.join(dir, 'input.npy');
  const given = fs.existsSync(inputFile) ? readNpy(new Uint8Array(fs.readFileSync(inputFile))) : undefined;
  const onnxInputs = importOnnx(new Uint8Array(fs.readFileSync(model)), { baseDir: dir }).inputs;
  const inputShapes = given ? { [onnxInputs[0]!.name]: [...given.dims] } : undefined;
  let t = performance.now();
  const artifact = await compile(model, { ...(inputShapes ? { inputShapes } : {}), onStage: (s, ms, d) => console.log(`  ${s.padEnd(9)} ${ms.toFixed(1).padStart(8)} ms  ${d ?? ''}`) });
  console.log(`compiled in ${(performance.now() - t).toFixed(0)} ms: model.wasm ${artifact.wasm.length} bytes, weights ${artifact.weights.length} bytes`);
  const outDir = path.join(root, 'out/demo');
  await artifact.save(outDir);
  t = performance.now();
  const session = await InferenceSession.create(outDir);
  console.log(`session created in ${(performance.now() - t).toFixed(1)} ms from ${path.relative(process.cwd(), outDir)}/`);
  const feeds = Object.fromEntries(artifact.manifest.inputs.map((i, k) => [i.name, k === 0 && given ? given : randomTensor(i.dtype as TensorType, i.shape as number[], k + 1)]));
  const times: number[] = [];
  let outputs: Awaited<ReturnType<typeof session.run>> = {};
  for (let r = 0; r < 50; r++) {
    const s = performance.now();
    outputs = await session.run(feeds);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  // The same inputs through the reference interpreter.
  const graph = importOnnx(new Uint8Array(fs.readFileSync(model)), { baseDir: dir, ...(inputShapes ? { inputShapes } : {}) });
  const expectedFile = path.join(dir, 'expected.npy');
  const torchOut = given && fs.existsSync(expectedFile) ? readNpy(new Uint8Array(fs.readFileSync(expectedFile))) : undefined;
  const ref = interpret(graph, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toHostTensor(v.type, [...v.dims], v.data as never)])));
  for (const [name, out] of Object.entries(outputs)) {
    const got = Array.from(out.data as Float32Array);
    const want = Array.from((ref[name] as HostTensor).data as Float64Array);
    const maxErr = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
    console.log(`output ${name}: ${out.type}[${out.dims.join(',')}] = [${got.slice(0, 8).map((v) => v.toFixed(5)).join(', ')}${got.length > 8 ? ', ...' : ''}]`);
    console.log(`  max |wasm - reference interpreter| = ${maxErr.toExponential(2)}`);
    if (torchOut) console.log(`  max |wasm - PyTorch| = ${Math.max(...got.map((v, i) => Math.abs(v - (torchOut.data as Float32Array)[i]!))).toExponential(2)}`);
  }
  console.log(`run: median ${times[25]!.toFixed(3)} ms, best ${times[0]!.toFixed(3)} ms over 50 runs`);
  await session.release();
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
