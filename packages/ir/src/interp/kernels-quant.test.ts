// Hand-computed quantize / dequantize cases through the interpreter: per-tensor, per-axis and blocked scales,
// round-half-even and saturation of integer codes, fp8 with and without saturation, MXFP4 (float4e2m1 codes
// with float8e8m0 block-32 scales).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { DType } from '../dtype.js';
import { roundToDType } from '../numeric/index.js';
import type { QuantScheme } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { tensorType } from '../types.js';
import { interpret } from './interpret.js';

const t = (dtype: DType, shape: number[], values: number[]): HostTensor => ({ dtype, shape, data: Float64Array.from(values) });

function run(kind: 'quantize' | 'dequantize', scheme: QuantScheme, ins: HostTensor[], out: DType): number[] {
  const b = new GraphBuilder();
  const ids = ins.map((x, i) => b.input(`in${i}`, tensorType(x.dtype, x.shape)));
  b.output('y', b.add1({ kind, scheme }, ids, [tensorType(out, ins[0]!.shape)]));
  const res = interpret(b.build(), Object.fromEntries(ins.map((x, i) => [`in${i}`, x])))['y'] as HostTensor;
  expect(res.dtype).toBe(out);
  expect(res.shape).toEqual(ins[0]!.shape);
  return Array.from(res.data as Float64Array);
}

const perTensor: QuantScheme = { axis: null, blockSize: null, saturate: true };

describe('quantize', () => {
  it('int8 per-tensor: half to even, zero point, saturation', () => {
    const x = t('float32', [8], [0.5, 1.5, 2.5, -0.5, -1.5, 300, -300, 7]);
    expect(run('quantize', perTensor, [x, t('float32', [], [1])], 'int8')).toEqual([0, 2, 2, 0, -2, 127, -128, 7]);
    expect(run('quantize', perTensor, [x, t('float32', [], [2]), t('int8', [], [10])], 'int8')).toEqual([10, 11, 11, 10, 9, 127, -128, 14]);
  });

  it('uint8 per-axis', () => {
    const x = t('float32', [2, 3], [1, 2, 3, 1, 2, 3]);
    const s: QuantScheme = { axis: 0, blockSize: null, saturate: true };
    expect(run('quantize', s, [x, t('float32', [2], [1, 2]), t('uint8', [2], [0, 254])], 'uint8')).toEqual([1, 2, 3, 254, 255, 255]);
  });

  it('int4 blocked, with a short last block', () => {
    const x = t('float32', [2, 5], [1, 2, 3, 4, 5, -1, -2, -3, -4, -50]);
    const s: QuantScheme = { axis: 1, blockSize: 2, saturate: true };
    const scale = t('float32', [2, 3], [1, 2, 4, 1, 2, 4]);
    const zp = t('int4', [2, 3], [0, 1, -1, 0, 0, 0]);
    // row 0: 1/1, 2/1 | 3/2=1.5->2 +1, 4/2=2 +1 | 5/4=1.25->1 -1; row 1: -1, -2 | -1.5->-2, -1.5->-2 | -12.5 -> -8
    expect(run('quantize', s, [x, scale, zp], 'int4')).toEqual([1, 2, 3, 3, 0, -1, -2, -2, -2, -8]);
  });

  it('divides in the promoted dtype: float16 / float16 rounds the quotient to float16 before rint', () => {
    // 30.4375 / float16(0.3) = 101.483..., which float16 (spacing 1/16 there) rounds to 101.5 -> even 102.
    const scale = 0.2999267578125;
    expect(run('quantize', perTensor, [t('float16', [1], [30.4375]), t('float16', [], [scale])], 'uint8')).toEqual([102]);
    expect(run('quantize', perTensor, [t('float32', [1], [30.4375]), t('float32', [], [scale])], 'uint8')).toEqual([101]);
  });

  it('float8e4m3fn with and without saturation', () => {
    const x = t('float32', [5], [1000, -1000, 1, 0.3, Infinity]);
    const scale = t('float32', [], [1]);
    expect(run('quantize', perTensor, [x, scale], 'float8e4m3fn')).toEqual([448, -448, 1, 0.3125, 448]);
    const raw = run('quantize', { ...perTensor, saturate: false }, [x, scale], 'float8e4m3fn');
    expect(raw.slice(2, 4)).toEqual([1, 0.3125]);
    expect([raw[0], raw[1], raw[4]].every(Number.isNaN)).toBe(true);
  });

  it('MXFP4: float4e2m1 codes with float8e8m0 block-32 scales, round trip', () => {
    const xs = new Array<number>(64).fill(0);
    [0.25, 0.75, 1.25, 2.5, 5, 7, -0.7, 100].forEach((v, i) => { xs[i] = v; });
    [1, 3, 10, 30].forEach((v, i) => { xs[32 + i] = v; });
    const x = t('float32', [1, 64], xs);
    const scale = t('float8e8m0', [1, 2], [1, 4]);
    const s: QuantScheme = { axis: 1, blockSize: 32, saturate: true };
    const codes = run('quantize', s, [x, scale], 'float4e2m1');
    // ties go to the even code: 0.25->0, 0.75->1, 1.25->1, 2.5->2, 5->4; beyond 6 clamps
    expect(codes.slice(0, 8)).toEqual([0, 1, 1, 2, 4, 6, -0.5, 6]);
    expect(codes.slice(32, 36)).toEqual([0, 1, 2, 6]);
    const back = run('dequantize', s, [t('float4e2m1', [1, 64], codes), scale], 'float32');
    expect(back.slice(0, 8)).toEqual([0, 1, 1, 2, 4, 6, -0.5, 6]);
    expect(back.slice(32, 36)).toEqual([0, 4, 8, 24]);
    expect(back.slice(36).every((v) => v === 0)).toBe(true);
  });
});

describe('dequantize', () => {
  it('int8 per-tensor and uint8 per-axis with zero points', () => {
    expect(run('dequantize', perTensor, [t('int8', [3], [-128, 0, 127]), t('float32', [], [0.5]), t('int8', [], [-1])], 'float32')).toEqual([-63.5, 0.5, 64]);
    const s: QuantScheme = { axis: 1, blockSize: null, saturate: true };
    const x = t('uint8', [2, 2], [0, 255, 10, 20]);
    expect(run('dequantize', s, [x, t('float32', [2], [1, 0.25]), t('uint8', [2], [10, 20])], 'float32')).toEqual([-10, 58.75, 0, 0]);
  });

  it('int4 blocked into float16', () => {
    const s: QuantScheme = { axis: 0, blockSize: 3, saturate: true };
    const x = t('int4', [4], [7, -8, 1, 3]);
    const scale = t('float16', [2], [0.0999755859375, 3]); // float16(0.1)
    const got = run('dequantize', s, [x, scale], 'float16');
    expect(got).toEqual([roundToDType(7 * 0.0999755859375, 'float16'), -0.7998046875, 0.0999755859375, 9]);
  });

  it('float8e4m3fn codes ignore a zero zero point', () => {
    expect(run('dequantize', perTensor, [t('float8e4m3fn', [3], [448, -0.3125, 1]), t('float32', [], [2]), t('float8e4m3fn', [1], [0])], 'float32')).toEqual([896, -0.625, 2]);
  });
});
