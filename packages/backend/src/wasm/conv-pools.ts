// Max pools the backend fuses into the convolution they read (gemm-pool.ts for NCHW, gemm-pool-nhwc.ts for
// NHWC), found before lowering so the pool's node needs no kernel: 2x2 windows, stride 2, no padding read,
// float32, and the convolution's output read by nothing else. The pool may carry an epilogue of its own that
// reads nothing but the pooled value and runs on vectors exactly (a fused quantize-dequantize). Whether the producer is a convolution the
// layout's kernel takes is decided when it is lowered.

import type { AffineMap, Graph, Node, ValueId } from '@tensorc/ir';
import { isAffine, isIdx } from './affine-match.js';
import { vectorizableScalar } from './emit-vector-epilogue.js';

/** The pool's window map over [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC); loops n 0, 1, 2, 3, then kh 4, kw 5. */
const POOL_MAP: Record<'nchw' | 'nhwc', (m: AffineMap) => boolean> = {
  nchw: (m) => isIdx(m[0], 0) && isIdx(m[1], 1) && isAffine(m[2], [[2, 2], [4, 1]]) && isAffine(m[3], [[3, 2], [5, 1]]),
  nhwc: (m) => isIdx(m[0], 0) && isAffine(m[1], [[1, 2], [4, 1]]) && isAffine(m[2], [[2, 2], [5, 1]]) && isIdx(m[3], 3),
};

/** Fusable max pools in `layout`, by the output of the convolution each reads. */
export function findConvPools(g: Graph, uses: ReadonlyMap<ValueId, number>, layout: 'nchw' | 'nhwc'): Map<ValueId, Node> {
  const pools = new Map<ValueId, Node>();
  const convs = new Set<ValueId>();
  for (const n of g.nodes) {
    const op = n.op;
    if (op.kind !== 'contract') continue;
    if (op.reductionExtents.length === 3 && n.inputs.length >= 2) convs.add(n.outputs[0]!.id);
    const t = n.outputs[0]!.type;
    const epilogueOk = op.epilogue === null || vectorizableScalar(op.epilogue, () => false, true);
    if (op.reducer !== 'max' || n.inputs.length !== 1 || !epilogueOk || op.accDtype !== 'float32' || t.kind !== 'tensor' || t.dtype !== 'float32') continue;
    if (!(op.combiner.k === 'arg' && op.combiner.i === 0) || op.reductionExtents.length !== 2 || op.reductionExtents[0] !== 2 || op.reductionExtents[1] !== 2) continue;
    const mp = op.maps[0]!;
    if (mp.length !== 4 || !POOL_MAP[layout](mp)) continue;
    const x = n.inputs[0]!;
    if (convs.has(x) && uses.get(x) === 1) pools.set(x, n);
  }
  return pools;
}
