// Type rules of data movement and index ops: reshape, transpose, slice, pad, concat, expand, gathers,
// scatters, iota, shape_of, nonzero and bitcast.

import { dimAdd, dimEquals, dimMul, dimSub } from '../dims.js';
import { DTYPE_INFO, isInteger } from '../dtype.js';
import type { Dim } from '../types.js';
import {
  type InferRule, agree, arity, broadcastsTo, checkAxis, declaredTensor, shapeError, tensorIn, tt, typeError,
} from './common.js';

const product = (s: readonly Dim[]): Dim => s.reduce<Dim>((a, b) => dimMul(a, b), 1);

function indexTensor(ins: Parameters<InferRule<'gather'>>[1], i: number) {
  const t = tensorIn(ins, i, 'indices');
  if (t.dtype !== 'int32' && t.dtype !== 'int64') typeError(`indices must be int32 or int64, got ${t.dtype}`);
  return t;
}

export const reshapeRule: InferRule<'reshape'> = (_op, ins, declared) => {
  arity(ins, 1, 2);
  const x = tensorIn(ins, 0);
  const out = declaredTensor(declared, 'the new shape');
  if (out.dtype !== x.dtype) typeError(`reshape changes dtype ${x.dtype} to ${out.dtype}`);
  if (ins.length === 2) {
    const s = tensorIn(ins, 1, 'shape');
    if (s.dtype !== 'int64' || s.shape.length !== 1 || !dimEquals(s.shape[0]!, out.shape.length)) typeError('runtime shape must be int64 of length = result rank');
  }
  const a = product(x.shape);
  const b = product(out.shape);
  if (typeof a === 'number' && typeof b === 'number' && a !== b) shapeError(`cannot reshape ${a} elements to [${out.shape.join(',')}]`);
  return [out];
};

export const transposeRule: InferRule<'transpose'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const r = x.shape.length;
  if (op.perm.length !== r || [...op.perm].sort((a, b) => a - b).some((p, i) => p !== i)) shapeError(`perm [${op.perm.join(',')}] is not a permutation of rank ${r}`);
  return agree([tt(x.dtype, op.perm.map((p) => x.shape[p]!))], declared);
};

export const sliceRule: InferRule<'slice'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const out = declaredTensor(declared, 'slice extents are the result shape');
  const r = x.shape.length;
  if (out.dtype !== x.dtype || out.shape.length !== r) typeError('slice keeps dtype and rank');
  if (op.starts.length !== r || op.steps.length !== r) shapeError(`slice has ${op.starts.length} starts and ${op.steps.length} steps for rank ${r}`);
  for (let i = 0; i < r; i++) {
    const st = op.steps[i]!;
    const start = op.starts[i]!;
    const n = out.shape[i]!;
    const size = x.shape[i]!;
    if (!Number.isInteger(st) || st === 0) shapeError(`slice step ${st} on axis ${i}`);
    if (typeof start === 'number' && typeof n === 'number' && typeof size === 'number' && n > 0) {
      const last = start + (n - 1) * st;
      if (start < 0 || start >= size || last < 0 || last >= size) shapeError(`slice on axis ${i} reads ${start}..${last} of ${size}`);
    }
  }
  return [out];
};

export const padRule: InferRule<'pad'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const r = x.shape.length;
  if (op.low.length !== r || op.high.length !== r || op.interior.length !== r) shapeError(`pad amounts must have rank ${r} entries`);
  if (op.mode !== 'constant' && op.interior.some((v) => v !== 0)) shapeError('interior padding needs mode constant');
  const shape = x.shape.map((d, i) => {
    const inner = op.interior[i]!;
    if (!Number.isInteger(inner) || inner < 0) shapeError(`interior padding ${inner}`);
    // interior fill goes between neighbours: none for an empty axis
    const grown = inner === 0 ? d : d === 0 ? 0 : dimAdd(d, dimMul(inner, dimSub(d, 1)));
    const s = dimAdd(dimAdd(op.low[i]!, grown), op.high[i]!);
    if (typeof s === 'number' && s < 0) shapeError(`padding axis ${i} gives size ${s}`);
    if (op.mode !== 'constant' && typeof d === 'number' && d === 0 && s !== 0) shapeError(`${op.mode} padding of an empty axis`);
    return s;
  });
  return agree([tt(x.dtype, shape)], declared);
};

export const concatRule: InferRule<'concat'> = (op, ins, declared) => {
  if (ins.length === 0) typeError('concat needs inputs');
  const ts = ins.map((_, i) => tensorIn(ins, i));
  const first = ts[0]!;
  checkAxis(op.axis, first.shape.length);
  let total: Dim = 0;
  for (const t of ts) {
    if (t.dtype !== first.dtype) typeError(`concat of ${first.dtype} and ${t.dtype}`);
    if (t.shape.length !== first.shape.length) shapeError('concat inputs differ in rank');
    t.shape.forEach((d, i) => {
      if (i !== op.axis && !dimEquals(d, first.shape[i]!)) shapeError(`concat inputs differ on axis ${i}: ${String(first.shape[i])} and ${String(d)}`);
    });
    total = dimAdd(total, t.shape[op.axis]!);
  }
  return agree([tt(first.dtype, first.shape.map((d, i) => (i === op.axis ? total : d)))], declared);
};

