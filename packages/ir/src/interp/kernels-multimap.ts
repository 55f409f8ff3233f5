// Reference kernel of `multimap`: every result computed at each point of the broadcast inputs, in order.
// Result k reads the values results 0..k-1 hold at that point as stored (read back from their tensors), so
// it sees exactly what a separate map reading those results would.

import type { HostTensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import type { KernelTable } from './kernel-types.js';
import { numpyBroadcast } from './kernels-compute.js';
import { type Scalar, compileScalar } from './scalar-eval.js';
import { broadcastStrides, makeTensor, nextBroadcastPoint, sizeOf, tensorArg } from './tensor-utils.js';

export const MULTIMAP_KERNELS: KernelTable<'multimap'> = {
  multimap: (op, insRaw, outTypes) => {
    const ins = insRaw.map((_, j) => tensorArg(insRaw, j));
    const shape = numpyBroadcast(ins.map((t) => t.shape));
    const outs: HostTensor[] = outTypes.map((t) => makeTensor((t as TensorType).dtype, shape));
    const argTypes = ins.map((t) => t.dtype);
    const fns = op.exprs.map((e, k) => compileScalar(e, [...argTypes, ...outs.slice(0, k).map((o) => o.dtype)]).fn);
    const bst = ins.map((t) => broadcastStrides(t.shape, shape));
    const datas = [...ins, ...outs].map((t) => t.data as ArrayLike<Scalar> & { [i: number]: Scalar });
    const args: Scalar[] = new Array(ins.length + outs.length);
    const n = sizeOf(shape);
    const r = shape.length;
    const idx = new Array<number>(r).fill(0);
    const offs = new Array<number>(ins.length).fill(0);
    for (let o = 0; o < n; o++) {
      for (let j = 0; j < ins.length; j++) args[j] = datas[j]![offs[j]!]!;
      for (let k = 0; k < fns.length; k++) {
        const out = datas[ins.length + k]!;
        out[o] = fns[k]!(args, 0);
        args[ins.length + k] = out[o]!;
      }
      nextBroadcastPoint(idx, offs, bst, shape);
    }
    return outs;
  },
};
