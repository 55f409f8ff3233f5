// Normalizations spelled as reduce + map: BatchNorm (inference), LayerNorm, RMSNorm, InstanceNorm, GroupNorm,
// LpNormalization, MeanVarianceNormalization, LRN. The pattern passes later fuse these back into one kernel.

import { type ValueId, arg, bin, lit, select, un, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimsProduct, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const map = (ctx: ConvertContext, expr: Parameters<typeof bin>[1], ids: ValueId[]) => ctx.emit1({ kind: 'map', expr }, ids);

/** Reshapes a per-channel vector [C] to broadcast against [N, C, spatial...]. */
function perChannel(ctx: ConvertContext, v: ValueId, rank: number): ValueId {
  const s = ctx.shapeOf(v);
  if (s.length !== 1) ctx.fail('SHAPE_ERROR', `per-channel inputs must be 1-D, got shape [${s.join(', ')}]`);
  const c = s[0]!;
  return reshapeTo(ctx, v, [c, ...Array(Math.max(0, rank - 2)).fill(1)]);
}

/** (x - mean) / sqrt(var + eps) over `axes`, returning normalized x plus mean and 1/std for optional outputs. */
function standardize(ctx: ConvertContext, x: ValueId, axes: number[], eps: number, rms = false) {
  const dt = ctx.tensorTypeOf(x).dtype;
  const s = ctx.shapeOf(x);
  const count = dimsProduct(axes.map((a) => s[a]!), [], (m) => ctx.fail('SHAPE_ERROR', m));
  if (typeof count !== 'number') return ctx.fail('UNSUPPORTED_OP', `normalization over symbolic dims ${count}; pin input shapes`);
  const n = lit(count, dt);
  let centered = x;
  let mean: ValueId | undefined;
  if (!rms) {
    const sum = ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims: true }, [x]);
    mean = map(ctx, bin('div', arg(0), n), [sum]);
    centered = map(ctx, bin('sub', arg(0), arg(1)), [x, mean]);
  }
  const sq = map(ctx, bin('mul', arg(0), arg(0)), [centered]);
  const ss = ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims: true }, [sq]);
  const invStd = map(ctx, un('recip', un('sqrt', bin('add', bin('div', arg(0), n), lit(eps, dt)))), [ss]);
  const y = map(ctx, bin('mul', arg(0), arg(1)), [centered, invStd]);
  return { y, mean, invStd };
}

function affine(ctx: ConvertContext, y: ValueId, scale: ValueId | undefined, bias: ValueId | undefined): ValueId {
  let out = y;
  if (scale !== undefined) out = map(ctx, bin('mul', arg(0), arg(1)), [out, scale]);
  if (bias !== undefined) out = map(ctx, bin('add', arg(0), arg(1)), [out, bias]);
  return out;
}

