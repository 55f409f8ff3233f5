// ReverseSequence: per batch entry b, the first len[b] steps along the time axis are reversed, the rest copied.
// Lowered to one gather over the (time, batch) plane flattened into one axis: a small int64 map computes, from
// run-time sequence_lens and two 1-D ramps, which flat row each output row reads, so no [T, B, ...] index
// tensor is built and sequence_lens need not be known at compile time.

import { type Dim, type ScalarExpr, type ValueId, arg, bin, lit, select, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimEq, dimMul } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const I64 = 'int64';
const i64 = (v: number) => lit(BigInt(v), I64);

function reverseSequence(ctx: ConvertContext): ValueId {
  const x = ctx.input(0);
  const lens = ctx.input(1);
  const s = ctx.shapeOf(x);
  if (s.length < 2) ctx.fail('SHAPE_ERROR', `input must have rank >= 2, got rank ${s.length}`);
  const batchAxis = ctx.attrs.int('batch_axis', 1);
  const timeAxis = ctx.attrs.int('time_axis', 0);
  if (batchAxis !== 0 && batchAxis !== 1) ctx.attrs.unsupported('batch_axis', `must be 0 or 1, got ${batchAxis}`);
  if (timeAxis !== 0 && timeAxis !== 1) ctx.attrs.unsupported('time_axis', `must be 0 or 1, got ${timeAxis}`);
  if (batchAxis === timeAxis) ctx.attrs.unsupported('time_axis', `must differ from batch_axis (both are ${timeAxis})`);
  const lt = ctx.tensorTypeOf(lens);
  if (lt.dtype !== I64) ctx.fail('TYPE_ERROR', `sequence_lens must be int64, got ${lt.dtype}`);
  const steps = s[timeAxis]!;
  const batch = s[batchAxis]!;
  if (lt.shape.length !== 1 || !dimEq(lt.shape[0]!, batch)) {
    ctx.fail('SHAPE_ERROR', `sequence_lens has shape [${lt.shape.join(',')}], expected [${String(batch)}] (the batch axis)`);
  }
  if (typeof steps !== 'number') ctx.fail('UNSUPPORTED_OP', `symbolic time axis ${steps}; pin input shapes`);

  // Ramps over the (axis 0, axis 1) plane: t along the time axis, b along the batch axis, lens laid along b.
  const plane = (axis: number, n: Dim): Dim[] => (axis === 0 ? [n, 1] : [1, n]);
  const t = ctx.emit1({ kind: 'iota', axis: timeAxis }, [], [tensorType(I64, plane(timeAxis, steps))]);
  const b = ctx.emit1({ kind: 'iota', axis: batchAxis }, [], [tensorType(I64, plane(batchAxis, batch))]);
  const len = reshapeTo(ctx, lens, plane(batchAxis, batch));
  // The reference slices with Python semantics: a length above T reverses all T steps, a negative one counts
  // from the end (len + T, at least 0). The spec leaves both undefined; matching the reference avoids an
  // out-of-range read.
  const T = i64(steps);
  const n = select(bin('lt', arg(2), i64(0)), bin('max', bin('add', arg(2), T), i64(0)), bin('min', arg(2), T));
  // Source step: reversed inside the first n steps, unchanged after.
  const src = select(bin('lt', arg(0), n), bin('sub', bin('sub', n, i64(1)), arg(0)), arg(0));
  // Flat row of (src, b) in the plane flattened row-major: src*B + b, or b*T + src.
  const width: ScalarExpr = timeAxis === 1 ? T : typeof batch === 'number' ? i64(batch) : arg(3);
  const row = timeAxis === 0 ? bin('add', bin('mul', src, width), arg(1)) : bin('add', bin('mul', arg(1), width), src);
  const ins = [t, b, len];
  // A symbolic batch size is read at run time.
  if (timeAxis === 0 && typeof batch !== 'number') ins.push(ctx.emit1({ kind: 'shape_of', start: 1, end: 2 }, [x]));
  const index = ctx.emit1({ kind: 'map', expr: row }, ins);
  const flat = reshapeTo(ctx, x, [dimMul(s[0]!, s[1]!), ...s.slice(2)]);
  return ctx.emit1({ kind: 'gather', axis: 0 }, [flat, index]);
}

export const REVERSE_SEQUENCE: ConverterTable = {
  ReverseSequence: { since: 10, convert: (ctx) => [reverseSequence(ctx)] },
};
