// ONNX's own Cast/CastLike backend tests, element by element: decode input_0.pb, castScalar each element with the
// node's `to`/`saturate`, and compare the codes with output_0.pb bit for bit (any NaN code matches any NaN code,
// since a JS NaN has no sign or payload). Skips with a notice when the shared test data is absent.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dtypeFromOnnx, type DType } from '../dtype.js';
import { hostTensor } from '../tensor.js';
import { backendTestsDir, onnxReader } from './__tests__/onnx-pb.js';
import {
  castScalar, fromHostTensor, isCodedFloatDType, isNaNCode, readScalar, toHostTensor, type UserTensor,
} from './index.js';

const dir = backendTestsDir();
if (!dir) console.warn('onnx-cast-data.test: ONNX backend test data not found (set ONNX_BACKEND_TESTS); skipping');

const cases = dir
  ? fs.readdirSync(path.join(dir, 'node')).filter((n) => /^test_cast(like)?_/.test(n) && !n.endsWith('_expanded')).sort()
  : [];

function sameElement(type: DType, a: UserTensor['data'], b: UserTensor['data'], i: number): boolean {
  const x = a[i]!;
  const y = b[i]!;
  if (typeof x === 'number' && typeof y === 'number') {
    if (type === 'float32' || type === 'float64') return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    if (isCodedFloatDType(type)) return x === y || (isNaNCode(x, type) && isNaNCode(y, type));
  }
  return x === y;
}

describe.skipIf(!dir)('ONNX backend Cast tests', () => {
  it('found the cast tests', () => {
    expect(cases.length).toBeGreaterThan(50);
  });
  it.each(cases)('%s', (name) => {
    const reader = onnxReader(dir!);
    const base = path.join(dir!, 'node', name);
    const node = reader.readFirstNode(path.join(base, 'model.onnx'));
    const input = reader.readTensor(path.join(base, 'test_data_set_0/input_0.pb'));
    const expected = reader.readTensor(path.join(base, 'test_data_set_0/output_0.pb'));
    const to = node.opType === 'CastLike'
      ? reader.readTensor(path.join(base, 'test_data_set_0/input_1.pb')).type
      : dtypeFromOnnx(node.attrs['to'] as number)!;
    expect(expected.type).toBe(to);
    const saturate = node.attrs['saturate'] === undefined ? true : node.attrs['saturate'] !== 0;
    const src = toHostTensor(input.type, input.dims, input.data);
    const n = src.data.length;
    const out: (number | bigint | string)[] = [];
    for (let i = 0; i < n; i++) out.push(castScalar(readScalar(src, i), input.type, to, saturate));
    const data = to === 'string' ? (out as string[])
      : to === 'int64' ? BigInt64Array.from(out as bigint[])
        : to === 'uint64' ? BigUint64Array.from(out as bigint[]) : Float64Array.from(out as number[]);
    const got = fromHostTensor(hostTensor(to, input.dims, data));
    expect(got.dims).toEqual(expected.dims);
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!sameElement(to, got.data, expected.data, i)) {
        bad.push(`[${i}] ${String(readScalar(src, i))} -> got ${String(got.data[i])}, want ${String(expected.data[i])}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
