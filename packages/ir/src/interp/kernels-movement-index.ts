// Reference kernels of the index ops (ONNX semantics): gathers, scatters (with reductions), top-k and nonzero.
// Indices may be negative (counted from the end); an index out of range is a RUNTIME_ERROR, never a silent read.
// Gathers and scatters only move elements, so they work on every dtype, strings included.

import type { HostTensor } from '../tensor.js';
import type { KernelTable } from './kernel-types.js';
import { type Elem, copyTensor, gatherBy, getElem, indexValues, one, setElem, storeReduced } from './kernels-movement-utils.js';
import { makeTensor, normIndex, ravel, runtimeError, sizeOf, strides, tensorArg, unravel } from './tensor-utils.js';

/**
 * Order of two elements for top-k, ascending, as ONNX's reference (numpy lexsort): NaN above every number
 * (so it comes first for largest and last for smallest); -0 and 0 are equal.
 */
function ascending(a: Elem, b: Elem): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = a as number;
  const y = b as number;
  const nx = Number.isNaN(x);
  const ny = Number.isNaN(y);
  if (nx || ny) return nx && ny ? 0 : nx ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Checks that the leading `n` dims of the index tensor agree with the data's (batch dims of gather_nd). */
function checkBatchDims(x: HostTensor, ind: HostTensor, n: number, what: string): void {
  for (let d = 0; d < n; d++) {
    if (ind.shape[d] !== x.shape[d]) runtimeError(`${what}: batch dim ${d} of indices is ${ind.shape[d]}, data has ${x.shape[d]}`);
  }
}

/** scatter_elements / gather_elements need indices no larger than the data on the other axes. */
function checkElementsShape(x: HostTensor, ind: HostTensor, axis: number, what: string): void {
  if (ind.shape.length !== x.shape.length) runtimeError(`${what}: indices rank ${ind.shape.length} differs from data rank ${x.shape.length}`);
  ind.shape.forEach((n, d) => {
    if (d !== axis && n > x.shape[d]!) runtimeError(`${what}: indices dim ${d} is ${n}, larger than the data's ${x.shape[d]}`);
  });
}

