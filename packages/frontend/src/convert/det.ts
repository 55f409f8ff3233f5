// Det: determinant of each trailing [n, n] matrix, by LU elimination with partial pivoting (as LAPACK's getrf,
// which numpy and the ONNX reference use) unrolled over the n columns at compile time. Each step is plain IR:
// argreduce picks the pivot row (largest |value|, first on ties), gather_elements swaps it to the top, and one
// map eliminates the column from the remaining rows, leaving an [n-1, n-1] matrix. Computed in float64 and
// rounded to the input's dtype once; a zero pivot contributes 0 instead of dividing by it (getrf's behaviour).

import { type Dim, type DType, type ValueId, arg, bin, cast, lit, select, tensorType, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { MAX_UNROLLED_STEPS } from './limits.js';
import { sliceAxes } from './movement.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const F64 = 'float64';
const I64 = 'int64';
const FLOATS: ReadonlySet<DType> = new Set(['float16', 'bfloat16', 'float32', 'float64']);

function det(ctx: ConvertContext): ValueId {
  const x = ctx.input(0);
  const t = ctx.tensorTypeOf(x);
  if (!FLOATS.has(t.dtype)) ctx.fail('TYPE_ERROR', `input must be float16, bfloat16, float32 or float64, got ${t.dtype}`);
  const s = t.shape;
  if (s.length < 2) ctx.fail('SHAPE_ERROR', `input must have rank >= 2 ([..., M, M]), got rank ${s.length}`);
  const n = s[s.length - 1]!;
  const batch = s.slice(0, -2);
  if (typeof n !== 'number' || typeof s[s.length - 2] !== 'number') ctx.fail('UNSUPPORTED_OP', `symbolic matrix size [${s.slice(-2).join(', ')}]; pin input shapes`);
  if (s[s.length - 2] !== n) ctx.fail('SHAPE_ERROR', `matrices must be square, got [${s.slice(-2).join(', ')}]`);
  if (n > MAX_UNROLLED_STEPS) ctx.fail('LIMIT_EXCEEDED', `a ${n}x${n} determinant would unroll ${n} elimination steps (limit ${MAX_UNROLLED_STEPS})`);
  if (n === 0) return ctx.emit1({ kind: 'map', expr: lit(1, t.dtype) }, [], [tensorType(t.dtype, batch)]);

  const rows = s.length - 2;
  const cols = s.length - 1;
  const unit: Dim[] = [...batch, 1, 1];
  let m = t.dtype === F64 ? x : ctx.emit1({ kind: 'map', expr: cast(F64, arg(0)) }, [x]);
  let d = ctx.emit1({ kind: 'map', expr: lit(1, F64) }, [], [tensorType(F64, unit)]);
  for (let size = n; size >= 1; size--) {
    // Pivot: the first row of the leading column with the largest magnitude.
    const lead = sliceAxes(ctx, m, [cols], [0], [1], [1]);
    const mag = ctx.emit1({ kind: 'map', expr: un('abs', arg(0)) }, [lead]);
    const p = ctx.emit1({ kind: 'argreduce', mode: 'max', axis: rows, keepDims: true, selectLast: false }, [mag]);
    const pivotRow = ctx.emit1({ kind: 'gather_elements', axis: rows }, [m, ctx.emit1({ kind: 'expand' }, [p], [tensorType(I64, [...batch, 1, size])])]);
    const pivot = sliceAxes(ctx, pivotRow, [cols], [0], [1], [1]);
    // det *= pivot, negated when the pivot row was swapped with the top row.
    const moved = bin('ne', arg(1), lit(0n, I64));
    d = ctx.emit1({ kind: 'map', expr: select(moved, un('neg', bin('mul', arg(0), arg(2))), bin('mul', arg(0), arg(2))) }, [d, p, pivot]);
    if (size === 1) break;
    // The other rows after the swap: row r (1 <= r < size) is the old top row where r is the pivot row.
    const below = ctx.emit1({ kind: 'iota', axis: rows }, [], [tensorType(I64, [...batch.map(() => 1), size - 1, 1])]);
    const r = bin('add', arg(0), lit(1n, I64));
    const restIdx = ctx.emit1({ kind: 'map', expr: select(bin('eq', r, arg(1)), lit(0n, I64), r) }, [below, p]);
    const rest = ctx.emit1({ kind: 'gather_elements', axis: rows }, [m, ctx.emit1({ kind: 'expand' }, [restIdx], [tensorType(I64, [...batch, size - 1, size])])]);
    // rest[:, 1:] - rest[:, :1] / pivot * pivotRow[1:]; a zero pivot means a zero column (nothing to eliminate).
    const factor = select(bin('eq', arg(2), lit(0, F64)), lit(0, F64), bin('div', arg(1), arg(2)));
    m = ctx.emit1({ kind: 'map', expr: bin('sub', arg(0), bin('mul', factor, arg(3))) }, [
      sliceAxes(ctx, rest, [cols], [1], [size], [1]), sliceAxes(ctx, rest, [cols], [0], [1], [1]), pivot,
      sliceAxes(ctx, pivotRow, [cols], [1], [size], [1]),
    ]);
  }
  const out = t.dtype === F64 ? d : ctx.emit1({ kind: 'map', expr: cast(t.dtype, arg(0)) }, [d]);
  return reshapeTo(ctx, out, batch);
}

export const DET: ConverterTable = {
  Det: { since: 11, convert: (ctx) => [det(ctx)] },
};
