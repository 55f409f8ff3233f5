// Lowering of quantize / dequantize (QuantizeLinear, DequantizeLinear) to elementwise loop nests: the scale and
// zero point are nest operands whose strides pick their element (0 per tensor, 1 along a per-axis axis; a
// blocked axis is split into (block, within) loops, plus a second nest for a partial last block). The scalar
// body rounds at the same steps, in the same dtypes, as the reference interpreter (kernels-quant.ts), so
// results agree bit for bit. Codes the backend cannot hold (int4, fp8, ...) fail with a typed error.

import { CompileError, DTYPE_INFO, type DType, type Node, type ScalarExpr, type TensorType, type ValueId, arg, bin, cast, intRange, isFloat, lit, select, un } from '@tensorc/ir';
import { wasmTypeOf } from './emit-scalar.js';
import type { LoopNestKernel, NestOperand } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type Nest = Omit<LoopNestKernel, 'name'>;
type Static = TensorType & { shape: readonly number[] };

const rowMajor = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

function fail(n: Node, why: string): never {
  throw new CompileError('UNSUPPORTED_OP', `backend: ${why}`, n.origin ? { node: n.origin.node, opType: n.origin.opType } : {});
}

/** Whether the emitter can load, store and compute in `d` (grows as dtypes are added to the backend). */
function usable(d: DType): boolean {
  try {
    wasmTypeOf(d);
    elementBytes(d);
    return true;
  } catch {
    return false;
  }
}

/** numpy's float dtype for arithmetic on two arrays, as the reference (mixed 16-bit floats give float32). */
function promoteFloat(a: DType, b: DType): DType {
  if (!isFloat(a) || !isFloat(b)) return 'float64';
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === b) return a;
  const [wa, wb] = [DTYPE_INFO[a].bits, DTYPE_INFO[b].bits];
  return wa === wb ? 'float32' : wa > wb ? a : b;
}

/** One nest's loops: extents with the element strides and base of x (= the output) and of the scale. */
interface Piece { readonly extents: number[]; readonly xStrides: number[]; readonly sStrides: number[]; readonly xBase: number; readonly sBase: number }

function pieces(n: Node, shape: readonly number[], axis: number | null, blockSize: number | null, scaleShape: readonly number[]): Piece[] {
  const stX = rowMajor(shape);
  const scaleCount = scaleShape.reduce((a, b) => a * b, 1);
  // (an empty input is one empty piece, so the result still counts as produced)
  if (axis === null || scaleCount === 1 || shape.includes(0)) return [{ extents: [...shape], xStrides: stX, sStrides: shape.map(() => 0), xBase: 0, sBase: 0 }];
  if (blockSize === null) return [{ extents: [...shape], xStrides: stX, sStrides: shape.map((_, d) => (d === axis ? 1 : 0)), xBase: 0, sBase: 0 }];
  const stS = rowMajor(scaleShape);
  if (scaleShape.length !== shape.length || scaleShape.some((s, d) => d !== axis && s !== shape[d])) fail(n, `blocked scale [${scaleShape.join(',')}] does not fit input [${shape.join(',')}]`);
  const size = shape[axis]!;
  const full = Math.floor(size / blockSize);
  const rem = size % blockSize;
  const out: Piece[] = [];
  const before = (a: readonly number[]) => a.slice(0, axis);
  const after = (a: readonly number[]) => a.slice(axis + 1);
  if (full > 0) {
    out.push({
      extents: [...before(shape), full, blockSize, ...after(shape)],
      xStrides: [...before(stX), blockSize * stX[axis]!, stX[axis]!, ...after(stX)],
      sStrides: [...before(stS), stS[axis]!, 0, ...after(stS)],
      xBase: 0, sBase: 0,
    });
  }
  if (rem > 0) {
    out.push({
      extents: shape.map((e, d) => (d === axis ? rem : e)),
      xStrides: stX, sStrides: stS.map((s, d) => (d === axis ? 0 : s)),
      xBase: full * blockSize * stX[axis]!, sBase: full * stS[axis]!,
    });
  }
  return out;
}

const castTo = (to: DType, e: ScalarExpr, from: DType): ScalarExpr => (to === from ? e : cast(to, e));

const FP8_CODES: ReadonlySet<DType> = new Set(['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz']);

/**
 * Integer codes = clamp(rint(x / scale) + zp), x / scale in numpy's promoted dtype, the sum and clamp exact in
 * float64. float8 codes = x / scale converted (the zero point ignored, as the reference); other float codes
 * (float4e2m1) = x / scale + zp converted; `saturate` as the scheme says.
 */
