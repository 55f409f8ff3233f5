// Applies a twiddle table along one axis of a [..., L, ..., C] signal as a single contraction, without
// transposes. When the axis is the one just before the component axis (ONNX's default, and every STFT), the
// signal flattens to [rows, M*C] and the contraction is a plain matrix product with a [M*C, K*D] table, which the
// wasm backend runs on its GEMM kernel; other axes read the signal through strided index maps instead.

import { type AffineExpr, type ContractOp, type DType, type ScalarExpr, type ValueId, acc, bin, cast, constExpr, dimExpr, lit, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { reshapeTo } from './shape-ops.js';

export interface AxisTransform {
  /** The transformed axis of the signal (never its last, component, axis). */
  readonly axis: number;
  /** Table dims [M, C, K, D]: positions read, input components, positions written, output components. */
  readonly dims: readonly [number, number, number, number];
  /** The sum is divided by this once (the inverse transform's n); 1 for none. */
  readonly divideBy: number;
  readonly outDtype: DType;
}

function epilogue(t: AxisTransform, accDt: DType): ScalarExpr | null {
  let e: ScalarExpr = acc;
  if (t.divideBy !== 1) e = bin('div', e, lit(t.divideBy, accDt));
  if (t.outDtype !== accDt) e = cast(t.outDtype, e);
  return e === acc ? null : e;
}

function contractOp(t: AxisTransform, accDt: DType, maps: AffineExpr[][], reductionExtents: number[]): ContractOp {
  return {
    kind: 'contract', reductionExtents, maps, padValues: [null, null], combiner: bin('mul', { k: 'arg', i: 0 }, { k: 'arg', i: 1 }),
    reducer: 'add', accDtype: accDt, epilogue: epilogue(t, accDt),
  };
}

/**
 * y = x (x) table along `t.axis`: x is [..., L, ..., C] in the compute dtype with L >= M, `table` is [M*C, K*D]
 * in the same dtype (constant or computed); y is [..., K, ..., D] in t.outDtype. Only the first M positions of the
 * axis are read (the GEMM form slices them out first, the strided form just stops), and zero padding to
 * dft_length is simply the absent rows of the table.
 */
export function contractAlongAxis(ctx: ConvertContext, x: ValueId, table: ValueId, t: AxisTransform): ValueId {
  const shape = ctx.shapeOf(x);
  const dt = ctx.tensorTypeOf(x).dtype;
  const r = shape.length;
  const [M, C, K, D] = t.dims;
  const outShape = shape.map((d, i) => (i === t.axis ? K : i === r - 1 ? D : d));
  const pre = shape.slice(0, t.axis);
  if (t.axis === r - 2 && pre.every((d) => typeof d === 'number')) {
    const rows = (pre as number[]).reduce((a, b) => a * b, 1);
    let xs = x;
    if (shape[t.axis] !== M) {
      xs = ctx.emit1({ kind: 'slice', starts: shape.map(() => 0), steps: shape.map(() => 1) }, [x], [tensorType(dt, shape.map((d, i) => (i === t.axis ? M : d)))]);
    }
    const x2 = reshapeTo(ctx, xs, [rows, M * C]);
    const op = contractOp(t, dt, [[dimExpr(0), dimExpr(2)], [dimExpr(2), dimExpr(1)]], [M * C]);
    const y2 = ctx.emit1(op, [x2, table], [tensorType(t.outDtype, [rows, K * D])]);
    return reshapeTo(ctx, y2, outShape);
  }
  // Loops: the output's r dims, then m (and c for complex input) summed.
  const xMap = shape.map((_, i) => (i === t.axis ? dimExpr(r) : i === r - 1 ? (C === 2 ? dimExpr(r + 1) : constExpr(0)) : dimExpr(i)));
  const tMap = [dimExpr(r), C === 2 ? dimExpr(r + 1) : constExpr(0), dimExpr(t.axis), dimExpr(r - 1)];
  const table4 = reshapeTo(ctx, table, [M, C, K, D]);
  const op = contractOp(t, dt, [xMap, tMap], C === 2 ? [M, 2] : [M]);
  return ctx.emit1(op, [x, table4], [tensorType(t.outDtype, outShape)]);
}
