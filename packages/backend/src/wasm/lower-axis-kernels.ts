// The ops with a dedicated kernel that walks one axis of a tensor viewed as [outer, axis, inner]: float32
// softmax, gather, gather_elements, top-k and arg-max/min. Each builder returns the kernel without its name.

import { CompileError, type Node, type TensorType, type ValueId } from '@tensorc/ir';
import type { ArgReduceKernel, GatherElementsKernel, GatherKernel, SoftmaxKernel, TopKKernel } from './kernel-plan.js';
import { type StaticType, SUPPORTED_DTYPES, prod, where } from './lower-common.js';

type Types = (id: ValueId) => TensorType;
type Unnamed<K> = Omit<K, 'name'>;

export function softmaxKernel(n: Node, t: StaticType): Unnamed<SoftmaxKernel> {
  const op = n.op;
  if (op.kind !== 'softmax') throw new Error('softmaxKernel: not a softmax');
  const s = t.shape as readonly number[];
  return { kind: 'softmax', input: n.inputs[0]!, out: n.outputs[0]!.id, outer: prod(s.slice(0, op.axis)), n: s[op.axis]!, inner: prod(s.slice(op.axis + 1)), log: op.log };
}

export function gatherKernel(n: Node, t: StaticType, tt: Types): Unnamed<GatherKernel> {
  const op = n.op;
  if (op.kind !== 'gather') throw new Error('gatherKernel: not a gather');
  const xs = tt(n.inputs[0]!).shape as number[];
  const idx = tt(n.inputs[1]!);
  return {
    kind: 'gather', input: n.inputs[0]!, indices: n.inputs[1]!, indexDtype: idx.dtype, out: n.outputs[0]!.id, dtype: t.dtype,
    outer: prod(xs.slice(0, op.axis)), axisSize: xs[op.axis]!, numIndices: prod(idx.shape as number[]), inner: prod(xs.slice(op.axis + 1)),
  };
}

export function gatherElementsKernel(n: Node, t: StaticType, tt: Types): Unnamed<GatherElementsKernel> {
  const op = n.op;
  if (op.kind !== 'gather_elements') throw new Error('gatherElementsKernel: not a gather_elements');
  return {
    kind: 'gather_elements', input: n.inputs[0]!, indices: n.inputs[1]!, indexDtype: tt(n.inputs[1]!).dtype,
    out: n.outputs[0]!.id, dtype: t.dtype, axis: op.axis, dataShape: tt(n.inputs[0]!).shape as number[], outShape: t.shape as number[],
  };
}

/** Top-k writes two outputs (values, indices); the caller records the second output's type. */
export function topkKernel(n: Node, tt: Types): Unnamed<TopKKernel> {
  const op = n.op;
  if (op.kind !== 'topk') throw new Error('topkKernel: not a topk');
  const x = tt(n.inputs[0]!);
  const xs = x.shape as number[];
  if (!SUPPORTED_DTYPES.has(x.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: topk of ${x.dtype}`, where(n));
  return {
    kind: 'topk', input: n.inputs[0]!, out: n.outputs[0]!.id, indicesOut: n.outputs[1]!.id, dtype: x.dtype, largest: op.largest,
    outer: prod(xs.slice(0, op.axis)), n: xs[op.axis]!, inner: prod(xs.slice(op.axis + 1)), k: op.k as number,
  };
}

export function argreduceKernel(n: Node, tt: Types): Unnamed<ArgReduceKernel> {
  const op = n.op;
  if (op.kind !== 'argreduce') throw new Error('argreduceKernel: not an argreduce');
  const x = tt(n.inputs[0]!);
  const xs = x.shape as number[];
  if (!SUPPORTED_DTYPES.has(x.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: argmax/argmin of ${x.dtype}`, where(n));
  return {
    kind: 'argreduce', input: n.inputs[0]!, out: n.outputs[0]!.id, dtype: x.dtype, mode: op.mode, selectLast: op.selectLast,
    outer: prod(xs.slice(0, op.axis)), n: xs[op.axis]!, inner: prod(xs.slice(op.axis + 1)),
  };
}
