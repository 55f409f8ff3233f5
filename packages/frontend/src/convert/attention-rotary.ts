// RotaryEmbedding (opset 23): rotates the first rotary_embedding_dim features of every head by position-dependent
// angles from cos/sin caches (optionally indexed by position_ids), in split-half or interleaved pairing.

import { type ValueId, arg, bin } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { sliceAxes } from './movement.js';
import { reshapeTo } from './shape-ops.js';

export function rotaryEmbedding(ctx: ConvertContext): ValueId[] {
  const map = (e: Parameters<typeof bin>[1], ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  const input = ctx.input(0);
  const dims = ctx.shapeOf(input).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `RotaryEmbedding on symbolic dim ${d}; pin input shapes`)));
  const rank = dims.length;
  // Work in [B, S, H, D].
  let x = input;
  if (rank === 4) x = ctx.emit1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [input]);
  else if (rank === 3) {
    const heads = ctx.attrs.requiredInt('num_heads');
    if (heads <= 0 || dims[2]! % heads !== 0) ctx.fail('SHAPE_ERROR', `hidden size ${dims[2]} with ${heads} heads`);
    x = reshapeTo(ctx, input, [dims[0]!, dims[1]!, heads, dims[2]! / heads]);
  } else {
    ctx.fail('SHAPE_ERROR', `RotaryEmbedding input must be 3-D or 4-D, got rank ${rank}`);
  }
  const [B, S, H, D] = ctx.shapeOf(x) as [number, number, number, number];
  const rd = ctx.attrs.int('rotary_embedding_dim', 0) || D;
  const half = rd / 2;
  let cos = ctx.input(1);
  let sin = ctx.input(2);
  const pos = ctx.optInput(3);
  if (pos !== undefined) {
    cos = ctx.emit1({ kind: 'gather', axis: 0 }, [cos, pos]);
    sin = ctx.emit1({ kind: 'gather', axis: 0 }, [sin, pos]);
  }
  const cs = ctx.shapeOf(cos);
  if (cs[cs.length - 1] !== half) ctx.fail('SHAPE_ERROR', `cos cache last dim ${String(cs[cs.length - 1])} is not rotary_embedding_dim/2 = ${half}`);
  cos = reshapeTo(ctx, cos, [cs.length === 3 ? cs[0]! : 1, S, 1, half]);
  sin = reshapeTo(ctx, sin, [cs.length === 3 ? cs[0]! : 1, S, 1, half]);
  const rot = sliceAxes(ctx, x, [3], [0], [rd], [1]);
  const interleaved = ctx.attrs.int('interleaved', 0) === 1;
  const x1 = interleaved ? sliceAxes(ctx, rot, [3], [0], [rd], [2]) : sliceAxes(ctx, rot, [3], [0], [half], [1]);
  const x2 = interleaved ? sliceAxes(ctx, rot, [3], [1], [rd], [2]) : sliceAxes(ctx, rot, [3], [half], [rd], [1]);
  const real = map(bin('sub', bin('mul', arg(0), arg(1)), bin('mul', arg(2), arg(3))), [cos, x1, sin, x2]);
  const imag = map(bin('add', bin('mul', arg(0), arg(1)), bin('mul', arg(2), arg(3))), [sin, x1, cos, x2]);
  let rotated: ValueId;
  if (interleaved) {
    const pairs = ctx.emit1({ kind: 'concat', axis: 4 }, [reshapeTo(ctx, real, [B, S, H, half, 1]), reshapeTo(ctx, imag, [B, S, H, half, 1])]);
    rotated = reshapeTo(ctx, pairs, [B, S, H, rd]);
  } else {
    rotated = ctx.emit1({ kind: 'concat', axis: 3 }, [real, imag]);
  }
  let out = rd < D ? ctx.emit1({ kind: 'concat', axis: 3 }, [rotated, sliceAxes(ctx, x, [3], [rd], [D], [1])]) : rotated;
  out = rank === 3 ? reshapeTo(ctx, out, dims) : ctx.emit1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [out]);
  return [out];
}
