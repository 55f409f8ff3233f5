// TensorScatter (opset 24, the KV-cache update): update's `sequence_length` rows along `axis` are written into
// past_cache starting at write_indices[batch] (0 when absent), wrapping modulo max_sequence_length in
// circular mode. Lowered to scatter_elements with an index tensor of update's shape, computed from a ramp
// along the axis plus the run-time write index of each batch entry, so the cache is updated, not rebuilt.

import { type Dim, type ScalarExpr, type ValueId, arg, bin, lit, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimEq, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const I64 = 'int64';

function tensorScatter(ctx: ConvertContext): ValueId {
  const past = ctx.input(0);
  const update = ctx.input(1);
  const writeIndices = ctx.optInput(2);
  const ps = ctx.shapeOf(past);
  const us = ctx.shapeOf(update);
  const r = ps.length;
  if (r < 2) ctx.fail('SHAPE_ERROR', `past_cache must have rank >= 2 (batch and sequence axes), got rank ${r}`);
  const axis = normAxis(ctx, ctx.attrs.int('axis', -2), r);
  if (axis === 0) ctx.attrs.unsupported('axis', 'cannot be the batch axis 0');
  const mode = ctx.attrs.string('mode', 'linear');
  if (mode !== 'linear' && mode !== 'circular') ctx.attrs.unsupported('mode', `"${mode}" (expected linear or circular)`);
  const pt = ctx.tensorTypeOf(past);
  if (ctx.tensorTypeOf(update).dtype !== pt.dtype) ctx.fail('TYPE_ERROR', `update is ${ctx.tensorTypeOf(update).dtype} but past_cache is ${pt.dtype}`);
  if (us.length !== r) ctx.fail('SHAPE_ERROR', `update has rank ${us.length}, past_cache rank ${r}`);
  ps.forEach((d, i) => {
    if (i !== axis && !dimEq(d, us[i]!)) ctx.fail('SHAPE_ERROR', `update dim ${i} is ${String(us[i])}, past_cache's is ${String(d)}`);
  });
  const maxLen = ps[axis]!;
  const seqLen = us[axis]!;
  if (typeof maxLen === 'number' && typeof seqLen === 'number' && seqLen > maxLen) {
    ctx.fail('SHAPE_ERROR', `update has ${seqLen} rows along axis ${axis}, more than past_cache's ${maxLen}`);
  }

  // index[b, ..., s, ...] = write_indices[b] + s (mod max_sequence_length when circular).
  const unit = (keep: number, d: Dim): Dim[] => ps.map((_, i) => (i === keep ? d : 1));
  const ramp = ctx.emit1({ kind: 'iota', axis }, [], [tensorType(I64, unit(axis, seqLen))]);
  const ins: ValueId[] = [ramp];
  let expr: ScalarExpr = arg(0);
  if (writeIndices !== undefined) {
    const wt = ctx.tensorTypeOf(writeIndices);
    if (wt.dtype !== I64) ctx.fail('TYPE_ERROR', `write_indices must be int64, got ${wt.dtype}`);
    if (wt.shape.length !== 1 || !dimEq(wt.shape[0]!, ps[0]!)) ctx.fail('SHAPE_ERROR', `write_indices has shape [${wt.shape.join(',')}], expected [${String(ps[0])}]`);
    ins.push(reshapeTo(ctx, writeIndices, unit(0, ps[0]!)));
    expr = bin('add', arg(1), arg(0));
  }
  // The spec's pseudocode applies the modulo to the whole cache index tuple; its text (and every shape where the
  // leading dims are below max_sequence_length, as in its tests) means the write position only, which is what
  // this does.
  if (mode === 'circular') {
    if (typeof maxLen !== 'number') ctx.fail('UNSUPPORTED_OP', `circular mode over a symbolic max_sequence_length ${maxLen}; pin input shapes`);
    expr = bin('mod', expr, lit(BigInt(maxLen), I64));
  }
  const small = ctx.emit1({ kind: 'map', expr }, ins);
  const index = ctx.emit1({ kind: 'expand' }, [small], [tensorType(I64, us)]);
  return ctx.emit1({ kind: 'scatter_elements', axis, reduction: 'none' }, [past, index, update]);
}

export const TENSOR_SCATTER: ConverterTable = {
  TensorScatter: { since: 24, convert: (ctx) => [tensorScatter(ctx)] },
};
