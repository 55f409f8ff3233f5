// Depthwise convolutions in NHWC as propagate-layout leaves them: a contraction with output [N, OH, OW, C, 1]
// (loops n, oh, ow, channel g, multiplier 1) reading the input [N, H, W, C] at (n, oh*sh + kh*dh - ph,
// ow*sw + kw*dw - pw, g [+ a channel-in-group loop of extent 1]) and constant weights through any map. The
// weights are packed [KH][KW][C] at compile time; a padded input is read from a bordered copy
// (lower-conv-nhwc.ts's nhwcSource), then the direct kernel runs (emit-depthwise-nhwc.ts). Float32 only.

import { type HostTensor, type Node, type TensorType, type ValueId, evalAffine } from '@tensorc/ir';
import type { DepthwiseConvKernel } from './kernel-plan.js';
import { isFloatProduct } from './lower-common.js';
import { gemmEpilogue } from './lower-epilogue.js';
import { isIdx, window } from './affine-match.js';
import { type NhwcConvLowering, nhwcSource } from './lower-conv-nhwc.js';

/** The kernels of NHWC depthwise convolution `n`, or undefined when it is not one. */
export function lowerDepthwiseNhwc(n: Node, out: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType,
  consts: ReadonlyMap<ValueId, HostTensor>, fresh: () => ValueId): NhwcConvLowering | undefined {
  if (!isFloatProduct(n, out) || out.shape.length !== 5 || out.shape[4] !== 1 || n.op.reductionExtents.length !== 3 || n.op.padValues[1] !== null) return undefined;
  const op = n.op;
  const xt = tt(n.inputs[0]!);
  const w = consts.get(n.inputs[1]!);
  if (!w || xt.dtype !== 'float32' || w.dtype !== 'float32' || xt.shape.length !== 4 || !xt.shape.every((d) => typeof d === 'number')) return undefined;
  if (!op.reductionExtents.every((d) => typeof d === 'number')) return undefined;
  const red = op.reductionExtents as number[];
  const [N, OH, OW, C] = out.shape as [number, number, number, number];
  const [, H, W, XC] = xt.shape as [number, number, number, number];
  const mx = op.maps[0]!;
  const wh = window(mx[1], 1, 5);
  const ww = window(mx[2], 2, 5);
  if (!wh || !ww || wh.red === ww.red || XC !== C) return undefined;
  const batchOk = isIdx(mx[0], 0) || (N === 1 && mx[0]!.terms.length === 0 && mx[0]!.offset === 0);
  // the channel: loop 3, plus at most the remaining reduction loop, of extent 1
  const lcg = [5, 6, 7].find((l) => l !== wh.red && l !== ww.red)!;
  const ch = mx[3]!;
  const chOk = ch.offset === 0 && ch.terms.some((t) => t.idx === 3 && t.coeff === 1) && ch.terms.every((t) => (t.idx === 3 && t.coeff === 1) || t.idx === lcg);
  if (!batchOk || !chOk || red[lcg - 5] !== 1) return undefined;
  const [KH, KW] = [red[wh.red - 5]!, red[ww.red - 5]!];
  // weights through their own map: [KH][KW][C]; every read must fall inside the constant
  const wShape = w.shape as readonly number[];
  const wStrides = wShape.map((_, d) => wShape.slice(d + 1).reduce((a, b) => a * b, 1));
  const data = new Float64Array(KH * KW * C);
  const point = new Array<number>(8).fill(0);
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) {
    point[3] = c; point[wh.red] = kh; point[ww.red] = kw;
    let at = 0;
    for (let d = 0; d < wShape.length; d++) {
      const i = evalAffine(op.maps[1]![d]!, point);
      if (i < 0 || i >= wShape[d]!) return undefined;
      at += i * wStrides[d]!;
    }
    data[(kh * KW + kw) * C + c] = Number(w.data[at]);
  }
  const epi = gemmEpilogue(n, out.shape, { batch: [0], row: [1, 2], col: [3, 4] }, tt);
  if (!epi) return undefined;
  const geometry = {
    N, OH, OW, C, KH, KW, H, W, sh: wh.stride, sw: ww.stride, dh: wh.dilation, dw: ww.dilation, offH: wh.offset, offW: ww.offset,
    padValue: (op.padValues[0] as number | null) ?? 0,
  };
  const source = nhwcSource(geometry, n.inputs[0]!, fresh);
  const packed = fresh();
  const kernel: Omit<DepthwiseConvKernel, 'name'> = {
    ...epi, kind: 'depthwise', layout: 'nhwc', x: source.src, w: packed, out: n.outputs[0]!.id, batch: N, channels: C, mult: 1,
    oh: OH, ow: OW, kh: KH, kw: KW, sh: wh.stride, sw: ww.stride, dh: wh.dilation, dw: ww.dilation,
    rowLen: source.Wp * C, plane: source.Hp * source.Wp * C, base: 0,
  };
  return {
    kernels: [...source.kernels, { kernel, suffix: 'depthwise_nhwc' }],
    newTypes: [...(source.type ? [source.type] : []), [packed, { kind: 'tensor', dtype: 'float32', shape: [data.length] }]],
    derived: [[packed, { dtype: 'float32', shape: [data.length], data }]],
  };
}
