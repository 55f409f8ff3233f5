// GridSample (opsets 16 and 20, 2-D and N-d): the grid's normalized coordinates are denormalized per axis,
// adjusted for the padding mode, turned into interpolation taps, and the taps of all axes combine into flat
// row indices into X laid out as a [N * spatial, C] table, which is gathered and contracted with the weights.

import { type ValueId, arg, bin, cast, isFloat, lit, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { reshapeTo } from './shape-ops.js';
import {
  type AxisSampling, type PaddingMode, type SampleMode, adjustCoordinate, axisTaps, channelsFirst, combine, gatherWeighted,
  rampInt, rowTable, scaleInt,
} from './spatial-sampler.js';

export function staticDims(ctx: ConvertContext, id: ValueId, what: string): number[] {
  return ctx.shapeOf(id).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `${what} has symbolic dim ${d}; pin input shapes`)));
}

/** Component `c` of the last axis of t [..., k] as a tensor [...]. */
export function lastAxisComponent(ctx: ConvertContext, t: ValueId, c: number): ValueId {
  const tt = ctx.tensorTypeOf(t);
  const lead = tt.shape.slice(0, -1);
  const s = ctx.emit1({ kind: 'slice', starts: [...lead.map(() => 0), c], steps: tt.shape.map(() => 1) }, [t], [tensorType(tt.dtype, [...lead, 1])]);
  return reshapeTo(ctx, s, lead);
}

function sampleMode(ctx: ConvertContext): SampleMode {
  const m = ctx.attrs.string('mode', ctx.opset >= 20 ? 'linear' : 'bilinear');
  switch (m) {
    case 'bilinear': case 'linear': return 'linear';
    case 'bicubic': case 'cubic': return 'cubic';
    case 'nearest': return 'nearest';
    default: return ctx.attrs.unsupported('mode', `"${m}"`);
  }
}

function paddingMode(ctx: ConvertContext): PaddingMode {
  const p = ctx.attrs.string('padding_mode', 'zeros');
  if (p === 'zeros' || p === 'border' || p === 'reflection') return p;
  return ctx.attrs.unsupported('padding_mode', `"${p}"`);
}

export function gridSample(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const grid = ctx.input(1);
  const xs = staticDims(ctx, x, 'GridSample input');
  const gs = staticDims(ctx, grid, 'GridSample grid');
  const k = xs.length - 2;
  if (k < 1 || gs.length !== k + 2 || gs[k + 1] !== k || gs[0] !== xs[0]) {
    ctx.fail('SHAPE_ERROR', `GridSample input [${xs}] and grid [${gs}] do not match`);
  }
  const mode = sampleMode(ctx);
  const padding = paddingMode(ctx);
  if (mode !== 'nearest' && !isFloat(ctx.tensorTypeOf(x).dtype)) ctx.fail('UNSUPPORTED_OP', `GridSample ${mode} interpolation of ${ctx.tensorTypeOf(x).dtype} data`);
  const alignCorners = ctx.attrs.int('align_corners', 0) === 1;
  // The reference denormalizes and interpolates coordinates in float32 whatever the grid's dtype.
  const gt = ctx.tensorTypeOf(grid).dtype;
  const g = gt === 'float32' ? grid : ctx.emit1({ kind: 'map', expr: cast('float32', arg(0)) }, [grid]);
  const N = xs[0]!;
  const spatial = xs.slice(2);
  const outSpatial = gs.slice(1, k + 1);
  const strides = spatial.map((_, i) => spatial.slice(i + 1).reduce((a, d) => a * d, 1));
  const P = spatial.reduce((a, d) => a * d, 1);
  const indices: ValueId[] = [rampInt(ctx, 1 + k + k, 0, N, P)];
  const weights: ValueId[] = [];
  for (let i = 0; i < k; i++) {
    const d = spatial[i]!;
    const n = lastAxisComponent(ctx, g, k - 1 - i); // the grid lists coordinates innermost axis first
    const f = (v: number) => lit(v, 'float32');
    const sum1 = bin('add', arg(0), f(1));
    const denorm = alignCorners ? bin('mul', bin('div', sum1, f(2)), f(d - 1)) : bin('div', bin('sub', bin('mul', sum1, f(d)), f(1)), f(2));
    const coord = ctx.emit1({ kind: 'map', expr: denorm }, [n]);
    const p: AxisSampling = { mode, padding, size: d, alignCorners, cubicA: -0.75 };
    const taps = axisTaps(ctx, adjustCoordinate(ctx, coord, p), p);
    const tapShape = [N, ...outSpatial, ...Array.from({ length: k }, (_, j) => (j === i ? taps.taps : 1))];
    indices.push(scaleInt(ctx, reshapeTo(ctx, taps.index, tapShape), strides[i]!));
    weights.push(reshapeTo(ctx, taps.weight, tapShape));
  }
  const y = gatherWeighted(ctx, rowTable(ctx, x, xs), combine(ctx, 'add', indices), combine(ctx, 'mul', weights), k);
  return [channelsFirst(ctx, y)];
}
