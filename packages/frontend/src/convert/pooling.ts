// Pooling as contractions over a window: MaxPool (reducer max, padding reads -inf), AveragePool (sum, then
// divide by a compile-time count of the cells each window covers), LpPool, and the Global* variants as reduces.

import {
  type AffineExpr, type Dim, type DType, type ScalarExpr, type ValueId, arg, bin, isFloat, lit, un, tensorType,
} from '@tensorc/ir';
import { convPads } from './contraction.js';
import type { ConvertContext } from './context.js';
import { checkShapeSize, checkTableSize } from './limits.js';
import { type PoolWindow, maxPoolIndices } from './pooling-indices.js';
import type { ConverterTable } from './registry-types.js';

type Window = PoolWindow;

function windowOf(ctx: ConvertContext, x: ValueId): Window {
  const xs = ctx.shapeOf(x);
  const n = xs.length - 2;
  const inSpatial = xs.slice(2);
  if (inSpatial.some((d) => typeof d !== 'number')) ctx.fail('UNSUPPORTED_OP', 'pooling over symbolic spatial dims; pin input shapes');
  const kernel = [...ctx.attrs.requiredInts('kernel_shape')];
  if (kernel.length !== n) ctx.attrs.unsupported('kernel_shape', `has ${kernel.length} dims for ${n} spatial dims`);
  const strides = [...(ctx.attrs.ints('strides') ?? Array(n).fill(1))];
  const dilations = [...(ctx.attrs.ints('dilations') ?? Array(n).fill(1))];
  const pads = convPads(ctx, inSpatial, kernel, strides, dilations);
  const ceil = ctx.attrs.int('ceil_mode', 0) === 1;
  const out = (inSpatial as number[]).map((size, i) => {
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    const avail = size + pads[i]! + pads[i + n]! - span;
    let o = (ceil ? Math.ceil(avail / strides[i]!) : Math.floor(avail / strides[i]!)) + 1;
    // A window must start inside the input or the begin padding (ONNX drops the last one otherwise).
    if (ceil && (o - 1) * strides[i]! >= size + pads[i]!) o -= 1;
    if (o < 1) ctx.fail('SHAPE_ERROR', `pooling window larger than the padded input on spatial dim ${i}`);
    return o;
  });
  return { kernel, strides, dilations, pads, out, inSpatial: inSpatial as number[] };
}

/** contract over the window: out[n,c,o...] = reduce_k combiner(x[n, c, o*s + k*d - pad]). */
function windowContract(ctx: ConvertContext, x: ValueId, w: Window, combiner: ScalarExpr, reducer: 'add' | 'max',
  pad: number, acc: DType): ValueId {
  const xs = ctx.shapeOf(x);
  const n = w.kernel.length;
  const r = 2 + n;
  const map: AffineExpr[] = [
    { terms: [{ idx: 0, coeff: 1 }], offset: 0 },
    { terms: [{ idx: 1, coeff: 1 }], offset: 0 },
    ...w.kernel.map((_, i): AffineExpr => ({
      terms: [{ idx: 2 + i, coeff: w.strides[i]! }, { idx: r + i, coeff: w.dilations[i]! }],
      offset: -w.pads[i]!,
    })),
  ];
  const dt = ctx.tensorTypeOf(x).dtype;
  return ctx.emit1({
    kind: 'contract', reductionExtents: w.kernel, maps: [map], padValues: [pad], combiner, reducer, accDtype: acc, epilogue: null,
  }, [x], [tensorType(dt, [xs[0]!, xs[1]!, ...w.out])]);
}

/** Per output position, how many cells of the window are inside the input (or the padded input). */
function windowCounts(w: Window, includePad: boolean): number[] {
  const n = w.kernel.length;
  const total = w.out.reduce((a, b) => a * b, 1);
  const counts = new Array<number>(total).fill(0);
  const idx = new Array<number>(n).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    for (let i = n - 1; i >= 0; i--) {
      idx[i] = rem % w.out[i]!;
      rem = Math.floor(rem / w.out[i]!);
    }
    let c = 1;
    for (let i = 0; i < n; i++) {
      const lo = includePad ? -w.pads[i]! : 0;
      const hi = includePad ? w.inSpatial[i]! + w.pads[i + n]! : w.inSpatial[i]!;
      let k = 0;
      for (let j = 0; j < w.kernel[i]!; j++) {
        const p = idx[i]! * w.strides[i]! + j * w.dilations[i]! - w.pads[i]!;
        if (p >= lo && p < hi) k++;
      }
      c *= k;
    }
    counts[flat] = c;
  }
  return counts;
}