export const expandRule: InferRule<'expand'> = (_op, ins, declared) => {
  arity(ins, 1, 2);
  const x = tensorIn(ins, 0);
  const out = declaredTensor(declared, 'the broadcast shape');
  if (out.dtype !== x.dtype) typeError('expand keeps dtype');
  if (!broadcastsTo(x.shape, out.shape)) shapeError(`[${x.shape.join(',')}] does not broadcast to [${out.shape.join(',')}]`);
  return [out];
};

export const gatherRule: InferRule<'gather'> = (op, ins, declared) => {
  arity(ins, 2);
  const x = tensorIn(ins, 0);
  const idx = indexTensor(ins, 1);
  checkAxis(op.axis, x.shape.length);
  return agree([tt(x.dtype, [...x.shape.slice(0, op.axis), ...idx.shape, ...x.shape.slice(op.axis + 1)])], declared);
};

export const gatherElementsRule: InferRule<'gather_elements'> = (op, ins, declared) => {
  arity(ins, 2);
  const x = tensorIn(ins, 0);
  const idx = indexTensor(ins, 1);
  checkAxis(op.axis, x.shape.length);
  if (idx.shape.length !== x.shape.length) shapeError('gather_elements indices must have the data rank');
  return agree([tt(x.dtype, idx.shape)], declared);
};

export const gatherNdRule: InferRule<'gather_nd'> = (op, ins, declared) => {
  arity(ins, 2);
  const x = tensorIn(ins, 0);
  const idx = indexTensor(ins, 1);
  const b = op.batchDims;
  const q = idx.shape.length;
  const last = idx.shape[q - 1];
  if (q < 1 || typeof last !== 'number') return shapeError('gather_nd indices need a static last dim');
  if (b < 0 || b >= q || b + last > x.shape.length) shapeError(`gather_nd batch_dims ${b} with index depth ${last} on rank ${x.shape.length}`);
  return agree([tt(x.dtype, [...idx.shape.slice(0, q - 1), ...x.shape.slice(b + last)])], declared);
};

export const scatterElementsRule: InferRule<'scatter_elements'> = (op, ins, declared) => {
  arity(ins, 3);
  const x = tensorIn(ins, 0);
  const idx = indexTensor(ins, 1);
  const upd = tensorIn(ins, 2, 'updates');
  checkAxis(op.axis, x.shape.length);
  if (upd.dtype !== x.dtype) typeError('updates must have the data dtype');
  if (idx.shape.length !== x.shape.length || upd.shape.length !== idx.shape.length || !idx.shape.every((d, i) => dimEquals(d, upd.shape[i]!))) {
    shapeError('indices and updates must have the same shape and the data rank');
  }
  return agree([x], declared);
};

export const scatterNdRule: InferRule<'scatter_nd'> = (_op, ins, declared) => {
  arity(ins, 3);
  const x = tensorIn(ins, 0);
  const idx = indexTensor(ins, 1);
  const upd = tensorIn(ins, 2, 'updates');
  if (upd.dtype !== x.dtype) typeError('updates must have the data dtype');
  const q = idx.shape.length;
  const k = idx.shape[q - 1];
  if (q < 1 || typeof k !== 'number' || k > x.shape.length) return shapeError('scatter_nd indices need a static last dim <= data rank');
  const want = [...idx.shape.slice(0, q - 1), ...x.shape.slice(k)];
  if (upd.shape.length !== want.length || !want.every((d, i) => dimEquals(d, upd.shape[i]!))) shapeError(`updates shape must be [${want.join(',')}]`);
  return agree([x], declared);
};

export const iotaRule: InferRule<'iota'> = (op, ins, declared) => {
  arity(ins, 0);
  const out = declaredTensor(declared, 'iota has no inputs');
  checkAxis(op.axis, out.shape.length);
  if (!isInteger(out.dtype) && out.dtype !== 'float32' && out.dtype !== 'float64') typeError(`iota of ${out.dtype}`);
  return [out];
};

export const shapeOfRule: InferRule<'shape_of'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const r = x.shape.length;
  if (!(0 <= op.start && op.start <= op.end && op.end <= r)) shapeError(`shape_of range [${op.start}, ${op.end}) for rank ${r}`);
  return agree([tt('int64', [op.end - op.start])], declared);
};

export const nonzeroRule: InferRule<'nonzero'> = (_op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const out = declaredTensor(declared, 'the count of non-zeros is data-dependent');
  if (out.dtype !== 'int64' || out.shape.length !== 2 || !dimEquals(out.shape[0]!, x.shape.length)) typeError(`nonzero result must be int64[${x.shape.length}, count]`);
  return [out];
};

export const bitcastRule: InferRule<'bitcast'> = (_op, ins, declared) => {
  arity(ins, 1);
  const x = tensorIn(ins, 0);
  const out = declaredTensor(declared, 'the target dtype');
  if (DTYPE_INFO[out.dtype].bits !== DTYPE_INFO[x.dtype].bits || x.dtype === 'string' || out.dtype === 'string') typeError(`cannot bitcast ${x.dtype} to ${out.dtype}`);
  if (out.shape.length !== x.shape.length || !out.shape.every((d, i) => dimEquals(d, x.shape[i]!))) shapeError('bitcast keeps the shape');
  return [out];
};
