// The runnable examples stay runnable: each examples/<name>/run.mjs is spawned as a user would run it (against
// the built packages) and must exit 0, which it does only when its outputs match the references beside it (PyTorch's;
// numpy's for the QDQ model);
// the NHWC example (no PyTorch reference) must find its layout policies in agreement.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const EXAMPLES: Record<string, RegExp[]> = {
  cnn: [/image 0 \(drawn: disk\): disk /, /image 4 \(drawn: vertical stripes\): vertical stripes /, /max \|tensorc - PyTorch\| = \S+ \(ok/],
  transformer: [/y: float32\[1, 32, 64\]/, /changing token 31 moved earlier outputs by 0 /, /max \|tensorc - PyTorch\| = \S+ \(ok/],
  moe: [/tokens per expert \[4, 5, 10, 7, 7, 5, 14, 12\]/, /experts identical to PyTorch's; max \|tensorc - PyTorch\| = \S+ \(ok/],
  'qdq': [/quant-as-map: 3 QuantizeLinear and 6 DequantizeLinear as maps/, /kernels: map 1, gemm 3;/, /max \|tensorc - numpy QDQ\| = \S+, \d+ of 640 equal \(ok/],
};

describe('examples', () => {
  for (const [name, patterns] of Object.entries(EXAMPLES)) {
    it(`examples/${name}/run.mjs matches its reference`, () => {
      const r = spawnSync(process.execPath, [path.join(root, 'examples', name, 'run.mjs')], { encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      for (const p of patterns) expect(r.stdout).toMatch(p);
      expect(r.stdout).toMatch(/median [\d.]+ ms/);
    }, 300_000);
  }

  for (const model of ['cnn_nhwc_56', 'mobilenet_nhwc_112']) {
    it(`examples/nhwc-cnn/compare-policies.mjs ${model}: the layout policies agree; auto and nhwc leave no transpose`, () => {
      const script = path.join(root, 'examples/nhwc-cnn/compare-policies.mjs');
      const r = spawnSync(process.execPath, [script, path.join(root, `examples/nhwc-cnn/${model}.onnx`), '1', '3'], { encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/outputs agree/);
      expect(r.stdout).toMatch(/^nchw: \d+ kernels \(transpose 2/m);
      expect(r.stdout).not.toMatch(/^(auto|nhwc): .*transpose/m);
      // the depthwise layers run NHWC, their bias and ReLU fused
      if (model.startsWith('mobilenet')) expect(r.stdout).toMatch(/^auto: \d+ kernels \(.*depthwise_nhwc 4/m);
      if (model.startsWith('mobilenet')) expect(r.stdout).not.toMatch(/^auto: .*map/m);
    }, 300_000);
  }
});
