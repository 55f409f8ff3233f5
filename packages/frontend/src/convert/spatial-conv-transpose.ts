// ConvTranspose as an ordinary convolution: the input is dilated by the stride (interior padding) and padded by
// (k-1)*dilation minus the given pads (negative = crop), then convolved (stride 1) with the kernel flipped and
// its in/out channels swapped per group. output_shape and SAME_* auto_pad derive pads as ONNX's reference does.

import { type ValueId, arg, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { reshapeTo } from './shape-ops.js';

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
  // Dilate and pad the input.
  const low = [0, 0, ...K.map((k, i) => (k - 1) * dil[i]! - pads[i]!)];
  const high = [0, 0, ...K.map((k, i) => (k - 1) * dil[i]! - pads[n + i]! + outPad[i]!)];
  const interior = [0, 0, ...strides.map((s) => s - 1)];
  const xd = low.some((v) => v !== 0) || high.some((v) => v !== 0) || interior.some((v) => v !== 0)
    ? ctx.emit1({ kind: 'pad', mode: 'constant', low, high, interior, value: 0 }, [x]) : x;
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
