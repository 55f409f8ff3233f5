// MaxPool's second output, Indices: for each window, the flattened index into X (n, c and the spatial
// position; spatial row-major for storage_order 0, column-major for 1) of the first maximum in the window's
// row-major scan over in-bounds cells. Built only when the node asks for it, from existing ops: one gather
// lays every window out along a new last axis, argreduce picks the first maximum, and a compile-time table
// turns (window, cell) into the spatial index. Out-of-bounds cells read a copy of an in-bounds cell (see
// windowTables), so padding never wins and no pad value can tie with real data.

import { type ValueId, arg, bin, lit, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimMul } from './dim-utils.js';
import { checkTableSize } from './limits.js';
import { int64Const, reshapeTo } from './shape-ops.js';

/** A pooling window's geometry, derived from the node's attributes (all static; pooling.ts windowOf). */
export interface PoolWindow {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** begin pads then end pads. */
  readonly pads: readonly number[];
  readonly out: readonly number[];
  readonly inSpatial: readonly number[];
}

/**
 * Per output position o and window cell k (both row-major): the spatial cell read (row-major flat index) and
 * the cell reported (in storage order). An out-of-bounds coordinate is replaced, per spatial dim, by the
 * window's first in-bounds coordinate along that dim, so every cell reads and reports an in-bounds cell Q.
 * For each in-bounds R before Q in row-major order, some earlier cell of the scan reads R (take the cell's
 * own coordinates up to the first dim where R and Q differ, then R's). So the scan's first maximum reads the
 * first in-bounds maximum; the first cell reads the first in-bounds cell, so a NaN there wins as in the
 * reference loop (argreduce, like it, keeps a leading NaN and skips later ones).
 */
function windowTables(ctx: ConvertContext, w: PoolWindow, columnMajor: boolean): { read: number[]; report: number[] } {
  const n = w.kernel.length;
  const cells = w.kernel.reduce((a, b) => a * b, 1);
  const windows = w.out.reduce((a, b) => a * b, 1);
  checkTableSize(ctx, windows * cells, 'MaxPool Indices table');
  // coords[i][o][k]: the spatial coordinate read along dim i by output o_i at kernel offset k_i.
  const coords = w.kernel.map((kn, i) => Array.from({ length: w.out[i]! }, (_, o) => {
    const at = (k: number) => o * w.strides[i]! + k * w.dilations[i]! - w.pads[i]!;
    const inside = (p: number) => p >= 0 && p < w.inSpatial[i]!;
    const first = Array.from({ length: kn }, (_, k) => at(k)).find(inside);
    if (first === undefined) ctx.attrs.unsupported('pads', `output ${o} of spatial dim ${i} has a window entirely in the padding (the Indices output is undefined there)`);
    return Array.from({ length: kn }, (_, k) => (inside(at(k)) ? at(k) : first));
  }));
  const rowStride = w.inSpatial.map((_, i) => w.inSpatial.slice(i + 1).reduce((a, b) => a * b, 1));
  const colStride = w.inSpatial.map((_, i) => w.inSpatial.slice(0, i).reduce((a, b) => a * b, 1));
  const read: number[] = new Array(windows * cells);
  const report: number[] = new Array(windows * cells);
  const o = new Array<number>(n).fill(0);
  const k = new Array<number>(n).fill(0);
  for (let ow = 0; ow < windows; ow++) {
    for (let i = n - 1, rem = ow; i >= 0; i--) { o[i] = rem % w.out[i]!; rem = Math.floor(rem / w.out[i]!); }
    for (let kc = 0; kc < cells; kc++) {
      for (let i = n - 1, rem = kc; i >= 0; i--) { k[i] = rem % w.kernel[i]!; rem = Math.floor(rem / w.kernel[i]!); }
      let r = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        const p = coords[i]![o[i]!]![k[i]!]!;
        r += p * rowStride[i]!;
        c += p * colStride[i]!;
      }
      read[ow * cells + kc] = r;
      report[ow * cells + kc] = columnMajor ? c : r;
    }
  }
  return { read, report };
}

/** The int64 Indices output of MaxPool over x ([N, C, ...spatial]) for the given window. */
export function maxPoolIndices(ctx: ConvertContext, x: ValueId, w: PoolWindow, storageOrder: number): ValueId {
  const xs = ctx.shapeOf(x);
  const n = w.kernel.length;
  const cells = w.kernel.reduce((a, b) => a * b, 1);
  const spatial = w.inSpatial.reduce((a, b) => a * b, 1);
  const { read, report } = windowTables(ctx, w, storageOrder === 1);
  const I64 = 'int64';
  // windows[n, c, o..., k] = x[n, c, read[o, k]]
  const readIdx = ctx.b.constant({ dtype: I64, shape: [...w.out, cells], data: BigInt64Array.from(read, BigInt) });
  const windows = ctx.emit1({ kind: 'gather', axis: 2 }, [reshapeTo(ctx, x, [xs[0]!, xs[1]!, spatial]), readIdx]);
  const best = ctx.emit1({ kind: 'argreduce', mode: 'max', axis: 2 + n, keepDims: false, selectLast: false }, [windows]);
  // Reported spatial index: report[o * cells + best].
  const rowBase = ctx.b.constant({ dtype: I64, shape: [...w.out], data: BigInt64Array.from({ length: read.length / cells }, (_, i) => BigInt(i * cells)) });
  const at = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [best, rowBase]);
  const where = ctx.emit1({ kind: 'gather', axis: 0 }, [int64Const(ctx, report), at]);
  // Plus the offset of the (n, c) plane: (n*C + c) * spatial.
  const planes = dimMul(xs[0]!, xs[1]!);
  const plane = ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType(I64, [planes])]);
  const planeAt = reshapeTo(ctx, plane, [xs[0]!, xs[1]!, ...w.out.map(() => 1)]);
  return ctx.emit1({ kind: 'map', expr: bin('add', arg(0), bin('mul', arg(1), lit(BigInt(spatial), I64))) }, [where, planeAt]);
}
