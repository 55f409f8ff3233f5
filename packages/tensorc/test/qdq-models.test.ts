// Quantized models (examples/qdq: an MLP and the example CNN in the QDQ layout of a static quantizer, and the
// MLP quantized dynamically: DynamicQuantizeLinear + MatMulInteger on the integer GEMM) through
// compile(): every QuantizeLinear / DequantizeLinear becomes a map (quant-as-map), weights dequantize at compile
// time, activation quantize-dequantize pairs fuse into the GEMM (or max pool) that produces them. Kernel counts
// against the same pipeline without fusion, and the compiled output against the interpreter on the optimized
// graph: equal up to a code step, where a value on a rounding edge goes the other way after float32 sums.

import fs from 'node:fs';
import path from 'node:path';
import { importOnnx } from '@tensorc/frontend';
import { type HostTensor, interpret } from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { root } from './pytorch-fixtures.js';

const CASES = [
  { file: 'model.onnx', input: 'x', shape: [16, 256], kernels: { gemm: 3, map: 1 }, unfused: 14 },
  { file: 'dynamic.onnx', input: 'x', shape: [4, 256], kernels: { map: 12, reduce_lanes: 6, reduce: 6, igemm: 3, widen_a: 3 }, unfused: 41 },
  { file: 'cnn.onnx', input: 'image', shape: [4, 3, 32, 32], kernels: { conv_nhwc_pool_gemm: 2, conv_nhwc_gemm: 1, gemm: 1, contract: 1, map: 1, pad: 3, transpose: 1 }, unfused: 27 },
];

const wave = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.37));

describe('QDQ models', () => {
  for (const c of CASES) {
    it(`examples/qdq/${c.file}: quantization fused away, compiled output within a code step of the interpreter`, async () => {
      const file = path.join(root, 'examples/qdq', c.file);
      const inputShapes = { [c.input]: c.shape };
      const art = await compile(file, { inputShapes, verifyEach: true });
      const plain = await compile(file, { inputShapes, fuse: false });
      const counts: Record<string, number> = {};
      for (const k of art.manifest.kernels) { const kind = k.name.replace(/^k\d+_/, ''); counts[kind] = (counts[kind] ?? 0) + 1; }
      expect(counts).toEqual(c.kernels);
      expect(plain.manifest.kernels.length).toBe(c.unfused);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = wave(n);
      const want = interpret(importOnnx(new Uint8Array(fs.readFileSync(file)), { inputShapes }), { [c.input]: { dtype: 'float32', shape: c.shape, data: Float64Array.from(x) } });
      const s = await InferenceSession.create(art);
      const got = Object.values(await s.run({ [c.input]: new Tensor('float32', x, c.shape) }))[0]!.data as Float32Array;
      await s.release();
      const ref = Object.values(want)[0] as HostTensor;
      let scale = 0;
      for (const v of ref.data as Float64Array) scale = Math.max(scale, Math.abs(v));
      let worst = 0;
      let equalish = 0;
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i]! - Number(ref.data[i]));
        worst = Math.max(worst, d);
        if (d <= 1e-5 * scale) equalish++;
      }
      expect(worst / scale).toBeLessThan(0.03);
      expect(equalish).toBeGreaterThan(0.9 * got.length);
    }, 120_000);
  }
});
