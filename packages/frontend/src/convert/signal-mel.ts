// MelWeightMatrix: triangular filters from the linear DFT bins to mel bands, as ONNX's reference builds them
// (band edges equally spaced on mel(f) = 2595*log10(1 + f/700), mapped to bins floor((dft_length+1)*f/rate)).
// Every input decides the values or the shape, so all must be known at compile time; the result is a constant.

import type { ValueId } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { hostFromFloat64, scalarInput } from './signal-common.js';
import { MAX_GENERATED_ELEMENTS, outputDatatype } from './signal-windows.js';

const melOf = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const hzOf = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

function floatInput(ctx: ConvertContext, i: number, what: string): number {
  const v = ctx.requireConst(i, what);
  if (v.data.length !== 1 || typeof v.data[0] !== 'number') ctx.fail('SHAPE_ERROR', `${what} must be a float scalar`);
  return v.data[0] as number;
}

export function convertMelWeightMatrix(ctx: ConvertContext): ValueId[] {
  const bands = scalarInput(ctx, 0, 'num_mel_bins');
  const dftLength = scalarInput(ctx, 1, 'dft_length');
  const rate = scalarInput(ctx, 2, 'sample_rate');
  const lowHz = floatInput(ctx, 3, 'lower_edge_hertz');
  const highHz = floatInput(ctx, 4, 'upper_edge_hertz');
  const dt = outputDatatype(ctx);
  if (bands < 1 || dftLength < 1 || rate < 1) ctx.fail('SHAPE_ERROR', `num_mel_bins (${bands}), dft_length (${dftLength}) and sample_rate (${rate}) must be positive`);
  const bins = Math.floor(dftLength / 2) + 1;
  if (bins * bands > MAX_GENERATED_ELEMENTS) ctx.fail('LIMIT_EXCEEDED', `a ${bins}x${bands} mel matrix exceeds ${MAX_GENERATED_ELEMENTS} elements`);
  // bands + 2 edges; as in the reference the mel step divides the range by the edge count.
  const lowMel = melOf(lowHz);
  const stepMel = (melOf(highHz) - lowMel) / (bands + 2);
  const edge = Array.from({ length: bands + 2 }, (_, i) => Math.floor(((dftLength + 1) * hzOf(i * stepMel + lowMel)) / rate));
  const out = new Float64Array(bins * bands);
  const set = (j: number, band: number, v: number) => {
    if (j < 0 || j >= bins) ctx.fail('SHAPE_ERROR', `mel band ${band} reaches DFT bin ${j}, outside [0, ${bins}); check lower/upper_edge_hertz against sample_rate / 2`);
    out[j * bands + band] = v;
  };
  for (let i = 0; i < bands; i++) {
    const [lo, mid, hi] = [edge[i]!, edge[i + 1]!, edge[i + 2]!];
    if (mid === lo) set(mid, i, 1);
    else for (let j = lo; j <= mid; j++) set(j, i, (j - lo) / (mid - lo));
    if (hi > mid) for (let j = mid; j < hi; j++) set(j, i, (hi - j) / (hi - mid));
  }
  return [ctx.b.constant(hostFromFloat64(dt, [bins, bands], out))];
}
