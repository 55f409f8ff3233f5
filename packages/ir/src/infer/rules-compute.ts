// Type rules of the computing ops: constant, contract, map, reductions, softmax, scans along an axis,
// quantize/dequantize and top-k.

import { evalAffine } from '../affine.js';
import { dimEquals } from '../dims.js';
import { DTYPE_INFO, isFloat, isInteger } from '../dtype.js';
import type { QuantScheme } from '../ops.js';
import type { Dim, TensorType } from '../types.js';
import {
  type InferRule, agree, arity, broadcastShapes, checkAxis, declaredTensor, shapeError, tensorIn, tt, typeError,
} from './common.js';
import { ScalarTypeError, scalarArity, scalarDType } from './scalar-dtype.js';

export function scalarType(f: () => ReturnType<typeof scalarDType>, where: string) {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScalarTypeError) return typeError(`${where}: ${e.message}`);
    throw e;
  }
}

export const constantRule: InferRule<'constant'> = (op, ins, declared) => {
  arity(ins, 0);
  const n = op.value.shape.reduce((a, b) => a * b, 1);
  if (op.value.shape.some((d) => !Number.isInteger(d) || d < 0)) shapeError(`constant has an invalid shape [${op.value.shape.join(',')}]`);
  if (op.value.data.length !== n) shapeError(`constant holds ${op.value.data.length} elements for shape [${op.value.shape.join(',')}]`);
  return agree([tt(op.value.dtype, op.value.shape)], declared);
};

export const contractRule: InferRule<'contract'> = (op, ins, declared) => {
  const out = declaredTensor(declared, 'a contraction result shape follows from its index maps only for identity maps');
  if (op.maps.length !== ins.length) typeError(`has ${op.maps.length} index maps for ${ins.length} inputs`);
  if (op.padValues.length !== ins.length) typeError(`has ${op.padValues.length} pad values for ${ins.length} inputs`);
  const tins = ins.map((_, i) => tensorIn(ins, i));
  const extents: Dim[] = [...out.shape, ...op.reductionExtents];
  op.maps.forEach((map, j) => {
    const t = tins[j]!;
    if (map.length !== t.shape.length) shapeError(`index map of input ${j} has ${map.length} results for rank ${t.shape.length}`);
    map.forEach((e, d) => {
      for (let k = 0; k < e.terms.length; k++) {
        const term = e.terms[k]!;
        if (!Number.isInteger(term.idx) || term.idx < 0 || term.idx >= extents.length) shapeError(`index map of input ${j} uses loop d${term.idx}; there are ${extents.length} loops`);
        if (k > 0 && e.terms[k - 1]!.idx >= term.idx) shapeError(`index map of input ${j} is not canonical (terms must be sorted and unique)`);
        if (term.coeff === 0 || !Number.isInteger(term.coeff)) shapeError(`index map of input ${j} has coefficient ${term.coeff}`);
      }
      if (op.padValues[j] === null) checkInBounds(e, extents, t.shape[d]!, j, d);
    });
  });
  const argTypes = tins.map((t) => t.dtype);
  const comb = scalarType(() => scalarDType(op.combiner, argTypes), 'combiner');
  if (comb !== op.accDtype) typeError(`combiner yields ${comb} but the accumulator is ${op.accDtype}`);
  if (op.epilogue !== null) {
    const ep = scalarType(() => scalarDType(op.epilogue!, argTypes, op.accDtype), 'epilogue');
    if (ep !== out.dtype) typeError(`epilogue yields ${ep} but the result is ${out.dtype}`);
  } else if (!isFloat(out.dtype) && !isInteger(out.dtype)) {
    typeError(`result dtype ${out.dtype} is not numeric`);
  }
  if (!isFloat(op.accDtype) && !isInteger(op.accDtype) && op.accDtype !== 'bool') typeError(`accumulator dtype ${op.accDtype} is not numeric`);
  return [out];
};

