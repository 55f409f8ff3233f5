// DeformConv (opsets 19 and 22, any spatial rank): every kernel tap reads X at its regular position plus a
// run-time offset, bilinearly with zero padding (the reference goes through GridSample). The samples are
// gathered per offset group from a [N*Go*spatial, C/Go] table, scaled by the optional mask, and contracted
// with the weights per group like an ordinary grouped convolution; the bias is a final add.

import { type ValueId, arg, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkTableSize } from './limits.js';
import { reshapeTo } from './shape-ops.js';
import { staticDims } from './spatial-grid-sample.js';
import { type AxisSampling, axisTaps, combine, gatherWeighted, rowTable, scaleInt } from './spatial-sampler.js';

const product = (xs: readonly number[]) => xs.reduce((a, d) => a * d, 1);

export function deformConv(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const w = ctx.input(1);
  const offset = ctx.input(2);
  const xs = staticDims(ctx, x, 'DeformConv input');
  const ws = staticDims(ctx, w, 'DeformConv weight');
  const os = staticDims(ctx, offset, 'DeformConv offset');
  const k = xs.length - 2;
  if (k > 3) ctx.fail('UNSUPPORTED_OP', `DeformConv on ${k} spatial axes (at most 3)`);
  if (k < 1 || ws.length !== k + 2 || os.length !== k + 2) ctx.fail('SHAPE_ERROR', `DeformConv input [${xs}], weight [${ws}], offset [${os}]`);
  const [N, C] = xs as [number, number];
  const D = xs.slice(2);
  const M = ws[0]!;
  const K = [...(ctx.attrs.ints('kernel_shape') ?? ws.slice(2))];
  const G = ctx.attrs.int('group', 1);
  const Go = ctx.attrs.int('offset_group', 1);
  const dil = [...(ctx.attrs.ints('dilations') ?? Array(k).fill(1))];
  const strides = [...(ctx.attrs.ints('strides') ?? Array(k).fill(1))];
  const pads = [...(ctx.attrs.ints('pads') ?? Array(2 * k).fill(0))];
  const O = os.slice(2);
  const KP = product(K);
  if (C % G !== 0 || ws[1]! * G !== C || M % G !== 0 || C % Go !== 0 || os[1] !== Go * KP * k || os[0] !== N) {
    ctx.fail('SHAPE_ERROR', `DeformConv shapes disagree: input [${xs}], weight [${ws}], offset [${os}], group ${G}, offset_group ${Go}`);
  }
  O.forEach((o, i) => {
    const expect = Math.floor((D[i]! + pads[i]! + pads[k + i]! - ((K[i]! - 1) * dil[i]! + 1)) / strides[i]!) + 1;
    if (o !== expect) ctx.fail('SHAPE_ERROR', `DeformConv output extent ${o} on axis ${i} should be ${expect}`);
  });
  const dt = ctx.tensorTypeOf(x).dtype;
  // Sampling layout S = [N, Go, K..., O...], then one tap axis per spatial axis.
  const sShape = [N, Go, ...K, ...O];
  const tapUnits = Array<number>(k).fill(1);
  const off = reshapeTo(ctx, offset, [N, Go, ...K, k, ...O]);
  const indices: ValueId[] = [];
  const weights: ValueId[] = [];
  const P = product(D);
  const groupRows = ctx.b.constant({ dtype: 'int64', shape: [N, Go, ...Array(2 * k + k).fill(1)], data: BigInt64Array.from({ length: N * Go }, (_, i) => BigInt(i * P)) });
  indices.push(groupRows);
  for (let i = 0; i < k; i++) {
    const comp = ctx.emit1({ kind: 'slice', starts: Array.from({ length: 3 + 2 * k }, (_, a) => (a === 2 + k ? i : 0)), steps: Array(3 + 2 * k).fill(1) },
      [off], [tensorType(dt, [N, Go, ...K, 1, ...O])]);
    const delta = reshapeTo(ctx, comp, sShape);
    const baseShape = sShape.map((_, a) => (a === 2 + i ? K[i]! : a === 2 + k + i ? O[i]! : 1));
    checkTableSize(ctx, K[i]! * O[i]!, `DeformConv sampling grid of axis ${i}`);
    const base = new Float64Array(K[i]! * O[i]!);
    for (let kk = 0; kk < K[i]!; kk++) for (let o = 0; o < O[i]!; o++) base[kk * O[i]! + o] = -pads[i]! + strides[i]! * o + kk * dil[i]!;
    const coord = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [ctx.b.constant({ dtype: dt, shape: baseShape, data: base }), delta]);
    const p: AxisSampling = { mode: 'linear', padding: 'zeros', size: D[i]!, alignCorners: true, cubicA: -0.75 };
    const taps = axisTaps(ctx, coord, p);
    const tapShape = [...sShape, ...tapUnits.map((_, j) => (j === i ? taps.taps : 1))];
    indices.push(scaleInt(ctx, reshapeTo(ctx, taps.index, tapShape), product(D.slice(i + 1))));
    weights.push(reshapeTo(ctx, taps.weight, tapShape));
  }
  const mask = ctx.optInput(4);
  if (mask !== undefined) weights.push(reshapeTo(ctx, mask, [...sShape, ...tapUnits]));
  const Cpo = C / Go;
  const table = rowTable(ctx, reshapeTo(ctx, x, [N * Go, Cpo, ...D]), [N * Go, Cpo, ...D]);
  const v = gatherWeighted(ctx, table, combine(ctx, 'add', indices), combine(ctx, 'mul', weights), k); // [N, Go, K..., O..., Cpo]
  const r = 2 + 2 * k;
  const vt = ctx.emit1({ kind: 'transpose', perm: [0, 1, r, ...Array.from({ length: 2 * k }, (_, a) => 2 + a)] }, [v]);
  const Cpg = C / G;
  const Mg = M / G;
  const vg = reshapeTo(ctx, vt, [N, G, Cpg, ...K, ...O]);
  const wg = reshapeTo(ctx, w, [G, Mg, Cpg, ...K]);
  const kl = 'pqr'.slice(0, k);
  const ol = 'xyz'.slice(0, k);
  const y = reshapeTo(ctx, ctx.b.einsum(`ngc${kl}${ol},gmc${kl}->ngm${ol}`, [vg, wg]), [N, M, ...O]);
  const bias = ctx.optInput(3);
  if (bias === undefined) return [y];
  return [ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [y, reshapeTo(ctx, bias, [M, ...Array(k).fill(1)])])];
}
