// Data movement: Concat, Slice, Split, Gather*, Scatter*, Tile, Pad, and constants/casts that feed shapes.
// Dims of sliced or split axes must be static or the slice must keep the whole symbolic axis.

import { type Dim, type ValueId, arg, cast, lit, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimAdd, dimEq, normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { int64Const, reshapeTo } from './shape-ops.js';

/** Normalizes one ONNX slice (start, end, step) on an axis of static size n: returns start and count. */
export function sliceRange(n: number, start: number, end: number, step: number): { start: number; count: number } {
  if (step === 0) throw new Error('step 0');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = clamp(s, 0, n);
    e = clamp(e, 0, n);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = clamp(s, -1, n - 1);
  e = clamp(e, -1, n - 1);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

export function sliceAxes(ctx: ConvertContext, x: ValueId, axes: number[], starts: number[], ends: number[], steps: number[]): ValueId {
  const t = ctx.tensorTypeOf(x);
  const st: Dim[] = t.shape.map(() => 0);
  const sp = t.shape.map(() => 1);
  const out: Dim[] = [...t.shape];
  axes.forEach((a0, k) => {
    const a = normAxis(ctx, a0, t.shape.length);
    const n = t.shape[a]!;
    const step = steps[k] ?? 1;
    if (step === 0) ctx.fail('INVALID_MODEL', 'slice step is 0');
    if (typeof n !== 'number') {
      // A symbolic axis can only be kept whole (start 0, end >= INT_MAX, step 1).
      if (starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && step === 1) return;
      ctx.fail('UNSUPPORTED_OP', `slice of symbolic dim ${n}; pin input shapes`);
    }
    const r = sliceRange(n, starts[k]!, ends[k]!, step);
    st[a] = r.start;
    sp[a] = step;
    out[a] = r.count;
  });
  if (out.every((d, i) => dimEq(d, t.shape[i]!)) && sp.every((s) => s === 1)) return x;
  return ctx.emit1({ kind: 'slice', starts: st, steps: sp }, [x], [tensorType(t.dtype, out)]);
}

export const MOVEMENT: ConverterTable = {
  Concat: {
    since: 1,
    convert: (ctx) => {
      const ids = [...Array(ctx.numInputs).keys()].map((i) => ctx.input(i));
      const r = ctx.rankOf(ids[0]!);
      const axis = normAxis(ctx, ctx.attrs.int('axis', ctx.opset < 4 ? 1 : 0), r);
      // Propagate shape values (Concat of Shape pieces is how exporters build Reshape targets).
      const known = ids.map((id) => ctx.known.dims(id));
      const nonEmpty = ids.filter((id) => ctx.shapeOf(id)[axis] !== 0);
      const y = nonEmpty.length === 1 ? nonEmpty[0]! : ctx.emit1({ kind: 'concat', axis }, nonEmpty.length ? nonEmpty : ids);
      if (r === 1 && known.every((k) => k !== undefined)) ctx.known.setDims(y, known.flatMap((k) => [...k!]));
      return [y];
    },
  },
  Slice: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const r = ctx.rankOf(x);
      let starts: number[], ends: number[], axes: number[], steps: number[];
      if (ctx.opset < 10) {
        starts = [...ctx.attrs.requiredInts('starts')];
        ends = [...ctx.attrs.requiredInts('ends')];
        axes = [...(ctx.attrs.ints('axes') ?? starts.map((_, i) => i))];
        steps = starts.map(() => 1);
      } else {
        starts = ctx.constInts(1, 'starts');
        ends = ctx.constInts(2, 'ends');
        axes = ctx.optInput(3) === undefined ? starts.map((_, i) => i) : ctx.constInts(3, 'axes');
        steps = ctx.optInput(4) === undefined ? starts.map(() => 1) : ctx.constInts(4, 'steps');
      }
      const y = sliceAxes(ctx, x, axes, starts, ends, steps);
      // Shape values sliced (Shape -> Slice) stay known.
      const kd = ctx.known.dims(x);
      if (kd && r === 1 && y !== x) {
        const n = kd.length;
        const { start, count } = sliceRange(n, starts[0]!, ends[0]!, steps[0]!);
        ctx.known.setDims(y, Array.from({ length: count }, (_, i) => kd[start + i * steps[0]!]!));
      }
      return [y];
    },
  },
  Split: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const s = ctx.shapeOf(x);
      const axis = normAxis(ctx, ctx.attrs.int('axis', 0), s.length);
      const n = s[axis]!;
      if (typeof n !== 'number') return ctx.fail('UNSUPPORTED_OP', `split of symbolic dim ${n}; pin input shapes`);
      const numOut = ctx.node.outputNames.length;
      let sizes: number[];
      const fromInput = ctx.opset >= 13 && ctx.optInput(1) !== undefined;
      const attrSplit = ctx.opset < 13 ? ctx.attrs.ints('split') ?? (ctx.opset < 2 && ctx.optInput(1) !== undefined ? ctx.constInts(1, 'split') : undefined) : undefined;
      if (fromInput) sizes = ctx.constInts(1, 'split');
      else if (attrSplit) sizes = [...attrSplit];
      else {
        const parts = ctx.opset >= 18 ? ctx.attrs.int('num_outputs', numOut) : numOut;
        if (!Number.isInteger(parts) || parts < 1 || parts > numOut) ctx.fail('INVALID_MODEL', `num_outputs is ${parts} but the node has ${numOut} outputs`);
        const chunk = Math.ceil(n / parts);
        sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, n - i * chunk)));
      }
      if (sizes.reduce((a, b) => a + b, 0) !== n) ctx.fail('SHAPE_ERROR', `split sizes [${sizes.join(',')}] do not add up to ${n}`);
      let off = 0;
      return sizes.map((len) => {
        const y = sliceAxes(ctx, x, [axis], [off], [off + len], [1]);
        off += len;
        return y;
      });
    },
  },
  Gather: {
    since: 1,
    convert: (ctx) => {
      const data = ctx.input(0);
      const idx = ctx.input(1);
      const axis = normAxis(ctx, ctx.attrs.int('axis', 0), ctx.rankOf(data));
      const y = ctx.emit1({ kind: 'gather', axis }, [data, idx]);
      // Gather on a known shape value with constant indices (Shape -> Gather) stays known.
      const kd = ctx.known.dims(data);
      const ci = ctx.constInput(1);
      if (kd && ci && ctx.rankOf(data) === 1 && ci.shape.length <= 1) {
        const picks = Array.from(ci.data as ArrayLike<number | bigint>, (v) => kd[(Number(v) + kd.length) % kd.length]!);
        ctx.known.setDims(y, picks);
      }
      return [y];
    },
  },
  GatherElements: {
    since: 11,
    convert: (ctx) => [ctx.emit1({ kind: 'gather_elements', axis: normAxis(ctx, ctx.attrs.int('axis', 0), ctx.rankOf(ctx.input(0))) }, [ctx.input(0), ctx.input(1)])],
  },
  GatherND: {
    since: 11,
    convert: (ctx) => [ctx.emit1({ kind: 'gather_nd', batchDims: ctx.attrs.int('batch_dims', 0) }, [ctx.input(0), ctx.input(1)])],
  },
  ScatterElements: { since: 11, convert: (ctx) => scatterElements(ctx) },
  Scatter: { since: 9, convert: (ctx) => scatterElements(ctx) },
  ScatterND: {
    since: 11,
    convert: (ctx) => [ctx.emit1({ kind: 'scatter_nd', reduction: reduction(ctx) }, [ctx.input(0), ctx.input(1), ctx.input(2)])],
  },
  Tile: {
    since: 6,
    // tile = reshape to [1,d0,1,d1,..] -> expand to [r0,d0,r1,d1,..] -> reshape to [r0*d0, r1*d1, ..]
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.tensorTypeOf(x);
      const reps = ctx.constInts(1, 'repeats');
      if (reps.length !== t.shape.length) ctx.fail('SHAPE_ERROR', `repeats has ${reps.length} entries for rank ${t.shape.length}`);
      if (reps.every((r) => r === 1)) return [x];
      const inter = reshapeTo(ctx, x, t.shape.flatMap((d) => [1, d]));
      const big = ctx.emit1({ kind: 'expand' }, [inter], [tensorType(t.dtype, t.shape.flatMap((d, i) => [reps[i]!, d]))]);
      return [reshapeTo(ctx, big, t.shape.map((d, i) => (typeof d === 'number' ? d * reps[i]! : reps[i] === 1 ? d : ctx.fail('UNSUPPORTED_OP', 'tile of a symbolic dim'))))];
    },
  },
  ConstantOfShape: {
    since: 9,
    convert: (ctx) => {
      const dims = ctx.dimsInput(0);
      if (!dims) return ctx.notKnown(0, 'shape');
      const v = ctx.attrs.tensor('value');
      const dtype = v?.dtype ?? 'float32';
      const value = v ? (v.data as ArrayLike<number | bigint>)[0]! : 0;
      const scalar = ctx.b.constant({ dtype, shape: [], data: dtype === 'int64' ? BigInt64Array.of(BigInt(value)) : dtype === 'uint64' ? BigUint64Array.of(BigInt(value)) : Float64Array.of(Number(value)) });
      if (dims.length === 0) return [scalar];
      return [ctx.emit1({ kind: 'expand' }, [scalar], [tensorType(dtype, dims)])];
    },
  },
  Range: {
    since: 11,
    convert: (ctx) => {
      const [s0, l0, d0] = [0, 1, 2].map((i) => ctx.constInput(i));
      const dt = ctx.tensorTypeOf(ctx.input(0)).dtype;
      if (!s0 || !l0 || !d0) return ctx.notKnown(!s0 ? 0 : !l0 ? 1 : 2, 'start/limit/delta');
      if (![s0, l0, d0].every((t) => t.data.length === 1)) ctx.fail('SHAPE_ERROR', 'start, limit and delta must each hold one value');
      const [s, l, d] = [s0, l0, d0].map((t) => Number((t.data as ArrayLike<number | bigint>)[0]));
      const n = Math.max(Math.ceil((l! - s!) / d!), 0);
      const io = ctx.emit1({ kind: 'iota', axis: 0 }, [], [tensorType(dt, [n])]);
      return [ctx.emit1({ kind: 'map', expr: bin('add', lit(dt === 'int64' ? BigInt(s!) : s!, dt), bin('mul', arg(0), lit(dt === 'int64' ? BigInt(d!) : d!, dt))) }, [io])];
    },
  },
  Cast: {
    since: 1,
    convert: (ctx) => {
      const x = ctx.input(0);
      const to = ctx.attrs.requiredInt('to');
      const target = dtypeOrFail(ctx, to);
      const sat = ctx.attrs.int('saturate', 1) === 1;
      if (ctx.tensorTypeOf(x).dtype === target) return [x];
      const y = ctx.emit1({ kind: 'map', expr: cast(target, arg(0), sat) }, [x]);
      const kd = ctx.known.dims(x);
      if (kd && (target === 'int64' || target === 'int32')) ctx.known.setDims(y, kd);
      return [y];
    },
  },
  CastLike: {
    since: 15,
    convert: (ctx) => {
      const x = ctx.input(0);
      const target = ctx.tensorTypeOf(ctx.input(1)).dtype;
      if (ctx.tensorTypeOf(x).dtype === target) return [x];
      return [ctx.emit1({ kind: 'map', expr: cast(target, arg(0), ctx.attrs.int('saturate', 1) === 1) }, [x])];
    },
  },
};

import { dtypeFromOnnx, type DType } from '@tensorc/ir';
function dtypeOrFail(ctx: ConvertContext, code: number): DType {
  const d = dtypeFromOnnx(code);
  if (!d) return ctx.attrs.unsupported('to', `unknown ONNX dtype code ${code}`);
  return d;
}

function reduction(ctx: ConvertContext): 'none' | 'add' | 'mul' | 'max' | 'min' {
  const r = ctx.attrs.string('reduction', 'none');
  if (r === 'none' || r === 'add' || r === 'mul' || r === 'max' || r === 'min') return r;
  return ctx.attrs.unsupported('reduction', `"${r}" is not one of none, add, mul, max, min`);
}

function scatterElements(ctx: ConvertContext): ValueId[] {
  const axis = normAxis(ctx, ctx.attrs.int('axis', 0), ctx.rankOf(ctx.input(0)));
  return [ctx.emit1({ kind: 'scatter_elements', axis, reduction: reduction(ctx) }, [ctx.input(0), ctx.input(1), ctx.input(2)])];
}

export { int64Const, dimAdd };
