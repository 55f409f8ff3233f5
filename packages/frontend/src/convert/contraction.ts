// Contractions: MatMul, Gemm, Conv and Einsum become `contract` nodes (through the builder's sugar);
// bias, alpha and beta become maps that the epilogue-fusion pass later folds into the contraction.

import { type ConvSpec, type Dim, type ValueId, arg, bin, lit } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkWindowAttrs } from './window-attrs.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

function scaled(ctx: ConvertContext, x: ValueId, s: number): ValueId {
  if (s === 1) return x;
  return ctx.emit1({ kind: 'map', expr: bin('mul', arg(0), lit(s, ctx.tensorTypeOf(x).dtype)) }, [x]);
}

/** Explicit pads for auto_pad, per spatial dim: [begin..., end...] as ONNX lays them out. */
export function convPads(ctx: ConvertContext, inSpatial: readonly Dim[], kernel: readonly number[], strides: readonly number[],
  dilations: readonly number[]): number[] {
  const n = kernel.length;
  checkWindowAttrs(ctx, n, { kernel, strides, dilations });
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = ctx.attrs.ints('pads') ?? Array(2 * n).fill(0);
    if (p.length !== 2 * n) ctx.attrs.unsupported('pads', `has ${p.length} entries, expected ${2 * n}`);
    checkWindowAttrs(ctx, n, { pads: p });
    return [...p];
  }
  if (autoPad === 'VALID') return Array(2 * n).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') return ctx.attrs.unsupported('auto_pad', `"${autoPad}"`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = inSpatial[i]!;
    if (typeof size !== 'number') return ctx.fail('UNSUPPORTED_OP', `auto_pad ${autoPad} on symbolic spatial dim ${size}; pin input shapes`);
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return [...begin, ...end];
}

/** The convolution of x by w as the node's attributes describe it (Conv, ConvInteger, QLinearConv). */
export function convSpec(ctx: ConvertContext, x: ValueId, w: ValueId): ConvSpec {
  const xs = ctx.shapeOf(x);
  const ws = ctx.shapeOf(w);
  const n = xs.length - 2;
  if (n < 1 || ws.length !== xs.length) ctx.fail('SHAPE_ERROR', `${ctx.where.opType} input rank ${xs.length} and weight rank ${ws.length}`);
  const kernel = (ctx.attrs.ints('kernel_shape') ?? ws.slice(2)) as readonly Dim[];
  if (kernel.some((k) => typeof k !== 'number')) ctx.fail('UNSUPPORTED_OP', 'symbolic kernel size');
  if (kernel.some((k, i) => typeof ws[i + 2] === 'number' && k !== ws[i + 2])) ctx.fail('SHAPE_ERROR', `kernel_shape [${kernel.join(', ')}] differs from the weight's [${ws.slice(2).join(', ')}]`);
  const strides = ctx.attrs.ints('strides') ?? Array(n).fill(1);
  const dilations = ctx.attrs.ints('dilations') ?? Array(n).fill(1);
  const group = ctx.attrs.int('group', 1);
  const pads = convPads(ctx, xs.slice(2), kernel as number[], strides, dilations);
  return { x, w, strides: [...strides], dilations: [...dilations], pads, group };
}

export const CONTRACTION: ConverterTable = {
  MatMul: { since: 1, convert: (ctx) => [ctx.b.matmul(ctx.input(0), ctx.input(1))] },
  Gemm: {
    since: 1,
    convert: (ctx) => {
      const a = ctx.input(0);
      const w = ctx.input(1);
      if (ctx.rankOf(a) !== 2 || ctx.rankOf(w) !== 2) ctx.fail('SHAPE_ERROR', 'Gemm inputs must be 2-D');
      const transA = ctx.attrs.int('transA', 0) === 1;
      const transB = ctx.attrs.int('transB', 0) === 1;
      const alpha = ctx.attrs.float('alpha', 1);
      const beta = ctx.attrs.float('beta', 1);
      // Before opset 7, C broadcast only with broadcast=1; numpy broadcasting accepts every valid old model.
      const spec = `${transA ? 'ki' : 'ik'},${transB ? 'jk' : 'kj'}->ij`;
      let y = scaled(ctx, ctx.b.einsum(spec, [a, w]), alpha);
      const c = ctx.optInput(2);
      if (c !== undefined && beta !== 0) {
        y = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [y, scaled(ctx, c, beta)]);
      }
      return [y];
    },
  },
  Einsum: {
    since: 12,
    convert: (ctx) => {
      const eq = ctx.attrs.string('equation');
      if (!eq) return ctx.fail('INVALID_MODEL', 'Einsum needs an equation');
      const ids = [...Array(ctx.numInputs).keys()].map((i) => ctx.input(i));
      return [ctx.b.einsum(eq.replace(/\s+/g, ''), ids)];
    },
  },
  Conv: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const w = ctx.input(1);
      let y = ctx.b.conv(convSpec(ctx, x, w));
      const n = ctx.rankOf(x) - 2;
      const bias = ctx.optInput(2);
      if (bias !== undefined) {
        const bt = ctx.tensorTypeOf(bias);
        if (bt.shape.length !== 1) ctx.fail('SHAPE_ERROR', `bias must be 1-D, got shape [${bt.shape.join(', ')}]`);
        const b4 = reshapeTo(ctx, bias, [bt.shape[0]!, ...Array(n).fill(1)]);
        y = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [y, b4]);
      }
      return [y];
    },
  },
};

