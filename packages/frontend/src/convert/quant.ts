// Quantization ops: QuantizeLinear / DequantizeLinear (per-tensor, per-axis, blocked; fp8/int4/fp4 codes),
// DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv. Integer matmuls are int32
// contracts whose combiner subtracts the zero points, exactly as ONNX's reference computes them; integer
// convolutions subtract them before the convolution, so that padding contributes 0.

import {
  type AffineMap, type DType, type QuantScheme, type ScalarExpr, type ValueId, arg, bin, broadcastShapes, cast, dtypeFromOnnx, lit, un, tensorType,
} from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { convSpec } from './contraction.js';
import { normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

function scheme(ctx: ConvertContext, x: ValueId, scale: ValueId): QuantScheme {
  const rank = ctx.rankOf(x);
  const ss = ctx.shapeOf(scale);
  const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
  const saturate = ctx.attrs.int('saturate', 1) === 1;
  const perTensor = ss.length === 0 || (ss.length === 1 && ss[0] === 1 && blockSize === 0);
  if (perTensor) return { axis: null, blockSize: null, saturate };
  const axis = normAxis(ctx, ctx.attrs.int('axis', 1), rank);
  if (blockSize > 0) return { axis, blockSize, saturate };
  if (ss.length !== 1) ctx.fail('SHAPE_ERROR', `per-axis scale must be 1-D, got rank ${ss.length}`);
  return { axis, blockSize: null, saturate };
}

function codeDtype(ctx: ConvertContext): DType {
  const zp = ctx.optInput(2);
  if (zp !== undefined) return ctx.tensorTypeOf(zp).dtype;
  const od = ctx.opset >= 21 ? ctx.attrs.int('output_dtype', 0) : 0;
  if (od !== 0) return dtypeFromOnnx(od) ?? ctx.attrs.unsupported('output_dtype', `unknown dtype code ${od}`);
  return 'uint8';
}

/** A rank-0 operand read at every loop point (zero points) has an empty index map. */
const scalarMap: AffineMap = [];
const idx = (i: number) => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });

/** int32 (A - a_zp) @ (B - b_zp) for 2-D A[M,K], B[K,N]; zero points scalar or per-row(A)/per-column(B). */
/** (A - a_zp) @ (B - b_zp) in int32 with numpy matmul broadcasting; zero points per tensor, per row of A, per column of B. */
function integerMatmul(ctx: ConvertContext, a: ValueId, b: ValueId, azp: ValueId | undefined, bzp: ValueId | undefined): ValueId {
  const as = ctx.shapeOf(a);
  const bs = ctx.shapeOf(b);
  if (as.length < 2 || bs.length < 2) ctx.fail('UNSUPPORTED_OP', `integer matmul of 1-D operands (ranks ${as.length} and ${bs.length})`);
  const batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)]);
  const nb = batch.length;
  const [mL, nL, kL] = [nb, nb + 1, nb + 2];
  const batchMap = (own: readonly (number | string)[]): AffineMap => own.slice(0, -2).map((d, i) => (d === 1 ? { terms: [], offset: 0 } : idx(i + nb - (own.length - 2))));
  const inputs: ValueId[] = [a, b];
  const maps: AffineMap[] = [[...batchMap(as), idx(mL), idx(kL)], [...batchMap(bs), idx(kL), idx(nL)]];
  const i32 = (e: ScalarExpr) => cast('int32', e);
  let ea: ScalarExpr = i32(arg(0));
  let eb: ScalarExpr = i32(arg(1));
  const zpOperand = (zp: ValueId, perIdx: number): ScalarExpr => {
    const s = ctx.shapeOf(zp);
    const n = s.reduce<number>((p, d) => p * (typeof d === 'number' ? d : NaN), 1);
    inputs.push(zp);
    maps.push(s.length === 0 ? scalarMap : n === 1 ? s.map(() => ({ terms: [], offset: 0 })) : [idx(perIdx)]);
    return i32(arg(inputs.length - 1));
  };
  if (azp !== undefined) ea = bin('sub', ea, zpOperand(azp, mL));
  if (bzp !== undefined) eb = bin('sub', eb, zpOperand(bzp, nL));
  return ctx.emit1({
    kind: 'contract', reductionExtents: [as[as.length - 1]!], maps, padValues: maps.map(() => null), combiner: bin('mul', ea, eb),
    reducer: 'add', accDtype: 'int32', epilogue: null,
  }, inputs, [tensorType('int32', [...batch, as[as.length - 2]!, bs[bs.length - 1]!])]);
}

/** A per-output-channel [M] tensor as [M, 1, ...] against an [N, M, ...] result; scalars and one-element tensors as they are. */
function perChannel(ctx: ConvertContext, v: ValueId, rank: number): ValueId {
  const s = ctx.shapeOf(v);
  if (s.length === 0 || (s.length === 1 && s[0] === 1)) return v;
  if (s.length !== 1) ctx.fail('SHAPE_ERROR', `per-channel tensor must be 1-D, got shape [${s.join(', ')}]`);
  return reshapeTo(ctx, v, [s[0]!, ...Array<number>(rank - 2).fill(1)]);
}

/**
 * int32 convolution of (x - x_zp) by (w - w_zp), as ONNX's reference computes it: the zero points are
 * subtracted first, so padding contributes 0. x_zp is per tensor; w_zp per tensor or per output channel.
 */