/** With static extents, an unpadded read must stay inside the operand for every loop point. */
export function checkInBounds(e: Parameters<typeof evalAffine>[0], extents: readonly Dim[], size: Dim, j: number, d: number): void {
  if (typeof size !== 'number') return;
  let lo = e.offset;
  let hi = e.offset;
  for (const t of e.terms) {
    const ext = extents[t.idx]!;
    if (typeof ext !== 'number') return;
    if (ext === 0) return;
    if (t.coeff > 0) hi += t.coeff * (ext - 1);
    else lo += t.coeff * (ext - 1);
  }
  if (lo < 0 || hi >= size) shapeError(`input ${j} dim ${d} is read at ${lo}..${hi} but has size ${size} and no pad value`);
}

export const mapRule: InferRule<'map'> = (op, ins, declared) => {
  const tins = ins.map((_, i) => tensorIn(ins, i));
  if (scalarArity(op.expr) > ins.length) typeError(`expression reads a${scalarArity(op.expr) - 1} but there are ${ins.length} inputs`);
  const dtype = scalarType(() => scalarDType(op.expr, tins.map((t) => t.dtype)), 'expression');
  if (ins.length === 0) {
    const out = declaredTensor(declared, 'a map without inputs has no shape to broadcast');
    if (out.dtype !== dtype) typeError(`expression yields ${dtype} but ${out.dtype} is declared`);
    return [out];
  }
  return agree([tt(dtype, broadcastShapes(tins.map((t) => t.shape)))], declared);
};

export const multimapRule: InferRule<'multimap'> = (op, ins, declared) => {
  if (ins.length === 0) typeError('needs at least one input (its result shape is the inputs broadcast)');
  if (op.exprs.length === 0) typeError('has no expressions');
  const tins = ins.map((_, i) => tensorIn(ins, i));
  const shape = broadcastShapes(tins.map((t) => t.shape));
  // Result k reads the inputs and results 0..k-1: each expression is typed over the dtypes before it.
  const argTypes = tins.map((t) => t.dtype);
  op.exprs.forEach((e, k) => {
    if (scalarArity(e) > argTypes.length) typeError(`expression ${k} reads a${scalarArity(e) - 1} but only a0..a${argTypes.length - 1} are defined there`);
    argTypes.push(scalarType(() => scalarDType(e, argTypes), `expression ${k}`));
  });
  return agree(argTypes.slice(ins.length).map((d) => tt(d, shape)), declared);
};

function checkAxes(axes: readonly number[], rank: number): void {
  axes.forEach((a, i) => {
    checkAxis(a, rank);
    if (i > 0 && axes[i - 1]! >= a) shapeError(`axes [${axes.join(',')}] must be sorted and unique`);
  });
}

export const reduceRule: InferRule<'reduce'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  checkAxes(op.axes, x.shape.length);
  if (x.dtype === 'string') typeError('cannot reduce strings');
  const shape = op.keepDims ? x.shape.map((d, i) => (op.axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !op.axes.includes(i));
  return agree([tt(x.dtype, shape)], declared);
};

export const argreduceRule: InferRule<'argreduce'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  checkAxis(op.axis, x.shape.length);
  const shape = op.keepDims ? x.shape.map((d, i) => (i === op.axis ? 1 : d)) : x.shape.filter((_, i) => i !== op.axis);
  return agree([tt('int64', shape)], declared);
};

export const softmaxRule: InferRule<'softmax'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  checkAxis(op.axis, x.shape.length);
  if (!isFloat(x.dtype)) typeError(`softmax needs a float input, got ${x.dtype}`);
  return agree([x], declared);
};

export const cumulativeRule: InferRule<'cumulative'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  checkAxis(op.axis, x.shape.length);
  if (!isFloat(x.dtype) && !isInteger(x.dtype)) typeError(`cumulative needs numbers, got ${x.dtype}`);
  return agree([x], declared);
};

