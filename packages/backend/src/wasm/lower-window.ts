// Window contractions over a padded input (MaxPool, AveragePool's sums, LpPool: one operand read at
// (n, c, oh*sh + kh*dh - pad, ow*sw + kw*dw - pad)) read a copy of their input bordered with the pad value
// (lower-conv.ts convSource) instead of bounds-checking every read; the nest is otherwise the same, and
// without bounds it runs as f32x4 code where its reducer allows (max, min).

import type { Node, TensorType, ValueId } from '@tensorc/ir';
import type { BorderedCopyKernel, LoopNestKernel } from './kernel-plan.js';
import { isIdx, only, term } from './affine-match.js';
import { convSource } from './lower-conv.js';

/** The bordered copy and the window nest reading it, or undefined when `n` is no padded 2-D float32 window. */
export function lowerPaddedWindow(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, fresh: () => ValueId):
  { kernels: { kernel: Omit<LoopNestKernel, 'name'> | Omit<BorderedCopyKernel, 'name'>; suffix: string }[]; newTypes: (readonly [ValueId, TensorType])[] } | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || n.inputs.length !== 1 || op.padValues[0] === null || op.padValues[0] === undefined) return undefined;
  const x = n.inputs[0]!;
  const xt = tt(x);
  if (xt.dtype !== 'float32' || xt.shape.length !== 4 || out.shape.length !== 4 || op.reductionExtents.length !== 2) return undefined;
  // loops: 0 n, 1 c, 2 oh, 3 ow | 4 kh, 5 kw
  const mp = op.maps[0]!;
  if (!isIdx(mp[0], 0) || !isIdx(mp[1], 1) || !only(mp[2], [2, 4]) || !only(mp[3], [3, 5])) return undefined;
  const [sh, dh, sw, dw] = [term(mp[2]!, 2), term(mp[2]!, 4), term(mp[3]!, 3), term(mp[3]!, 5)];
  if (sh < 1 || dh < 1 || sw < 1 || dw < 1) return undefined;
  const [N, C, H, W] = xt.shape as [number, number, number, number];
  const [, , OH, OW] = out.shape as [number, number, number, number];
  const [KH, KW] = op.reductionExtents as [number, number];
  const cg = { N, G: 1, Mg: C, OH, OW, Cg: C, KH, KW, H, W, sh, sw, dh, dw, offH: mp[2]!.offset, offW: mp[3]!.offset, padValue: op.padValues[0] };
  const source = convSource(cg, x, fresh);
  // every window inside the input: the generic nest (without bounds checks) does as well
  if (source.kernels.length === 0) return undefined;
  const [Hp, Wp] = [source.plane / source.rowLen, source.rowLen];
  const nest: Omit<LoopNestKernel, 'name'> = {
    kind: 'nest', out: n.outputs[0]!.id, outDtype: out.dtype, outBase: 0, outStrides: [C * OH * OW, OH * OW, OW, 1],
    extents: [N, C, OH, OW, KH, KW], numOutLoops: 4,
    operands: [{ buffer: source.src, dtype: 'float32', base: 0, strides: [C * Hp * Wp, Hp * Wp, sh * Wp, sw, dh * Wp, dw], pad: 0 }],
    combiner: op.combiner, reducer: op.reducer, accDtype: op.accDtype, epilogue: op.epilogue,
  };
  return { kernels: [...source.kernels, { kernel: nest, suffix: 'window' }], newTypes: source.type ? [source.type] : [] };
}
