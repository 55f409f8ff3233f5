// RoiAlign (opsets 10 and 16): every output bin averages (or maxes) a fixed sampling_ratio x sampling_ratio grid
// of bilinear samples. Sample coordinates come from the run-time rois; each axis yields two taps per sample with
// the reference's edge rules (samples beyond [-1, size] read nothing), gathered from X as a [N*H*W, C] table.

import { type ScalarExpr, type ValueId, arg, bin, cast, lit, select, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkShapeSize } from './limits.js';
import { reshapeTo } from './shape-ops.js';
import { lastAxisComponent, staticDims } from './spatial-grid-sample.js';
import { type AxisTaps, channelsFirst, combine, gatherWeighted, rowTable, scaleInt } from './spatial-sampler.js';

interface RoiAxis {
  /** Columns of the roi rows holding this axis' start and end. */
  readonly cols: readonly [number, number];
  readonly pooled: number;
  readonly size: number;
}

/** Sample coordinates [R, pooled, S] along one axis, computed in the reference's operation order. */
function sampleCoords(ctx: ConvertContext, rois: ValueId, a: RoiAxis, S: number, scale: number, halfPixel: boolean): ValueId {
  const dt = ctx.tensorTypeOf(rois).dtype;
  const f = (v: number) => lit(v, dt);
  const R = ctx.shapeOf(rois)[0]!;
  const edge = (c: number) => reshapeTo(ctx, lastAxisComponent(ctx, rois, c), [R, 1, 1]);
  const off = halfPixel ? 0.5 : 0;
  const start = bin('sub', bin('mul', arg(0), f(scale)), f(off));
  const end = bin('sub', bin('mul', arg(1), f(scale)), f(off));
  let len = bin('sub', end, start);
  if (!halfPixel) len = bin('max', len, f(1)); // malformed rois become 1x1
  const binSize = bin('div', len, f(a.pooled));
  const p = ctx.b.constant({ dtype: dt, shape: [1, a.pooled, 1], data: Float64Array.from({ length: a.pooled }, (_, i) => i) });
  const s = ctx.b.constant({ dtype: dt, shape: [1, 1, S], data: Float64Array.from({ length: S }, (_, i) => i + 0.5) });
  const expr = bin('add', bin('add', start, bin('mul', arg(2), binSize)), bin('div', bin('mul', arg(3), binSize), f(S)));
  return ctx.emit1({ kind: 'map', expr }, [edge(a.cols[0]), edge(a.cols[1]), p, s]);
}

/** Two taps (low, high) per sample with RoiAlign's clamping; weight 0 for samples outside [-1, size]. */
function roiTaps(ctx: ConvertContext, y: ValueId, size: number): AxisTaps {
  const t = ctx.tensorTypeOf(y);
  const dt = t.dtype;
  const f = (v: number) => lit(v, dt);
  const ys = reshapeTo(ctx, y, [...t.shape, 1]);
  const o = ctx.b.constant({ dtype: dt, shape: [2], data: Float64Array.from([0, 1]) });
  const v = arg(0);
  const outside = bin('or', bin('lt', v, f(-1)), bin('gt', v, f(size)));
  const yc = bin('max', v, f(0));
  const atEdge = bin('ge', un('floor', yc), f(size - 1));
  const low = select(atEdge, f(size - 1), un('floor', yc));
  const frac = bin('sub', select(atEdge, low, yc), low);
  const isLow = bin('eq', arg(1), f(0));
  const index: ScalarExpr = select(atEdge, low, bin('add', low, arg(1)));
  const weight = select(outside, f(0), select(isLow, bin('sub', f(1), frac), frac));
  return {
    index: ctx.emit1({ kind: 'map', expr: cast('int64', index) }, [ys, o]),
    weight: ctx.emit1({ kind: 'map', expr: weight }, [ys, o]),
    taps: 2,
  };
}

