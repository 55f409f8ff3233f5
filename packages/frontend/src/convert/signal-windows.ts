// HannWindow, HammingWindow, BlackmanWindow: the window's length decides its shape, so it must be known at
// compile time, and then the whole window is a constant, computed in float64 and rounded (or, for integer
// output_datatype, truncated) to the output dtype as ONNX's reference does.

import { type DType, type ValueId, dtypeFromOnnx } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { hostFromFloat64, scalarInput } from './signal-common.js';
import type { ConverterTable } from './registry-types.js';

/** Output types the window ops and MelWeightMatrix allow (ONNX's T2 / T3). */
const NUMERIC_OUTPUTS: ReadonlySet<DType> = new Set([
  'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'bfloat16',
]);

/** Largest generated tensor (elements). */
export const MAX_GENERATED_ELEMENTS = 1 << 24;

/** The output_datatype attribute (default FLOAT) as a dtype, refusing non-numeric types. */
export function outputDatatype(ctx: ConvertContext): DType {
  const code = ctx.attrs.int('output_datatype', 1);
  const dt = dtypeFromOnnx(code);
  if (dt === undefined || !NUMERIC_OUTPUTS.has(dt)) ctx.attrs.unsupported('output_datatype', `${code} is not a numeric type this op produces`);
  return dt;
}

/** w[i] for i in [0, size), where `period` is size (periodic) or size - 1 (symmetric). */
type WindowFormula = (i: number, period: number) => number;

// The reference's formulas. A symmetric window of size 1 has period 0 and, as in the reference, is NaN.
const hann: WindowFormula = (i, p) => Math.sin((Math.PI * i) / p) ** 2;
const hamming: WindowFormula = (i, p) => 25 / 46 - (21 / 46) * Math.cos((2 * Math.PI * i) / p);
const blackman: WindowFormula = (i, p) => 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / p) + 0.08 * Math.cos((4 * Math.PI * i) / p);

function windowOp(formula: WindowFormula): (ctx: ConvertContext) => ValueId[] {
  return (ctx) => {
    const size = scalarInput(ctx, 0, 'size');
    if (size < 0) ctx.fail('SHAPE_ERROR', `window size ${size} is negative`);
    if (size > MAX_GENERATED_ELEMENTS) ctx.fail('LIMIT_EXCEEDED', `window size ${size} exceeds ${MAX_GENERATED_ELEMENTS}`);
    const periodic = ctx.attrs.int('periodic', 1);
    if (periodic !== 0 && periodic !== 1) ctx.attrs.unsupported('periodic', `${periodic} (must be 0 or 1)`);
    const dt = outputDatatype(ctx);
    const period = periodic === 1 ? size : size - 1;
    const values = Float64Array.from({ length: size }, (_, i) => formula(i, period));
    return [ctx.b.constant(hostFromFloat64(dt, [size], values))];
  };
}

export const SIGNAL_WINDOWS: ConverterTable = {
  HannWindow: { since: 17, convert: windowOp(hann) },
  HammingWindow: { since: 17, convert: windowOp(hamming) },
  BlackmanWindow: { since: 17, convert: windowOp(blackman) },
};
