// Unique as existing IR ops (sort, compare neighbours, compact; like jnp.unique): the slices along `axis`
// (elements when there is none) become rows, sorted lexicographically by stable top-k passes from the last
// column to the first; a row starts a group when it differs from the one before (NaN equals NaN, as numpy);
// NonZero of those flags gives the groups, so their count is a run-time dim. sorted=0 reorders the groups
// by first occurrence. Outputs: unique values, first indices, inverse indices, counts.

import { type Dim, type ScalarExpr, type ValueId, arg, bin, cast, isFloat, lit, tensorType, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimsProduct, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { int64Const, reshapeTo } from './shape-ops.js';

const I64 = 'int64';

/** A run-time int64 tensor of `shape` filled with v. */
const filled = (ctx: ConvertContext, v: bigint, shape: readonly Dim[]): ValueId =>
  ctx.emit1({ kind: 'map', expr: lit(v, I64) }, [], [tensorType(I64, shape)]);

const gather = (ctx: ConvertContext, x: ValueId, idx: ValueId, axis = 0): ValueId => ctx.emit1({ kind: 'gather', axis }, [x, idx]);

/** Indices that sort the rows of `rows` [n, m] lexicographically, ties in original order (stable passes, last column first). */
function lexOrder(ctx: ConvertContext, rows: ValueId, n: Dim, m: number): ValueId {
  let order = ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType(I64, [n])]);
  const dt = ctx.tensorTypeOf(rows).dtype;
  for (let c = m - 1; c >= 0; c--) {
    let key = gather(ctx, reshapeTo(ctx, gather(ctx, rows, int64Const(ctx, [c]), 1), [n]), order);
    if (dt === 'bool') key = ctx.emit1({ kind: 'map', expr: cast('int8', arg(0)) }, [key]);
    const [, o] = ctx.emit({ kind: 'topk', axis: 0, k: n, largest: false, sorted: true }, [key]) as [ValueId, ValueId];
    order = gather(ctx, order, o);
  }
  return order;
}

/** bool [n]: row k of the sorted rows differs from row k-1 (row 0 always starts a group). */
function groupStarts(ctx: ConvertContext, sortedRows: ValueId, n: Dim, m: number): ValueId {
  const first = bin('eq', arg(0), lit(0n, I64));
  const pos = ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType(I64, [n])]);
  if (m === 0) return ctx.emit1({ kind: 'map', expr: first }, [pos]);
  const dt = ctx.tensorTypeOf(sortedRows).dtype;
  const prev = ctx.emit1({ kind: 'pad', mode: 'constant', low: [1, 0], high: [-1, 0], interior: [0, 0], value: 0 }, [sortedRows]);
  let differs: ScalarExpr = bin('ne', arg(0), arg(1));
  if (isFloat(dt)) differs = bin('and', differs, un('not', bin('and', un('isnan', arg(0)), un('isnan', arg(1)))));
  const diff = ctx.emit1({ kind: 'map', expr: differs }, [sortedRows, prev]);
  const rowDiff = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [1], keepDims: false }, [diff]);
  return ctx.emit1({ kind: 'map', expr: bin('or', first, arg(1)) }, [pos, rowDiff]);
}

export const UNIQUE: ConverterTable = {
  Unique: {
    since: 11,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      if (t.dtype === 'string') ctx.fail('UNSUPPORTED_OP', 'Unique of strings: the IR sorts numbers only');
      const sorted = ctx.attrs.int('sorted', 1) !== 0;
      const fail = (msg: string): never => ctx.fail('SHAPE_ERROR', msg);

      // Rows [n, m]: the slices along axis, flattened (elements as one-column rows when there is no axis).
      let rows: ValueId;
      let n: Dim;
      let m: number;
      let restShape: Dim[] = [];
      let perm: number[] = [];
      if (!ctx.attrs.has('axis')) {
        n = dimsProduct(t.shape, [], fail);
        m = 1;
        rows = reshapeTo(ctx, x, [n, 1]);
      } else {
        const axis = normAxis(ctx, ctx.attrs.requiredInt('axis'), t.shape.length);
        perm = [axis, ...t.shape.keys()].filter((d, i) => i === 0 || d !== axis);
        restShape = perm.slice(1).map((d) => t.shape[d]!);
        const rest = dimsProduct(restShape, [], fail);
        if (typeof rest !== 'number') return ctx.fail('UNSUPPORTED_OP', `Unique along axis ${axis} needs static sizes on the other axes; pin input shapes`);
        n = t.shape[axis]!;
        m = rest;
        const moved = axis === 0 ? x : ctx.emit1({ kind: 'transpose', perm }, [x]);
        rows = reshapeTo(ctx, moved, [n, m]);
      }

      const order = lexOrder(ctx, rows, n, m);
      const sortedRows = gather(ctx, rows, order);
      const starts = groupStarts(ctx, sortedRows, n, m);
      const u = ctx.freshDim();
      const startPos = reshapeTo(ctx, ctx.emit1({ kind: 'nonzero' }, [starts], [tensorType(I64, [1, u])]), [u]);
      // Group id of each sorted row: running count of group starts, minus one.
      const startCount = ctx.emit1({ kind: 'cumulative', reducer: 'add', axis: 0, exclusive: false, reverse: false }, [
        ctx.emit1({ kind: 'map', expr: cast(I64, arg(0)) }, [starts]),
      ]);
      const groupOf = ctx.emit1({ kind: 'map', expr: bin('sub', arg(0), lit(1n, I64)) }, [startCount]);

      let values = gather(ctx, sortedRows, startPos);
      let firstIndex = gather(ctx, order, startPos); // stable sort: a group's first row is its first occurrence
      let counts = ctx.emit1({ kind: 'scatter_elements', axis: 0, reduction: 'add' }, [filled(ctx, 0n, [u]), groupOf, filled(ctx, 1n, [n])]);
      // inverse[order[k]] = group of sorted row k
      let inverse = ctx.emit1({ kind: 'scatter_elements', axis: 0, reduction: 'none' }, [filled(ctx, 0n, [n]), order, groupOf]);
      if (!sorted) {
        // Groups in order of first occurrence; rank[g] is sorted group g's new position.
        const [first, byFirst] = ctx.emit({ kind: 'topk', axis: 0, k: u, largest: false, sorted: true }, [firstIndex]) as [ValueId, ValueId];
        const rank = ctx.emit1({ kind: 'scatter_elements', axis: 0, reduction: 'none' }, [
          filled(ctx, 0n, [u]), byFirst, ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType(I64, [u])]),
        ]);
        values = gather(ctx, values, byFirst);
        counts = gather(ctx, counts, byFirst);
        inverse = gather(ctx, rank, inverse);
        firstIndex = first;
      }

      let y: ValueId;
      if (!ctx.attrs.has('axis')) {
        y = reshapeTo(ctx, values, [u]);
      } else {
        const moved = reshapeTo(ctx, values, [u, ...restShape]);
        const back = perm.map((_, i) => perm.indexOf(i));
        y = perm[0] === 0 ? moved : ctx.emit1({ kind: 'transpose', perm: back }, [moved]);
      }
      return [y, firstIndex, inverse, counts];
    },
  },
};