function quantizeExpr(x: DType, s: DType, zp: DType | undefined, code: DType, saturate: boolean): ScalarExpr {
  const divT = promoteFloat(x, s);
  const quotient = bin('div', castTo(divT, arg(0), x), castTo(divT, arg(1), s));
  if (FP8_CODES.has(code)) return cast(code, quotient, saturate);
  if (isFloat(code)) return cast(code, zp ? bin('add', quotient, castTo(divT, arg(2), zp)) : quotient, saturate);
  const q = un('round', quotient);
  let v = castTo('float64', q, divT);
  if (zp) v = bin('add', v, cast('float64', arg(2)));
  const r = intRange(code);
  const clamped = bin('min', bin('max', v, lit(Number(r.min), 'float64')), lit(Number(r.max), 'float64'));
  // NaN gives code 0, as the reference's saturateInt (a float -> int cast would give the integer indefinite).
  return cast(code, select(un('isnan', v), lit(0, 'float64'), clamped));
}

/** (float32(codes) - zp) * scale: the difference in float32 for codes up to 16 bits, float64 above; the product promoted. */
function dequantizeExpr(x: DType, s: DType, zp: DType | undefined, out: DType): ScalarExpr {
  let v = castTo('float32', arg(0), x);
  let diffT: DType = 'float32';
  if (zp) {
    diffT = DTYPE_INFO[x].bits > 16 ? 'float64' : 'float32';
    v = bin('sub', castTo(diffT, v, 'float32'), cast(diffT, arg(2)));
  }
  const mulT = promoteFloat(diffT, s);
  return castTo(out, bin('mul', castTo(mulT, v, diffT), castTo(mulT, arg(1), s)), mulT);
}

/** Integer codes the backend holds (not 64-bit ones); float codes are float8*, float8e8m0 and float4e2m1. */
const INT_CODES: ReadonlySet<DType> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int4', 'uint4', 'int2', 'uint2']);

/** The loop nests computing a quantize or dequantize node (its output `t`). */
export function lowerQuant(n: Node, t: Static, tt: (id: ValueId) => TensorType): Nest[] {
  const op = n.op;
  if (op.kind !== 'quantize' && op.kind !== 'dequantize') throw new CompileError('INTERNAL', `lowerQuant on ${op.kind}`);
  const [xId, sId, zId] = n.inputs as [ValueId, ValueId, ValueId | undefined];
  const x = tt(xId);
  const s = tt(sId);
  const z = zId === undefined ? undefined : tt(zId);
  for (const [v, role] of [[x, 'input'], [s, 'scale'], [z, 'zero point'], [t, 'result']] as const) {
    if (v && !usable(v.dtype)) fail(n, `${op.kind} with a ${v.dtype} ${role} is not supported yet`);
  }
  let expr: ScalarExpr;
  let zp = z?.dtype;
  if (op.kind === 'quantize') {
    if (!INT_CODES.has(t.dtype) && !isFloat(t.dtype)) fail(n, `quantize to ${t.dtype} codes is not supported yet`);
    if (FP8_CODES.has(t.dtype)) zp = undefined;
    expr = quantizeExpr(x.dtype, s.dtype, zp, t.dtype, op.scheme.saturate);
  } else {
    if (isFloat(x.dtype)) zp = undefined; // float codes: the reference ignores the zero point
    expr = dequantizeExpr(x.dtype, s.dtype, zp, t.dtype);
  }
  const scaleShape = s.shape as number[];
  if (z && (z.shape as number[]).reduce((a, b) => a * b, 1) !== scaleShape.reduce((a, b) => a * b, 1)) fail(n, 'zero point and scale differ in size');
  return pieces(n, t.shape, op.scheme.axis, op.scheme.blockSize, scaleShape).map((p): Nest => {
    const operand = (buffer: ValueId, dtype: DType, base: number, strides: number[]): NestOperand => ({ buffer, dtype, base, strides, pad: 0 });
    const operands = [operand(xId, x.dtype, p.xBase, p.xStrides), operand(sId, s.dtype, p.sBase, p.sStrides)];
    if (zp !== undefined) operands.push(operand(zId!, zp, p.sBase, p.sStrides));
    return {
      kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: p.xBase, outStrides: p.xStrides,
      extents: p.extents, numOutLoops: p.extents.length, operands, combiner: expr, reducer: null, accDtype: t.dtype, epilogue: null,
    };
  });
}
