// Draws five test images procedurally (one per class: disk, square, ring, horizontal and vertical stripes),
// compiles the small CNN in model.onnx with tensorc, runs the batch with @tensorc/runtime, prints each image's top
// classes and the timing, and checks the logits against PyTorch's (expected.npy, from make-model.py).
// Run after `npm install` at the repository root:  node examples/cnn/run.mjs

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor, compile, readNpy } from 'tensorc';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZE = 32;
const classes = JSON.parse(fs.readFileSync(path.join(here, 'classes.json'), 'utf8'));

/** The same drawing as make-model.py's draw(): exact arithmetic only, so the pixels match bit for bit. */
function draw(kind, cx, cy, r, fg, bg) {
  const img = new Float32Array(3 * SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const d2 = (x - cx) ** 2 + (y - cy) ** 2;
      const inside = [
        d2 <= r * r,
        Math.abs(x - cx) <= r && Math.abs(y - cy) <= r,
        d2 <= r * r && d2 >= (r - 3) * (r - 3),
        Math.floor(y / r) % 2 === 0,
        Math.floor(x / r) % 2 === 0,
      ][kind];
      for (let c = 0; c < 3; c++) img[c * SIZE * SIZE + y * SIZE + x] = inside ? fg[c] : bg[c];
    }
  }
  return img;
}

const TEST_IMAGES = [
  [0, 15, 17, 9, [0.9, 0.2, 0.1], [0.1, 0.1, 0.3]],
  [1, 12, 14, 7, [0.2, 0.8, 0.3], [0.9, 0.9, 0.8]],
  [2, 17, 15, 11, [1.0, 0.9, 0.2], [0.2, 0.1, 0.4]],
  [3, 0, 0, 4, [0.1, 0.3, 0.9], [0.95, 0.95, 0.95]],
  [4, 0, 0, 5, [0.0, 0.0, 0.0], [0.8, 0.6, 0.3]],
];

const batch = new Float32Array(TEST_IMAGES.length * 3 * SIZE * SIZE);
TEST_IMAGES.forEach((t, i) => batch.set(draw(...t), i * 3 * SIZE * SIZE));
const image = new Tensor('float32', batch, [TEST_IMAGES.length, 3, SIZE, SIZE]);

let t0 = performance.now();
const artifact = await compile(path.join(here, 'model.onnx'), { inputShapes: { image: [...image.dims] } });
await artifact.save(path.join(here, 'out'));
console.log(`compiled model.onnx in ${(performance.now() - t0).toFixed(0)} ms: ${artifact.manifest.kernels.length} kernels, ` +
  `model.wasm ${artifact.wasm.length} bytes, weights ${artifact.weights.length} bytes -> examples/cnn/out/`);

t0 = performance.now();
const session = await InferenceSession.create(path.join(here, 'out'));
console.log(`session created in ${(performance.now() - t0).toFixed(1)} ms (${session.variant})`);
const times = [];
let logits;
for (let r = 0; r < 30; r++) {
  const s = performance.now();
  ({ logits } = await session.run({ image }));
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
await session.release();

const n = classes.length;
for (let i = 0; i < TEST_IMAGES.length; i++) {
  const row = Array.from(logits.data.subarray(i * n, (i + 1) * n));
  const max = Math.max(...row);
  const exp = row.map((v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const top = exp.map((e, k) => [k, e / sum]).sort((a, b) => b[1] - a[1]).slice(0, 3);
  const guess = top.map(([k, p]) => `${classes[k]} ${(100 * p).toFixed(1)}%`).join(', ');
  console.log(`image ${i} (drawn: ${classes[TEST_IMAGES[i][0]]}): ${guess}`);
}
console.log(`run: batch of ${TEST_IMAGES.length} images, median ${times[15].toFixed(3)} ms, best ${times[0].toFixed(3)} ms over 30 runs`);

// The check: tensorc's logits against PyTorch's on the same pixels.
const expected = readNpy(new Uint8Array(fs.readFileSync(path.join(here, 'expected.npy'))));
let worst = 0;
for (let i = 0; i < expected.data.length; i++) {
  worst = Math.max(worst, Math.abs(logits.data[i] - expected.data[i]) / (1e-4 + 1e-4 * Math.abs(expected.data[i])));
}
const maxAbs = Math.max(...Array.from(expected.data, (v, i) => Math.abs(logits.data[i] - v)));
console.log(`max |tensorc - PyTorch| = ${maxAbs.toExponential(2)} (${worst <= 1 ? 'ok' : 'MISMATCH'}: tolerance 1e-4 + 1e-4·|PyTorch|)`);
if (worst > 1) process.exitCode = 1;
