// STFT: frames of the signal (a gather of positions f*frame_step + m) contracted with a twiddle table that
// carries the window, so windowing and the DFT are one matrix product. A constant window is folded into the
// table at compile time; a run-time window scales the table's rows first (M*C*K*D products, not per frame).
// frame_step and frame_length decide the output shape and must be known at compile time.

import { type ValueId, arg, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { contractAlongAxis } from './signal-axis-contract.js';
import { buildTwiddles, computeDtype, requireSignalDtype, scalarInput, tableConstant, toComputeDtype } from './signal-common.js';
import { int64Const, reshapeTo } from './shape-ops.js';

/** Window length from input 2, when given. */
function windowLength(ctx: ConvertContext, signalDtype: string): number | undefined {
  const w = ctx.optInput(2);
  if (w === undefined) return undefined;
  const wt = ctx.tensorTypeOf(w);
  if (wt.dtype !== signalDtype) ctx.fail('TYPE_ERROR', `window is ${wt.dtype} but the signal is ${signalDtype}`);
  if (wt.shape.length !== 1) ctx.fail('SHAPE_ERROR', `window must have rank 1, got [${wt.shape.join(',')}]`);
  const len = wt.shape[0]!;
  if (typeof len !== 'number') return ctx.fail('UNSUPPORTED_OP', `window of symbolic length ${len}; pin input shapes`);
  if (len < 1) ctx.fail('SHAPE_ERROR', 'window is empty');
  return len;
}

export function convertStft(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const t = ctx.tensorTypeOf(x);
  requireSignalDtype(ctx, t.dtype, 'STFT signal');
  if (t.shape.length !== 3) ctx.fail('SHAPE_ERROR', `STFT signal must be [batch, length, 1 or 2], got [${t.shape.join(',')}]`);
  const L = t.shape[1]!;
  const C = t.shape[2]!;
  if (C !== 1 && C !== 2) ctx.fail('SHAPE_ERROR', `the last dim of an STFT signal holds (real) or (real, imaginary) and must be 1 or 2, got ${String(C)}`);
  if (typeof L !== 'number') ctx.fail('UNSUPPORTED_OP', `STFT of a signal of symbolic length ${L}; pin input shapes`);
  const step = scalarInput(ctx, 1, 'frame_step');
  if (step < 1) ctx.fail('SHAPE_ERROR', `frame_step ${step} must be positive`);
  const winLen = windowLength(ctx, t.dtype);
  // The reference's defaults: the window's length, else one frame over the whole signal.
  const n = ctx.optInput(3) !== undefined ? scalarInput(ctx, 3, 'frame_length') : winLen ?? L;
  if (n < 1) ctx.fail('SHAPE_ERROR', `frame_length ${n} must be positive`);
  if (n > L) ctx.fail('SHAPE_ERROR', `frame_length ${n} is longer than the signal (${L})`);
  const onesided = ctx.attrs.int('onesided', 1);
  if (onesided !== 0 && onesided !== 1) ctx.attrs.unsupported('onesided', `${onesided} (must be 0 or 1)`);
  const frames = 1 + Math.floor((L - n) / step);
  // A window longer than the DFT is truncated to it, a shorter one zero-pads the frame: M positions are read.
  const M = Math.min(winLen ?? n, n);
  const K = onesided === 1 ? Math.floor(n / 2) + 1 : n;
  const positions: number[] = [];
  for (let f = 0; f < frames; f++) for (let m = 0; m < M; m++) positions.push(f * step + m);
  const idx = reshapeTo(ctx, int64Const(ctx, positions), [frames, M]);
  const framed = ctx.emit1({ kind: 'gather', axis: 1 }, [toComputeDtype(ctx, x), idx]);

  const cdt = computeDtype(t.dtype);
  const winConst = ctx.constInput(2);
  const weights = winConst ? Float64Array.from(winConst.data as Float64Array) : undefined;
  const table = buildTwiddles(ctx, { n, inLen: M, inComps: C, outLen: K, inverse: false, hermitian: false, ...(weights ? { weights } : {}) });
  let tab: ValueId;
  if (ctx.optInput(2) !== undefined && !winConst) {
    // Row m of the table (all c, k, d) scaled by window[m].
    const rows = tableConstant(ctx, table, cdt, [M, C * K * 2]);
    let w = toComputeDtype(ctx, ctx.input(2));
    if (winLen !== M) w = ctx.emit1({ kind: 'slice', starts: [0], steps: [1] }, [w], [tensorType(cdt, [M])]);
    const scaled = ctx.emit1({ kind: 'map', expr: bin('mul', arg(0), arg(1)) }, [rows, reshapeTo(ctx, w, [M, 1])]);
    tab = reshapeTo(ctx, scaled, [M * C, K * 2]);
  } else {
    tab = tableConstant(ctx, table, cdt);
  }
  return [contractAlongAxis(ctx, framed, tab, { axis: 2, dims: table.shape, divideBy: 1, outDtype: t.dtype })];
}