export function roiAlign(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const rois = ctx.input(1);
  const batch = ctx.input(2);
  const xs = staticDims(ctx, x, 'RoiAlign input');
  const rs = staticDims(ctx, rois, 'RoiAlign rois');
  if (xs.length !== 4 || rs.length !== 2 || rs[1] !== 4) ctx.fail('SHAPE_ERROR', `RoiAlign needs X [N,C,H,W] and rois [R,4], got [${xs}] and [${rs}]`);
  const mode = ctx.attrs.string('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') return ctx.attrs.unsupported('mode', `"${mode}"`);
  const ctm = ctx.opset >= 16 ? ctx.attrs.string('coordinate_transformation_mode', 'half_pixel') : 'output_half_pixel';
  if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel') return ctx.attrs.unsupported('coordinate_transformation_mode', `"${ctm}"`);
  const S = ctx.attrs.int('sampling_ratio', 0);
  if (S <= 0) return ctx.attrs.unsupported('sampling_ratio', `${S} (adaptive sampling depends on the run-time rois)`);
  const PH = ctx.attrs.int('output_height', 1);
  const PW = ctx.attrs.int('output_width', 1);
  const scale = ctx.attrs.float('spatial_scale', 1);
  const [, C, H, W] = xs as [number, number, number, number];
  const R = rs[0]!;
  // The gathered samples [R, PH, PW, S, S, 2x2 taps, C] are the largest value this lowering makes.
  checkShapeSize(ctx, [R, PH, PW, S, S, 4, C], 'RoiAlign sample grid');
  const dt = ctx.tensorTypeOf(x).dtype;
  const r = dt === ctx.tensorTypeOf(rois).dtype ? rois : ctx.emit1({ kind: 'map', expr: cast(dt, arg(0)) }, [rois]);
  const halfPixel = ctm === 'half_pixel';
  const ty = roiTaps(ctx, sampleCoords(ctx, r, { cols: [1, 3], pooled: PH, size: H }, S, scale, halfPixel), H);
  const tx = roiTaps(ctx, sampleCoords(ctx, r, { cols: [0, 2], pooled: PW, size: W }, S, scale, halfPixel), W);
  // Layout [R, PH, PW, SY, SX, TY, TX]: the four trailing axes are summed (or maxed) away.
  const yShape = [R, PH, 1, S, 1, 2, 1];
  const xShape = [R, 1, PW, 1, S, 1, 2];
  const b64 = ctx.tensorTypeOf(batch).dtype === 'int64' ? batch : ctx.emit1({ kind: 'map', expr: cast('int64', arg(0)) }, [batch]);
  const index = combine(ctx, 'add', [
    scaleInt(ctx, reshapeTo(ctx, b64, [R, 1, 1, 1, 1, 1, 1]), H * W),
    scaleInt(ctx, reshapeTo(ctx, ty.index, yShape), W),
    reshapeTo(ctx, tx.index, xShape),
  ]);
  const weight = combine(ctx, 'mul', [reshapeTo(ctx, ty.weight, yShape), reshapeTo(ctx, tx.weight, xShape)]);
  const table = rowTable(ctx, x, xs);
  let y: ValueId;
  if (mode === 'avg') {
    const sum = gatherWeighted(ctx, table, index, weight, 4);
    y = ctx.emit1({ kind: 'map', expr: bin('div', arg(0), lit(S * S, dt)) }, [sum]);
  } else {
    // The reference takes the max over the weighted corner values (w * v), zero-weight corners included.
    const rows = ctx.emit1({ kind: 'gather', axis: 0 }, [table, index]);
    const wv = ctx.emit1({ kind: 'map', expr: bin('mul', arg(0), arg(1)) }, [reshapeTo(ctx, weight, [R, PH, PW, S, S, 2, 2, 1]), rows]);
    y = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [3, 4, 5, 6], keepDims: false }, [wv]);
  }
  return [channelsFirst(ctx, y)];
}
