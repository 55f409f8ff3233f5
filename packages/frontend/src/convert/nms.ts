// NonMaxSuppression as existing IR ops. Per (batch, class) the boxes are sorted by score (top-k, ties to
// the lower index); an IR loop visits the sorted positions in order and keeps a box when its score passes
// the threshold and no box kept before it overlaps it by IoU > iou_threshold (the greedy rule, arithmetic in
// float32 step by step as ONNX's reference). Keeping only the first max_output_boxes_per_class survivors
// equals stopping early; NonZero of the kept flags yields [batch, class, position] triples, so the number
// of selected boxes is a run-time dim.

import { type ScalarExpr, type ValueId, arg, bin, cast, dimEquals, lit, select, tensorType, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import type { ConverterTable } from './registry-types.js';
import { int64Const, reshapeTo } from './shape-ops.js';

const F32 = 'float32';

/** Optional one-element input i as a scalar, or undefined when absent. */
function scalarInput(ctx: ConvertContext, i: number, dtype: 'int64' | 'float32', what: string): ValueId | undefined {
  const v = ctx.optInput(i);
  if (v === undefined) return undefined;
  const t = ctx.tensorTypeOf(v);
  if (t.dtype !== dtype) ctx.fail('TYPE_ERROR', `${what} must be ${dtype}, got ${t.dtype}`);
  if (t.shape.length > 1 || (t.shape.length === 1 && t.shape[0] !== 1)) ctx.fail('SHAPE_ERROR', `${what} must hold one value, got shape [${t.shape.join(',')}]`);
  return reshapeTo(ctx, v, []);
}

/** Corner planes [B, N] (x_min, x_max, y_min, y_max) from boxes [B, N, 4] in either ONNX box format. */
function corners(ctx: ConvertContext, boxes: ValueId, centerPointBox: boolean): [ValueId, ValueId, ValueId, ValueId] {
  const [b, n] = ctx.shapeOf(boxes);
  const coord = (k: number) => reshapeTo(ctx, ctx.emit1({ kind: 'gather', axis: 2 }, [boxes, int64Const(ctx, [k])]), [b!, n!]);
  const c = [0, 1, 2, 3].map(coord) as [ValueId, ValueId, ValueId, ValueId];
  const map2 = (e: ScalarExpr, x: ValueId, y: ValueId) => ctx.emit1({ kind: 'map', expr: e }, [x, y]);
  if (!centerPointBox) {
    // [y1, x1, y2, x2], either corner first
    const lo = bin('min', arg(0), arg(1));
    const hi = bin('max', arg(0), arg(1));
    return [map2(lo, c[1], c[3]), map2(hi, c[1], c[3]), map2(lo, c[0], c[2]), map2(hi, c[0], c[2])];
  }
  // [x_center, y_center, width, height]
  const half = bin('div', arg(1), lit(2, F32));
  const lo = bin('sub', arg(0), half);
  const hi = bin('add', arg(0), half);
  return [map2(lo, c[0], c[2]), map2(hi, c[0], c[2]), map2(lo, c[1], c[3]), map2(hi, c[1], c[3])];
}

/**
 * bool: box j (args 0-4: x_min, x_max, y_min, y_max, area) is kept (arg 11) and suppresses candidate i (args
 * 5-9) at threshold arg 10 — ONNX's reference test, including its early "no overlap" and "empty box" exits.
 */
function suppresses(): ScalarExpr {
  const ix0 = bin('max', arg(5), arg(0));
  const ix1 = bin('min', arg(6), arg(1));
  const iy0 = bin('max', arg(7), arg(2));
  const iy1 = bin('min', arg(8), arg(3));
  const inter = bin('mul', bin('sub', ix1, ix0), bin('sub', iy1, iy0));
  const union = bin('sub', bin('add', arg(9), arg(4)), inter);
  const zero = lit(0, F32);
  const conds: ScalarExpr[] = [
    arg(11), bin('gt', ix1, ix0), bin('gt', iy1, iy0), bin('gt', inter, zero),
    bin('gt', arg(9), zero), bin('gt', arg(4), zero), bin('gt', union, zero), bin('gt', bin('div', inter, union), arg(10)),
  ];
  return conds.reduce((a, c) => bin('and', a, c));
}

export const NMS: ConverterTable = {
  NonMaxSuppression: {
    since: 10,
    convert: (ctx) => {
      const boxes = ctx.input(0);
      const scores = ctx.input(1);
      const bt = ctx.tensorTypeOf(boxes);
      const st = ctx.tensorTypeOf(scores);
      if (bt.dtype !== F32 || st.dtype !== F32) ctx.fail('TYPE_ERROR', `boxes and scores must be float32, got ${bt.dtype} and ${st.dtype}`);
      if (bt.shape.length !== 3 || bt.shape[2] !== 4) ctx.fail('SHAPE_ERROR', `boxes must be [batches, boxes, 4], got [${bt.shape.join(',')}]`);
      if (st.shape.length !== 3) ctx.fail('SHAPE_ERROR', `scores must be [batches, classes, boxes], got [${st.shape.join(',')}]`);
      if (!dimEquals(bt.shape[0]!, st.shape[0]!) || !dimEquals(bt.shape[1]!, st.shape[2]!)) {
        ctx.fail('SHAPE_ERROR', `boxes [${bt.shape.join(',')}] and scores [${st.shape.join(',')}] disagree on batches or boxes`);
      }
      const centerAttr = ctx.attrs.int('center_point_box', 0);
      if (centerAttr !== 0 && centerAttr !== 1) return ctx.attrs.unsupported('center_point_box', `${centerAttr} (must be 0 or 1)`);
      const maxOut = scalarInput(ctx, 2, 'int64', 'max_output_boxes_per_class');
      const iouThr = scalarInput(ctx, 3, F32, 'iou_threshold');
      const scoreThr = scalarInput(ctx, 4, F32, 'score_threshold');
      const [b, c, n] = st.shape as [number | string, number | string, number | string];
      // No max_output_boxes_per_class means 0: nothing is selected.
      if (maxOut === undefined) return [ctx.emit1({ kind: 'map', expr: lit(0n, 'int64') }, [], [tensorType('int64', [0, 3])])];
      const k = ctx.freshDim();

      // Per (batch, class): positions in score order, and each corner plane read in that order.
      const bcn = [b, c, n];
      const [, order] = ctx.emit({ kind: 'topk', axis: 2, k: n, largest: true, sorted: true }, [scores]) as [ValueId, ValueId];
      const sortedScores = ctx.emit1({ kind: 'gather_elements', axis: 2 }, [scores, order]);
      const inOrder = (plane: ValueId) => ctx.emit1({ kind: 'gather_elements', axis: 2 }, [
        ctx.emit1({ kind: 'expand' }, [reshapeTo(ctx, plane, [b, 1, n])], [tensorType(F32, bcn)]), order,
      ]);
      const planes = corners(ctx, boxes, centerAttr === 1).map(inOrder);
      const area = ctx.emit1({ kind: 'map', expr: bin('mul', bin('sub', arg(1), arg(0)), bin('sub', arg(3), arg(2))) }, planes);
      const valid = scoreThr === undefined
        ? ctx.emit1({ kind: 'map', expr: lit(1, 'bool') }, [], [tensorType('bool', bcn)])
        : ctx.emit1({ kind: 'map', expr: bin('gt', arg(0), arg(1)) }, [sortedScores, scoreThr]);
      const thr = iouThr ?? ctx.emit1({ kind: 'map', expr: lit(0, F32) }, [], [tensorType(F32, [])]);
      const position = ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType('int64', [n])]);

      // The greedy pass: iteration i decides sorted position i from the boxes kept at positions < i.
      const keepType = tensorType('bool', bcn);
      const body = ctx.b.region([tensorType('int64', []), tensorType('bool', []), keepType], ([i, cond, keep]) => {
        const at = reshapeTo(ctx, i!, [1]);
        const pick = (v: ValueId) => ctx.emit1({ kind: 'gather', axis: 2 }, [v, at]);
        const sup = ctx.emit1({ kind: 'map', expr: suppresses() }, [...planes, area, ...planes.map(pick), pick(area), thr, keep!]);
        const anySup = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [2], keepDims: true }, [sup]);
        const decide = select(bin('eq', arg(0), arg(1)), bin('and', arg(2), un('not', arg(3))), arg(4));
        return [cond!, ctx.emit1({ kind: 'map', expr: decide }, [position, i!, pick(valid), anySup, keep!])];
      });
      const trips = typeof n === 'number' ? int64Const(ctx, [n], true) : reshapeTo(ctx, ctx.emit1({ kind: 'shape_of', start: 2, end: 3 }, [scores]), []);
      const none = ctx.emit1({ kind: 'map', expr: lit(0, 'bool') }, [], [keepType]);
      const kept = ctx.emit1({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trips, none], [keepType]);

      // At most max_output_boxes_per_class per (batch, class): the first ones in score order.
      const rank = ctx.emit1({ kind: 'cumulative', reducer: 'add', axis: 2, exclusive: false, reverse: false }, [
        ctx.emit1({ kind: 'map', expr: cast('int64', arg(0)) }, [kept]),
      ]);
      const selected = ctx.emit1({ kind: 'map', expr: bin('and', arg(0), bin('le', arg(1), arg(2))) }, [kept, rank, maxOut]);
      const triples = ctx.emit1({ kind: 'transpose', perm: [1, 0] }, [ctx.emit1({ kind: 'nonzero' }, [selected], [tensorType('int64', [3, k])])]);
      const boxIndex = ctx.emit1({ kind: 'gather_nd', batchDims: 0 }, [order, triples]);
      const batchClass = ctx.emit1({ kind: 'slice', starts: [0, 0], steps: [1, 1] }, [triples], [tensorType('int64', [k, 2])]);
      return [ctx.emit1({ kind: 'concat', axis: 1 }, [batchClass, reshapeTo(ctx, boxIndex, [k, 1])])];
    },
  },
};
