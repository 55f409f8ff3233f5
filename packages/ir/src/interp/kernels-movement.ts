// Reference kernels of the data movement ops (ONNX semantics): every output element is copied from a computed
// input position or filled. Works on every dtype, strings included, since elements are only moved. The index
// ops (gathers, scatters, top-k, nonzero) live in kernels-movement-index.ts; this file also holds the table.

import { isBigIntDType } from '../dtype.js';
import { normalizeScalar } from '../numeric/index.js';
import type { TensorType, ValueType } from '../types.js';
import { bitcastElement } from './bitcast.js';
import type { KernelTable } from './kernel-types.js';
import { INDEX_KERNELS } from './kernels-movement-index.js';
import { copyTensor, fillElem, gatherBy, getElem, one, setElem, shapeValues } from './kernels-movement-utils.js';
import { makeTensor, ravel, runtimeError, sizeOf, strides, tensorArg, unravel } from './tensor-utils.js';

/** Position in [0, n) that reflect / edge / wrap padding reads for position i outside it (n > 0). */
function padSource(mode: 'reflect' | 'edge' | 'wrap', i: number, n: number): number {
  if (mode === 'edge') return Math.min(Math.max(i, 0), n - 1);
  if (mode === 'wrap') return ((i % n) + n) % n;
  if (n === 1) return 0;
  // Mirror without repeating the edge (numpy 'reflect'), periodic so pads longer than the axis also work.
  const period = 2 * (n - 1);
  const j = ((i % period) + period) % period;
  return j >= n ? period - j : j;
}

const resultType = (outTypes: readonly ValueType[]): TensorType => outTypes[0] as TensorType;

