// Reference kernels of data movement and index ops: every output element is copied from a computed
// input position (or filled). Works on every dtype, strings included, since elements are only moved.

import { DTYPE_INFO, type DType, isBigIntDType } from '../dtype.js';
import type { TensorData, HostTensor, RuntimeValue } from '../tensor.js';
import type { TensorType } from '../types.js';
import { bitcastElement } from './bitcast.js';
import type { KernelTable } from './kernel-types.js';
import { makeTensor, normIndex, num, ravel, runtimeError, sizeOf, strides, tensorArg, unravel } from './tensor-utils.js';

type Elem = number | bigint | string;
const get = (t: HostTensor, i: number): Elem => t.data[i] as Elem;
const set = (t: HostTensor, i: number, v: Elem): void => { (t.data as unknown as Elem[])[i] = v; };
const one = (t: HostTensor): RuntimeValue[] => [t];

/** A fresh tensor where out[i] = x[src(i)] for each flat output index (src < 0 means `fill`). */
function gatherBy(x: HostTensor, shape: readonly number[], src: (idx: number[]) => number, fill?: Elem): HostTensor {
  const out = makeTensor(x.dtype, shape);
  const idx = new Array<number>(shape.length).fill(0);
  const n = sizeOf(shape);
  for (let o = 0; o < n; o++) {
    unravel(o, shape, idx);
    const s = src(idx);
    set(out, o, s < 0 ? (fill ?? runtimeError('read outside the input')) : get(x, s));
  }
  return out;
}

function fillValue(dtype: DType, v: number): Elem {
  if (dtype === 'string') return '';
  return isBigIntDType(dtype) ? BigInt(Math.trunc(v)) : v;
}

/** Integer elements of an index tensor as numbers. */
const indices = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));

function padSource(mode: 'reflect' | 'edge' | 'wrap', i: number, n: number): number {
  if (n === 0) return -1;
  if (mode === 'edge') return Math.min(Math.max(i, 0), n - 1);
  if (mode === 'wrap') return ((i % n) + n) % n;
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

function combine(reduction: 'none' | 'add' | 'mul' | 'max' | 'min', a: Elem, b: Elem): Elem {
  if (reduction === 'none' || typeof a === 'string' || typeof b === 'string') return b;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a);
    const y = BigInt(b);
    return reduction === 'add' ? x + y : reduction === 'mul' ? x * y : reduction === 'max' ? (x > y ? x : y) : x < y ? x : y;
  }
  return reduction === 'add' ? a + b : reduction === 'mul' ? a * b : reduction === 'max' ? Math.max(a, b) : Math.min(a, b);
}

function storeCombined(out: HostTensor, at: number, v: Elem, reduction: Parameters<typeof combine>[0]): void {
  const r = combine(reduction, get(out, at), v);
  // Keep the HostTensor invariant: wrap integers, round floats (reductions may overflow or lose precision).
  if (typeof r === 'number' && out.dtype !== 'float64' && DTYPE_INFO[out.dtype].kind === 'float') set(out, at, out.dtype === 'float32' ? Math.fround(r) : r);
  else set(out, at, r);
}

function copyOf(x: HostTensor): HostTensor {
  const data = Array.isArray(x.data) ? [...(x.data as string[])] : (x.data as Float64Array).slice();
  return { dtype: x.dtype, shape: [...x.shape], data: data as TensorData };
}

