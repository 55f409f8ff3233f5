// Lowering of the ops with their own index kernels beyond gather: cumulative scans, ScatterElements,
// ScatterND and GatherND. Shapes are static here, so the shape rules the reference interpreter checks at run
// time (index tensor sizes, batch dims) are checked at compile time; index values are checked by the kernels.

import { CompileError, type DType, type Node, type TensorType, type ValueId } from '@tensorc/ir';
import { checkScatterReduction } from './emit-scatter.js';
import type { CumulativeKernel, GatherNdKernel, ScatterKernel } from './kernel-plan.js';

type Unnamed<K> = Omit<K, 'name'>;
type Static = TensorType & { shape: readonly number[] };

const prod = (a: readonly number[]): number => a.reduce((p, q) => p * q, 1);

function fail(n: Node, why: string): never {
  throw new CompileError('UNSUPPORTED_OP', `backend: ${why}`, n.origin ? { node: n.origin.node, opType: n.origin.opType } : {});
}

function indexDtype(n: Node, d: DType): DType {
  if (d !== 'int32' && d !== 'int64') fail(n, `${n.op.kind} with ${d} indices is not supported (int32 or int64)`);
  return d;
}

/** Element types the scan kernel accumulates exactly as the reference (emit-cumulative.ts). */
const SCANNABLE: ReadonlySet<DType> = new Set([
  'float32', 'float64', 'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1',
  'int64', 'uint64', 'int32', 'uint32', 'int16', 'uint16', 'int8', 'uint8', 'int4', 'uint4', 'int2', 'uint2',
]);

export function lowerCumulative(n: Node, t: Static): Unnamed<CumulativeKernel> {
  const op = n.op;
  if (op.kind !== 'cumulative') throw new CompileError('INTERNAL', `lowerCumulative on ${op.kind}`);
  if (!SCANNABLE.has(t.dtype)) fail(n, `cumulative ${op.reducer} of ${t.dtype} is not supported yet`);
  const s = t.shape as number[];
  return {
    kind: 'cumulative', input: n.inputs[0]!, out: n.outputs[0]!.id, dtype: t.dtype, reducer: op.reducer, exclusive: op.exclusive, reverse: op.reverse,
    outer: prod(s.slice(0, op.axis)), n: s[op.axis]!, inner: prod(s.slice(op.axis + 1)),
  };
}

export function lowerScatter(n: Node, t: Static, tt: (id: ValueId) => TensorType): Unnamed<ScatterKernel> {
  const op = n.op;
  if (op.kind !== 'scatter_elements' && op.kind !== 'scatter_nd') throw new CompileError('INTERNAL', `lowerScatter on ${op.kind}`);
  const [data, indices, updates] = n.inputs as [ValueId, ValueId, ValueId];
  const ds = t.shape as number[];
  const is = tt(indices).shape as number[];
  const us = tt(updates).shape as number[];
  const bad = checkScatterReduction(t.dtype, op.reduction);
  if (bad) fail(n, bad);
  if (op.kind === 'scatter_elements') {
    if (is.length !== ds.length) fail(n, `scatter_elements indices rank ${is.length} differs from data rank ${ds.length}`);
    is.forEach((e, d) => { if (d !== op.axis && e > ds[d]!) fail(n, `scatter_elements indices dim ${d} is ${e}, larger than the data's ${ds[d]}`); });
    if (prod(us) !== prod(is)) fail(n, `scatter_elements updates have ${prod(us)} elements, indices ${prod(is)}`);
  } else {
    const k = is[is.length - 1];
    if (k === undefined || k > ds.length) fail(n, `scatter_nd index tuples of length ${k} for data of rank ${ds.length}`);
    if (prod(us) !== prod(is.slice(0, -1)) * prod(ds.slice(k))) fail(n, `scatter_nd updates have ${prod(us)} elements, expected ${prod(is.slice(0, -1)) * prod(ds.slice(k))}`);
  }
  return {
    kind: 'scatter', data, indices, indexDtype: indexDtype(n, tt(indices).dtype), updates, out: n.outputs[0]!.id, dtype: t.dtype,
    reduction: op.reduction, dataShape: ds, indicesShape: is, mode: op.kind === 'scatter_elements' ? { kind: 'elements', axis: op.axis } : { kind: 'nd' },
  };
}

export function lowerGatherNd(n: Node, t: Static, tt: (id: ValueId) => TensorType): Unnamed<GatherNdKernel> {
  const op = n.op;
  if (op.kind !== 'gather_nd') throw new CompileError('INTERNAL', `lowerGatherNd on ${op.kind}`);
  const [input, indices] = n.inputs as [ValueId, ValueId];
  const ds = tt(input).shape as number[];
  const is = tt(indices).shape as number[];
  const b = op.batchDims;
  const k = is[is.length - 1];
  if (k === undefined || b + k > ds.length) fail(n, `gather_nd index tuples of length ${k} after ${b} batch dims for data of rank ${ds.length}`);
  for (let d = 0; d < b; d++) if (is[d] !== ds[d]) fail(n, `gather_nd batch dim ${d} of indices is ${is[d]}, data has ${ds[d]}`);
  return {
    kind: 'gather_nd', input, indices, indexDtype: indexDtype(n, tt(indices).dtype), out: n.outputs[0]!.id, dtype: t.dtype,
    dataShape: ds, batchDims: b, tuples: prod(is.slice(b, -1)), k,
  };
}