/** Checks a scale (or zero point) shape against the scheme: scalar/[1], [C] per axis, or blocked. */
function checkScheme(s: QuantScheme, x: TensorType, scale: TensorType, what: string): void {
  const r = x.shape.length;
  if (s.axis === null) {
    if (s.blockSize !== null) shapeError('a blocked scheme needs an axis');
    if (!(scale.shape.length === 0 || (scale.shape.length === 1 && scale.shape[0] === 1))) shapeError(`per-tensor ${what} must be a scalar, got [${scale.shape.join(',')}]`);
    return;
  }
  checkAxis(s.axis, r, 'quantization axis');
  if (s.blockSize === null) {
    if (scale.shape.length !== 1 || !dimEquals(scale.shape[0]!, x.shape[s.axis]!)) shapeError(`per-axis ${what} must have shape [${String(x.shape[s.axis])}], got [${scale.shape.join(',')}]`);
    return;
  }
  if (!Number.isInteger(s.blockSize) || s.blockSize <= 0) shapeError(`block size ${s.blockSize} must be a positive integer`);
  if (scale.shape.length !== r) shapeError(`blocked ${what} must have rank ${r}`);
  scale.shape.forEach((d, i) => {
    const xd = x.shape[i]!;
    const want = i === s.axis && typeof xd === 'number' ? Math.ceil(xd / s.blockSize!) : i === s.axis ? d : xd;
    if (!dimEquals(d, want)) shapeError(`blocked ${what} dim ${i} is ${String(d)}, expected ${String(want)}`);
  });
}

export const quantizeRule: InferRule<'quantize'> = (op, ins, declared) => {
  arity(ins, 2, 3);
  const x = tensorIn(ins, 0);
  const scale = tensorIn(ins, 1);
  if (!isFloat(x.dtype)) typeError(`quantize needs a float input, got ${x.dtype}`);
  checkScheme(op.scheme, x, scale, 'scale');
  let code = declared?.[0]?.kind === 'tensor' ? declared[0].dtype : undefined;
  if (ins.length === 3) {
    const zp = tensorIn(ins, 2);
    checkScheme(op.scheme, x, zp, 'zero point');
    if (code !== undefined && code !== zp.dtype) typeError(`zero point is ${zp.dtype} but the codes are ${code}`);
    code = zp.dtype;
  }
  if (code === undefined) return typeError('quantize needs a declared code dtype or a zero point');
  if (isFloat(code) ? DTYPE_INFO[code].bits > 8 : !isInteger(code)) typeError(`${code} is not a quantized code dtype`);
  return agree([tt(code, x.shape)], declared);
};

export const dequantizeRule: InferRule<'dequantize'> = (op, ins, declared) => {
  arity(ins, 2, 3);
  const x = tensorIn(ins, 0);
  const scale = tensorIn(ins, 1);
  if (!isFloat(scale.dtype)) typeError(`scale must be a float, got ${scale.dtype}`);
  checkScheme(op.scheme, x, scale, 'scale');
  if (ins.length === 3) {
    const zp = tensorIn(ins, 2);
    checkScheme(op.scheme, x, zp, 'zero point');
    if (zp.dtype !== x.dtype) typeError(`zero point is ${zp.dtype} but the codes are ${x.dtype}`);
  }
  const d = declared?.[0];
  const dtype = d?.kind === 'tensor' ? d.dtype : scale.dtype === 'float8e8m0' ? 'float32' : scale.dtype;
  if (!isFloat(dtype) || DTYPE_INFO[dtype].bits < 16) typeError(`dequantize result must be float16 or wider, got ${dtype}`);
  return agree([tt(dtype, x.shape)], declared);
};

export const topkRule: InferRule<'topk'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  checkAxis(op.axis, x.shape.length);
  const n = x.shape[op.axis]!;
  if (typeof op.k === 'number' && (op.k < 0 || (typeof n === 'number' && op.k > n))) shapeError(`k=${op.k} is out of range for axis size ${n}`);
  const shape = x.shape.map((d, i) => (i === op.axis ? op.k : d));
  return agree([tt(x.dtype, shape), tt('int64', shape)], declared);
};
