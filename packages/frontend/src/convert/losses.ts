// Training losses that inference graphs still contain: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
// (reductions none/sum/mean, class weights, ignore_index), as gathers, maps and reductions.

import { type ValueId, arg, bin, lit, select } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

/** -x[n, target[n, ...], ...] * weight[target], with ignore_index and the reduction; x is [N, C, d...]. */
function nll(ctx: ConvertContext, x: ValueId, target: ValueId, weight: ValueId | undefined): ValueId {
  const xt = ctx.tensorTypeOf(x);
  const dt = xt.dtype;
  const tt = ctx.tensorTypeOf(target);
  const r = xt.shape.length;
  if (r < 2 || tt.shape.length !== r - 1) ctx.fail('SHAPE_ERROR', `input rank ${r} and target rank ${tt.shape.length} do not match`);
  const reduction = ctx.attrs.string('reduction', 'mean');
  if (!['none', 'sum', 'mean'].includes(reduction)) ctx.attrs.unsupported('reduction', `"${reduction}"`);
  const ignore = ctx.attrs.int('ignore_index');
  const tdt = tt.dtype;
  const ilit = (v: number) => lit(tdt === 'int64' ? BigInt(v) : v, tdt);
  const map = (e: Parameters<typeof select>[0], ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  // Ignored positions read class 0 (any valid index) and get weight 0.
  const keep = ignore === undefined ? undefined : map(bin('ne', arg(0), ilit(ignore)), [target]);
  const safe = keep === undefined ? target : map(select(arg(1), arg(0), ilit(0)), [target, keep]);
  const idx = reshapeTo(ctx, safe, [tt.shape[0]!, 1, ...tt.shape.slice(1)]);
  const picked = reshapeTo(ctx, ctx.emit1({ kind: 'gather_elements', axis: 1 }, [x, idx]), tt.shape);
  let w: ValueId | undefined = weight === undefined ? undefined : ctx.emit1({ kind: 'gather', axis: 0 }, [weight, safe]);
  if (keep !== undefined) {
    w = w === undefined ? map(select(arg(0), lit(1, dt), lit(0, dt)), [keep]) : map(select(arg(1), arg(0), lit(0, dt)), [w, keep]);
  }
  const loss = w === undefined ? map({ k: 'un', op: 'neg', a: arg(0) }, [picked]) : map(bin('mul', { k: 'un', op: 'neg', a: arg(0) }, arg(1)), [picked, w]);
  if (reduction === 'none') return loss;
  const all = [...Array(tt.shape.length).keys()];
  const total = ctx.emit1({ kind: 'reduce', reducer: 'add', axes: all, keepDims: false }, [loss]);
  if (reduction === 'sum') return total;
  if (w === undefined) {
    const count = tt.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
    if (Number.isNaN(count)) ctx.fail('UNSUPPORTED_OP', 'mean loss over symbolic dims; pin input shapes');
    return map(bin('div', arg(0), lit(count, dt)), [total]);
  }
  const wsum = ctx.emit1({ kind: 'reduce', reducer: 'add', axes: all, keepDims: false }, [w]);
  return map(bin('div', arg(0), arg(1)), [total, wsum]);
}

export const LOSSES: ConverterTable = {
  NegativeLogLikelihoodLoss: {
    since: 12,
    convert: (ctx) => [nll(ctx, ctx.input(0), ctx.input(1), ctx.optInput(2))],
  },
  SoftmaxCrossEntropyLoss: {
    since: 12,
    convert: (ctx) => {
      const x = ctx.input(0);
      const logp = ctx.emit1({ kind: 'softmax', axis: 1, log: true }, [x]);
      const loss = nll(ctx, logp, ctx.input(1), ctx.optInput(2));
      return ctx.node.outputNames.length > 1 && ctx.node.outputNames[1] !== '' ? [loss, logp] : [loss];
    },
  },
};