function integerConv(ctx: ConvertContext, x: ValueId, w: ValueId, xzp: ValueId | undefined, wzp: ValueId | undefined): ValueId {
  const centred = (v: ValueId, zp: ValueId | undefined, perOut: boolean): ValueId => {
    if (zp === undefined) return ctx.emit1({ kind: 'map', expr: cast('int32', arg(0)) }, [v]);
    const z = perOut ? perChannel(ctx, zp, ctx.rankOf(v) + 1) : zp; // [M] as [M, 1, ...] against w [M, C, K...]
    if (!perOut && ctx.shapeOf(zp).some((d) => d !== 1)) ctx.fail('UNSUPPORTED_OP', `x_zero_point must be per tensor, got shape [${ctx.shapeOf(zp).join(', ')}]`);
    const zs = ctx.shapeOf(z).length > ctx.rankOf(v) ? reshapeTo(ctx, z, []) : z;
    return ctx.emit1({ kind: 'map', expr: bin('sub', cast('int32', arg(0)), cast('int32', arg(1))) }, [v, zs]);
  };
  return ctx.b.conv(convSpec(ctx, centred(x, xzp, false), centred(w, wzp, true)));
}

/** The codes of float(acc) * (a_scale * b_scale) requantized by y_scale and y_zp (QLinearMatMul, QLinearConv). */
function requantize(ctx: ConvertContext, acc: ValueId, aScale: ValueId, bScale: ValueId, yScale: ValueId, yZp: ValueId): ValueId {
  const sdt = ctx.tensorTypeOf(aScale).dtype;
  const real = ctx.emit1({ kind: 'map', expr: bin('mul', cast(sdt, arg(0)), bin('mul', arg(1), arg(2))) }, [acc, aScale, bScale]);
  return ctx.emit1({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [real, yScale, yZp],
    [tensorType(ctx.tensorTypeOf(yZp).dtype, ctx.shapeOf(acc))]);
}

export const QUANT: ConverterTable = {
  QuantizeLinear: {
    since: 10,
    convert: (ctx) => {
      const x = ctx.input(0);
      const scale = ctx.input(1);
      const out = codeDtype(ctx);
      const ins = ctx.optInput(2) === undefined ? [x, scale] : [x, scale, ctx.input(2)];
      return [ctx.emit1({ kind: 'quantize', scheme: scheme(ctx, x, scale) }, ins, [tensorType(out, ctx.shapeOf(x))])];
    },
  },
  DequantizeLinear: {
    since: 10,
    convert: (ctx) => {
      const x = ctx.input(0);
      const scale = ctx.input(1);
      let out = ctx.tensorTypeOf(scale).dtype;
      const od = ctx.opset >= 23 ? ctx.attrs.int('output_dtype', 0) : 0;
      if (od !== 0) out = dtypeFromOnnx(od) ?? ctx.attrs.unsupported('output_dtype', `unknown dtype code ${od}`);
      const ins = ctx.optInput(2) === undefined ? [x, scale] : [x, scale, ctx.input(2)];
      return [ctx.emit1({ kind: 'dequantize', scheme: scheme(ctx, x, scale) }, ins, [tensorType(out, ctx.shapeOf(x))])];
    },
  },
  DynamicQuantizeLinear: {
    since: 11,
    convert: (ctx) => {
      // scale = (max(0, max x) - min(0, min x)) / 255; zp = saturate(round(-min/scale)); y = quantize(x).
      const x = ctx.input(0);
      const axes = ctx.shapeOf(x).map((_, i) => i);
      const mx = ctx.emit1({ kind: 'reduce', reducer: 'max', axes, keepDims: false }, [x]);
      const mn = ctx.emit1({ kind: 'reduce', reducer: 'min', axes, keepDims: false }, [x]);
      const f = lit(0, 'float32');
      const scale = ctx.emit1({ kind: 'map', expr: bin('div', bin('sub', bin('max', arg(0), f), bin('min', arg(1), f)), lit(255, 'float32')) }, [mx, mn]);
      const zpF = bin('min', lit(255, 'float32'), bin('max', lit(0, 'float32'), un('round', bin('sub', f, bin('div', bin('min', arg(0), f), arg(1))))));
      const zp = ctx.emit1({ kind: 'map', expr: cast('uint8', zpF) }, [mn, scale]);
      const y = ctx.emit1({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, scale, zp],
        [tensorType('uint8', ctx.shapeOf(x))]);
      return [y, scale, zp];
    },
  },
  ConvInteger: {
    since: 10,
    convert: (ctx) => [integerConv(ctx, ctx.input(0), ctx.input(1), ctx.optInput(2), ctx.optInput(3))],
  },
  QLinearConv: {
    since: 10,
    convert: (ctx) => {
      // y = saturate(round((x - x_zp) * (w - w_zp) conv + B) * (x_scale * w_scale / y_scale)) + y_zp); w_scale per tensor or per output channel
      const [x, xs, xzp, w, ws, wzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ctx.input(i));
      let acc = integerConv(ctx, x!, w!, xzp, wzp);
      const bias = ctx.optInput(8);
      const rank = ctx.rankOf(acc);
      if (bias !== undefined) acc = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [acc, perChannel(ctx, bias, rank)]);
      return [requantize(ctx, acc, xs!, perChannel(ctx, ws!, rank), ys!, yzp!)];
    },
  },
  MatMulInteger: {
    since: 10,
    convert: (ctx) => [integerMatmul(ctx, ctx.input(0), ctx.input(1), ctx.optInput(2), ctx.optInput(3))],
  },
  QLinearMatMul: {
    since: 10,
    convert: (ctx) => {
      // y = saturate(round((A - a_zp) @ (B - b_zp) * (a_scale * b_scale / y_scale)) + y_zp)
      const [a, as, azp, b, bs, bzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ctx.input(i));
      return [requantize(ctx, integerMatmul(ctx, a!, b!, azp, bzp), as!, bs!, ys!, yzp!)];
    },
  },
};
