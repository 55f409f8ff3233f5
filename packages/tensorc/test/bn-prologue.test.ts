// BatchNorm before the layer it feeds, from PyTorch (fixtures bn_prologue: BatchNorm1d -> Linear, BatchNorm2d -> 1x1
// Conv, BatchNorm2d -> 3x3 Conv with padding 1; cnn_bn: BatchNorm1d on flattened features -> Linear). compile()
// folds the BatchNorms before the Linear and the 1x1 Conv into their weights (fold-affine-prologue) and keeps the one
// before the padded 3x3 (refused-padded-shift): each fold removes a kernel, and the results still match PyTorch.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileGraph } from '@tensorc/backend';
import { importOnnx } from '@tensorc/frontend';
import { OPTIMIZE_PIPELINE, runPipeline } from '@tensorc/ir';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { fixtures, manifest, root, worstError } from './pytorch-fixtures.js';

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
      // The backend's float32 GEMM rounds differently from PyTorch's: a few of PyTorch's tolerances.
      expect(await worstError(fused, m)).toBeLessThan(5);
    }, 120_000);
  }

  it('tensorc compile --stats reports the folds and the refusal', () => {
    const cli = path.join(root, 'packages/tensorc/dist/cli.js');
    const r = spawnSync(process.execPath, [cli, 'compile', path.join(fixtures, 'bn_prologue_static.onnx'), '-o', path.join(tmp, 'a'), '--stats'], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass fold-affine-prologue +\d+ -> \d+ +nodes +[\d.]+ ms +folded=2 maps-removed=2 refused-padded-shift=1/);
  }, 240_000);
});