export const MOVEMENT_KERNELS: KernelTable<'reshape' | 'transpose' | 'slice' | 'pad' | 'concat' | 'expand' | 'gather' | 'gather_elements' | 'gather_nd' | 'scatter_elements' | 'scatter_nd' | 'iota' | 'shape_of' | 'topk' | 'nonzero' | 'bitcast'> = {
  reshape: (_op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const shape = ins.length > 1 ? indices(tensorArg(ins, 1)) : ctx.shape((outTypes[0] as TensorType).shape);
    if (sizeOf(shape) !== x.data.length) runtimeError(`cannot reshape ${x.data.length} elements to [${shape.join(',')}]`);
    return one({ ...copyOf(x), shape });
  },

  transpose: (op, ins) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const shape = op.perm.map((p) => x.shape[p]!);
    return one(gatherBy(x, shape, (idx) => idx.reduce((o, v, d) => o + v * st[op.perm[d]!]!, 0)));
  },

  slice: (op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const starts = op.starts.map((s) => ctx.dim(s));
    const shape = ctx.shape((outTypes[0] as TensorType).shape);
    return one(gatherBy(x, shape, (idx) => idx.reduce((o, v, d) => {
      const p = starts[d]! + v * op.steps[d]!;
      if (p < 0 || p >= x.shape[d]!) runtimeError(`slice reads index ${p} of axis ${d} (size ${x.shape[d]})`);
      return o + p * st[d]!;
    }, 0)));
  },

  pad: (op, ins, _outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const low = op.low.map((d) => ctx.dim(d));
    const high = op.high.map((d) => ctx.dim(d));
    const shape = x.shape.map((n, d) => low[d]! + n + op.interior[d]! * Math.max(n - 1, 0) + high[d]!);
    const fill = fillValue(x.dtype, op.value);
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) {
        const n = x.shape[d]!;
        let p = idx[d]! - low[d]!;
        if (op.interior[d]! > 0) {
          const step = op.interior[d]! + 1;
          if (p < 0 || p % step !== 0) return -1;
          p /= step;
        }
        if (p < 0 || p >= n) {
          if (op.mode === 'constant') return -1;
          p = padSource(op.mode, p, n);
          if (p < 0) return -1;
        }
        off += p * st[d]!;
      }
      return off;
    }, fill));
  },

  concat: (op, ins) => {
    const xs = ins.map((_, i) => tensorArg(ins, i));
    const shape = [...xs[0]!.shape];
    shape[op.axis] = xs.reduce((a, t) => a + t.shape[op.axis]!, 0);
    const out = makeTensor(xs[0]!.dtype, shape);
    const idx = new Array<number>(shape.length).fill(0);
    const sts = xs.map((t) => strides(t.shape));
    for (let o = 0; o < sizeOf(shape); o++) {
      unravel(o, shape, idx);
      let k = idx[op.axis]!;
      let j = 0;
      while (k >= xs[j]!.shape[op.axis]!) { k -= xs[j]!.shape[op.axis]!; j++; }
      const src = idx.map((v, d) => (d === op.axis ? k : v));
      set(out, o, get(xs[j]!, ravel(src, sts[j]!)));
    }
    return one(out);
  },

  expand: (_op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    let shape = ctx.shape((outTypes[0] as TensorType).shape);
    if (ins.length > 1) {
      const want = indices(tensorArg(ins, 1));
      const rank = Math.max(want.length, x.shape.length);
      shape = Array.from({ length: rank }, (_, i) => {
        const a = x.shape[i - rank + x.shape.length] ?? 1;
        const b = want[i - rank + want.length] ?? 1;
        if (a !== 1 && b !== 1 && a !== b) runtimeError(`cannot expand [${x.shape.join(',')}] to [${want.join(',')}]`);
        return a === 1 ? b : a;
      });
    }
    const st = strides(x.shape);
    const r = shape.length;
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < x.shape.length; d++) {
        const od = d + r - x.shape.length;
        off += (x.shape[d] === 1 ? 0 : idx[od]!) * st[d]!;
      }
      return off;
    }));
  },

  gather: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const iv = indices(ind);
    const a = op.axis;
    const shape = [...x.shape.slice(0, a), ...ind.shape, ...x.shape.slice(a + 1)];
    const st = strides(x.shape);
    const ist = strides(ind.shape);
    const q = ind.shape.length;
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < a; d++) off += idx[d]! * st[d]!;
      let ii = 0;
      for (let d = 0; d < q; d++) ii += idx[a + d]! * ist[d]!;
      off += normIndex(iv[ii]!, x.shape[a]!, 'gather') * st[a]!;
      for (let d = a + 1; d < x.shape.length; d++) off += idx[q + d - 1]! * st[d]!;
      return off;
    }));
  },

  gather_elements: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const iv = indices(ind);
    const st = strides(x.shape);
    const ist = strides(ind.shape);
    return one(gatherBy(x, ind.shape, (idx) => idx.reduce((o, v, d) => o + (d === op.axis ? normIndex(iv[ravel(idx, ist)]!, x.shape[d]!, 'gather_elements') : v) * st[d]!, 0)));
  },

  gather_nd: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const iv = indices(ind);
    const b = op.batchDims;
    const q = ind.shape.length;
    const k = ind.shape[q - 1]!;
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

  scatter_elements: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const upd = tensorArg(ins, 2);
    const iv = indices(ind);
    const out = copyOf(x);
    const st = strides(x.shape);
    const idx = new Array<number>(ind.shape.length).fill(0);
    for (let i = 0; i < iv.length; i++) {
      unravel(i, ind.shape, idx);
      idx[op.axis] = normIndex(iv[i]!, x.shape[op.axis]!, 'scatter_elements');
      storeCombined(out, ravel(idx, st), get(upd, i), op.reduction);
    }
    return one(out);
  },

  scatter_nd: (op, ins) => {
    const x = tensorArg(ins, 0);
    const ind = tensorArg(ins, 1);
    const upd = tensorArg(ins, 2);
    const iv = indices(ind);
    const out = copyOf(x);
    const q = ind.shape.length;
    const k = ind.shape[q - 1]!;
    const st = strides(x.shape);
    const sliceSize = sizeOf(x.shape.slice(k));
    const nUpd = sizeOf(ind.shape.slice(0, q - 1));
    for (let u = 0; u < nUpd; u++) {
      let base = 0;
      for (let j = 0; j < k; j++) base += normIndex(iv[u * k + j]!, x.shape[j]!, 'scatter_nd') * st[j]!;
      for (let e = 0; e < sliceSize; e++) storeCombined(out, base + e, get(upd, u * sliceSize + e), op.reduction);
    }
    return one(out);
  },

  iota: (op, _ins, outTypes, ctx) => {
    const t = outTypes[0] as TensorType;
    const shape = ctx.shape(t.shape);
    const out = makeTensor(t.dtype, shape);
    const idx = new Array<number>(shape.length).fill(0);
    for (let o = 0; o < sizeOf(shape); o++) {
      unravel(o, shape, idx);
      set(out, o, isBigIntDType(t.dtype) ? BigInt(idx[op.axis]!) : idx[op.axis]!);
    }
    return one(out);
  },

  shape_of: (op, ins) => {
    const x = tensorArg(ins, 0);
    const dims = x.shape.slice(op.start, op.end);
    return one({ dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) });
  },

  topk: (op, ins, _outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const k = ctx.dim(op.k);
    const n = x.shape[op.axis]!;
    if (k > n) runtimeError(`k=${k} exceeds axis size ${n}`);
    const outer = sizeOf(x.shape.slice(0, op.axis));
    const inner = sizeOf(x.shape.slice(op.axis + 1));
    const shape = x.shape.map((d, i) => (i === op.axis ? k : d));
    const vals = makeTensor(x.dtype, shape);
    const idxs = makeTensor('int64', shape);
    // ONNX: larger values first (NaN counts as the largest), ties keep the lower index first.
    const key = (v: Elem) => { const f = num(v as number | bigint); return Number.isNaN(f) ? Infinity : f; };
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        const order = Array.from({ length: n }, (_, i) => i);
        const at = (i: number) => (a * n + i) * inner + c;
        order.sort((p, q) => {
          const vp = get(x, at(p));
          const vq = get(x, at(q));
          const cmp = typeof vp === 'bigint' && typeof vq === 'bigint' ? (vp < vq ? -1 : vp > vq ? 1 : 0) : key(vp) - key(vq);
          return (op.largest ? -cmp : cmp) || p - q;
        });
        for (let j = 0; j < k; j++) {
          set(vals, (a * k + j) * inner + c, get(x, at(order[j]!)));
          set(idxs, (a * k + j) * inner + c, BigInt(order[j]!));
        }
      }
    }
    return [vals, idxs];
  },

  nonzero: (_op, ins) => {
    const x = tensorArg(ins, 0);
    const hits: number[] = [];
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i]!;
      if (typeof v === 'string' ? v !== '' : v !== 0 && v !== 0n) hits.push(i);
    }
    const r = x.shape.length;
    const out = makeTensor('int64', [r, hits.length]);
    const idx = new Array<number>(r).fill(0);
    hits.forEach((flat, j) => {
      unravel(flat, x.shape, idx);
      for (let d = 0; d < r; d++) set(out, d * hits.length + j, BigInt(idx[d]!));
    });
    return one(out);
  },

  bitcast: (_op, ins, outTypes) => {
    const x = tensorArg(ins, 0);
    const to = (outTypes[0] as TensorType).dtype;
    const out = makeTensor(to, x.shape);
    for (let i = 0; i < x.data.length; i++) set(out, i, bitcastElement(get(x, i) as number | bigint, x.dtype, to));
    return one(out);
  },
};
