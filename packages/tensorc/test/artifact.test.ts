// Artifacts are reproducible and small: compiling the same model twice gives identical bytes in every file
// (all code variants, weights, manifest), and each bench model's modules stay under the 300 KB budget.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const benchDir = process.env['BENCH_MODELS'] ?? path.resolve(root, '../shared/bench-models');

describe('artifacts', () => {
  it('compiling the same model twice gives identical bytes', async () => {
    // both examples are exported with a dynamic batch: pin it
    for (const [model, inputShapes] of [['examples/mlp/model.onnx', { x: [1, 784] }], ['examples/cnn/model.onnx', { image: [2, 3, 32, 32] }]] as const) {
      const file = path.join(root, model);
      const opts = { inputShapes };
      const [a, b] = [await compile(file, opts), await compile(file, opts)];
      expect(Object.keys(a.wasmVariants).sort()).toEqual(Object.keys(b.wasmVariants).sort());
      expect(Object.keys(a.wasmVariants).length).toBe(4);
      for (const [name, bytes] of Object.entries(a.wasmVariants)) expect(Buffer.compare(bytes, b.wasmVariants[name]!), `${model} ${name}`).toBe(0);
      expect(Buffer.compare(a.weights, b.weights)).toBe(0);
      expect(JSON.stringify(a.manifest)).toBe(JSON.stringify(b.manifest));
    }
  }, 120_000);

  it('threads: 1 and relaxedSimd: false leave the matching code variants out', async () => {
    const file = path.join(root, 'examples/mlp/model.onnx');
    const variants = async (o: object) => Object.keys((await compile(file, { inputShapes: { x: [1, 784] }, ...o })).wasmVariants).sort();
    expect(await variants({ threads: 1 })).toEqual(['model.relaxed.wasm', 'model.wasm']);
    expect(await variants({ relaxedSimd: false })).toEqual(['model.mt.wasm', 'model.wasm']);
    expect(await variants({ threads: 1, relaxedSimd: false })).toEqual(['model.wasm']);
    await expect(compile(file, { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  }, 120_000);

  it('every bench model compiles to modules under 300 KB', async (ctx) => {
    const manifest = path.join(benchDir, 'manifest.json');
    if (!fs.existsSync(manifest)) {
      console.log(`[artifacts] ${benchDir} is absent: bench-model size check skipped`);
      ctx.skip();
      return;
    }
    const models = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string; file: string; inputs: { name: string; dims: number[] }[] }[];
    for (const m of models) {
      const art = await compile(path.join(benchDir, m.file), { inputShapes: Object.fromEntries(m.inputs.map((i) => [i.name, i.dims])) });
      for (const [name, bytes] of Object.entries(art.wasmVariants)) expect(bytes.length, `${m.name} ${name}`).toBeLessThan(300 * 1024);
    }
  }, 300_000);
});