export const INDEX_KERNELS: KernelTable<'gather' | 'gather_elements' | 'gather_nd' | 'scatter_elements' | 'scatter_nd' | 'topk' | 'nonzero'> = {
  // out[a.., i.., b..] = x[a.., ind[i..], b..]
  gather: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const iv = indexValues(ind, 'gather indices');
    const a = op.axis;
    const n = x.shape[a]!;
    const q = ind.shape.length;
    const shape = [...x.shape.slice(0, a), ...ind.shape, ...x.shape.slice(a + 1)];
    const st = strides(x.shape);
    const ist = strides(ind.shape);
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < a; d++) off += idx[d]! * st[d]!;
      let at = 0;
      for (let d = 0; d < q; d++) at += idx[a + d]! * ist[d]!;
      off += normIndex(iv[at]!, n, 'gather') * st[a]!;
      for (let d = a + 1; d < x.shape.length; d++) off += idx[q + d - 1]! * st[d]!;
      return off;
    }));
  },

  // out[i] = x[i with axis replaced by ind[i]]
  gather_elements: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    checkElementsShape(x, ind, op.axis, 'gather_elements');
    const iv = indexValues(ind, 'gather_elements indices');
    const st = strides(x.shape);
    const ist = strides(ind.shape);
    const n = x.shape[op.axis]!;
    return one(gatherBy(x, ind.shape, (idx) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += (d === op.axis ? normIndex(iv[ravel(idx, ist)]!, n, 'gather_elements') : idx[d]!) * st[d]!;
      return off;
    }));
  },

  // out[b.., i.., r..] = x[b.., ind[b.., i.., 0..k), r..] with b the batchDims leading dims
  gather_nd: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const iv = indexValues(ind, 'gather_nd indices');
    const b = op.batchDims;
    const q = ind.shape.length;
    const k = ind.shape[q - 1]!;
    checkBatchDims(x, ind, b, 'gather_nd');
    const shape = [...ind.shape.slice(0, q - 1), ...x.shape.slice(b + k)];
    const st = strides(x.shape);
    const ist = strides(ind.shape);
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < b; d++) off += idx[d]! * st[d]!;
      let base = 0;
      for (let d = 0; d < q - 1; d++) base += idx[d]! * ist[d]!;
      for (let j = 0; j < k; j++) off += normIndex(iv[base + j]!, x.shape[b + j]!, 'gather_nd') * st[b + j]!;
      for (let d = b + k; d < x.shape.length; d++) off += idx[q - 1 + d - b - k]! * st[d]!;
      return off;
    }));
  },

  // out = x; then for each i in order: out[i with axis replaced by ind[i]] (reduction)= upd[i]
  scatter_elements: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const upd = tensorArg(ins, 2);
    checkElementsShape(x, ind, op.axis, 'scatter_elements');
    const iv = indexValues(ind, 'scatter_elements indices');
    const out = copyTensor(x);
    const st = strides(x.shape);
    const idx = new Array<number>(ind.shape.length).fill(0);
    for (let i = 0; i < iv.length; i++) {
      unravel(i, ind.shape, idx);
      idx[op.axis] = normIndex(iv[i]!, x.shape[op.axis]!, 'scatter_elements');
      storeReduced(out, ravel(idx, st), getElem(upd, i), op.reduction);
    }
    return one(out);
  },

  // out = x; then for each index tuple u in order: out[ind[u], ...] (reduction)= upd[u, ...]
  scatter_nd: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const upd = tensorArg(ins, 2);
    const iv = indexValues(ind, 'scatter_nd indices');
    const out = copyTensor(x);
    const q = ind.shape.length;
    const k = ind.shape[q - 1]!;
    const st = strides(x.shape);
    const sliceSize = sizeOf(x.shape.slice(k));
    const count = sizeOf(ind.shape.slice(0, q - 1));
    if (upd.data.length !== count * sliceSize) runtimeError(`scatter_nd: updates have ${upd.data.length} elements, expected ${count * sliceSize}`);
    for (let u = 0; u < count; u++) {
      let base = 0;
      for (let j = 0; j < k; j++) base += normIndex(iv[u * k + j]!, x.shape[j]!, 'scatter_nd') * st[j]!;
      for (let e = 0; e < sliceSize; e++) storeReduced(out, base + e, getElem(upd, u * sliceSize + e), op.reduction);
    }
    return one(out);
  },

  // Always returns sorted order (allowed for sorted=false); ties keep the lower index first.
  topk: (op, ins, _outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    if (x.dtype === 'string') runtimeError('topk of strings');
    const k = ctx.dim(op.k);
    const n = x.shape[op.axis]!;
    if (!Number.isInteger(k) || k < 0 || k > n) runtimeError(`k=${k} is out of range for axis size ${n}`);
    const outer = sizeOf(x.shape.slice(0, op.axis));
    const inner = sizeOf(x.shape.slice(op.axis + 1));
    const shape = x.shape.map((d, i) => (i === op.axis ? k : d));
    const vals = makeTensor(x.dtype, shape);
    const idxs = makeTensor('int64', shape);
    const sign = op.largest ? -1 : 1;
    const order = Array.from({ length: n }, (_, i) => i);
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        const at = (i: number): number => (a * n + i) * inner + c;
        order.forEach((_, i) => { order[i] = i; });
        order.sort((p, q) => sign * ascending(getElem(x, at(p)), getElem(x, at(q))) || p - q);
        for (let j = 0; j < k; j++) {
          const o = (a * k + j) * inner + c;
          setElem(vals, o, getElem(x, at(order[j]!)));
          setElem(idxs, o, BigInt(order[j]!));
        }
      }
    }
    return [vals, idxs];
  },

  // int64 [rank, count]: column j holds the coordinates of the j-th non-zero in row-major order.
  nonzero: (_op, ins) => {
    const x = tensorArg(ins, 0);
    const hits: number[] = [];
    for (let i = 0; i < x.data.length; i++) {
      const v = getElem(x, i);
      // NaN counts as non-zero (NaN !== 0); -0 is zero; a string is non-zero when not empty.
      if (typeof v === 'string' ? v !== '' : v !== 0 && v !== 0n) hits.push(i);
    }
    const r = x.shape.length;
    const out = makeTensor('int64', [r, hits.length]);
    const idx = new Array<number>(r).fill(0);
    hits.forEach((flat, j) => {
      unravel(flat, x.shape, idx);
      for (let d = 0; d < r; d++) setElem(out, d * hits.length + j, BigInt(idx[d]!));
    });
    return one(out);
  },
};
