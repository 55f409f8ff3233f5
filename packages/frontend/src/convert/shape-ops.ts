// Shape and layout ops: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Identity.
// Shape values are propagated at compile time (KnownValues) so Reshape targets built from Shape chains
// resolve to static or symbolic dims, and the IR gets a plain reshape instead of run-time shape maths.

import { type Dim, type HostTensor, type ValueId, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimMul, dimsProduct, dimEq, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';

export function int64Const(ctx: ConvertContext, values: readonly number[], scalar = false): ValueId {
  const t: HostTensor = { dtype: 'int64', shape: scalar ? [] : [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) };
  const id = ctx.b.constant(t);
  ctx.known.setConstant(id, t);
  return id;
}

/** A shape value: constant when every dim is a number, else a shape_of-derived value recorded as dims. */
export function shapeValue(ctx: ConvertContext, dims: readonly Dim[], scalar = false): ValueId {
  if (dims.every((d) => typeof d === 'number')) return int64Const(ctx, dims as number[], scalar);
  return ctx.fail('UNSUPPORTED_OP', `run-time shape value [${dims.join(',')}] is needed as data; pin input shapes with inputShapes`);
}

export function reshapeTo(ctx: ConvertContext, x: ValueId, shape: readonly Dim[]): ValueId {
  const t = ctx.tensorTypeOf(x);
  if (t.shape.length === shape.length && t.shape.every((d, i) => dimEq(d, shape[i]!))) return x;
  return ctx.emit1({ kind: 'reshape' }, [x], [tensorType(t.dtype, shape)]);
}

/** Resolves an ONNX Reshape target (0 = copy, -1 = infer) against the input shape. */
export function resolveReshape(ctx: ConvertContext, inShape: readonly Dim[], target: readonly Dim[], allowZero: boolean): Dim[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inShape[i] ?? ctx.fail('SHAPE_ERROR', `reshape dim ${i} copies a missing input dim`) : d));
  const inferAt = out.findIndex((d) => d === -1);
  if (out.filter((d) => d === -1).length > 1) ctx.fail('SHAPE_ERROR', 'reshape target has more than one -1');
  if (out.some((d) => typeof d === 'number' && d < -1)) ctx.fail('SHAPE_ERROR', `reshape target [${target.join(',')}] has a negative dim`);
  if (inferAt >= 0) {
    const known = out.filter((_, i) => i !== inferAt);
    out[inferAt] = dimsProduct(inShape, known, (m) => ctx.fail('SHAPE_ERROR', m));
  } else {
    const a = dimsProduct(inShape, [], (m) => ctx.fail('SHAPE_ERROR', m));
    const b = dimsProduct(out, [], (m) => ctx.fail('SHAPE_ERROR', m));
    if (!dimEq(a, b)) ctx.fail('SHAPE_ERROR', `cannot reshape [${inShape.join(',')}] (${a} elements) to [${out.join(',')}] (${b})`);
  }
  return out;
}

function axesInput(ctx: ConvertContext, attrName: string, inputIndex: number, sinceInputs: number): number[] | undefined {
  if (ctx.opset >= sinceInputs) return ctx.optInput(inputIndex) === undefined ? undefined : ctx.constInts(inputIndex, 'axes');
  const a = ctx.attrs.ints(attrName);
  return a ? [...a] : undefined;
}

