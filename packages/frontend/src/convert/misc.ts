// Converters for assorted tensor ops: TopK, Dropout (inference), Clip, Trilu, BitCast, OneHot, EyeLike,
// Compress (constant condition) and Pad. Values that decide shapes (k, pads, depth) must be known at
// compile time; anything random or data-dependent in shape fails with a clear reason.

import { type DType, type ScalarExpr, type ValueId, arg, bin, cast, dtypeFromOnnx, isBigIntDType, lit, select, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { int64Const, reshapeTo } from './shape-ops.js';

const zero = (dt: DType): ScalarExpr => lit(isBigIntDType(dt) ? 0n : 0, dt);

/** int64 iota over `shape` along `axis`. */
function iota(ctx: ConvertContext, shape: readonly (number | string)[], axis: number): ValueId {
  return ctx.emit1({ kind: 'iota', axis }, [], [tensorType('int64', shape)]);
}

function scalarConst(ctx: ConvertContext, i: number, what: string): number | undefined {
  if (ctx.optInput(i) === undefined) return undefined;
  const v = ctx.constInts(i, what);
  if (v.length !== 1) ctx.fail('SHAPE_ERROR', `${what} must be a scalar`);
  return v[0]!;
}

export const MISC: ConverterTable = {
  TopK: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const shape = ctx.shapeOf(x);
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), shape.length);
      const k = ctx.opset >= 10 ? scalarConst(ctx, 1, 'k') ?? ctx.fail('INVALID_MODEL', 'TopK needs k') : ctx.attrs.requiredInt('k');
      const largest = ctx.opset >= 11 ? ctx.attrs.int('largest', 1) === 1 : true;
      const sorted = ctx.opset >= 11 ? ctx.attrs.int('sorted', 1) === 1 : true;
      return ctx.emit({ kind: 'topk', axis, k, largest, sorted }, [x]);
    },
  },

  Dropout: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      // Before opset 12 there is no training input: a compiled model is an inference model.
      const training = ctx.opset >= 12 && ctx.optInput(2) !== undefined && ctx.constInts(2, 'training_mode')[0] !== 0;
      const ratio = ctx.opset >= 12 ? (ctx.optInput(1) === undefined ? 0.5 : Number(ctx.constInput(1)?.data[0] ?? 0.5)) : ctx.attrs.float('ratio', 0.5);
      if (training && ratio !== 0) ctx.fail('UNSUPPORTED_OP', 'Dropout in training mode is random; only inference (or ratio 0) is supported');
      if (ctx.node.outputNames.length < 2 || ctx.node.outputNames[1] === '') return [x];
      const maskType: DType = ctx.opset >= 10 ? 'bool' : t.dtype;
      const mask = ctx.emit1({ kind: 'map', expr: lit(1, maskType) }, [], [tensorType(maskType, t.shape)]);
      return [x, mask];
    },
  },

  Clip: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const dt = ctx.tensorTypeOf(x).dtype;
      const ins: ValueId[] = [x];
      let e: ScalarExpr = arg(0);
      if (ctx.opset < 11) {
        const lo = ctx.attrs.float('min', -Infinity);
        const hi = ctx.attrs.float('max', Infinity);
        if (lo !== -Infinity) e = bin('max', e, lit(lo, dt));
        if (hi !== Infinity) e = bin('min', e, lit(hi, dt));
        return [ctx.emit1({ kind: 'map', expr: e }, ins)];
      }
      // opset 11+: optional min/max inputs, possibly computed at run time.
      for (const [i, op] of [[1, 'max'], [2, 'min']] as const) {
        const v = ctx.optInput(i);
        if (v === undefined) continue;
        if (ctx.rankOf(v) !== 0 && !ctx.shapeOf(v).every((d) => d === 1)) ctx.fail('SHAPE_ERROR', `Clip ${op === 'max' ? 'min' : 'max'} must be a scalar`);
        ins.push(ctx.rankOf(v) === 0 ? v : reshapeTo(ctx, v, []));
        e = bin(op, e, arg(ins.length - 1));
      }
      return [ins.length === 1 ? x : ctx.emit1({ kind: 'map', expr: e }, ins)];
    },
  },

  Trilu: {
    since: 14,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const r = t.shape.length;
      if (r < 2) ctx.fail('SHAPE_ERROR', 'Trilu needs rank >= 2');
      const k = scalarConst(ctx, 1, 'k') ?? 0;
      const upper = ctx.attrs.int('upper', 1) === 1;
      const plane = t.shape.slice(r - 2);
      const i = iota(ctx, plane, 0);
      const j = iota(ctx, plane, 1);
      // keep x where j - i >= k (upper) or j - i <= k (lower)
      const cond = bin(upper ? 'ge' : 'le', bin('sub', arg(2), arg(1)), lit(BigInt(k), 'int64'));
      return [ctx.emit1({ kind: 'map', expr: select(cond, arg(0), zero(t.dtype)) }, [x, i, j])];
    },
  },

  BitCast: {
    since: 26,
    convert: (ctx) => {
      const x = ctx.input(0);
      const to = dtypeFromOnnx(ctx.attrs.requiredInt('to')) ?? ctx.fail('UNSUPPORTED_ATTRIBUTE', 'unknown target dtype');
      const t = ctx.tensorTypeOf(x);
      return [ctx.emit1({ kind: 'bitcast' }, [x], [tensorType(to, t.shape)])];
    },
  },

  OneHot: {
    since: 9,
    convert: (ctx) => {
      const ind = ctx.input(0);
      const it = ctx.tensorTypeOf(ind);
      const depthVals = ctx.requireConst(1, 'depth');
      if (depthVals.data.length !== 1) ctx.fail('SHAPE_ERROR', `OneHot depth must hold one value, it has ${depthVals.data.length}`);
      const depth = Math.trunc(Number(depthVals.data[0]));
      if (!(depth >= 1)) ctx.fail('SHAPE_ERROR', `OneHot depth ${depth}`);
      const values = ctx.input(2);
      const outRank = it.shape.length + 1;
      const axis = normAxis(ctx, ctx.attrs.int('axis', -1), outRank);
      const outShape = [...it.shape];
      outShape.splice(axis, 0, depth);
      const idxShape = [...it.shape];
      idxShape.splice(axis, 0, 1);
      let idx = it.dtype === 'int64' ? ind : ctx.emit1({ kind: 'map', expr: cast('int64', arg(0)) }, [ind]);
      idx = reshapeTo(ctx, idx, idxShape);
      const pos = iota(ctx, outShape, axis);
      const pick = (k: number) => ctx.emit1({ kind: 'gather', axis: 0 }, [values, int64Const(ctx, [k], true)]);
      const off = pick(0);
      const on = pick(1);
      // negative indices count from the end: i < 0 -> i + depth
      const norm = select(bin('lt', arg(1), lit(0n, 'int64')), bin('add', arg(1), lit(BigInt(depth), 'int64')), arg(1));
      const expr = select(bin('eq', arg(0), norm), arg(2), arg(3));
      return [ctx.emit1({ kind: 'map', expr }, [pos, idx, on, off])];
    },
  },

  EyeLike: {
    since: 9,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      if (t.shape.length !== 2) ctx.fail('SHAPE_ERROR', 'EyeLike needs a 2-D input');
      const dt = ctx.attrs.has('dtype') ? dtypeFromOnnx(ctx.attrs.requiredInt('dtype')) ?? ctx.fail('UNSUPPORTED_ATTRIBUTE', 'unknown dtype') : t.dtype;
      const k = ctx.attrs.int('k', 0);
      const i = iota(ctx, t.shape, 0);
      const j = iota(ctx, t.shape, 1);
      const one = lit(isBigIntDType(dt) ? 1n : 1, dt);
      return [ctx.emit1({ kind: 'map', expr: select(bin('eq', bin('sub', arg(1), arg(0)), lit(BigInt(k), 'int64')), one, zero(dt)) }, [i, j])];
    },
  },

  Compress: {
    since: 9,
    convert: (ctx) => {
      const x = ctx.input(0);
      // The output size depends on the condition's values, so they are needed at compile time.
      const cond = ctx.requireConst(1, 'condition');
      const t = ctx.tensorTypeOf(x);
      const hasAxis = ctx.attrs.has('axis');
      let src = x;
      let axis = 0;
      if (hasAxis) axis = normAxis(ctx, ctx.attrs.requiredInt('axis'), t.shape.length);
      else {
        const n = t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
        if (Number.isNaN(n)) ctx.fail('UNSUPPORTED_OP', 'Compress without axis on a symbolic shape');
        src = reshapeTo(ctx, x, [n]);
      }
      const size = ctx.shapeOf(src)[axis];
      const keep: number[] = [];
      for (let i = 0; i < cond.data.length && (typeof size !== 'number' || i < size); i++) if (Number(cond.data[i]) !== 0) keep.push(i);
      return [ctx.emit1({ kind: 'gather', axis }, [src, int64Const(ctx, keep)])];
    },
  },

  NonZero: {
    since: 9,
    convert: (ctx) => {
      // The count of non-zeros is known only at run time: a fresh symbolic dim (or folded when the input is constant).
      const x = ctx.input(0);
      return [ctx.emit1({ kind: 'nonzero' }, [x], [tensorType('int64', [ctx.rankOf(x), ctx.freshDim()])])];
    },
  },

  CenterCropPad: {
    since: 18,
    convert: (ctx) => {
      // Crop or zero-pad each listed axis to the target size around its center (odd leftovers go to the end).
      const x = ctx.input(0);
      const shape = ctx.shapeOf(x);
      const r = shape.length;
      const target = ctx.constInts(1, 'shape');
      const axes = (ctx.attrs.ints('axes') ?? [...Array(r).keys()]).map((a) => normAxis(ctx, a, r));
      if (target.length !== axes.length) ctx.fail('SHAPE_ERROR', `shape has ${target.length} entries for ${axes.length} axes`);
      const low: number[] = Array(r).fill(0);
      const high: number[] = Array(r).fill(0);
      axes.forEach((a, i) => {
        const dim = shape[a];
        if (typeof dim !== 'number') return ctx.fail('UNSUPPORTED_OP', `CenterCropPad of symbolic dim ${dim}; pin input shapes`);
        const diff = target[i]! - dim;
        const half = Math.floor(Math.abs(diff) / 2);
        low[a] = diff >= 0 ? half : -half;
        high[a] = diff >= 0 ? diff - half : diff + half;
      });
      return [ctx.emit1({ kind: 'pad', mode: 'constant', low, high, interior: Array(r).fill(0), value: 0 }, [x])];
    },
  },

  Pad: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const r = t.shape.length;
      const mode = ctx.attrs.string('mode', 'constant');
      if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge' && mode !== 'wrap') return ctx.attrs.unsupported('mode', `"${mode}"`);
      let pads: number[];
      let value = 0;
      let axes = [...Array(r).keys()];
      if (ctx.opset < 11) {
        pads = [...(ctx.attrs.ints(ctx.opset < 2 ? 'paddings' : 'pads') ?? ctx.fail('INVALID_MODEL', 'Pad needs pads'))];
        value = ctx.attrs.float('value', 0);
      } else {
        pads = ctx.constInts(1, 'pads');
        if (ctx.optInput(2) !== undefined) {
          const c = ctx.requireConst(2, 'constant_value');
          value = Number(c.data[0] ?? 0);
        }
        if (ctx.optInput(3) !== undefined) axes = ctx.constInts(3, 'axes').map((a) => normAxis(ctx, a, r));
      }
      if (pads.length !== 2 * axes.length) ctx.fail('INVALID_MODEL', `Pad has ${pads.length} pads for ${axes.length} axes`);
      const low: number[] = Array(r).fill(0);
      const high: number[] = Array(r).fill(0);
      axes.forEach((a, i) => { low[a] = pads[i]!; high[a] = pads[axes.length + i]!; });
      if (t.dtype === 'bool' || t.dtype === 'string') value = 0;
      return [ctx.emit1({ kind: 'pad', mode, low, high, interior: Array(r).fill(0), value }, [x])];
    },
  },
};
