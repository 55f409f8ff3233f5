// DFT (opset 17: axis attribute, default 1; opset 20: axis input, default -2) lowered to one contraction of
// the signal with a compile-time twiddle table. Covers the full forward and inverse transforms of real
// ([..., 1]) or complex ([..., 2]) input, RFFT (onesided forward) and IRFFT (onesided inverse, real output),
// with dft_length truncating or zero-padding the signal. dft_length and axis decide shapes, so they must be
// known at compile time.

import type { ValueId } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { contractAlongAxis } from './signal-axis-contract.js';
import { buildTwiddles, computeDtype, requireSignalDtype, scalarInput, tableConstant, toComputeDtype } from './signal-common.js';

function dftAxis(ctx: ConvertContext, rank: number): number {
  let axis: number;
  if (ctx.opset >= 20) axis = ctx.optInput(2) === undefined ? -2 : scalarInput(ctx, 2, 'axis');
  else axis = ctx.attrs.int('axis', 1);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a > rank - 2) {
    ctx.fail('SHAPE_ERROR', `axis ${axis} is out of range for rank ${rank}: it must be in [-${rank}, -2] or [0, ${rank - 2}] (the last dim holds the components)`);
  }
  return a;
}

export function convertDft(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const t = ctx.tensorTypeOf(x);
  requireSignalDtype(ctx, t.dtype, 'DFT input');
  const r = t.shape.length;
  if (r < 2) ctx.fail('SHAPE_ERROR', `DFT input has rank ${r}; it needs a signal axis and a trailing component axis`);
  const C = t.shape[r - 1];
  if (C !== 1 && C !== 2) ctx.fail('SHAPE_ERROR', `the last dim of a DFT input holds (real) or (real, imaginary) and must be 1 or 2, got ${String(C)}`);
  const axis = dftAxis(ctx, r);
  const L = t.shape[axis]!;
  if (typeof L !== 'number') ctx.fail('UNSUPPORTED_OP', `DFT along symbolic dim ${L}: the twiddle table needs its length; pin input shapes`);
  const inverse = ctx.attrs.int('inverse', 0);
  const onesided = ctx.attrs.int('onesided', 0);
  if (inverse !== 0 && inverse !== 1) ctx.attrs.unsupported('inverse', `${inverse} (must be 0 or 1)`);
  if (onesided !== 0 && onesided !== 1) ctx.attrs.unsupported('onesided', `${onesided} (must be 0 or 1)`);
  const irfft = inverse === 1 && onesided === 1;
  const n = ctx.optInput(1) !== undefined ? scalarInput(ctx, 1, 'dft_length') : irfft ? 2 * (L - 1) : L;
  if (!Number.isSafeInteger(n) || n < 1) ctx.fail('SHAPE_ERROR', `dft_length ${n} must be positive${ctx.optInput(1) === undefined ? ` (the default for a signal axis of ${L})` : ''}`);
  const half = Math.floor(n / 2) + 1;
  // Positions read (M) and written (K) along the axis.
  const M = Math.min(L, irfft ? half : n);
  const K = onesided === 1 && inverse === 0 ? half : n;
  const table = buildTwiddles(ctx, { n, inLen: M, inComps: C, outLen: K, inverse: inverse === 1, hermitian: irfft });
  const cdt = computeDtype(t.dtype);
  const y = contractAlongAxis(ctx, toComputeDtype(ctx, x), tableConstant(ctx, table, cdt), {
    axis, dims: table.shape, divideBy: inverse === 1 ? n : 1, outDtype: t.dtype,
  });
  return [y];
}