function minValue(dt: DType): number {
  if (isFloat(dt)) return -Infinity;
  return { int8: -128, uint8: 0, int16: -32768, uint16: 0, int32: -2147483648, uint32: 0 }[dt as 'int8'] ?? 0;
}

export const POOLING: ConverterTable = {
  MaxPool: {
    since: 1,
    convert: (ctx) => {
      const storageOrder = ctx.attrs.int('storage_order', 0);
      if (storageOrder !== 0 && storageOrder !== 1) ctx.attrs.unsupported('storage_order', `${storageOrder} (expected 0 or 1)`);
      const x = ctx.input(0);
      const dt = ctx.tensorTypeOf(x).dtype;
      const w = windowOf(ctx, x);
      const y = windowContract(ctx, x, w, arg(0), 'max', minValue(dt), dt);
      // The Indices output costs a gather and an argreduce; only nodes that ask for it pay.
      const wantsIndices = ctx.node.outputNames.length > 1 && ctx.node.outputNames[1] !== '';
      return wantsIndices ? [y, maxPoolIndices(ctx, x, w, storageOrder)] : [y];
    },
  },
  AveragePool: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const dt = ctx.tensorTypeOf(x).dtype;
      const w = windowOf(ctx, x);
      const sum = windowContract(ctx, x, w, arg(0), 'add', 0, dt);
      checkShapeSize(ctx, w.out, 'AveragePool output window');
      checkTableSize(ctx, w.out.reduce((a, b) => a * b, 1), 'AveragePool divisor table');
      const counts = windowCounts(w, ctx.attrs.int('count_include_pad', 0) === 1);
      const cnt = ctx.b.constant({ dtype: dt, shape: [1, 1, ...w.out], data: Float64Array.from(counts) });
      return [ctx.emit1({ kind: 'map', expr: bin('div', arg(0), arg(1)) }, [sum, cnt])];
    },
  },
  LpPool: {
    since: 2,
    convert: (ctx) => {
      const x = ctx.input(0);
      const dt = ctx.tensorTypeOf(x).dtype;
      const p = ctx.attrs.int('p', 2);
      const s = windowContract(ctx, x, windowOf(ctx, x), bin('pow', un('abs', arg(0)), lit(p, dt)), 'add', 0, dt);
      return [ctx.emit1({ kind: 'map', expr: bin('pow', arg(0), lit(1 / p, dt)) }, [s])];
    },
  },
  GlobalAveragePool: { since: 1, convert: (ctx) => [globalPool(ctx, 'mean')] },
  GlobalMaxPool: { since: 1, convert: (ctx) => [globalPool(ctx, 'max')] },
  GlobalLpPool: { since: 2, convert: (ctx) => [globalPool(ctx, 'lp')] },
};

function globalPool(ctx: ConvertContext, kind: 'mean' | 'max' | 'lp'): ValueId {
  const x = ctx.input(0);
  const s = ctx.shapeOf(x);
  const dt = ctx.tensorTypeOf(x).dtype;
  if (s.length < 2) ctx.fail('SHAPE_ERROR', `input must have rank >= 2 (N, C, ...), got rank ${s.length}`);
  const axes = [...Array(s.length - 2).keys()].map((i) => i + 2);
  if (kind === 'max') return ctx.emit1({ kind: 'reduce', reducer: 'max', axes, keepDims: true }, [x]);
  if (kind === 'lp') {
    const p = ctx.attrs.int('p', 2);
    const a = ctx.emit1({ kind: 'map', expr: bin('pow', un('abs', arg(0)), lit(p, dt)) }, [x]);
    const r = ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims: true }, [a]);
    return ctx.emit1({ kind: 'map', expr: bin('pow', arg(0), lit(1 / p, dt)) }, [r]);
  }
  const count = axes.reduce<Dim>((acc, a) => (typeof acc === 'number' && typeof s[a] === 'number' ? acc * (s[a] as number) : ctx.fail('UNSUPPORTED_OP', 'global pool over symbolic dims; pin input shapes')), 1);
  const r = ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims: true }, [x]);
  return ctx.emit1({ kind: 'map', expr: bin('div', arg(0), lit(count as number, dt)) }, [r]);
}
