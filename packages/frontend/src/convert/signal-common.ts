// Shared pieces of the signal converters: the dtype sums run in, compile-time scalar inputs, and twiddle
// tables as IR constants.

import { type DType, type HostTensor, type ValueId, allocData, arg, cast, castScalar, writeScalar } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { MAX_TWIDDLE_ELEMENTS, type TwiddleSpec, type TwiddleTable, twiddleTable } from './signal-twiddles.js';

/** Float dtype tables are stored in and sums run in: float64 stays, everything narrower computes in float32. */
export const computeDtype = (dt: DType): DType => (dt === 'float64' ? 'float64' : 'float32');

const SIGNAL_DTYPES: ReadonlySet<DType> = new Set(['float16', 'bfloat16', 'float32', 'float64']);

/** Fails unless `dt` is one of the float types the signal ops accept. */
export function requireSignalDtype(ctx: ConvertContext, dt: DType, what: string): void {
  if (!SIGNAL_DTYPES.has(dt)) ctx.fail('TYPE_ERROR', `${what} must be float16, bfloat16, float32 or float64, got ${dt}`);
}

/** x in its compute dtype (a cast for float16/bfloat16). */
export function toComputeDtype(ctx: ConvertContext, x: ValueId): ValueId {
  const dt = ctx.tensorTypeOf(x).dtype;
  const cdt = computeDtype(dt);
  return dt === cdt ? x : ctx.emit1({ kind: 'map', expr: cast(cdt, arg(0)) }, [x]);
}

/** Input i as one integer known at compile time (a scalar or a one-element tensor). */
export function scalarInput(ctx: ConvertContext, i: number, what: string): number {
  const v = ctx.constInts(i, what);
  if (v.length !== 1) ctx.fail('SHAPE_ERROR', `${what} must be a scalar, got ${v.length} values`);
  return v[0]!;
}

/** Float64 values rounded to dtype `dt` (integers truncated toward zero) as a host tensor. */
export function hostFromFloat64(dt: DType, shape: readonly number[], values: ArrayLike<number>): HostTensor {
  const t: HostTensor = { dtype: dt, shape, data: allocData(dt, values.length) };
  for (let i = 0; i < values.length; i++) writeScalar(t, i, castScalar(values[i]!, 'float64', dt, false));
  return t;
}

/** The twiddle table for `spec`, refusing (before building it) one too large to hold. */
export function buildTwiddles(ctx: ConvertContext, spec: TwiddleSpec): TwiddleTable {
  const size = spec.inLen * spec.inComps * spec.outLen * (spec.hermitian ? 1 : 2);
  if (size > MAX_TWIDDLE_ELEMENTS) {
    ctx.fail('LIMIT_EXCEEDED', `DFT of length ${spec.n} needs a ${spec.inLen}x${spec.outLen} twiddle table of ${size} entries (limit ${MAX_TWIDDLE_ELEMENTS}); this lowering is a dense contraction`);
  }
  return twiddleTable(spec);
}

/** The table as a constant of dtype `dt`, shaped [M*C, K*D] unless `shape` says otherwise (same element order). */
export function tableConstant(ctx: ConvertContext, table: TwiddleTable, dt: DType, shape?: readonly number[]): ValueId {
  const [M, C, K, D] = table.shape;
  return ctx.b.constant(hostFromFloat64(dt, shape ?? [M * C, K * D], table.data));
}
