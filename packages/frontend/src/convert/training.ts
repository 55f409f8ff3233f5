// The ai.onnx.preview.training optimizers: Adagrad, Adam and Momentum (standard and Nesterov), each one
// update step over n tensors at once (inputs R, T, then X_1..n, G_1..n and the optimizer state; outputs the
// new X_1..n and new state). Every output is one elementwise map over R, T and the tensors of its group,
// computed in float64 and rounded once to the output dtype. Gradient lives in training-gradient.ts.

import { type DType, type ScalarExpr, type ValueId, arg, bin, cast, isFloat, lit, select, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { gradient } from './training-gradient.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

const f = (v: number): ScalarExpr => lit(v, 'float64');
const add = (a: ScalarExpr, b: ScalarExpr) => bin('add', a, b);
const sub = (a: ScalarExpr, b: ScalarExpr) => bin('sub', a, b);
const mul = (a: ScalarExpr, b: ScalarExpr) => bin('mul', a, b);
const div = (a: ScalarExpr, b: ScalarExpr) => bin('div', a, b);

/** An attribute as ONNX stores it (float32); `dflt` is the schema default, undefined = required. */
function coefficient(ctx: ConvertContext, name: string, dflt?: number): number {
  const v = ctx.attrs.float(name) ?? (dflt === undefined ? ctx.fail('INVALID_MODEL', `required attribute "${name}" is missing`) : Math.fround(dflt));
  return v;
}

/**
 * The optimizer's inputs split into `tensorsPerGroup` lists of n tensors (X, G, state...), and a function
 * that emits one output map over [R, T, the i-th tensor of each list] with the lists' elements as args 2...
 */
function groups(ctx: ConvertContext, tensorsPerGroup: number) {
  const count = ctx.numInputs - 2;
  if (count <= 0 || count % tensorsPerGroup !== 0) {
    ctx.fail('INVALID_MODEL', `${ctx.node.opType} takes R, T and ${tensorsPerGroup} tensors per optimized tensor, got ${ctx.numInputs} inputs`);
  }
  const n = count / tensorsPerGroup;
  const scalar = (i: number, what: string, ok: (d: DType) => boolean): ValueId => {
    const id = ctx.input(i);
    const t = ctx.tensorTypeOf(id);
    if (!ok(t.dtype)) ctx.fail('TYPE_ERROR', `${what} has dtype ${t.dtype}`);
    if (!t.shape.every((d) => d === 1)) ctx.fail('SHAPE_ERROR', `${what} must be a scalar, got shape [${t.shape.join(',')}]`);
    return reshapeTo(ctx, id, []);
  };
  const r = scalar(0, 'the learning rate R', isFloat);
  const t = scalar(1, 'the iteration count T', (d) => d === 'int64');
  const tensor = (list: number, i: number) => ctx.input(2 + list * n + i);
  // As float64: args 0 = R, 1 = T, 2.. = the group's tensors.
  const wide = (ids: readonly ValueId[], j: number): ScalarExpr => (ctx.tensorTypeOf(ids[j]!).dtype === 'float64' ? arg(j) : cast('float64', arg(j)));
  const emit = (i: number, outDtype: DType, body: (v: (j: number) => ScalarExpr) => ScalarExpr): ValueId => {
    const ids = [r, t, ...Array.from({ length: tensorsPerGroup }, (_, list) => tensor(list, i))];
    const x = ctx.tensorTypeOf(ids[2]!);
    for (const id of ids.slice(3)) {
      const other = ctx.tensorTypeOf(id);
      if (!isFloat(other.dtype)) ctx.fail('TYPE_ERROR', `optimizer tensors must be float, got ${other.dtype}`);
      if (other.shape.length !== x.shape.length || other.shape.some((d, k) => d !== x.shape[k])) {
        ctx.fail('SHAPE_ERROR', `tensor shapes differ within group ${i}: [${x.shape.join(',')}] and [${other.shape.join(',')}]`);
      }
    }
    const e = body((j) => wide(ids, j));
    return ctx.emit1({ kind: 'map', expr: outDtype === 'float64' ? e : cast(outDtype, e) }, ids);
  };
  const dtypeOf = (list: number, i: number) => ctx.tensorTypeOf(tensor(list, i)).dtype;
  return { n, emit, dtypeOf };
}

/** Adagrad: h' = h + g_r², x' = x - r / (1 + t·decay) · g_r / (sqrt(h') + eps), g_r = norm·x + g. */
function adagrad(ctx: ConvertContext): ValueId[] {
  const eps = coefficient(ctx, 'epsilon', 1e-6);
  const decay = coefficient(ctx, 'decay_factor', 0);
  const norm = coefficient(ctx, 'norm_coefficient', 0);
  const { n, emit, dtypeOf } = groups(ctx, 3);
  const gReg = (v: (j: number) => ScalarExpr) => add(mul(f(norm), v(2)), v(3));
  const hNew = (v: (j: number) => ScalarExpr) => add(v(4), mul(gReg(v), gReg(v)));
  const xs: ValueId[] = [];
  const hs: ValueId[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(emit(i, dtypeOf(0, i), (v) => {
      const rate = div(v(0), add(f(1), mul(v(1), f(decay))));
      return sub(v(2), div(mul(rate, gReg(v)), add(un('sqrt', hNew(v)), f(eps))));
    }));
    hs.push(emit(i, dtypeOf(2, i), hNew));
  }
  return [...xs, ...hs];
}

/** Adam with bias correction once t > 0, and the optional decay of X after the step (norm_coefficient_post). */
function adam(ctx: ConvertContext): ValueId[] {
  const alpha = coefficient(ctx, 'alpha', 0.9);
  const beta = coefficient(ctx, 'beta', 0.999);
  const eps = coefficient(ctx, 'epsilon', 1e-6);
  const norm = coefficient(ctx, 'norm_coefficient', 0);
  const post = coefficient(ctx, 'norm_coefficient_post', 0);
  const { n, emit, dtypeOf } = groups(ctx, 4);
  const gReg = (v: (j: number) => ScalarExpr) => add(mul(f(norm), v(2)), v(3));
  const vNew = (v: (j: number) => ScalarExpr) => add(mul(f(alpha), v(4)), mul(f(1 - alpha), gReg(v)));
  const hNew = (v: (j: number) => ScalarExpr) => add(mul(f(beta), v(5)), mul(f(1 - beta), mul(gReg(v), gReg(v))));
  const xs: ValueId[] = [];
  const vs: ValueId[] = [];
  const hs: ValueId[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(emit(i, dtypeOf(0, i), (v) => {
      const corrected = div(mul(v(0), un('sqrt', sub(f(1), bin('pow', f(beta), v(1))))), sub(f(1), bin('pow', f(alpha), v(1))));
      const rate = select(bin('gt', v(1), f(0)), corrected, v(0));
      const step = sub(v(2), mul(rate, div(vNew(v), add(un('sqrt', hNew(v)), f(eps)))));
      return mul(f(1 - post), step);
    }));
    vs.push(emit(i, dtypeOf(2, i), vNew));
    hs.push(emit(i, dtypeOf(3, i), hNew));
  }
  return [...xs, ...vs, ...hs];
}

/** Momentum: v' = alpha·v + beta'·g_r (beta' = 1 at t = 0); x' = x - r·v' or, Nesterov, x - r·(g_r + alpha·v'). */
function momentum(ctx: ConvertContext): ValueId[] {
  const alpha = coefficient(ctx, 'alpha');
  const beta = coefficient(ctx, 'beta');
  const norm = coefficient(ctx, 'norm_coefficient');
  const mode = ctx.attrs.string('mode') ?? ctx.fail('INVALID_MODEL', 'required attribute "mode" is missing');
  if (mode !== 'standard' && mode !== 'nesterov') ctx.attrs.unsupported('mode', `"${mode}" is not "standard" or "nesterov"`);
  const { n, emit, dtypeOf } = groups(ctx, 3);
  const gReg = (v: (j: number) => ScalarExpr) => add(mul(f(norm), v(2)), v(3));
  const vNew = (v: (j: number) => ScalarExpr) => add(mul(f(alpha), v(4)), mul(select(bin('gt', v(1), f(0)), f(beta), f(1)), gReg(v)));
  const xs: ValueId[] = [];
  const vs: ValueId[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(emit(i, dtypeOf(0, i), (v) => sub(v(2), mul(v(0), mode === 'standard' ? vNew(v) : add(gReg(v), mul(f(alpha), vNew(v)))))));
    vs.push(emit(i, dtypeOf(2, i), vNew));
  }
  return [...xs, ...vs];
}

export const TRAINING: ConverterTable = {
  Adagrad: { since: 1, convert: adagrad },
  Adam: { since: 1, convert: adam },
  Momentum: { since: 1, convert: momentum },
  Gradient: { since: 1, convert: gradient },
};
