// ONNX's own QuantizeLinear / DequantizeLinear backend tests run through the interpreter: each test's node
// becomes one quantize/dequantize op (scheme from its axis/block_size attributes and the scale's shape), and the
// result must equal output_0.pb code for code. Skips with a notice when the shared test data is absent.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { DType } from '../dtype.js';
import { fromHostTensor, isCodedFloatDType, isNaNCode, toHostTensor, type UserTensor } from '../numeric/index.js';
import { backendTestsDir, onnxReader } from '../numeric/__tests__/onnx-pb.js';
import type { QuantScheme } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { interpret } from './interpret.js';

const dir = backendTestsDir();
if (!dir) console.warn('kernels-quant-onnx.test: ONNX backend test data not found (set ONNX_BACKEND_TESTS); skipping');

const cases = dir
  ? fs.readdirSync(path.join(dir, 'node')).filter((n) => /^test_(de)?quantizelinear/.test(n)).sort()
  : [];

function sameCode(type: DType, x: number | bigint | string, y: number | bigint | string): boolean {
  if (typeof x === 'number' && typeof y === 'number') {
    if (type === 'float32' || type === 'float64') return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    if (isCodedFloatDType(type)) return x === y || (isNaNCode(x, type) && isNaNCode(y, type));
  }
  return x === y;
}

/** The IR scheme for an ONNX node: a one-element scale is per-tensor, else per-axis or blocked on `axis`. */
function schemeOf(attrs: Record<string, number | string>, x: UserTensor, scale: UserTensor): QuantScheme {
  const perTensor = scale.dims.reduce((a, b) => a * b, 1) === 1 && (scale.dims.length <= 1);
  const raw = attrs['axis'] === undefined ? 1 : Number(attrs['axis']);
  const axis = raw < 0 ? raw + x.dims.length : raw;
  const block = Number(attrs['block_size'] ?? 0);
  const saturate = attrs['saturate'] === undefined ? true : attrs['saturate'] !== 0;
  if (perTensor) return { axis: null, blockSize: null, saturate };
  return { axis, blockSize: block > 0 ? block : null, saturate };
}

describe.skipIf(!dir)('ONNX backend QuantizeLinear / DequantizeLinear tests', () => {
  it('found the tests', () => {
    expect(cases.length).toBeGreaterThan(20);
  });
  it.each(cases)('%s', (name) => {
    const reader = onnxReader(dir!);
    const base = path.join(dir!, 'node', name);
    const node = reader.readFirstNode(path.join(base, 'model.onnx'));
    const data = path.join(base, 'test_data_set_0');
    const inputs = fs.readdirSync(data).filter((f) => /^input_\d+\.pb$/.test(f)).sort().map((f) => reader.readTensor(path.join(data, f)));
    const expected = reader.readTensor(path.join(data, 'output_0.pb'));
    const scheme = schemeOf(node.attrs, inputs[0]!, inputs[1]!);
    const b = new GraphBuilder();
    const ids = inputs.map((t, i) => b.input(`in${i}`, tensorType(t.type, t.dims)));
    const kind = node.opType === 'QuantizeLinear' ? 'quantize' : 'dequantize';
    b.output('y', b.add1({ kind, scheme }, ids, [tensorType(expected.type, expected.dims)]));
    const feeds = Object.fromEntries(inputs.map((t, i) => [`in${i}`, toHostTensor(t.type, t.dims, t.data)]));
    const got = fromHostTensor(interpret(b.build(), feeds)['y'] as HostTensor);
    expect(got.type).toBe(expected.type);
    expect(got.dims).toEqual(expected.dims);
    const bad: string[] = [];
    for (let i = 0; i < expected.data.length; i++) {
      if (!sameCode(expected.type, got.data[i]!, expected.data[i]!)) bad.push(`[${i}] got ${String(got.data[i])}, want ${String(expected.data[i])}`);
    }
    expect(bad).toEqual([]);
  });
});