export const NORMALIZATION: ConverterTable = {
  BatchNormalization: {
    since: 1,
    convert: (ctx) => {
      if (ctx.attrs.int('training_mode', 0) === 1 || (ctx.opset < 7 && ctx.attrs.int('is_test', 0) === 0 && ctx.node.outputNames.length > 1)) {
        ctx.fail('UNSUPPORTED_OP', 'BatchNormalization in training mode');
      }
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      const dt = ctx.tensorTypeOf(x).dtype;
      const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => perChannel(ctx, ctx.input(i), r));
      const eps = ctx.attrs.float('epsilon', 1e-5);
      // y = (x - mean) / sqrt(var + eps) * scale + bias
      const expr = bin('add', bin('mul', bin('div', bin('sub', arg(0), arg(3)), un('sqrt', bin('add', arg(4), lit(eps, dt)))), arg(1)), arg(2));
      return [map(ctx, expr, [x, scale!, bias!, mean!, variance!])];
    },
  },
  LayerNormalization: {
    since: 17,
    convert: (ctx) => {
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), r);
      const axes = [...Array(r - axis).keys()].map((i) => i + axis);
      const { y, mean, invStd } = standardize(ctx, x, axes, ctx.attrs.float('epsilon', 1e-5));
      return [affine(ctx, y, ctx.input(1), ctx.optInput(2)), mean!, invStd];
    },
  },
  RMSNormalization: {
    since: 23,
    convert: (ctx) => {
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), r);
      const axes = [...Array(r - axis).keys()].map((i) => i + axis);
      const { y } = standardize(ctx, x, axes, ctx.attrs.float('epsilon', 1e-5), true);
      return [affine(ctx, y, ctx.input(1), undefined)];
    },
  },
  InstanceNormalization: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      if (r < 2) ctx.fail('SHAPE_ERROR', `input must have rank >= 2 (N, C, ...), got rank ${r}`);
      const axes = [...Array(r - 2).keys()].map((i) => i + 2);
      const { y } = standardize(ctx, x, axes, ctx.attrs.float('epsilon', 1e-5));
      return [affine(ctx, y, perChannel(ctx, ctx.input(1), r), perChannel(ctx, ctx.input(2), r))];
    },
  },
  GroupNormalization: {
    since: 18,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const g = ctx.attrs.requiredInt('num_groups');
      if (!(g >= 1)) ctx.fail('INVALID_MODEL', `attribute num_groups must be positive, got ${g}`);
      const [n, c, ...sp] = t.shape;
      if (typeof c !== 'number' || c % g !== 0) return ctx.fail('SHAPE_ERROR', `channels ${String(c)} not divisible into ${g} groups`);
      const grouped = reshapeTo(ctx, x, [n!, g, c / g, ...sp]);
      const axes = [...Array(sp.length + 1).keys()].map((i) => i + 2);
      const { y } = standardize(ctx, grouped, axes, ctx.attrs.float('epsilon', 1e-5));
      const back = reshapeTo(ctx, y, t.shape);
      // Opset 18: scale/bias per group; opset 21: per channel.
      const expandGroup = (v: ValueId): ValueId => {
        if (ctx.opset >= 21) return perChannel(ctx, v, t.shape.length);
        const vg = reshapeTo(ctx, v, [g, 1]);
        const ve = ctx.emit1({ kind: 'expand' }, [vg], [tensorType(t.dtype, [g, c / g])]);
        return perChannel(ctx, reshapeTo(ctx, ve, [c]), t.shape.length);
      };
      return [affine(ctx, back, expandGroup(ctx.input(1)), expandGroup(ctx.input(2)))];
    },
  },
  LpNormalization: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), ctx.rankOf(x));
      const p = ctx.attrs.int('p', 2);
      if (p !== 1 && p !== 2) ctx.attrs.unsupported('p', `must be 1 or 2, got ${p}`);
      const a = map(ctx, p === 1 ? un('abs', arg(0)) : bin('mul', arg(0), arg(0)), [x]);
      const s = ctx.emit1({ kind: 'reduce', reducer: 'add', axes: [axis], keepDims: true }, [a]);
      const norm = p === 1 ? s : map(ctx, un('sqrt', arg(0)), [s]);
      // A zero norm gives 0, not 0/0 (the ONNX reference and its test data since onnx 1.17).
      const zero = lit(0, ctx.tensorTypeOf(x).dtype);
      return [map(ctx, select(bin('eq', arg(1), zero), zero, bin('div', arg(0), arg(1))), [x, norm])];
    },
  },
  MeanVarianceNormalization: {
    since: 9,
    convert: (ctx) => {
      const x = ctx.input(0);
      const axes = [...(ctx.attrs.ints('axes') ?? [0, 2, 3])].map((a) => normAxis(ctx, a, ctx.rankOf(x))).sort((a, b) => a - b);
      return [standardize(ctx, x, axes, 1e-9).y];
    },
  },
  LRN: {
    since: 1,
    convert: (ctx) => {
      // y = x / (bias + alpha/size * sum_{window over channels} x^2) ^ beta, as a channel-window contract.
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const size = ctx.attrs.requiredInt('size');
      const alpha = ctx.attrs.float('alpha', 1e-4);
      const beta = ctx.attrs.float('beta', 0.75);
      const bias = ctx.attrs.float('bias', 1);
      const r = t.shape.length;
      if (!(size >= 1)) ctx.fail('INVALID_MODEL', `attribute size must be positive, got ${size}`);
      if (r < 2) ctx.fail('SHAPE_ERROR', `input must have rank >= 2 (N, C, ...), got rank ${r}`);
      // A window wider than 2C+1 covers every channel from every position, as a window of exactly 2C+1 does.
      const C = t.shape[1];
      const extent = typeof C === 'number' && size > 2 * C + 1 ? 2 * C + 1 : size;
      const lo = extent === size ? Math.floor((size - 1) / 2) : C as number;
      const maps = [t.shape.map((_, i) => (i === 1
        ? { terms: [{ idx: 1, coeff: 1 }, { idx: r, coeff: 1 }], offset: -lo }
        : { terms: [{ idx: i, coeff: 1 }], offset: 0 }))];
      const sq = ctx.emit1({
        kind: 'contract', reductionExtents: [extent], maps, padValues: [0], combiner: bin('mul', arg(0), arg(0)),
        reducer: 'add', accDtype: t.dtype, epilogue: null,
      }, [x], [t]);
      const dt = t.dtype;
      const denom = bin('pow', bin('add', lit(bias, dt), bin('mul', lit(alpha / size, dt), arg(1))), lit(beta, dt));
      return [map(ctx, bin('div', arg(0), denom), [x, sq])];
    },
  },
};