const SHAPE_KERNELS: KernelTable<'reshape' | 'transpose' | 'slice' | 'pad' | 'concat' | 'expand' | 'iota' | 'shape_of' | 'bitcast'> = {
  // Same elements in row-major order; the shape comes from the result type or the run-time shape input.
  reshape: (_op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const shape = ins.length > 1 ? shapeValues(tensorArg(ins, 1), 'reshape shape') : ctx.shape(resultType(outTypes).shape);
    if (sizeOf(shape) !== x.data.length) runtimeError(`cannot reshape ${x.data.length} elements to [${shape.join(',')}]`);
    return one({ ...copyTensor(x), shape });
  },

  // out[i_0..] = x[j] with j[perm[d]] = i_d
  transpose: (op, ins) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const pst = op.perm.map((p) => st[p]!);
    return one(gatherBy(x, op.perm.map((p) => x.shape[p]!), (idx) => ravel(idx, pst)));
  },

  // out[i] = x[starts + i * steps] per axis; the extents are the result shape.
  slice: (op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const starts = op.starts.map((s) => ctx.dim(s));
    const shape = ctx.shape(resultType(outTypes).shape);
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < idx.length; d++) {
        const p = starts[d]! + idx[d]! * op.steps[d]!;
        if (p < 0 || p >= x.shape[d]!) runtimeError(`slice reads index ${p} of axis ${d} (size ${x.shape[d]})`);
        off += p * st[d]!;
      }
      return off;
    }));
  },

  // Constant mode: interior fill goes in first, then low/high pad (negative crops), as XLA's pad.
  // Other modes: negative amounts crop first and the rest pads from the cropped axis, as onnxruntime does.
  pad: (op, ins, _outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    const st = strides(x.shape);
    const r = x.shape.length;
    const low = op.low.map((d) => ctx.dim(d));
    const high = op.high.map((d) => ctx.dim(d));
    const shape = x.shape.map((n, d) => low[d]! + n + op.interior[d]! * Math.max(n - 1, 0) + high[d]!);
    if (shape.some((n) => n < 0)) runtimeError(`padding [${x.shape.join(',')}] gives the negative shape [${shape.join(',')}]`);
    if (op.mode === 'constant') {
      const step = op.interior.map((v) => v + 1);
      return one(gatherBy(x, shape, (idx) => {
        let off = 0;
        for (let d = 0; d < r; d++) {
          const g = idx[d]! - low[d]!;
          if (g < 0 || g % step[d]! !== 0) return -1;
          const p = g / step[d]!;
          if (p >= x.shape[d]!) return -1;
          off += p * st[d]!;
        }
        return off;
      }, fillElem(x.dtype, op.value)));
    }
    const mode = op.mode;
    const first = low.map((l) => Math.max(-l, 0));
    const kept = x.shape.map((n, d) => n + Math.min(low[d]!, 0) + Math.min(high[d]!, 0));
    shape.forEach((n, d) => {
      if (n > 0 && kept[d]! <= 0) runtimeError(`${mode} padding of axis ${d} with no elements left to read`);
    });
    return one(gatherBy(x, shape, (idx) => {
      let off = 0;
      for (let d = 0; d < r; d++) {
        let p = idx[d]! - Math.max(low[d]!, 0);
        if (p < 0 || p >= kept[d]!) p = padSource(mode, p, kept[d]!);
        off += (first[d]! + p) * st[d]!;
      }
      return off;
    }));
  },

  concat: (op, ins) => {
    const xs = ins.map((_, i) => tensorArg(ins, i));
    const a = op.axis;
    const shape = [...xs[0]!.shape];
    shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
    const out = makeTensor(xs[0]!.dtype, shape);
    const idx = new Array<number>(shape.length).fill(0);
    const sts = xs.map((t) => strides(t.shape));
    const n = sizeOf(shape);
    for (let o = 0; o < n; o++) {
      unravel(o, shape, idx);
      // Find the input holding position idx[a] of the joined axis, and the position inside it.
      let j = 0;
      while (idx[a]! >= xs[j]!.shape[a]!) idx[a] = idx[a]! - xs[j++]!.shape[a]!;
      setElem(out, o, getElem(xs[j]!, ravel(idx, sts[j]!)));
    }
    return one(out);
  },

  // numpy broadcast to the result shape, or (run-time shape input) to broadcast(x.shape, shape) as ONNX Expand.
  expand: (_op, ins, outTypes, ctx) => {
    const x = tensorArg(ins, 0);
    let shape: number[];
    if (ins.length > 1) {
      const want = shapeValues(tensorArg(ins, 1), 'expand shape');
      const rank = Math.max(want.length, x.shape.length);
      shape = Array.from({ length: rank }, (_, i) => {
        const a = x.shape[i - rank + x.shape.length] ?? 1;
        const b = want[i - rank + want.length] ?? 1;
        if (a !== 1 && b !== 1 && a !== b) runtimeError(`cannot expand [${x.shape.join(',')}] to [${want.join(',')}]`);
        return a === 1 ? b : a;
      });
    } else {
      shape = ctx.shape(resultType(outTypes).shape);
    }
    const r = shape.length;
    const lead = r - x.shape.length;
    if (lead < 0) runtimeError(`cannot expand rank ${x.shape.length} to rank ${r}`);
    x.shape.forEach((n, d) => {
      if (n !== 1 && n !== shape[lead + d]) runtimeError(`cannot expand [${x.shape.join(',')}] to [${shape.join(',')}]`);
    });
    // Read strides in the result's index space: 0 on new and broadcast (size-1) axes.
    const st = strides(x.shape);
    const rst = shape.map((_, od) => (od < lead || x.shape[od - lead] === 1 ? 0 : st[od - lead]!));
    return one(gatherBy(x, shape, (idx) => ravel(idx, rst)));
  },

  iota: (op, _ins, outTypes, ctx) => {
    const t = resultType(outTypes);
    const shape = ctx.shape(t.shape);
    const out = makeTensor(t.dtype, shape);
    const idx = new Array<number>(shape.length).fill(0);
    const n = sizeOf(shape);
    for (let o = 0; o < n; o++) {
      unravel(o, shape, idx);
      const i = idx[op.axis]!;
      setElem(out, o, isBigIntDType(t.dtype) ? normalizeScalar(BigInt(i), t.dtype) : normalizeScalar(i, t.dtype));
    }
    return one(out);
  },

  shape_of: (op, ins) => {
    const x = tensorArg(ins, 0);
    const dims = x.shape.slice(op.start, op.end);
    return one({ dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) });
  },

  bitcast: (_op, ins, outTypes) => {
    const x = tensorArg(ins, 0);
    const to = resultType(outTypes).dtype;
    if (x.dtype === 'string' || to === 'string') runtimeError(`cannot bitcast ${x.dtype} to ${to}`);
    const out = makeTensor(to, x.shape);
    for (let i = 0; i < x.data.length; i++) setElem(out, i, bitcastElement(getElem(x, i) as number | bigint, x.dtype, to));
    return one(out);
  },
};

export const MOVEMENT_KERNELS: KernelTable<'reshape' | 'transpose' | 'slice' | 'pad' | 'concat' | 'expand' | 'gather' | 'gather_elements' | 'gather_nd' | 'scatter_elements' | 'scatter_nd' | 'iota' | 'shape_of' | 'topk' | 'nonzero' | 'bitcast'> = {
  ...SHAPE_KERNELS,
  ...INDEX_KERNELS,
};
