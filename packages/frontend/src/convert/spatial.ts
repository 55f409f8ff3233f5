// Spatial ops table. Resize (opsets 10-19+) and Upsample (7, 9) live here: each resized axis becomes either a
// gather with compile-time indices (nearest: exact for every dtype) or a contraction with a compile-time
// [out, in] interpolation matrix (linear, cubic, antialias); tf_crop_and_resize extrapolation is a final select.
// ConvTranspose, GridSample, AffineGrid, RoiAlign, Col2Im, MaxUnpool and DeformConv are in spatial-*.ts.

import { type ValueId, arg, isFloat, lit, select } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { normAxis } from './dim-utils.js';
import { checkShapeSize, checkTableSize } from './limits.js';
import type { ConverterTable } from './registry-types.js';
import { int64Const } from './shape-ops.js';
import { affineGrid } from './spatial-affine-grid.js';
import { convTranspose } from './spatial-conv-transpose.js';
import { deformConv } from './spatial-deform-conv.js';
import { gridSample } from './spatial-grid-sample.js';
import { type AxisResize, axisWeights } from './spatial-resize-weights.js';
import { roiAlign } from './spatial-roi-align.js';
import { col2Im, maxUnpool } from './spatial-scatter.js';

interface ResizePlan extends Omit<AxisResize, 'roi'> {
  readonly scales: number[];
  readonly sizes: number[];
  readonly roi: number[] | undefined;
  readonly extrapolationValue: number;
}

const LETTERS = 'abcdefghijklmnop';

/** Applies the plan to x (all shapes static). */
function applyResize(ctx: ConvertContext, x: ValueId, p: ResizePlan): ValueId {
  const t = ctx.tensorTypeOf(x);
  const shape = t.shape.map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `Resize of symbolic dim ${d}; pin input shapes`)));
  const r = shape.length;
  let y = x;
  let cur = [...shape];
  const extrap: (boolean[] | undefined)[] = Array(r).fill(undefined);
  checkShapeSize(ctx, p.sizes, 'Resize output');
  for (let a = 0; a < r; a++) {
    const outSize = p.sizes[a]!;
    const scale = p.scales[a]!;
    const roi: [number, number] = p.roi ? [p.roi[a]!, p.roi[r + a]!] : [0, 1];
    const identity = Math.abs(scale - 1) < 1e-12 && outSize === cur[a] && roi[0] === 0 && roi[1] === 1;
    if (identity) continue;
    checkTableSize(ctx, outSize * cur[a]!, `Resize weights of axis ${a}`);
    const w = axisWeights({ ...p, roi }, cur[a]!, outSize, scale);
    if (p.coordMode === 'tf_crop_and_resize') extrap[a] = w.extrapolated;
    const oneHot = w.weights.every((row) => row.every((v) => v === 0 || v === 1) && row.reduce((s, v) => s + v, 0) === 1);
    if (oneHot) {
      y = ctx.emit1({ kind: 'gather', axis: a }, [y, int64Const(ctx, w.weights.map((row) => row.indexOf(1)))]);
    } else {
      if (!isFloat(t.dtype)) ctx.fail('UNSUPPORTED_OP', `Resize mode ${p.mode} on ${t.dtype} input`);
      const m = ctx.b.constant({ dtype: t.dtype, shape: [outSize, cur[a]!], data: Float64Array.from(w.weights.flatMap((row) => Array.from(row))) });
      const xs = LETTERS.slice(0, r);
      const ys = xs.slice(0, a) + 'z' + xs.slice(a + 1);
      y = ctx.b.einsum(`${xs},z${xs[a]}->${ys}`, [y, m]);
    }
    cur[a] = outSize;
  }
  if (extrap.some((e) => e?.some(Boolean))) {
    const maskShape = cur.map((d, a) => (extrap[a] ? d : 1));
    const n = maskShape.reduce((s, d) => s * d, 1);
    checkTableSize(ctx, n, 'Resize extrapolation mask');
    const data = new Float64Array(n);
    const idx = new Array<number>(r).fill(0);
    for (let k = 0; k < n; k++) {
      let rem = k;
      for (let a = r - 1; a >= 0; a--) { idx[a] = rem % maskShape[a]!; rem = Math.floor(rem / maskShape[a]!); }
      data[k] = idx.some((v, a) => extrap[a]?.[v] === true) ? 1 : 0;
    }
    const mask = ctx.b.constant({ dtype: 'bool', shape: maskShape, data });
    y = ctx.emit1({ kind: 'map', expr: select(arg(0), lit(p.extrapolationValue, t.dtype), arg(1)) }, [mask, y]);
  }
  return y;
}

