// Reference kernel of the routed-experts op (Mixture of Experts): per token, the top-k experts by score
// (ties to the lower index) and their gate weights; each expert's body runs once on just its tokens (in
// token order; experts without tokens do not run); outputs are combined in float64 and rounded once.

import { CompileError } from '../errors.js';
import type { OpOf } from '../ops.js';
import { isFloatDType, roundToDType } from '../numeric/index.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import type { TensorType, ValueType } from '../types.js';
import type { InterpContext } from './kernel-types.js';
import { dimOrZero } from './kernels-control-utils.js';
import { makeTensor, num, runtimeError, sizeOf, tensorArg } from './tensor-utils.js';

function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Expert indices by descending score, ties to the lower index; NaN ranks above everything (as torch.topk). */
function rankExperts(row: readonly number[]): number[] {
  const key = (e: number) => (Number.isNaN(row[e]!) ? Infinity : row[e]!);
  const nan = (e: number) => (Number.isNaN(row[e]!) ? 1 : 0);
  return row.map((_, e) => e).sort((a, b) => nan(b) - nan(a) || (key(b) > key(a) ? 1 : key(b) < key(a) ? -1 : 0) || a - b);
}

/** Rows `rows` of a tensor's first axis. */
function takeRows(t: HostTensor, rows: readonly number[]): HostTensor {
  const inner = sizeOf(t.shape.slice(1));
  const out = makeTensor(t.dtype, [rows.length, ...t.shape.slice(1)]);
  const src = t.data as { [i: number]: unknown };
  const dst = out.data as { [i: number]: unknown };
  rows.forEach((r, i) => {
    for (let c = 0; c < inner; c++) dst[i * inner + c] = src[r * inner + c];
  });
  return out;
}

/** The chosen experts of each token with their gate weights. */
function route(op: OpOf<'experts'>, scores: HostTensor): { e: number; g: number }[][] {
  const [T, E] = scores.shape as [number, number];
  const routes: { e: number; g: number }[][] = [];
  for (let t = 0; t < T; t++) {
    const row = Array.from({ length: E }, (_, e) => num(scores.data[t * E + e]));
    const chosen = rankExperts(row).slice(0, op.topK);
    const top = chosen.map((e) => row[e]!);
    let gates: number[];
    switch (op.gate) {
      case 'softmax_topk': {
        const p = softmax(row);
        gates = chosen.map((e) => p[e]!);
        break;
      }
      case 'topk_softmax': gates = softmax(top); break;
      case 'topk': gates = top; break;
      default: {
        const never: never = op.gate;
        throw new CompileError('UNSUPPORTED_ATTRIBUTE', `experts: unknown gate ${String(never)}`);
      }
    }
    routes.push(chosen.map((e, i) => ({ e, g: gates[i]! })));
  }
  return routes;
}

export function expertsKernel(op: OpOf<'experts'>, ins: readonly RuntimeValue[], outTypes: readonly ValueType[], ctx: InterpContext): RuntimeValue[] {
  const x = tensorArg(ins, 0);
  const scores = tensorArg(ins, 1);
  const params = ins.slice(2).map((_, j) => tensorArg(ins, 2 + j));
  const outT = outTypes[0] as TensorType;
  if (!isFloatDType(outT.dtype)) throw new CompileError('TYPE_ERROR', `experts yields ${outT.dtype}; gate-weighted sums need a float dtype`);
  const [T, E] = scores.shape as [number, number];
  if (E !== op.numExperts || x.shape[0] !== T) runtimeError(`scores [${scores.shape.join(',')}] do not fit x [${x.shape.join(',')}] and ${op.numExperts} experts`);
  for (const p of params) if (p.shape[0] !== E) runtimeError(`expert parameter [${p.shape.join(',')}] needs ${E} rows`);
  const routes = route(op, scores);
  let O = -1;
  let acc = new Float64Array(0);
  for (let e = 0; e < E; e++) {
    const tokens: number[] = [];
    const gates: number[] = [];
    routes.forEach((r, t) => {
      const hit = r.find((c) => c.e === e);
      if (hit) { tokens.push(t); gates.push(hit.g); }
    });
    if (tokens.length === 0) continue;
    const expertParams = params.map((p) => {
      const row = takeRows(p, [e]);
      return { ...row, shape: p.shape.slice(1) };
    });
    const y = tensorArg(ctx.runRegion(op.body, [takeRows(x, tokens), ...expertParams]), 0);
    if (y.shape.length !== 2 || y.shape[0] !== tokens.length || (O >= 0 && y.shape[1] !== O)) {
      runtimeError(`expert ${e} yields [${y.shape.join(',')}] for ${tokens.length} tokens`);
    }
    if (O < 0) { O = y.shape[1]!; acc = new Float64Array(T * O); }
    tokens.forEach((t, i) => {
      for (let o = 0; o < O; o++) acc[t * O + o] = acc[t * O + o]! + gates[i]! * num(y.data[i * O + o]);
    });
  }
  if (O < 0) O = dimOrZero(ctx, outT.shape[1]!); // only when T = 0: every token routes to topK >= 1 experts
  const out = makeTensor(outT.dtype, [T, O]);
  const data = out.data as Float64Array;
  for (let i = 0; i < T * O; i++) data[i] = roundToDType(acc[i] ?? 0, outT.dtype);
  return [out];
}
