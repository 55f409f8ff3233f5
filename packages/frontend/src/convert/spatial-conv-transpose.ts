// ConvTranspose as an ordinary convolution: the input is dilated by the stride (zeros inserted) and padded by
// (k-1)*dilation minus the given pads (negative = crop), then convolved (stride 1) with the kernel flipped and
// its in/out channels swapped per group. output_shape and SAME_* auto_pad derive pads as ONNX's reference does.

import { type ValueId, arg, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkWindowAttrs } from './window-attrs.js';
import { reshapeTo } from './shape-ops.js';

/**
 * x [N, C, S...] with s-1 zeros inserted after every element of each spatial axis: [N, C, S*s...]. Built from a
 * reshape and an ordinary pad (of unit axes) so every backend handles it; the trailing zeros can be cropped.
 */
export function dilateByStride(ctx: ConvertContext, x: ValueId, strides: readonly number[]): ValueId {
  if (strides.every((s) => s === 1)) return x;
  const shape = ctx.shapeOf(x).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `stride dilation of symbolic dim ${d}`)));
  const split = [shape[0]!, shape[1]!, ...strides.flatMap((_, i) => [shape[2 + i]!, 1])];
  const high = [0, 0, ...strides.flatMap((s) => [0, s - 1])];
  const padded = padConstant(ctx, reshapeTo(ctx, x, split), high.map(() => 0), high);
  return reshapeTo(ctx, padded, [shape[0]!, shape[1]!, ...strides.map((s, i) => shape[2 + i]! * s)]);
}

/** Zero padding (negative entries crop); a no-op when all are zero. */
export function padConstant(ctx: ConvertContext, x: ValueId, low: readonly number[], high: readonly number[]): ValueId {
  if (low.every((v) => v === 0) && high.every((v) => v === 0)) return x;
  return ctx.emit1({ kind: 'pad', mode: 'constant', low, high, interior: low.map(() => 0), value: 0 }, [x]);
}

export function convTranspose(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const w = ctx.input(1);
  const xs = ctx.shapeOf(x).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `ConvTranspose on symbolic dim ${d}; pin input shapes`)));
  const ws = ctx.shapeOf(w).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', 'symbolic ConvTranspose weight')));
  const n = xs.length - 2;
  if (n < 1 || ws.length !== xs.length) ctx.fail('SHAPE_ERROR', `ConvTranspose input rank ${xs.length} and weight rank ${ws.length}`);
  const dt = ctx.tensorTypeOf(x).dtype;
  const G = ctx.attrs.int('group', 1);
  const [C, Mg] = ws as [number, number];
  const K = ws.slice(2);
  if (xs[1] !== C || C % G !== 0) ctx.fail('SHAPE_ERROR', `input has ${xs[1]} channels, weight expects ${C} (group ${G})`);
  const Cg = C / G;
  const M = Mg * G;
  const strides = [...(ctx.attrs.ints('strides') ?? Array(n).fill(1))];
  const dil = [...(ctx.attrs.ints('dilations') ?? Array(n).fill(1))];
  const outPad = [...(ctx.attrs.ints('output_padding') ?? Array(n).fill(0))];
  checkWindowAttrs(ctx, n, { strides, dilations: dil, outputPadding: outPad, pads: ctx.attrs.ints('pads') });
  const kernelAttr = ctx.attrs.ints('kernel_shape');
  if (kernelAttr && kernelAttr.some((k, i) => k !== K[i])) ctx.fail('SHAPE_ERROR', `kernel_shape [${kernelAttr.join(', ')}] differs from the weight's [${K.join(', ')}]`);
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const outShape = ctx.attrs.ints('output_shape');
  const inS = xs.slice(2);
  const full = (i: number) => strides[i]! * (inS[i]! - 1) + outPad[i]! + (K[i]! - 1) * dil[i]! + 1;
  let pads: number[];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outShape ? [...outShape].slice(-n) : inS.map((s, i) => s * strides[i]!);
    const total = target.map((t, i) => full(i) - t);
    const small = total.map((t) => Math.floor(t / 2));
    pads = autoPad === 'SAME_UPPER' ? [...small, ...total.map((t, i) => t - small[i]!)] : [...total.map((t, i) => t - small[i]!), ...small];
  } else if (autoPad === 'NOTSET' || autoPad === 'VALID') {
    pads = autoPad === 'VALID' ? Array(2 * n).fill(0) : [...(ctx.attrs.ints('pads') ?? Array(2 * n).fill(0))];
    if (outShape) {
      // The reference keeps the begin pads and crops (or extends) at the end to reach output_shape.
      const target = [...outShape].slice(-n);
      pads = [...pads.slice(0, n), ...target.map((t, i) => full(i) - pads[i]! - t)];
    }
  } else {
    return ctx.attrs.unsupported('auto_pad', `"${autoPad}"`);
  }
  // Dilate the input by the stride (s-1 zeros after every element), then pad it for a full convolution.
  const low = [0, 0, ...K.map((k, i) => (k - 1) * dil[i]! - pads[i]!)];
  const high = [0, 0, ...K.map((k, i) => (k - 1) * dil[i]! - pads[n + i]! + outPad[i]! - (strides[i]! - 1))];
  const xd = padConstant(ctx, dilateByStride(ctx, x, strides), low, high);
  // Weight [C, Mg, K...] -> [G, Cg, Mg, K...] -> [G, Mg, Cg, K...] -> [M, Cg, K...], kernel flipped.
  const wg = reshapeTo(ctx, w, [G, Cg, Mg, ...K]);
  const wt = ctx.emit1({ kind: 'transpose', perm: [0, 2, 1, ...K.map((_, i) => 3 + i)] }, [wg]);
  const wm = reshapeTo(ctx, wt, [M, Cg, ...K]);
  const wf = ctx.emit1({ kind: 'slice', starts: [0, 0, ...K.map((k) => k - 1)], steps: [1, 1, ...K.map(() => -1)] }, [wm], [tensorType(dt, [M, Cg, ...K])]);
  let y = ctx.b.conv({ x: xd, w: wf, strides: Array(n).fill(1), dilations: dil, pads: Array(2 * n).fill(0), group: G });
  const bias = ctx.optInput(2);
  if (bias !== undefined) y = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [y, reshapeTo(ctx, bias, [M, ...Array(n).fill(1)])]);
  return [y];
}
