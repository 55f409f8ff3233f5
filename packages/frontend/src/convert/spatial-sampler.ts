// Data-dependent interpolation shared by GridSample and DeformConv: per spatial axis, the sample coordinates
// (a run-time tensor) become tap indices and tap weights (nearest / linear / cubic with the zeros / border /
// reflection padding rules of ONNX GridSample); the caller combines the axes into flat row indices, gathers
// rows of a [rows, C] table and contracts the gathered rows with the tap weights.

import { type DType, type ScalarExpr, type ValueId, arg, bin, cast, lit, select, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkTableSize } from './limits.js';
import { reshapeTo } from './shape-ops.js';

export type SampleMode = 'nearest' | 'linear' | 'cubic';
export type PaddingMode = 'zeros' | 'border' | 'reflection';

export interface AxisSampling {
  readonly mode: SampleMode;
  readonly padding: PaddingMode;
  /** Input extent along this axis. */
  readonly size: number;
  /** Reflection borders: [0, size-1] with align_corners, else [-0.5, size-0.5]. */
  readonly alignCorners: boolean;
  readonly cubicA: number;
}

/** Tap index (int64) and weight (coordinate dtype) tensors: the coordinate's shape plus a trailing tap axis. */
export interface AxisTaps {
  readonly index: ValueId;
  readonly weight: ValueId;
  readonly taps: number;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Scalar-expression helpers over one float dtype. */
function exprs(dt: DType) {
  const f = (v: number): ScalarExpr => lit(v, dt);
  const clamp = (v: ScalarExpr, lo: number, hi: number) => bin('min', bin('max', v, f(lo)), f(hi));
  const trunc = (v: ScalarExpr) => select(bin('ge', v, f(0)), un('floor', v), un('ceil', v));
  /** Reflects v into [lo, hi] by folding at the nearer border repeatedly (ONNX GridSample's rule). */
  const reflect = (v: ScalarExpr, lo: number, hi: number): ScalarExpr => {
    const rng = hi - lo;
    if (rng <= 0) return f(lo);
    const fold = (dx: ScalarExpr, fromLow: boolean) => {
      const n = un('floor', bin('div', dx, f(rng)));
      const r = bin('sub', dx, bin('mul', n, f(rng)));
      const even = bin('eq', bin('mod', n, f(2)), f(0));
      return fromLow
        ? select(even, bin('add', f(lo), r), bin('sub', f(hi), r))
        : select(even, bin('sub', f(hi), r), bin('add', f(lo), r));
    };
    return select(bin('lt', v, f(lo)), fold(bin('sub', f(lo), v), true),
      select(bin('gt', v, f(hi)), fold(bin('sub', v, f(hi)), false), v));
  };
  return { f, clamp, trunc, reflect };
}

function borders(p: AxisSampling): [number, number] {
  return p.alignCorners ? [0, p.size - 1] : [-0.5, p.size - 0.5];
}

/** GridSample's adjustment of a coordinate before taps are taken (nearest rounds half to even first). */
export function adjustCoordinate(ctx: ConvertContext, x: ValueId, p: AxisSampling): ValueId {
  const dt = ctx.tensorTypeOf(x).dtype;
  const { clamp, reflect } = exprs(dt);
  const [lo, hi] = borders(p);
  let v: ScalarExpr = p.mode === 'nearest' ? un('round', arg(0)) : arg(0);
  const outside = bin('or', bin('lt', v, lit(lo, dt)), bin('gt', v, lit(hi, dt)));
  if (p.padding === 'border') v = select(outside, clamp(v, 0, p.size - 1), v);
  else if (p.padding === 'reflection') v = reflect(v, lo, hi);
  return v.k === 'arg' ? x : ctx.emit1({ kind: 'map', expr: v }, [x]);
}

/** Keys cubic convolution kernel at distance |s|. */
function keys(s: ScalarExpr, A: number, dt: DType): ScalarExpr {
  const f = (v: number) => lit(v, dt);
  const x = un('abs', s);
  const x2 = bin('mul', x, x);
  const x3 = bin('mul', x2, x);
  const near = bin('add', bin('sub', bin('mul', f(A + 2), x3), bin('mul', f(A + 3), x2)), f(1));
  const far = bin('sub', bin('add', bin('sub', bin('mul', f(A), x3), bin('mul', f(5 * A), x2)), bin('mul', f(8 * A), x)), f(4 * A));
  return select(bin('le', x, f(1)), near, select(bin('lt', x, f(2)), far, f(0)));
}

/**
 * Taps of an (already adjusted) coordinate tensor: index and weight tensors of shape [...coord, taps]. Out-of-range
 * taps read the edge (border), the reflected position (reflection) or get weight 0 (zeros).
 */
export function axisTaps(ctx: ConvertContext, x: ValueId, p: AxisSampling): AxisTaps {
  const t = ctx.tensorTypeOf(x);
  const dt = t.dtype;
  const { f, clamp, trunc, reflect } = exprs(dt);
  const offsets = p.mode === 'nearest' ? [0] : p.mode === 'linear' ? [0, 1] : [-1, 0, 1, 2];
  const xs = reshapeTo(ctx, x, [...t.shape, 1]);
  const o = ctx.b.constant({ dtype: dt, shape: [offsets.length], data: Float64Array.from(offsets) });
  const base = p.mode === 'nearest' ? trunc(arg(0)) : un('floor', arg(0));
  const pos = bin('add', base, arg(1));
  const frac = bin('sub', arg(0), base);
  const dist = bin('sub', frac, arg(1));
  let w: ScalarExpr = p.mode === 'nearest' ? f(1) : p.mode === 'linear' ? bin('sub', f(1), un('abs', dist)) : keys(dist, p.cubicA, dt);
  let idx: ScalarExpr;
  switch (p.padding) {
    case 'zeros':
      w = select(bin('and', bin('ge', pos, f(0)), bin('lt', pos, f(p.size))), w, f(0));
      idx = clamp(pos, 0, p.size - 1);
      break;
    case 'border': idx = clamp(pos, 0, p.size - 1); break;
    case 'reflection': idx = clamp(trunc(reflect(pos, ...borders(p))), 0, p.size - 1); break;
    default: { const _: never = p.padding; throw new Error(_); }
  }
  return {
    index: ctx.emit1({ kind: 'map', expr: cast('int64', idx) }, [xs, o]),
    weight: ctx.emit1({ kind: 'map', expr: w }, [xs, o]),
    taps: offsets.length,
  };
}

/** out = sum over axes of a_i, broadcasting (numpy rules); for int64 index arithmetic and weight products. */
export function combine(ctx: ConvertContext, op: 'add' | 'mul', xs: readonly ValueId[]): ValueId {
  let acc = xs[0]!;
  for (const x of xs.slice(1)) acc = ctx.emit1({ kind: 'map', expr: bin(op, arg(0), arg(1)) }, [acc, x]);
  return acc;
}

/** x * k for an int64 tensor and a compile-time integer. */
export function scaleInt(ctx: ConvertContext, x: ValueId, k: number): ValueId {
  return k === 1 ? x : ctx.emit1({ kind: 'map', expr: bin('mul', arg(0), lit(BigInt(k), 'int64')) }, [x]);
}

/**
 * Gathers rows of `table` [rows, C] at `index` [...S, ...T] and sums them weighted by `weight` [...S, ...T]
 * over the trailing `tapRank` axes: result [...S, C] in the table's dtype.
 */
export function gatherWeighted(ctx: ConvertContext, table: ValueId, index: ValueId, weight: ValueId, tapRank: number): ValueId {
  const dt = ctx.tensorTypeOf(table).dtype;
  const rank = ctx.rankOf(index);
  const rows = ctx.emit1({ kind: 'gather', axis: 0 }, [table, index]);
  const w = ctx.tensorTypeOf(weight).dtype === dt ? weight : ctx.emit1({ kind: 'map', expr: cast(dt, arg(0)) }, [weight]);
  const all = LETTERS.slice(0, rank);
  const keep = all.slice(0, rank - tapRank);
  return ctx.b.einsum(`${all}z,${all}->${keep}z`, [rows, w]);
}

/** A [rows, C] table from x [N, C, D...]: rows are (n, d...) in row-major order. */
export function rowTable(ctx: ConvertContext, x: ValueId, shape: readonly number[]): ValueId {
  const r = shape.length;
  const perm = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  const xt = ctx.emit1({ kind: 'transpose', perm }, [x]);
  const rows = shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
  return reshapeTo(ctx, xt, [rows, shape[1]!]);
}

/** Constant int64 tensor of `shape` (unit everywhere but `axis`) holding i * step along that axis. */
export function rampInt(ctx: ConvertContext, rank: number, axis: number, n: number, step: number): ValueId {
  const shape = Array.from({ length: rank }, (_, i) => (i === axis ? n : 1));
  checkTableSize(ctx, n, 'index ramp');
  return ctx.b.constant({ dtype: 'int64', shape, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * step)) });
}

/** Moves the trailing channel axis of y [N, ...S, C] to position 1. */
export function channelsFirst(ctx: ConvertContext, y: ValueId): ValueId {
  const r = ctx.rankOf(y);
  return ctx.emit1({ kind: 'transpose', perm: [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)] }, [y]);
}
