// LinearAttention (opset 27): a recurrent state S[B, H_kv, d_k, d_v] updated token by token with the linear,
// gated (S *= exp(g)), delta (write beta * (v - Sᵀk)) or gated_delta rule, read by every query head of its
// group (o = scale * qᵀS). Lowered by unrolling the recurrence over the static sequence length in float32
// (as the reference does), each step a few maps and two small contractions the backend compiles directly.

import { type DType, type ValueId, arg, bin, cast, lit, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { sliceAxes } from './movement.js';
import { reshapeTo } from './shape-ops.js';

/** Longest sequence unrolled; beyond it the graph grows too large to be a sensible lowering. */
const MAX_UNROLLED_STEPS = 4096;

const UPDATE_RULES = ['linear', 'gated', 'delta', 'gated_delta'] as const;
type UpdateRule = (typeof UPDATE_RULES)[number];

function staticDims(ctx: ConvertContext, id: ValueId, what: string): number[] {
  return ctx.shapeOf(id).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `${what} has symbolic dim ${d}; pin input shapes`)));
}

export function linearAttention(ctx: ConvertContext): ValueId[] {
  const F32: DType = 'float32';
  const map = (e: Parameters<typeof bin>[1], ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  const toF32 = (id: ValueId) => (ctx.tensorTypeOf(id).dtype === F32 ? id : map(cast(F32, arg(0)), [id]));

  const rule = ctx.attrs.string('update_rule', 'gated_delta');
  if (!(UPDATE_RULES as readonly string[]).includes(rule)) ctx.attrs.unsupported('update_rule', `"${rule}" is not one of ${UPDATE_RULES.join(', ')}`);
  const gating = rule === 'gated' || rule === 'gated_delta';
  const delta = (rule as UpdateRule) === 'delta' || rule === 'gated_delta';
  const qh = ctx.attrs.requiredInt('q_num_heads');
  const kvh = ctx.attrs.requiredInt('kv_num_heads');
  if (qh <= 0 || kvh <= 0 || qh % kvh !== 0) ctx.fail('INVALID_MODEL', `q_num_heads (${qh}) must be a positive multiple of kv_num_heads (${kvh})`);
  ctx.attrs.int('chunk_size'); // a tuning hint for chunked kernels; the result does not depend on it

  const query = ctx.input(0);
  const key = ctx.input(1);
  const value = ctx.input(2);
  const past = ctx.optInput(3);
  const decay = ctx.optInput(4);
  const beta = ctx.optInput(5);
  if (gating !== (decay !== undefined)) ctx.fail('INVALID_MODEL', `update_rule "${rule}" ${gating ? 'requires' : 'forbids'} the decay input`);
  if (delta !== (beta !== undefined)) ctx.fail('INVALID_MODEL', `update_rule "${rule}" ${delta ? 'requires' : 'forbids'} the beta input`);

  const qs = staticDims(ctx, query, 'query');
  const ks = staticDims(ctx, key, 'key');
  const vs = staticDims(ctx, value, 'value');
  if (qs.length !== 3 || ks.length !== 3 || vs.length !== 3) ctx.fail('SHAPE_ERROR', 'query, key and value must be rank 3 (B, T, H*D)');
  const [B, T] = qs as [number, number];
  if (qs[2]! % qh !== 0 || vs[2]! % kvh !== 0) ctx.fail('SHAPE_ERROR', 'packed head dims are not divisible by the head counts');
  const dk = qs[2]! / qh;
  const dv = vs[2]! / kvh;
  const G = qh / kvh;
  if (ks[0] !== B || ks[1] !== T || ks[2] !== kvh * dk) ctx.fail('SHAPE_ERROR', `key must be [${B}, ${T}, ${kvh * dk}], got [${ks.join(',')}]`);
  if (vs[0] !== B || vs[1] !== T) ctx.fail('SHAPE_ERROR', `value must be [${B}, ${T}, H_kv*d_v], got [${vs.join(',')}]`);
  if (T > MAX_UNROLLED_STEPS) ctx.fail('UNSUPPORTED_OP', `LinearAttention over ${T} tokens (the recurrence is unrolled up to ${MAX_UNROLLED_STEPS})`);

  const outDtype = ctx.tensorTypeOf(query).dtype;
  const stateDtype = past !== undefined ? ctx.tensorTypeOf(past).dtype : outDtype;
  const scaleAttr = ctx.attrs.float('scale', 0);
  const scale = scaleAttr === 0 ? 1 / Math.sqrt(dk) : scaleAttr;

  const q = toF32(query);
  const k = toF32(key);
  const v = toF32(value);
  // exp of the log-space decay, per head (last dim H_kv) or per key dim (last dim H_kv*d_k).
  let expDecay: ValueId | undefined;
  let decayWidth = 1;
  if (decay !== undefined) {
    const ds = staticDims(ctx, decay, 'decay');
    if (ds.length !== 3 || ds[0] !== B || ds[1] !== T) ctx.fail('SHAPE_ERROR', `decay must be [${B}, ${T}, ...], got [${ds.join(',')}]`);
    if (ds[2] === kvh) decayWidth = 1;
    else if (ds[2] === kvh * dk) decayWidth = dk;
    else ctx.fail('SHAPE_ERROR', `decay last dim ${ds[2]} must be kv_num_heads (${kvh}) or kv_num_heads*d_k (${kvh * dk})`);
    expDecay = map(un('exp', arg(0)), [toF32(decay)]);
  }
  let betaHeads = 1;
  let betaF: ValueId | undefined;
  if (beta !== undefined) {
    const bs = staticDims(ctx, beta, 'beta');
    if (bs.length !== 3 || bs[0] !== B || bs[1] !== T || (bs[2] !== kvh && bs[2] !== 1)) {
      ctx.fail('SHAPE_ERROR', `beta must be [${B}, ${T}, ${kvh} or 1], got [${bs.join(',')}]`);
    }
    betaHeads = bs[2]!;
    betaF = toF32(beta);
  }
  let state: ValueId | undefined;
  if (past !== undefined) {
    const ps = staticDims(ctx, past, 'past_state');
    if (ps.join(',') !== [B, kvh, dk, dv].join(',')) ctx.fail('SHAPE_ERROR', `past_state must be [${B}, ${kvh}, ${dk}, ${dv}], got [${ps.join(',')}]`);
    state = toF32(past);
  }

  /** Token t of a [B, T, W] tensor, reshaped to `shape`. */
  const step = (x: ValueId, t: number, shape: number[]) => reshapeTo(ctx, sliceAxes(ctx, x, [1], [t], [t + 1], [1]), shape);
  const outs: ValueId[] = [];
  for (let t = 0; t < T; t++) {
    if (expDecay !== undefined && state !== undefined) state = map(bin('mul', arg(0), arg(1)), [state, step(expDecay, t, [B, kvh, decayWidth, 1])]);
    const kt = step(k, t, [B, kvh, dk]);
    let vt = step(v, t, [B, kvh, dv]);
    if (betaF !== undefined) {
      const bt = step(betaF, t, [B, betaHeads, 1]);
      vt = state === undefined
        ? map(bin('mul', arg(0), arg(1)), [bt, vt])
        : map(bin('mul', arg(0), bin('sub', arg(1), arg(2))), [bt, vt, ctx.b.einsum('bhdm,bhd->bhm', [state, kt])]);
    }
    const kCol = reshapeTo(ctx, kt, [B, kvh, dk, 1]);
    const vRow = reshapeTo(ctx, vt, [B, kvh, 1, dv]);
    state = state === undefined
      ? map(bin('mul', arg(0), arg(1)), [kCol, vRow])
      : map(bin('add', arg(0), bin('mul', arg(1), arg(2))), [state, kCol, vRow]);
    // Query heads h = kv * G + g read KV head kv's state.
    const ot = ctx.b.einsum('bhgd,bhdm->bhgm', [step(q, t, [B, kvh, G, dk]), state]);
    outs.push(reshapeTo(ctx, ot, [B, 1, qh * dv]));
  }
  const stacked = outs.length === 0
    ? ctx.b.constant({ dtype: F32, shape: [B, 0, qh * dv], data: new Float64Array(0) })
    : outs.length === 1 ? outs[0]! : ctx.emit1({ kind: 'concat', axis: 1 }, outs);
  const scaled = bin('mul', arg(0), lit(scale, F32));
  const output = map(outDtype === F32 ? scaled : cast(outDtype, scaled), [stacked]);
  if (state === undefined) {
    // T = 0 with no past state: the state stays zero.
    state = ctx.b.constant({ dtype: F32, shape: [B, kvh, dk, dv], data: new Float64Array(B * kvh * dk * dv) });
  }
  const present = stateDtype === F32 ? state : map(cast(stateDtype, arg(0)), [state]);
  return [output, present];
}