export const SHAPE_OPS: ConverterTable = {
  Identity: { since: 1, convert: (ctx) => [ctx.input(0)] },
  Shape: {
    since: 1,
    convert: (ctx) => {
      const shape = ctx.shapeOf(ctx.input(0));
      const r = shape.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = clamp(ctx.opset >= 15 ? ctx.attrs.int('start', 0) : 0);
      const end = clamp(ctx.opset >= 15 ? ctx.attrs.int('end', r) : r);
      const dims = shape.slice(start, Math.max(start, end));
      if (dims.every((d) => typeof d === 'number')) return [int64Const(ctx, dims as number[])];
      const id = ctx.emit1({ kind: 'shape_of', start, end: Math.max(start, end) }, [ctx.input(0)]);
      ctx.known.setDims(id, dims);
      return [id];
    },
  },
  Size: {
    since: 1,
    convert: (ctx) => {
      const n = dimsProduct(ctx.shapeOf(ctx.input(0)), [], (m) => ctx.fail('SHAPE_ERROR', m));
      return [shapeValue(ctx, [n], true)];
    },
  },
  Reshape: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const target = ctx.opset >= 5 ? ctx.dimsInput(1) : ctx.attrs.ints('shape');
      if (!target) return ctx.notKnown(1, 'shape');
      return [reshapeTo(ctx, x, resolveReshape(ctx, ctx.shapeOf(x), target, ctx.attrs.int('allowzero', 0) === 1))];
    },
  },
  Flatten: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const s = ctx.shapeOf(x);
      // axis is in [-r, r]; a negative axis counts from the end of the r dims (not r + 1).
      const raw = ctx.attrs.int('axis', 1);
      const axis = raw < 0 ? raw + s.length : raw;
      if (axis < 0 || axis > s.length) ctx.fail('SHAPE_ERROR', `Flatten axis ${raw} is out of range for rank ${s.length}`);
      const outer = dimsProduct(s.slice(0, axis), [], (m) => ctx.fail('SHAPE_ERROR', m));
      const inner = dimsProduct(s.slice(axis), [], (m) => ctx.fail('SHAPE_ERROR', m));
      return [reshapeTo(ctx, x, [outer, inner])];
    },
  },
  Squeeze: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const s = ctx.shapeOf(x);
      const axes = axesInput(ctx, 'axes', 1, 13)?.map((a) => normAxis(ctx, a, s.length));
      for (const a of axes ?? []) if (s[a] !== 1) ctx.fail('SHAPE_ERROR', `cannot squeeze axis ${a} of size ${String(s[a])}`);
      const out = s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
      const id = reshapeTo(ctx, x, out);
      const kd = ctx.known.dims(x);
      if (kd && id !== x) ctx.known.setDims(id, kd);
      return [id];
    },
  },
  Unsqueeze: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const s = ctx.shapeOf(x);
      const axes = axesInput(ctx, 'axes', 1, 13);
      if (!axes) return ctx.fail('INVALID_MODEL', 'Unsqueeze needs axes');
      const r = s.length + axes.length;
      const norm = axes.map((a) => normAxis(ctx, a, r)).sort((a, b) => a - b);
      if (new Set(norm).size !== norm.length) ctx.fail('INVALID_MODEL', 'Unsqueeze axes repeat');
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : s[k++]!);
      const id = reshapeTo(ctx, x, out);
      const kd = ctx.known.dims(x);
      if (kd && id !== x) ctx.known.setDims(id, kd);
      return [id];
    },
  },
  Transpose: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      const perm = ctx.attrs.ints('perm') ?? [...Array(r).keys()].reverse();
      if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) {
        ctx.attrs.unsupported('perm', `[${perm.join(',')}] is not a permutation of rank ${r}`);
      }
      if (perm.every((p, i) => p === i)) return [x];
      return [ctx.emit1({ kind: 'transpose', perm: [...perm] }, [x])];
    },
  },
  Expand: {
    since: 8,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const target = ctx.dimsInput(1);
      if (!target) return ctx.notKnown(1, 'shape');
      // Bidirectional broadcast of the input shape with the target.
      const r = Math.max(t.shape.length, target.length);
      const a = [...Array(r - t.shape.length).fill(1), ...t.shape] as Dim[];
      const b = [...Array(r - target.length).fill(1), ...target] as Dim[];
      const out = a.map((d, i) => {
        const e = b[i]!;
        if (e === 1) return d;
        if (d === 1 || dimEq(d, e)) return e;
        return ctx.fail('SHAPE_ERROR', `cannot expand dim ${String(d)} to ${String(e)}`);
      });
      if (out.length === t.shape.length && out.every((d, i) => dimEq(d, t.shape[i]!))) return [x];
      return [ctx.emit1({ kind: 'expand' }, [x], [tensorType(t.dtype, out)])];
    },
  },
};

export { dimMul };
