// Sequence and optional ops. Sequence element shapes may differ element to element, so an element type
// keeps a dim only where every element agrees and uses a fresh symbol elsewhere; SequenceEmpty's element
// rank is unknown until something is inserted (recorded as rank 0 and replaced on insert).

import { type Dim, type SequenceOp, type TensorType, type ValueId, type ValueType, dimEquals, dtypeFromOnnx, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';

function mergeElem(ctx: ConvertContext, a: TensorType | undefined, b: TensorType): TensorType {
  if (!a || a.shape.length === 0) return b;
  if (a.dtype !== b.dtype) return ctx.fail('TYPE_ERROR', `sequence of ${a.dtype} gets a ${b.dtype} element`);
  if (a.shape.length !== b.shape.length) return tensorType(a.dtype, b.shape.map(() => ctx.freshDim()));
  return tensorType(a.dtype, a.shape.map((d, i) => (dimEquals(d, b.shape[i]!) ? d : ctx.freshDim())));
}

function seqElem(ctx: ConvertContext, id: ValueId): TensorType {
  const t = ctx.typeOf(id);
  if (t.kind !== 'sequence') return ctx.fail('TYPE_ERROR', `expected a sequence, got a ${t.kind}`);
  return t.elem;
}

const seqOp = (fn: SequenceOp['fn'], axis = 0, keepDims = true): SequenceOp => ({ kind: 'sequence', fn, axis, keepDims });
const seqType = (elem: TensorType): ValueType => ({ kind: 'sequence', elem });
const inputs = (ctx: ConvertContext) => [...Array(ctx.numInputs).keys()].map((i) => ctx.optInput(i)).filter((x): x is ValueId => x !== undefined);

export const SEQUENCES: ConverterTable = {
  SequenceConstruct: {
    since: 11,
    convert: (ctx) => {
      const ids = inputs(ctx);
      let elem: TensorType | undefined;
      for (const id of ids) elem = mergeElem(ctx, elem, ctx.tensorTypeOf(id));
      if (!elem) return ctx.fail('INVALID_MODEL', 'SequenceConstruct needs at least one input');
      return ctx.emit(seqOp('construct'), ids, [seqType(elem)]);
    },
  },
  SequenceEmpty: {
    since: 11,
    convert: (ctx) => {
      const dt = dtypeFromOnnx(ctx.attrs.int('dtype', 1)) ?? ctx.fail('INVALID_MODEL', 'unknown dtype');
      return ctx.emit(seqOp('empty'), [], [seqType(tensorType(dt, []))]);
    },
  },
  SequenceInsert: {
    since: 11,
    convert: (ctx) => {
      const elem = mergeElem(ctx, seqElem(ctx, ctx.input(0)), ctx.tensorTypeOf(ctx.input(1)));
      return ctx.emit(seqOp('insert'), inputs(ctx), [seqType(elem)]);
    },
  },
  SequenceAt: {
    since: 11,
    convert: (ctx) => ctx.emit(seqOp('at'), [ctx.input(0), ctx.input(1)], [seqElem(ctx, ctx.input(0))]),
  },
  SequenceErase: {
    since: 11,
    convert: (ctx) => ctx.emit(seqOp('erase'), inputs(ctx), [seqType(seqElem(ctx, ctx.input(0)))]),
  },
  SequenceLength: {
    since: 11,
    convert: (ctx) => {
      seqElem(ctx, ctx.input(0));
      return ctx.emit(seqOp('length'), [ctx.input(0)], [tensorType('int64', [])]);
    },
  },
  SplitToSequence: {
    since: 11,
    convert: (ctx) => {
      const x = ctx.tensorTypeOf(ctx.input(0));
      const axis = normAxis(ctx, ctx.attrs.int('axis', 0), x.shape.length);
      const keepDims = ctx.attrs.int('keepdims', 1) === 1;
      const split = ctx.constInput(1);
      let chunk: Dim;
      if (ctx.optInput(1) === undefined) chunk = 1;
      else if (split && split.shape.length === 0) chunk = Number(split.data[0]);
      else if (split && new Set(Array.from(split.data as ArrayLike<bigint>, Number)).size === 1) chunk = Number(split.data[0]);
      else chunk = ctx.freshDim();
      const removeAxis = ctx.optInput(1) === undefined && !keepDims;
      const shape = removeAxis ? x.shape.filter((_, i) => i !== axis) : x.shape.map((d, i) => (i === axis ? chunk : d));
      return ctx.emit(seqOp('split', axis, ctx.optInput(1) !== undefined || keepDims), inputs(ctx), [seqType(tensorType(x.dtype, shape))]);
    },
  },
  ConcatFromSequence: {
    since: 11,
    convert: (ctx) => {
      const elem = seqElem(ctx, ctx.input(0));
      const newAxis = ctx.attrs.int('new_axis', 0) === 1;
      const rank = elem.shape.length + (newAxis ? 1 : 0);
      const axis = normAxis(ctx, ctx.attrs.requiredInt('axis'), rank);
      const shape: Dim[] = [...elem.shape];
      if (newAxis) shape.splice(axis, 0, ctx.freshDim());
      else shape[axis] = ctx.freshDim();
      return ctx.emit(seqOp(newAxis ? 'stack' : 'concat', axis), [ctx.input(0)], [tensorType(elem.dtype, shape)]);
    },
  },
  Optional: {
    since: 15,
    convert: (ctx) => {
      const x = ctx.optInput(0);
      if (x !== undefined) {
        const t = ctx.typeOf(x);
        if (t.kind === 'optional') return ctx.fail('TYPE_ERROR', 'Optional of an optional');
        return ctx.emit({ kind: 'optional', fn: 'wrap' }, [x], [{ kind: 'optional', elem: t }]);
      }
      // An empty optional's element type comes from a TypeProto attribute, which the decoder does not keep yet.
      return ctx.fail('UNSUPPORTED_ATTRIBUTE', 'an empty Optional (no input, element type from the type attribute) is not supported');
    },
  },
  OptionalHasElement: {
    since: 15,
    convert: (ctx) => {
      const x = ctx.optInput(0);
      const t = x === undefined ? undefined : ctx.typeOf(x);
      if (x === undefined || t?.kind !== 'optional') {
        const v = x !== undefined;
        const c = ctx.b.constant({ dtype: 'bool', shape: [], data: Float64Array.of(v ? 1 : 0) });
        return [c];
      }
      return ctx.emit({ kind: 'optional', fn: 'has' }, [x], [tensorType('bool', [])]);
    },
  },
  OptionalGetElement: {
    since: 15,
    convert: (ctx) => {
      const x = ctx.input(0);
      const t = ctx.typeOf(x);
      if (t.kind !== 'optional') return [x];
      return ctx.emit({ kind: 'optional', fn: 'get' }, [x], [t.elem]);
    },
  },
};
