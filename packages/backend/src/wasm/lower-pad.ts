// Lowering of Pad with modes edge, reflect and wrap to copy loop nests. Per axis, the source index of every
// output index is computed at compile time (as the reference interpreter does, negative pads cropping first);
// the output range splits into runs where the source moves by a constant step (+1 inside, 0 at an edge, -1
// in a reflection), and each combination of runs across axes is one affine copy nest.

import { CompileError, type Node, type TensorType, type ValueId, arg } from '@tensorc/ir';
import type { LoopNestKernel } from './kernel-plan.js';

type Nest = Omit<LoopNestKernel, 'name'>;

/** Above this many copy nests a pad is refused rather than bloating the module (pads many times the axis). */
const MAX_PAD_NESTS = 256;

const rowMajor = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** Source index in [0, n) of index i of the cropped axis (length n), for i outside it. */
function sourceOf(mode: 'edge' | 'reflect' | 'wrap', i: number, n: number): number {
  if (mode === 'edge') return Math.min(Math.max(i, 0), n - 1);
  if (mode === 'wrap') return ((i % n) + n) % n;
  if (n === 1) return 0;
  // numpy 'reflect' (the edge is not repeated), periodic so that pads longer than the axis reflect again
  const period = 2 * (n - 1);
  const j = ((i % period) + period) % period;
  return j >= n ? period - j : j;
}

/** Maximal runs [start, start + length) of output indices whose source index moves by a constant `step`. */
interface Run { readonly start: number; readonly length: number; readonly source: number; readonly step: number }

function runsOf(src: readonly number[]): Run[] {
  const runs: Run[] = [];
  let o = 0;
  while (o < src.length) {
    let len = 1;
    const step = o + 1 < src.length ? src[o + 1]! - src[o]! : 0;
    while (o + len < src.length && src[o + len]! - src[o + len - 1]! === step) len++;
    runs.push({ start: o, length: len, source: src[o]!, step });
    o += len;
  }
  return runs;
}

export function lowerPadModes(n: Node, t: TensorType & { shape: readonly number[] }, x: TensorType): Nest[] {
  const op = n.op;
  const where = n.origin ? { node: n.origin.node, opType: n.origin.opType } : {};
  if (op.kind !== 'pad' || op.mode === 'constant') throw new CompileError('INTERNAL', 'lowerPadModes on a non-mode pad', where);
  const mode = op.mode;
  if (op.interior.some((v) => v !== 0)) throw new CompileError('UNSUPPORTED_OP', `backend: interior padding with mode ${mode}`, where);
  const xs = x.shape as number[];
  const low = op.low as number[];
  const high = op.high as number[];
  const empty = (): Nest => ({
    kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: 0, outStrides: t.shape.map(() => 0), extents: [...t.shape], numOutLoops: t.shape.length,
    operands: [{ buffer: n.inputs[0]!, dtype: x.dtype, base: 0, strides: t.shape.map(() => 0), pad: 0 }], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null,
  });
  const kept = xs.map((size, d) => size + Math.min(low[d]!, 0) + Math.min(high[d]!, 0));
  kept.forEach((k, d) => {
    // the reference raises here at run time; with static shapes it is known now
    if (t.shape[d]! > 0 && k <= 0) throw new CompileError('UNSUPPORTED_OP', `backend: ${mode} padding of axis ${d} with no elements left to read`, where);
  });
  // an empty result still gets its (empty) kernel, so the value counts as produced
  if (t.shape.some((d) => d === 0)) return [empty()];
  const perAxis = xs.map((_, d) => {
    const first = Math.max(-low[d]!, 0);
    const src = Array.from({ length: t.shape[d]! }, (_, o) => {
      let p = o - Math.max(low[d]!, 0);
      if (p < 0 || p >= kept[d]!) p = sourceOf(mode, p, kept[d]!);
      return first + p;
    });
    return runsOf(src);
  });
  const count = perAxis.reduce((a, r) => a * r.length, 1);
  if (count > MAX_PAD_NESTS) throw new CompileError('UNSUPPORTED_OP', `backend: ${mode} pad would need ${count} copy kernels (limit ${MAX_PAD_NESTS})`, where);
  const stX = rowMajor(xs);
  const stOut = rowMajor(t.shape);
  const nests: Nest[] = [];
  const pick = (d: number, chosen: Run[]): void => {
    if (d < perAxis.length) {
      for (const run of perAxis[d]!) pick(d + 1, [...chosen, run]);
      return;
    }
    nests.push({
      kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype,
      outBase: chosen.reduce((a, run, k) => a + run.start * stOut[k]!, 0), outStrides: stOut,
      extents: chosen.map((run) => run.length), numOutLoops: chosen.length,
      operands: [{ buffer: n.inputs[0]! as ValueId, dtype: x.dtype, base: chosen.reduce((a, run, k) => a + run.source * stX[k]!, 0), strides: chosen.map((run, k) => run.step * stX[k]!), pad: 0 }],
      combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null,
    });
  };
  pick(0, []);
  return nests;
}
