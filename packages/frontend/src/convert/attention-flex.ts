// ai.onnx.preview FlexAttention (preview opset 1): rank-4 attention whose scores and probabilities may be
// rewritten by user subgraphs (score_mod before the softmax, prob_mod after it; masking is score_mod writing
// -inf). Q and K are each pre-scaled by sqrt(scale) in the input dtype, as the spec's function body does;
// scores, softmax, the modifiers and PV run in softmax_precision (float32, or float64 for double inputs).
// The modifier subgraphs are inlined: their nodes lower into the enclosing graph with the tensor bound.

import {
  type DType, type FloatDType, type ValueId, arg, bin, cast, dtypeFromOnnx, isFloat, lit, roundToDType, tensorType,
} from '@tensorc/ir';
import type { LoweringGraph } from '../lowering-model.js';
import type { ConvertContext } from './context.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const SOFTMAX_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

function rank4(ctx: ConvertContext, i: number, name: string): number[] {
  const shape = ctx.shapeOf(ctx.input(i));
  if (shape.length !== 4) ctx.fail('SHAPE_ERROR', `${name} must be rank 4, got rank ${shape.length}`);
  return shape.map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `FlexAttention on symbolic dim ${d} of ${name}; pin input shapes`)));
}

/** Repeats each K/V head for its group of query heads: kv head h serves query heads h*g .. h*g+g-1. */
function repeatHeads(ctx: ConvertContext, x: ValueId, group: number): ValueId {
  if (group === 1) return x;
  const t = ctx.tensorTypeOf(x);
  const [b, h, s, d] = t.shape as number[] as [number, number, number, number];
  const e = ctx.emit1({ kind: 'expand' }, [reshapeTo(ctx, x, [b, h, 1, s, d])], [tensorType(t.dtype, [b, h, group, s, d])]);
  return reshapeTo(ctx, e, [b, h * group, s, d]);
}

/** Inlines a one-in, one-out modifier graph applied to `x` (shape and dtype must be kept). */
function applyModifier(ctx: ConvertContext, name: 'score_mod' | 'prob_mod', x: ValueId): ValueId {
  if (!ctx.attrs.has(name)) return x;
  const g = ctx.attrs.requiredGraph(name) as LoweringGraph;
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    ctx.fail('INVALID_MODEL', `${name} must take exactly one input and produce one output, it has ${g.inputs.length} and ${g.outputs.length}`);
  }
  const xt = ctx.tensorTypeOf(x);
  const declared = g.inputs[0]!.type;
  if (declared.kind === 'tensor' && declared.dtype !== xt.dtype) {
    ctx.fail('TYPE_ERROR', `${name} declares a ${declared.dtype} input but the scores are ${xt.dtype} (softmax_precision)`);
  }
  const origin = ctx.b.origin;
  let out: ValueId;
  try {
    [out] = ctx.lowerSubgraph(g, [{ name: g.inputs[0]!.name, id: x }]) as [ValueId];
  } finally {
    ctx.b.origin = origin;
  }
  const ot = ctx.typeOf(out);
  const sameShape = ot.kind === 'tensor' && ot.shape.length === xt.shape.length && ot.shape.every((d, i) => d === xt.shape[i]);
  if (ot.kind !== 'tensor' || ot.dtype !== xt.dtype || !sameShape) {
    const got = ot.kind === 'tensor' ? `${ot.dtype}[${ot.shape.join(',')}]` : `a ${ot.kind}`;
    ctx.fail('TYPE_ERROR', `${name} must return ${xt.dtype}[${xt.shape.join(',')}] (its input's type), it returns ${got}`);
  }
  return out;
}

function flexAttention(ctx: ConvertContext): ValueId[] {
  const [q, k, v] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  const dt = ctx.tensorTypeOf(q).dtype;
  if (!isFloat(dt)) ctx.fail('TYPE_ERROR', `FlexAttention needs float inputs, got ${dt}`);
  if (ctx.tensorTypeOf(k).dtype !== dt || ctx.tensorTypeOf(v).dtype !== dt) ctx.fail('TYPE_ERROR', 'Q, K and V must share a dtype');
  const [b, hq, , e] = rank4(ctx, 0, 'Q') as [number, number, number, number];
  const [bk, hkv, s, ek] = rank4(ctx, 1, 'K') as [number, number, number, number];
  const [bv, hv, sv] = rank4(ctx, 2, 'V') as [number, number, number, number];
  if (bk !== b || bv !== b) ctx.fail('SHAPE_ERROR', `batch sizes differ: Q ${b}, K ${bk}, V ${bv}`);
  if (hv !== hkv || sv !== s) ctx.fail('SHAPE_ERROR', `K [${hkv} heads, ${s} keys] and V [${hv} heads, ${sv} keys] must agree`);
  if (ek !== e) ctx.fail('SHAPE_ERROR', `Q and K head sizes differ: ${e} and ${ek}`);
  if (hkv === 0 || hq % hkv !== 0) ctx.fail('SHAPE_ERROR', `${hq} query heads are not a multiple of ${hkv} key/value heads`);

  let cdt: DType = dt === 'float64' ? 'float64' : 'float32';
  if (ctx.attrs.has('softmax_precision')) {
    const code = ctx.attrs.requiredInt('softmax_precision');
    const p = dtypeFromOnnx(code);
    if (p === undefined || !SOFTMAX_DTYPES.includes(p)) ctx.attrs.unsupported('softmax_precision', `type code ${code} is not float, float16, bfloat16 or double`);
    cdt = p;
  }
  // sqrt(scale) in float32 (the spec computes the scale factor in float32), then in the input dtype.
  const scale = ctx.attrs.float('scale') ?? Math.fround(1 / Math.fround(Math.sqrt(e)));
  const rootScale = roundToDType(Math.fround(Math.sqrt(scale)), dt as FloatDType);
  const preScale = (x: ValueId) => ctx.emit1({ kind: 'map', expr: bin('mul', arg(0), lit(rootScale, dt)) }, [x]);
  const group = hq / hkv;
  const kAligned = repeatHeads(ctx, k, group);
  const vAligned = repeatHeads(ctx, v, group);
  const toCompute = (x: ValueId) => (dt === cdt ? x : ctx.emit1({ kind: 'map', expr: cast(cdt, arg(0)) }, [x]));

  const scores = toCompute(ctx.b.einsum('bhqd,bhkd->bhqk', [preScale(q), preScale(kAligned)]));
  const modified = applyModifier(ctx, 'score_mod', scores);
  const probs = applyModifier(ctx, 'prob_mod', ctx.emit1({ kind: 'softmax', axis: 3, log: false }, [modified]));
  const y = ctx.b.einsum('bhqk,bhkd->bhqd', [probs, toCompute(vAligned)]);
  return [cdt === dt ? y : ctx.emit1({ kind: 'map', expr: cast(dt, arg(0)) }, [y])];
}

/** The ai.onnx.preview domain. */
export const PREVIEW: ConverterTable = {
  FlexAttention: { since: 1, convert: flexAttention },
};
