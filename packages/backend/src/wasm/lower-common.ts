// Helpers every lowering shares: the element types the backend emits, row-major strides, the node's
// origin for error messages, and the static output type check each node goes through before dispatch.

import { type AffineExpr, CompileError, type ContractOp, type HostTensor, type Node, type ScalarExpr, type TensorType, type ValueId, isStaticShape } from '@tensorc/ir';
import type { KernelPlan } from './kernel-plan.js';
import { type NarrowCode, clampsInto, isNarrowCode } from './narrow-codes.js';

export const SUPPORTED_DTYPES = new Set([
  'float32', 'float64', 'int32', 'int64', 'bool', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'uint64', 'int4', 'uint4', 'int2', 'uint2',
  'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
]);

export interface LowerResult extends KernelPlan {
  /** Constants made at compile time (re-laid-out weights), by a fresh value id. */
  readonly derived: ReadonlyMap<ValueId, HostTensor>;
  readonly types: ReadonlyMap<ValueId, TensorType>;
  /** The model node (ONNX node name) each kernel was lowered from, by kernel name, where the IR recorded it. */
  readonly kernelNodes: ReadonlyMap<string, string>;
}

export type StaticType = TensorType & { shape: readonly number[] };

export const prod = (a: readonly number[]): number => a.reduce((p, q) => p * q, 1);

export const rowMajor = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
};

/** Element offset and per-loop element strides of an operand of `shape` read through `map` over `nLoops` loops. */
export function linear(map: readonly AffineExpr[], shape: readonly number[], nLoops: number): { base: number; strides: number[] } {
  const st = rowMajor(shape);
  const strides = new Array<number>(nLoops).fill(0);
  let base = 0;
  map.forEach((e, d) => {
    base += e.offset * st[d]!;
    for (const t of e.terms) strides[t.idx]! += t.coeff * st[d]!;
  });
  return { base, strides };
}

/**
 * `n` sums float32 products of its first two inputs (combiner a0 * a1) into a float32 result: the contraction
 * a GEMM, convolution or depthwise kernel computes (further inputs are epilogue operands). With `narrowOk`
 * the result may also be integer codes its epilogue clamps into range (narrowedEpilogue).
 */
export function isFloatProduct(n: Node, out: TensorType, narrowOk = false): n is Node & { readonly op: ContractOp } {
  const c = floatSum(n, out, narrowOk);
  return c !== undefined && c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.a.i === 0 && c.b.k === 'arg' && c.b.i === 1;
}

/** The combiner of a float32 sum of products of two or more inputs into a float32 result (or clamped codes). */
function floatSum(n: Node, out: TensorType, narrowOk: boolean): ScalarExpr | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.inputs.length < 2 || op.reducer !== 'add' || op.accDtype !== 'float32') return undefined;
  if (out.dtype !== 'float32' && !(narrowOk && narrowedEpilogue(op, out))) return undefined;
  return op.combiner;
}

/**
 * The dtype of the constant int8 / uint8 codes `n` multiplies float32 A by (combiner a0 * float32(a1), as
 * fold-dequant-into-contract leaves a matrix product with quantized weights; the scale is in the epilogue), when
 * the rest is what isFloatProduct asks for; the GEMM then packs and widens the codes.
 */
export function codeWeights(n: Node, out: TensorType, consts: ReadonlyMap<ValueId, HostTensor>): 'int8' | 'uint8' | undefined {
  const c = floatSum(n, out, true);
  const ok = c !== undefined && c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.a.i === 0 && c.b.k === 'cast' && c.b.to === 'float32' && c.b.a.k === 'arg' && c.b.a.i === 1;
  const dt = consts.get(n.inputs[1]!)?.dtype;
  return ok && (dt === 'int8' || dt === 'uint8') ? dt : undefined;
}

/**
 * The float32 epilogue under a contraction's final cast to integer codes, when that epilogue clamps into the
 * codes' range (as a requantize does): the kernel then stores the codes with saturating SIMD narrowing, which
 * agrees with the cast on every clamped value (narrow-codes.ts).
 */
export function narrowedEpilogue(op: ContractOp, out: TensorType): { code: NarrowCode; epilogue: ScalarExpr } | undefined {
  const e = op.epilogue;
  if (!isNarrowCode(out.dtype) || !e || e.k !== 'cast' || e.to !== out.dtype || !clampsInto(e.a, out.dtype)) return undefined;
  return { code: out.dtype, epilogue: e.a };
}

export function where(n: Node): { node?: string; opType?: string } {
  return n.origin ? { node: n.origin.node, opType: n.origin.opType } : {};
}

/** Output `i` of `n` as a tensor of static shape and an element type the backend emits; otherwise a CompileError. */
export function staticType(n: Node, i: number): StaticType {
  const t = n.outputs[i]!.type;
  if (t.kind !== 'tensor') throw new CompileError('UNSUPPORTED_OP', `backend: ${n.op.kind} yields a ${t.kind}`, where(n));
  if (!isStaticShape(t.shape)) throw new CompileError('UNSUPPORTED_OP', `backend: shape [${t.shape.join(',')}] is not static; pin input shapes with inputShapes`, where(n));
  if (!SUPPORTED_DTYPES.has(t.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: dtype ${t.dtype} is not supported yet`, where(n));
  return t as StaticType;
}
