// Gated building blocks of modern sequence models: SwiGLU (opset 28, Swish(A) * B) and CausalConvWithState
// (opset 27, a causal depthwise 1-D convolution carrying its last k-1 inputs as state, with optional SiLU).
// The convolution is a grouped `contract` via b.conv so it compiles like any depthwise Conv.

import { type DType, type ValueId, arg, bin, cast, lit, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { sliceAxes } from './movement.js';
import { reshapeTo } from './shape-ops.js';

/** Y = A * sigmoid(alpha * A) * B; A and B must have identical shapes (no broadcasting). */
export function swiGLU(ctx: ConvertContext): ValueId[] {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const ta = ctx.tensorTypeOf(a);
  const tb = ctx.tensorTypeOf(b);
  if (ta.dtype !== tb.dtype) ctx.fail('TYPE_ERROR', `SwiGLU inputs differ in dtype (${ta.dtype} vs ${tb.dtype})`);
  if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
    ctx.fail('SHAPE_ERROR', `SwiGLU inputs must have identical shapes, got [${ta.shape.join(',')}] and [${tb.shape.join(',')}]`);
  }
  const dt = ta.dtype;
  const alpha = ctx.attrs.float('alpha', 1);
  const gate = bin('mul', arg(0), un('sigmoid', bin('mul', lit(alpha, dt), arg(0))));
  return [ctx.emit1({ kind: 'map', expr: bin('mul', gate, arg(1)) }, [a, b])];
}

function staticDims(ctx: ConvertContext, id: ValueId, what: string): number[] {
  return ctx.shapeOf(id).map((d) => (typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `${what} has symbolic dim ${d}; pin input shapes`)));
}

/** x * sigmoid(x), evaluated in float32 for half-precision inputs as the reference does. */
function silu(ctx: ConvertContext, x: ValueId, dt: DType): ValueId {
  const wide: DType = dt === 'float64' ? 'float64' : 'float32';
  const xs = dt === wide ? arg(0) : cast(wide, arg(0));
  const y = bin('mul', xs, un('sigmoid', xs));
  return ctx.emit1({ kind: 'map', expr: dt === wide ? y : cast(dt, y) }, [x]);
}

export function causalConvWithState(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const w = ctx.input(1);
  const bias = ctx.optInput(2);
  const past = ctx.optInput(3);
  const activation = ctx.attrs.string('activation', 'none');
  if (activation !== 'none' && activation !== 'silu' && activation !== 'swish') {
    ctx.attrs.unsupported('activation', `"${activation}" is not one of none, silu, swish`);
  }
  const [B, C, L] = staticDims(ctx, x, 'input') as [number, number, number];
  if (ctx.rankOf(x) !== 3) ctx.fail('SHAPE_ERROR', `input must be rank 3 (batch, channels, length), got rank ${ctx.rankOf(x)}`);
  const ws = staticDims(ctx, w, 'weight');
  if (ws.length !== 3 || ws[0] !== C || ws[1] !== 1) ctx.fail('SHAPE_ERROR', `weight must be [${C}, 1, k], got [${ws.join(',')}]`);
  const k = ws[2]!;
  if (k < 1) ctx.fail('SHAPE_ERROR', `kernel size must be >= 1, got ${k}`);
  const dt = ctx.tensorTypeOf(x).dtype;

  // The causal window: past state (or zeros) followed by the input, length L + k - 1.
  let padded: ValueId;
  if (past !== undefined) {
    const ps = staticDims(ctx, past, 'past_state');
    if (ps.length !== 3 || ps[0] !== B || ps[1] !== C || ps[2] !== k - 1) {
      ctx.fail('SHAPE_ERROR', `past_state must be [${B}, ${C}, ${k - 1}], got [${ps.join(',')}]`);
    }
    padded = k === 1 ? x : ctx.emit1({ kind: 'concat', axis: 2 }, [past, x]);
  } else {
    padded = k === 1 ? x : ctx.emit1({ kind: 'pad', mode: 'constant', low: [0, 0, k - 1], high: [0, 0, 0], interior: [0, 0, 0], value: 0 }, [x]);
  }
  let y = ctx.b.conv({ x: padded, w, strides: [1], dilations: [1], pads: [0, 0], group: C });
  if (bias !== undefined) y = ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [y, reshapeTo(ctx, bias, [C, 1])]);
  if (activation !== 'none') y = silu(ctx, y, dt);
  const total = L + k - 1;
  const present = sliceAxes(ctx, padded, [2], [total - (k - 1)], [total], [1]);
  return [y, present];
}
