// Reductions, arg-reductions, softmax family and cumulative ops.
// ReduceMean/L1/L2/LogSum/LogSumExp/SumSquare are a reduce plus maps; axes moved from attribute to input
// in opset 13 (ReduceSum) and 18 (the others); noop_with_empty_axes is honoured.

import { type DType, type Reducer, type ValueId, arg, bin, lit, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimsProduct, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';

function reduceAxes(ctx: ConvertContext, axesAsInputSince: number): number[] | 'noop' {
  const r = ctx.rankOf(ctx.input(0));
  let axes: number[] | undefined;
  if (ctx.opset >= axesAsInputSince) {
    axes = ctx.optInput(1) === undefined ? undefined : ctx.constInts(1, 'axes');
  } else {
    const a = ctx.attrs.ints('axes');
    axes = a ? [...a] : undefined;
  }
  if (!axes || axes.length === 0) {
    if (ctx.opset >= axesAsInputSince && ctx.attrs.int('noop_with_empty_axes', 0) === 1) return 'noop';
    return [...Array(r).keys()];
  }
  const norm = [...new Set(axes.map((a) => normAxis(ctx, a, r)))].sort((a, b) => a - b);
  return norm;
}

const mapUnary = (ctx: ConvertContext, x: ValueId, f: (dt: DType) => ReturnType<typeof un>) =>
  ctx.emit1({ kind: 'map', expr: f(ctx.tensorTypeOf(x).dtype) }, [x]);

function reduceNode(ctx: ConvertContext, reducer: Reducer, pre: ((dt: DType) => ReturnType<typeof un>) | null,
  post: ((dt: DType, count: number) => ReturnType<typeof un>) | null, axesSince: number): ValueId[] {
  const x0 = ctx.input(0);
  const axes = reduceAxes(ctx, axesSince);
  if (axes === 'noop') {
    // noop_with_empty_axes: the reduction is the identity, but the element-wise pre/post parts still apply.
    let y = pre ? mapUnary(ctx, x0, pre) : x0;
    if (post) y = mapUnary(ctx, y, (d) => post(d, 1));
    return [y];
  }
  const keepDims = ctx.attrs.int('keepdims', 1) === 1;
  const x = pre ? mapUnary(ctx, x0, pre) : x0;
  let y = ctx.emit1({ kind: 'reduce', reducer, axes, keepDims }, [x]);
  if (post) {
    const shape = ctx.shapeOf(x0);
    const count = dimsProduct(axes.map((a) => shape[a]!), [], (m) => ctx.fail('SHAPE_ERROR', m));
    if (typeof count !== 'number') ctx.fail('UNSUPPORTED_OP', `mean over symbolic dims ${String(count)}; pin input shapes`);
    y = mapUnary(ctx, y, (d) => post(d, count));
  }
  return [y];
}

const x = arg(0);
export const REDUCTIONS: ConverterTable = {
  ReduceSum: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', null, null, 13) },
  ReduceProd: { since: 1, convert: (ctx) => reduceNode(ctx, 'mul', null, null, 18) },
  ReduceMax: { since: 1, convert: (ctx) => reduceNode(ctx, 'max', null, null, 18) },
  ReduceMin: { since: 1, convert: (ctx) => reduceNode(ctx, 'min', null, null, 18) },
  ReduceMean: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', null, (dt, n) => bin('div', x, lit(n, dt)), 18) },
  ReduceSumSquare: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', () => bin('mul', x, x), null, 18) },
  ReduceL1: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', () => un('abs', x), null, 18) },
  ReduceL2: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', () => bin('mul', x, x), () => un('sqrt', x), 18) },
  ReduceLogSum: { since: 1, convert: (ctx) => reduceNode(ctx, 'add', null, () => un('log', x), 18) },
  ReduceLogSumExp: {
    since: 1,
    // log(sum(exp(x - m))) + m with m = max over the axes, so large inputs do not overflow.
    convert: (ctx) => {
      const x0 = ctx.input(0);
      const axes = reduceAxes(ctx, 18);
      if (axes === 'noop') return [x0];
      const keepDims = ctx.attrs.int('keepdims', 1) === 1;
      const m = ctx.emit1({ kind: 'reduce', reducer: 'max', axes, keepDims: true }, [x0]);
      const dt = ctx.tensorTypeOf(x0).dtype;
      // A row of -inf has max -inf; subtracting it would give NaN, so use 0 there.
      const safeM = ctx.emit1({ kind: 'map', expr: bin('max', x, lit(-Number.MAX_VALUE, dt)) }, [m]);
      const e = ctx.emit1({ kind: 'map', expr: un('exp', bin('sub', arg(0), arg(1))) }, [x0, safeM]);
      const s = ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims }, [e]);
      const mk = keepDims ? safeM : ctx.emit1({ kind: 'reduce', reducer: 'max', axes, keepDims: false }, [safeM]);
      return [ctx.emit1({ kind: 'map', expr: bin('add', un('log', arg(0)), arg(1)) }, [s, mk])];
    },
  },
  ArgMax: { since: 1, convert: (ctx) => argReduce(ctx, 'max') },
  ArgMin: { since: 1, convert: (ctx) => argReduce(ctx, 'min') },
  Softmax: { since: 1, convert: (ctx) => softmax(ctx, false) },
  LogSoftmax: { since: 1, convert: (ctx) => softmax(ctx, true) },
  Hardmax: {
    since: 1,
    convert: (ctx) => {
      const xv = ctx.input(0);
      const r = ctx.rankOf(xv);
      const axis = normAxis(ctx, ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1), r);
      if (ctx.opset < 13) return coerced2d(ctx, xv, axis, (x2) => hardmaxLast(ctx, x2));
      return [hardmaxAt(ctx, xv, axis)];
    },
  },
  CumSum: { since: 11, convert: (ctx) => cumulative(ctx, 'add') },
  CumProd: { since: 26, convert: (ctx) => cumulative(ctx, 'mul') },
};

