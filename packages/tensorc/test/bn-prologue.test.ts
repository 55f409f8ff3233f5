// BatchNorm before the layer it feeds, from PyTorch (fixtures bn_prologue: BatchNorm1d -> Linear, BatchNorm2d -> 1x1
// Conv, BatchNorm2d -> 3x3 Conv with padding 1; cnn_bn: BatchNorm1d on flattened features -> Linear). compile()
// folds the BatchNorms before the Linear and the 1x1 Conv into their weights (fold-affine-prologue) and keeps the one
// before the padded 3x3 (refused-padded-shift): each fold removes a kernel, and the results still match PyTorch.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGraph } from '@tensorc/backend';
import { importOnnx } from '@tensorc/frontend';
import { OPTIMIZE_PIPELINE, runPipeline } from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = path.join(root, 'packages/frontend/test/fixtures/pytorch');
const manifest = JSON.parse(fs.readFileSync(path.join(fixtures, 'manifest.json'), 'utf8')) as {
  rtol: number; atol: number; models: { file: string; inputs: string[]; outputs: string[]; cases: { dir: string; inputs: number[][] }[] }[];
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-bn-prologue-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CASES = [
  { name: 'bn_prologue_static', counters: { folded: 2, 'maps-removed': 2, 'refused-padded-shift': 1 } },
  { name: 'cnn_bn_static', counters: { folded: 1, 'maps-removed': 1 } },
];

describe('BatchNorm before Linear / Conv from PyTorch', () => {
  for (const { name, counters } of CASES) {
    it(`${name}: folded into the weights, one kernel less per fold, same results as PyTorch`, async () => {
      const m = manifest.models.find((x) => x.file === `${name}.onnx`)!;
      const c = m.cases[0]!;
      const inputShapes = Object.fromEntries(m.inputs.map((n, i) => [n, c.inputs[i]!]));
      const file = path.join(fixtures, m.file);
      const fused = await compile(file, { inputShapes, verifyEach: true });
      expect(fused.passes.find((p) => p.pass === 'fold-affine-prologue')!.counters).toEqual(counters);
      // The same pipeline without the pass, through the same backend.
      const imported = importOnnx(new Uint8Array(fs.readFileSync(file)), { inputShapes });
      const without = compileGraph(runPipeline(imported, OPTIMIZE_PIPELINE.filter((p) => p.name !== 'fold-affine-prologue')).graph, { simplify: false });
      expect(fused.manifest.kernels.length).toBe(without.manifest.kernels.length - counters['maps-removed']);
      console.log(`[bn-prologue] ${name}: ${without.manifest.kernels.length} kernels without fold-affine-prologue -> ${fused.manifest.kernels.length} with`);
      const npy = (f: string) => readNpy(new Uint8Array(fs.readFileSync(path.join(fixtures, c.dir, f))));
      const feeds = Object.fromEntries(m.inputs.map((n, i) => { const t = npy(`input_${i}.npy`); return [n, new Tensor(t.type as never, t.data as never, [...t.dims])]; }));
      const s = await InferenceSession.create({ manifest: fused.manifest, wasm: fused.wasm, weights: fused.weights });
      try {
        const out = await s.run(feeds);
        m.outputs.forEach((o, i) => {
          const want = npy(`output_${i}.npy`).data as Float32Array;
          const got = out[o]!.data as Float32Array;
          expect(got.length).toBe(want.length);
          // The backend's float32 GEMM rounds differently from PyTorch's: a few of PyTorch's tolerances.
          for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!), `${o}[${k}]`).toBeLessThan(5 * (manifest.atol + manifest.rtol * Math.abs(want[k]!)));
        });
      } finally {
        await s.release();
      }
    }, 120_000);
  }

  it('tensorc compile --stats reports the folds and the refusal', () => {
    const cli = path.join(root, 'packages/tensorc/dist/cli.js');
    const r = spawnSync(process.execPath, [cli, 'compile', path.join(fixtures, 'bn_prologue_static.onnx'), '-o', path.join(tmp, 'a'), '--stats'], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass fold-affine-prologue +\d+ -> \d+ +nodes +[\d.]+ ms +folded=2 maps-removed=2 refused-padded-shift=1/);
  }, 240_000);
});
