// RNN, GRU and LSTM (ONNX semantics: gate orders, both directions, activations, clip, initial states,
// peepholes, sequence_lens, layout), unrolled over the (static) sequence: the input projection for all
// steps is one contraction; each step adds the recurrent projection and applies the gates as maps.

import { type DType, type ScalarExpr, type ValueId, arg, bin, lit, select } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { MAX_UNROLLED_STEPS } from './limits.js';
import { activation, activationsFor } from './recurrent-activations.js';
import type { ConverterTable } from './registry-types.js';
import { sliceAxes } from './movement.js';
import { reshapeTo } from './shape-ops.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';
const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTS: Record<Kind, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

function num(ctx: ConvertContext, d: number | string, what: string): number {
  return typeof d === 'number' ? d : ctx.fail('UNSUPPORTED_OP', `${what} is symbolic (${d}); pin input shapes`);
}

function convertRecurrent(kind: Kind, ctx: ConvertContext): ValueId[] {
  const map = (e: ScalarExpr, ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  const slice = (x: ValueId, axis: number, start: number, len: number) => sliceAxes(ctx, x, [axis], [start], [start + len], [1]);
  const layout = ctx.opset >= 14 ? ctx.attrs.int('layout', 0) : 0;
  let x = ctx.input(0);
  if (layout === 1) x = ctx.emit1({ kind: 'transpose', perm: [1, 0, 2] }, [x]);
  const xt = ctx.tensorTypeOf(x);
  const dt: DType = xt.dtype;
  const S = num(ctx, xt.shape[0]!, 'sequence length');
  const B = num(ctx, xt.shape[1]!, 'batch size');
  const H = ctx.attrs.requiredInt('hidden_size');
  const G = GATES[kind];
  const direction = ctx.attrs.string('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) ctx.attrs.unsupported('direction', `"${direction}"`);
  const D = direction === 'bidirectional' ? 2 : 1;
  if (S * D > MAX_UNROLLED_STEPS) ctx.fail('LIMIT_EXCEEDED', `sequence length ${S} x ${D} direction(s) is more than the ${MAX_UNROLLED_STEPS} steps ${kind} is unrolled into`);
  const clip = ctx.attrs.float('clip');
  const c = (v: number) => lit(v, dt);
  const clipped = (e: ScalarExpr) => (clip === undefined ? e : bin('max', c(-clip), bin('min', c(clip), e)));
  const linearBeforeReset = kind === 'GRU' && ctx.attrs.int('linear_before_reset', 0) !== 0;
  const inputForget = kind === 'LSTM' && ctx.attrs.int('input_forget', 0) !== 0;
  const W = ctx.input(1);
  const R = ctx.input(2);
  const Bias = ctx.optInput(3);
  const seqLens = ctx.optInput(4);
  const h0 = ctx.optInput(5);
  const c0 = kind === 'LSTM' ? ctx.optInput(6) : undefined;
  const P = kind === 'LSTM' ? ctx.optInput(7) : undefined;
  // Which batch entries are still inside their sequence at step t (sequence_lens), as a bool [B, 1] mask.
  let lens: number[] | undefined;
  if (seqLens !== undefined) {
    const k = ctx.constInput(4);
    lens = k ? Array.from(k.data as ArrayLike<number | bigint>, Number) : undefined;
    if (!lens) return ctx.notKnown(4, 'sequence_lens');
    if (lens.every((l) => l === S)) lens = undefined;
  }
  const zeros = (shape: number[]) => ctx.b.constant({ dtype: dt, shape, data: new Float64Array(shape.reduce((a, b2) => a * b2, 1)) });
  const ys: ValueId[] = [];
  const hs: ValueId[] = [];
  const cs: ValueId[] = [];
  for (let d = 0; d < D; d++) {
    const reverse = direction === 'reverse' || d === 1;
    if (reverse && lens) ctx.fail('UNSUPPORTED_ATTRIBUTE', 'sequence_lens shorter than the sequence in the reverse direction');
    const { names, alphas, betas } = activationsFor(ctx, DEFAULT_ACTS[kind], D, d);
    const act = (i: number, e: ScalarExpr) => activation(ctx, names[i]!, alphas[i], betas[i], dt, e);
    const Wd = reshapeTo(ctx, slice(W, 0, d, 1), [G * H, num(ctx, ctx.shapeOf(W)[2]!, 'input size')]);
    const Rd = reshapeTo(ctx, slice(R, 0, d, 1), [G * H, H]);
    // Input projection for every step at once: [S, B, G*H] (+ input bias, and the recurrent bias where it can be merged).
    let xw = ctx.b.einsum('sbi,gi->sbg', [x, Wd]);
    let rb: ValueId | undefined;
    if (Bias !== undefined) {
      const Bd = reshapeTo(ctx, slice(Bias, 0, d, 1), [2 * G * H]);
      const wb = slice(Bd, 0, 0, G * H);
      rb = slice(Bd, 0, G * H, G * H);
      if (!linearBeforeReset) {
        xw = map(bin('add', bin('add', arg(0), arg(1)), arg(2)), [xw, wb, rb]);
        rb = undefined;
      } else {
        xw = map(bin('add', arg(0), arg(1)), [xw, wb]);
      }
    }
    let h = h0 !== undefined ? reshapeTo(ctx, slice(h0, 0, d, 1), [B, H]) : zeros([B, H]);
    let cell = c0 !== undefined ? reshapeTo(ctx, slice(c0, 0, d, 1), [B, H]) : zeros([B, H]);
    const peep = P !== undefined ? reshapeTo(ctx, slice(P, 0, d, 1), [3 * H]) : undefined;
    const pI = peep !== undefined ? slice(peep, 0, 0, H) : undefined;
    const pO = peep !== undefined ? slice(peep, 0, H, H) : undefined;
    const pF = peep !== undefined ? slice(peep, 0, 2 * H, H) : undefined;
    const steps: ValueId[] = new Array<ValueId>(S);
    for (let s = 0; s < S; s++) {
      const t = reverse ? S - 1 - s : s;
      const xwT = reshapeTo(ctx, slice(xw, 0, t, 1), [B, G * H]);
      const gate = (g: number, v: ValueId) => slice(v, 1, g * H, H);
      const hr = ctx.b.einsum('bh,gh->bg', [h, Rd]);
      let hNew: ValueId;
      let cNew: ValueId | undefined;
      if (kind === 'RNN') {
        hNew = map(act(0, clipped(bin('add', arg(0), arg(1)))), [xwT, hr]);
      } else if (kind === 'GRU') {
        // gate order z, r, h
        // With linear_before_reset the recurrent bias stays separate (it sits inside r * (...)); add it to z and r here.
        const zr = (g: number) => (rb === undefined
          ? map(act(0, clipped(bin('add', arg(0), arg(1)))), [gate(g, xwT), gate(g, hr)])
          : map(act(0, clipped(bin('add', bin('add', arg(0), arg(1)), arg(2)))), [gate(g, xwT), gate(g, hr), slice(rb, 0, g * H, H)]));
        const z = zr(0);
        const r = zr(1);
        let hh: ValueId;
        if (linearBeforeReset) {
          const rbH = rb !== undefined ? slice(rb, 0, 2 * H, H) : zeros([H]);
          hh = map(act(1, clipped(bin('add', arg(0), bin('mul', arg(1), bin('add', arg(2), arg(3)))))), [gate(2, xwT), r, gate(2, hr), rbH]);
        } else {
          const rh = map(bin('mul', arg(0), arg(1)), [r, h]);
          const rR = ctx.b.einsum('bh,gh->bg', [rh, slice(Rd, 0, 2 * H, H)]);
          hh = map(act(1, clipped(bin('add', arg(0), arg(1)))), [gate(2, xwT), rR]);
        }
        hNew = map(bin('add', bin('mul', bin('sub', c(1), arg(0)), arg(1)), bin('mul', arg(0), arg(2))), [z, hh, h]);
      } else {
        // gate order i, o, f, c; peepholes P = [Pi, Po, Pf]
        const pre = (g: number) => map(bin('add', arg(0), arg(1)), [gate(g, xwT), gate(g, hr)]);
        const withPeep = (v: ValueId, p: ValueId | undefined, cc: ValueId) => (p === undefined ? v : map(bin('add', arg(0), bin('mul', arg(1), arg(2))), [v, p, cc]));
        const i = map(act(0, clipped(arg(0))), [withPeep(pre(0), pI, cell)]);
        const f = inputForget ? map(bin('sub', c(1), arg(0)), [i]) : map(act(0, clipped(arg(0))), [withPeep(pre(2), pF, cell)]);
        const g = map(act(1, clipped(arg(0))), [pre(3)]);
        cNew = map(bin('add', bin('mul', arg(0), arg(1)), bin('mul', arg(2), arg(3))), [f, cell, i, g]);
        const o = map(act(0, clipped(arg(0))), [withPeep(pre(1), pO, cNew)]);
        hNew = map(bin('mul', arg(0), act(2, arg(1))), [o, cNew]);
      }
      if (lens) {
        // Past its length a batch entry keeps its state and outputs zeros.
        const valid = ctx.b.constant({ dtype: 'bool', shape: [B, 1], data: Float64Array.from(lens, (l) => (t < l ? 1 : 0)) });
        steps[t] = map(select(arg(0), arg(1), c(0)), [valid, hNew]);
        hNew = map(select(arg(0), arg(1), arg(2)), [valid, hNew, h]);
        if (cNew !== undefined) cNew = map(select(arg(0), arg(1), arg(2)), [valid, cNew, cell]);
      } else {
        steps[t] = hNew;
      }
      h = hNew;
      if (cNew !== undefined) cell = cNew;
    }
    ys.push(ctx.emit1({ kind: 'concat', axis: 0 }, steps.map((v) => reshapeTo(ctx, v, [1, 1, B, H]))));
    hs.push(reshapeTo(ctx, h, [1, B, H]));
    cs.push(reshapeTo(ctx, cell, [1, B, H]));
  }
  const cat = (vs: ValueId[], axis: number) => (vs.length === 1 ? vs[0]! : ctx.emit1({ kind: 'concat', axis }, vs));
  let y = cat(ys, 1); // [S, D, B, H]
  let yh = cat(hs, 0); // [D, B, H]
  let yc = cat(cs, 0);
  if (layout === 1) {
    y = ctx.emit1({ kind: 'transpose', perm: [2, 0, 1, 3] }, [y]);
    yh = ctx.emit1({ kind: 'transpose', perm: [1, 0, 2] }, [yh]);
    yc = ctx.emit1({ kind: 'transpose', perm: [1, 0, 2] }, [yc]);
  }
  return kind === 'LSTM' ? [y, yh, yc] : [y, yh];
}

export const RECURRENT: ConverterTable = {
  RNN: { since: 1, convert: (ctx) => convertRecurrent('RNN', ctx) },
  GRU: { since: 1, convert: (ctx) => convertRecurrent('GRU', ctx) },
  LSTM: { since: 1, convert: (ctx) => convertRecurrent('LSTM', ctx) },
};