function argReduce(ctx: ConvertContext, mode: 'max' | 'min'): ValueId[] {
  const xv = ctx.input(0);
  const axis = normAxis(ctx, ctx.attrs.int('axis', 0), ctx.rankOf(xv));
  return [ctx.emit1({
    kind: 'argreduce', mode, axis, keepDims: ctx.attrs.int('keepdims', 1) === 1, selectLast: ctx.attrs.int('select_last_index', 0) === 1,
  }, [xv])];
}

/** Before opset 13, softmax-like ops flatten to 2-D at `axis` and normalize over the trailing block. */
function coerced2d(ctx: ConvertContext, xv: ValueId, axis: number, f: (x2: ValueId) => ValueId): ValueId[] {
  const t = ctx.tensorTypeOf(xv);
  const outer = dimsProduct(t.shape.slice(0, axis), [], (m) => ctx.fail('SHAPE_ERROR', m));
  const inner = dimsProduct(t.shape.slice(axis), [], (m) => ctx.fail('SHAPE_ERROR', m));
  const x2 = ctx.emit1({ kind: 'reshape' }, [xv], [{ kind: 'tensor', dtype: t.dtype, shape: [outer, inner] }]);
  const y2 = f(x2);
  return [ctx.emit1({ kind: 'reshape' }, [y2], [t])];
}

function softmax(ctx: ConvertContext, log: boolean): ValueId[] {
  const xv = ctx.input(0);
  const r = ctx.rankOf(xv);
  const axis = normAxis(ctx, ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1), r);
  if (ctx.opset < 13 && axis !== r - 1) return coerced2d(ctx, xv, axis, (x2) => ctx.emit1({ kind: 'softmax', axis: 1, log }, [x2]));
  return [ctx.emit1({ kind: 'softmax', axis, log }, [xv])];
}

/** one-hot of the first max along `axis`: compare an iota with the argmax. */
function hardmaxAt(ctx: ConvertContext, xv: ValueId, axis: number): ValueId {
  const t = ctx.tensorTypeOf(xv);
  const am = ctx.emit1({ kind: 'argreduce', mode: 'max', axis, keepDims: true, selectLast: false }, [xv]);
  const io = ctx.emit1({ kind: 'iota', axis }, [], [{ kind: 'tensor', dtype: 'int64', shape: t.shape }]);
  return ctx.emit1({ kind: 'map', expr: { k: 'select', c: bin('eq', arg(0), arg(1)), a: lit(1, t.dtype), b: lit(0, t.dtype) } }, [io, am]);
}
function hardmaxLast(ctx: ConvertContext, x2: ValueId): ValueId {
  return hardmaxAt(ctx, x2, 1);
}

function cumulative(ctx: ConvertContext, reducer: Reducer): ValueId[] {
  const xv = ctx.input(0);
  const [a] = ctx.constInts(1, 'axis');
  return [ctx.emit1({
    kind: 'cumulative', reducer, axis: normAxis(ctx, a!, ctx.rankOf(xv)),
    exclusive: ctx.attrs.int('exclusive', 0) === 1, reverse: ctx.attrs.int('reverse', 0) === 1,
  }, [xv])];
}
