// ONNX Attention (opsets 23/24): optional 3-D inputs split into heads, past/present KV cache, grouped-query
// heads, boolean or additive masks, causal masking aligned to the cache, nonpad_kv_seqlen padding, softcap,
// scale, the qk_matmul_output modes and fully-masked rows (which yield zeros). Lowered as contract (QKᵀ),
// maps (scale + softcap, then bias), softmax and contract (PV), the shape the fusion passes recognize.
// The family table also holds RotaryEmbedding, LinearAttention, CausalConvWithState and SwiGLU (siblings).

import { type DType, type ValueId, arg, bin, cast, dtypeFromOnnx, lit, select, un } from '@tensorc/ir';
import { causalConvWithState, swiGLU } from './attention-gated.js';
import { linearAttention } from './attention-linear.js';
import { rotaryEmbedding } from './attention-rotary.js';
import type { ConvertContext } from './context.js';
import { checkTableSize } from './limits.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

function staticDims(ctx: ConvertContext, id: ValueId): number[] {
  return ctx.shapeOf(id).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `Attention on symbolic dim ${d}; pin input shapes`)));
}

/** [B, S, H*D] -> [B, H, S, D] */
function splitHeads(ctx: ConvertContext, x: ValueId, heads: number): ValueId {
  const [b, s, hidden] = staticDims(ctx, x) as [number, number, number];
  if (hidden % heads !== 0) ctx.fail('SHAPE_ERROR', `hidden size ${hidden} is not divisible by ${heads} heads`);
  return ctx.emit1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [reshapeTo(ctx, x, [b, s, heads, hidden / heads])]);
}

