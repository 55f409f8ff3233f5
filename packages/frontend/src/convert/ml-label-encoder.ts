// ai.onnx.ml LabelEncoder (versions 1, 2 and 4): maps each element through a compile-time key -> value table
// (strings or numbers), with a default for unknown keys. Lowered as a comparison against all keys at once:
// match[..., k] = (x == key[k]), the last matching k (repeated keys: the last wins, as the spec says),
// a gather of the values, and a select of the default where nothing matched. NaN keys match NaN inputs.

import {
  type DType, type HostTensor, type ValueId, arg, bin, isFloat, isInteger, select, un,
} from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { type Element, constOf, elementsOf, exactElement } from './ml-common.js';
import { reshapeTo } from './shape-ops.js';

interface Table {
  readonly keyDtype: DType;
  readonly keys: readonly Element[];
  readonly valueDtype: DType;
  readonly values: readonly Element[];
  readonly dflt: Element;
}

/** LabelEncoder-1: classes_strings maps string -> its index, or int64 index -> string, by the input type. */
function tableV1(ctx: ConvertContext, inDtype: DType): Table {
  const classes = ctx.attrs.strings('classes_strings') ?? [];
  const indices = classes.map((_, i) => BigInt(i));
  if (inDtype === 'string') {
    return { keyDtype: 'string', keys: classes, valueDtype: 'int64', values: indices, dflt: BigInt(ctx.attrs.int('default_int64', -1)) };
  }
  if (inDtype === 'int64') {
    return { keyDtype: 'int64', keys: indices, valueDtype: 'string', values: classes, dflt: ctx.attrs.string('default_string', '_Unused') };
  }
  return ctx.fail('TYPE_ERROR', `LabelEncoder-1 maps string <-> int64, got a ${inDtype} input`);
}

/** The one keys_* / values_* attribute that is set, as (dtype, elements, set by a tensor attribute). */
function pick(ctx: ConvertContext, prefix: 'keys' | 'values'): { dtype: DType; elems: Element[]; tensor: boolean } {
  const found: { dtype: DType; elems: Element[]; tensor: boolean }[] = [];
  const floats = ctx.attrs.floats(`${prefix}_floats`);
  if (floats) found.push({ dtype: 'float32', elems: [...floats], tensor: false });
  const ints = ctx.attrs.ints(`${prefix}_int64s`);
  if (ints) found.push({ dtype: 'int64', elems: ints.map((v) => BigInt(v)), tensor: false });
  const strings = ctx.attrs.strings(`${prefix}_strings`);
  if (strings) found.push({ dtype: 'string', elems: [...strings], tensor: false });
  const t = ctx.opset >= 4 ? ctx.attrs.tensor(`${prefix}_tensor`) : undefined;
  if (t) {
    if (t.shape.length !== 1) ctx.attrs.unsupported(`${prefix}_tensor`, `must be 1-D, got shape [${t.shape.join(',')}]`);
    found.push({ dtype: t.dtype, elems: elementsOf(t), tensor: true });
  }
  if (found.length !== 1) ctx.fail('INVALID_MODEL', `exactly one ${prefix}_* attribute must be set, found ${found.length}`);
  return found[0]!;
}

function defaultFor(ctx: ConvertContext, dtype: DType, fromTensor: boolean): Element {
  const t: HostTensor | undefined = ctx.attrs.tensor('default_tensor');
  if (t) {
    if (t.data.length !== 1) ctx.attrs.unsupported('default_tensor', `must hold one element, holds ${t.data.length}`);
    if (t.dtype !== dtype) ctx.attrs.unsupported('default_tensor', `is ${t.dtype} but the values are ${dtype}`);
    return elementsOf(t)[0]!;
  }
  if (dtype === 'string') return fromTensor ? '_Unused' : ctx.attrs.string('default_string', '_Unused');
  if (isFloat(dtype)) return fromTensor ? -0 : ctx.attrs.float('default_float', -0);
  if (isInteger(dtype)) return BigInt(fromTensor ? -1 : ctx.attrs.int('default_int64', -1));
  return ctx.fail('TYPE_ERROR', `LabelEncoder values of type ${dtype} are not supported`);
}

function tableV2(ctx: ConvertContext, inDtype: DType): Table {
  const k = pick(ctx, 'keys');
  const v = pick(ctx, 'values');
  if (k.elems.length !== v.elems.length) ctx.fail('INVALID_MODEL', `${k.elems.length} keys but ${v.elems.length} values`);
  // Keys given as float32/int64 lists also serve double / narrower integer inputs when every key converts exactly.
  const keyDtype = inDtype;
  if ((k.dtype === 'string') !== (inDtype === 'string') || (isFloat(k.dtype) !== isFloat(inDtype))) {
    ctx.fail('TYPE_ERROR', `keys are ${k.dtype} but the input is ${inDtype}`);
  }
  const keys = k.elems.map((e) => exactElement(ctx, e, keyDtype, 'key'));
  return { keyDtype, keys, valueDtype: v.dtype, values: v.elems, dflt: defaultFor(ctx, v.dtype, v.tensor) };
}

export function labelEncoder(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const xt = ctx.tensorTypeOf(x);
  const t = ctx.opset < 2 ? tableV1(ctx, xt.dtype) : tableV2(ctx, xt.dtype);
  const dflt = constOf(ctx, t.valueDtype, [], [t.dflt]);
  // No keys: every element takes the default (the expression reads only the default, broadcast to x's shape).
  if (t.keys.length === 0) return [ctx.emit1({ kind: 'map', expr: arg(1) }, [x, dflt])];
  const n = t.keys.length;
  const keys = constOf(ctx, t.keyDtype, [n], t.keys);
  const values = constOf(ctx, t.valueDtype, [n], t.values);
  const r = xt.shape.length;
  const xe = reshapeTo(ctx, x, [...xt.shape, 1]);
  const eq = bin('eq', arg(0), arg(1));
  const same = isFloat(t.keyDtype) ? bin('or', eq, bin('and', un('isnan', arg(0)), un('isnan', arg(1)))) : eq;
  const match = ctx.emit1({ kind: 'map', expr: same }, [xe, keys]);
  const last = ctx.emit1({ kind: 'argreduce', mode: 'max', axis: r, keepDims: false, selectLast: true }, [match]);
  const found = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [r], keepDims: false }, [match]);
  const mapped = ctx.emit1({ kind: 'gather', axis: 0 }, [values, last]);
  return [ctx.emit1({ kind: 'map', expr: select(arg(0), arg(1), arg(2)) }, [found, mapped, dflt])];
}