function outputSizes(ctx: ConvertContext, shape: number[], scales: number[] | undefined, sizes: number[] | undefined, axes: number[], policy: string): { scales: number[]; sizes: number[] } {
  const r = shape.length;
  const given = sizes ?? scales;
  if (given && given.length !== axes.length) ctx.fail('SHAPE_ERROR', `${sizes ? 'sizes' : 'scales'} has ${given.length} entries for ${axes.length} axes`);
  if (sizes) {
    let sc = shape.map((d, i) => (axes.includes(i) ? sizes[axes.indexOf(i)]! / d : 1));
    let out = shape.map((d, i) => (axes.includes(i) ? sizes[axes.indexOf(i)]! : d));
    if (policy !== 'stretch') {
      if (policy !== 'not_larger' && policy !== 'not_smaller') ctx.attrs.unsupported('keep_aspect_ratio_policy', `"${policy}"`);
      const chosen = axes.map((a) => sc[a]!);
      const s = policy === 'not_larger' ? Math.min(...chosen) : Math.max(...chosen);
      sc = shape.map((_, i) => (axes.includes(i) ? s : 1));
      out = shape.map((d, i) => (axes.includes(i) ? Math.floor(s * d + 0.5) : d));
    }
    return { scales: sc, sizes: out };
  }
  if (!scales) return ctx.fail('INVALID_MODEL', 'Resize needs scales or sizes');
  const sc = Array.from({ length: r }, (_, i) => (axes.includes(i) ? scales[axes.indexOf(i)]! : 1));
  return { scales: sc, sizes: shape.map((d, i) => Math.trunc(d * sc[i]!)) };
}

function staticShape(ctx: ConvertContext, id: ValueId): number[] {
  return ctx.shapeOf(id).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `resize of symbolic dim ${d}; pin input shapes`)));
}

const floats = (ctx: ConvertContext, i: number, what: string): number[] | undefined => {
  if (ctx.optInput(i) === undefined) return undefined;
  const t = ctx.requireConst(i, what);
  return t.data.length === 0 ? undefined : Array.from(t.data as ArrayLike<number>, Number);
};

/** The values of Resize's string attributes that spatial-resize-weights.ts implements. */
const COORD_MODES = new Set(['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize']);
const NEAREST_MODES = new Set(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']);

export const SPATIAL: ConverterTable = {
  AffineGrid: { since: 20, convert: affineGrid },
  Col2Im: { since: 18, convert: col2Im },
  ConvTranspose: { since: 1, convert: convTranspose },
  MaxUnpool: { since: 9, convert: maxUnpool },
  RoiAlign: { since: 10, convert: roiAlign },
  DeformConv: { since: 19, convert: deformConv },
  GridSample: { since: 16, convert: gridSample },
  Resize: {
    since: 10,
    convert: (ctx) => {
      const x = ctx.input(0);
      const shape = staticShape(ctx, x);
      const r = shape.length;
      const mode = ctx.attrs.string('mode', 'nearest');
      if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') return ctx.attrs.unsupported('mode', `"${mode}"`);
      const opset10 = ctx.opset < 11;
      const axes = ctx.opset >= 18 && ctx.attrs.has('axes') ? ctx.attrs.requiredInts('axes').map((a) => normAxis(ctx, a, r)) : [...Array(r).keys()];
      const scalesIn = floats(ctx, opset10 ? 1 : 2, 'scales');
      const sizesIn = opset10 ? undefined : floats(ctx, 3, 'sizes')?.map(Math.trunc);
      const coordMode = opset10 ? 'asymmetric' : ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
      if (!COORD_MODES.has(coordMode)) return ctx.attrs.unsupported('coordinate_transformation_mode', `"${coordMode}"`);
      const nearestMode = opset10 ? 'floor' : ctx.attrs.string('nearest_mode', 'round_prefer_floor');
      if (!NEAREST_MODES.has(nearestMode)) return ctx.attrs.unsupported('nearest_mode', `"${nearestMode}"`);
      const { scales, sizes } = outputSizes(ctx, shape, scalesIn, sizesIn, axes, ctx.attrs.string('keep_aspect_ratio_policy', 'stretch'));
      let roi: number[] | undefined;
      if (coordMode === 'tf_crop_and_resize') {
        const raw = floats(ctx, 1, 'roi') ?? ctx.fail('INVALID_MODEL', 'tf_crop_and_resize needs roi');
        roi = raw.length === 2 * r ? raw : [...Array(2 * r)].map((_, k) => (k < r ? 0 : 1));
        if (raw.length === 2 * axes.length && raw.length !== 2 * r) axes.forEach((a, i) => { roi![a] = raw[i]!; roi![r + a] = raw[axes.length + i]!; });
      }
      return [applyResize(ctx, x, {
        mode, coordMode, scales, sizes, roi,
        nearestMode,
        cubicA: ctx.attrs.float('cubic_coeff_a', -0.75), excludeOutside: ctx.attrs.int('exclude_outside', 0) === 1,
        antialias: ctx.attrs.int('antialias', 0) === 1, extrapolationValue: ctx.attrs.float('extrapolation_value', 0),
      })];
    },
  },
  Upsample: {
    since: 7,
    convert: (ctx) => {
      const x = ctx.input(0);
      const shape = staticShape(ctx, x);
      const scalesIn = ctx.opset >= 9 ? floats(ctx, 1, 'scales') : ctx.attrs.floats('scales');
      if (!scalesIn) return ctx.fail('INVALID_MODEL', 'Upsample needs scales');
      const m = ctx.attrs.string('mode', 'nearest');
      const mode = m === 'bilinear' || m === 'linear' ? 'linear' : m === 'nearest' ? 'nearest' : ctx.attrs.unsupported('mode', `"${m}"`);
      const { scales, sizes } = outputSizes(ctx, shape, [...scalesIn], undefined, [...shape.keys()], 'stretch');
      return [applyResize(ctx, x, { mode, coordMode: 'asymmetric', nearestMode: 'floor', cubicA: -0.75, excludeOutside: false, antialias: false, scales, sizes, roi: undefined, extrapolationValue: 0 })];
    },
  },
};