function convertAttention(ctx: ConvertContext): ValueId[] {
  const map = (e: Parameters<typeof bin>[1], ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  let q = ctx.input(0);
  let k = ctx.input(1);
  let v = ctx.input(2);
  const mask = ctx.optInput(3);
  const pastK = ctx.optInput(4);
  const pastV = ctx.optInput(5);
  const nonpad = ctx.opset >= 24 ? ctx.optInput(6) : undefined;
  const dt: DType = ctx.tensorTypeOf(q).dtype;
  const qRank = ctx.rankOf(q);
  if (ctx.rankOf(k) !== qRank || ctx.rankOf(v) !== qRank) {
    ctx.fail('SHAPE_ERROR', `Q, K and V must have the same rank (3 or 4), got ${qRank}, ${ctx.rankOf(k)} and ${ctx.rankOf(v)}`);
  }
  const rank3 = qRank === 3;
  if (rank3) {
    const qh = ctx.attrs.requiredInt('q_num_heads');
    const kvh = ctx.attrs.requiredInt('kv_num_heads');
    q = splitHeads(ctx, q, qh);
    k = splitHeads(ctx, k, kvh);
    v = splitHeads(ctx, v, kvh);
  } else if (ctx.rankOf(q) !== 4) {
    ctx.fail('SHAPE_ERROR', `Attention inputs must be 3-D or 4-D, got rank ${ctx.rankOf(q)}`);
  }
  if ((pastK === undefined) !== (pastV === undefined)) ctx.fail('INVALID_MODEL', 'past_key and past_value must come together');
  if (pastK !== undefined) {
    k = ctx.emit1({ kind: 'concat', axis: 2 }, [pastK, k]);
    v = ctx.emit1({ kind: 'concat', axis: 2 }, [pastV!, v]);
  }
  const presentK = k;
  const presentV = v;
  const [B, QH, QS, D] = staticDims(ctx, q) as [number, number, number, number];
  const [, KH, KS] = staticDims(ctx, k) as [number, number, number, number];
  const pastLen = pastK !== undefined ? staticDims(ctx, pastK)[2]! : 0;
  // Grouped-query attention: each KV head serves G = QH / KH query heads (h0, h0, h1, h1, ...). The query heads
  // are split as [KH, G] and the products run over (b, kv head, g), so K and V are read once per KV head with
  // no copy that repeats them; scores are [B, KH, G, QS, KS] until the outputs merge the heads back.
  if (QH % KH !== 0) ctx.fail('SHAPE_ERROR', `${QH} query heads are not a multiple of ${KH} key/value heads`);
  const G = QH / KH;
  const grouped = G !== 1;
  const heads4 = (x: ValueId, last: number) => (grouped ? reshapeTo(ctx, x, [B, QH, QS, last]) : x);
  const scale = ctx.attrs.float('scale') ?? 1 / Math.sqrt(D);
  // QKᵀ, then one elementwise epilogue: scale and softcap (cap * tanh(x / cap)).
  const softcap = ctx.attrs.float('softcap', 0);
  const scaled = bin('mul', arg(0), lit(scale, dt));
  const epilogue = softcap > 0 ? bin('mul', un('tanh', bin('div', scaled, lit(softcap, dt))), lit(softcap, dt)) : scaled;
  const qkRaw = grouped ? ctx.b.einsum('bhgqd,bhkd->bhgqk', [reshapeTo(ctx, q, [B, KH, G, QS, D]), k]) : ctx.b.einsum('bhqd,bhkd->bhqk', [q, k]);
  const qk = map(epilogue, [qkRaw]);

  // Additive bias from the mask, causal structure and padding (0 = attend, -inf = masked).
  const ninf = lit(-Infinity, dt);
  const zero = lit(0, dt);
  let bias: ValueId | undefined;
  if (mask !== undefined) {
    let m = mask;
    const ms = staticDims(ctx, m);
    const last = ms[ms.length - 1]!;
    const isBool = ctx.tensorTypeOf(m).dtype === 'bool';
    if (last < KS) m = ctx.emit1({ kind: 'pad', mode: 'constant', low: ms.map(() => 0), high: ms.map((_, i) => (i === ms.length - 1 ? KS - last : 0)), interior: ms.map(() => 0), value: isBool ? 0 : -Infinity }, [m]);
    bias = isBool ? map(select(arg(0), zero, ninf), [m]) : m;
  }
  const isCausal = ctx.attrs.int('is_causal', 0) === 1;
  const lens = nonpad !== undefined ? Array.from(ctx.requireConst(6, 'nonpad_kv_seqlen').data as ArrayLike<bigint>, Number) : undefined;
  if (isCausal) {
    // Query i (of this block) attends key j iff j <= i + offset, offset = cached length (or per batch from nonpad_kv_seqlen).
    const offsets = pastK === undefined && lens ? lens.map((l) => l - QS) : [pastLen];
    checkTableSize(ctx, offsets.length * QS * KS, 'Attention causal mask');
    const data = new Float64Array(offsets.length * QS * KS);
    offsets.forEach((o, b) => { for (let i = 0; i < QS; i++) for (let j = 0; j < KS; j++) data[(b * QS + i) * KS + j] = j <= i + o ? 0 : -Infinity; });
    const causal = ctx.b.constant({ dtype: dt, shape: offsets.length > 1 ? [offsets.length, 1, QS, KS] : [QS, KS], data });
    bias = bias === undefined ? causal : map(bin('add', arg(0), arg(1)), [bias, causal]);
  }
  if (lens) {
    checkTableSize(ctx, B * KS, 'Attention padding mask');
    const data = new Float64Array(B * KS);
    lens.forEach((l, b) => { for (let j = 0; j < KS; j++) data[b * KS + j] = j < l ? 0 : -Infinity; });
    const pad = ctx.b.constant({ dtype: dt, shape: [B, 1, 1, KS], data });
    bias = bias === undefined ? pad : map(bin('add', arg(0), arg(1)), [bias, pad]);
  }
  // The bias broadcasts to [B, QH, QS, KS]; grouped, its head dim (QH or 1) splits as the queries' did.
  const groupedBias = (x: ValueId): ValueId => {
    if (!grouped) return x;
    const bs = [...Array(4 - ctx.rankOf(x)).fill(1), ...staticDims(ctx, x)] as number[];
    return reshapeTo(ctx, x, [bs[0]!, bs[1] === 1 ? 1 : KH, bs[1] === 1 ? 1 : G, bs[2]!, bs[3]!]);
  };
  const gBias = bias === undefined ? undefined : groupedBias(bias);
  let logits = gBias === undefined ? qk : map(bin('add', arg(0), arg(1)), [qk, gBias]);
  const mode = ctx.attrs.int('qk_matmul_output_mode', 0);
  const precision = ctx.attrs.has('softmax_precision') ? dtypeFromOnnx(ctx.attrs.requiredInt('softmax_precision')) : undefined;
  const smDt = precision ?? dt;
  if (smDt !== dt) logits = map(cast(smDt, arg(0)), [logits]);
  const probs = ctx.emit1({ kind: 'softmax', axis: ctx.rankOf(logits) - 1, log: false }, [logits]);
  // A row whose bias masks every key attends nothing: its probabilities are 0 (not NaN) and so is its output
  // (Y = 0, the spec's convention). The output is zeroed after PV, which keeps softmax -> PV adjacent so the
  // fusion passes can still make one attention kernel with a run-time mask.
  const rowMax = gBias === undefined ? undefined : ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [ctx.rankOf(gBias) - 1], keepDims: true }, [gBias]);
  const guard = (x: ValueId, t: DType) => (rowMax === undefined ? x : map(select(un('isneginf', arg(1)), lit(0, t), arg(0)), [x, rowMax]));
  const toDt = (x: ValueId) => (smDt !== dt ? map(cast(dt, arg(0)), [x]) : x);
  const dvOut = staticDims(ctx, v)[3]!;
  const pv = guard(grouped ? ctx.b.einsum('bhgqk,bhkd->bhgqd', [toDt(probs), v]) : ctx.b.einsum('bhqk,bhkd->bhqd', [toDt(probs), v]), dt);
  let y = heads4(pv, dvOut);
  if (rank3) {
    const dv = staticDims(ctx, y)[3]!;
    y = reshapeTo(ctx, ctx.emit1({ kind: 'transpose', perm: [0, 2, 1, 3] }, [y]), [B, QS, QH * dv]);
  }
  // Modes (spec): 0 scaled QKᵀ, 1 after softcap, 2 after softcap and bias, 3 the (guarded) probabilities.
  if (mode < 0 || mode > 3) ctx.attrs.unsupported('qk_matmul_output_mode', `${mode} is not 0, 1, 2 or 3`);
  const qkOut = heads4(mode === 3 ? toDt(guard(probs, smDt))
    : mode === 2 ? (gBias === undefined ? qk : map(bin('add', arg(0), arg(1)), [qk, gBias]))
    : mode === 0 && softcap > 0 ? map(scaled, [qkRaw]) : qk, KS);
  return [y, presentK, presentV, qkOut];
}

export const ATTENTION: ConverterTable = {
  Attention: { since: 23, convert: convertAttention },
  RotaryEmbedding: { since: 23, convert: rotaryEmbedding },
  LinearAttention: { since: 27, convert: linearAttention },
  CausalConvWithState: { since: 27, convert: causalConvWithState },
  SwiGLU: { since: 28, convert: swiGLU },
};
