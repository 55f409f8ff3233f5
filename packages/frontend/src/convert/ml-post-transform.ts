// The post_transform of ai.onnx.ml scorers (TreeEnsemble and the classic classifiers/regressors), applied to
// [N, targets] scores along the last axis: NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO (zeros stay out of the
// normalization; an all-zero row gives 0.5) and PROBIT (sqrt(2) * erfinv(2p - 1) with the closed-form
// inverse-erf approximation ONNX's reference and onnxruntime use). Maths in float64, rounded once.

import { type DType, type ScalarExpr, type ValueId, arg, bin, cast, lit, select, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';

const f64 = (v: number): ScalarExpr => lit(v, 'float64');

/** sqrt(2) * erfinv(2p - 1), erfinv by Winitzki's approximation with a = 0.147 (0 where 1 - y² is 0). */
function probit(p: ScalarExpr): ScalarExpr {
  const y = bin('sub', bin('mul', p, f64(2)), f64(1));
  const w = bin('mul', bin('sub', f64(1), y), bin('add', f64(1), y));
  const l = un('log', w);
  const v = bin('add', f64(2 / (Math.PI * 0.147)), bin('mul', f64(0.5), l));
  const v2 = bin('mul', f64(1 / 0.147), l);
  const mag = un('sqrt', bin('sub', un('sqrt', bin('sub', bin('mul', v, v), v2)), v));
  const signed = select(bin('lt', y, f64(0)), un('neg', mag), mag);
  return bin('mul', f64(1.41421356), select(bin('eq', w, f64(0)), f64(0), signed));
}

export function postTransform(ctx: ConvertContext, scores: ValueId, code: number, dt: DType): ValueId {
  const map = (e: ScalarExpr, ins: ValueId[]) => ctx.emit1({ kind: 'map', expr: e }, ins);
  const x = dt === 'float64' ? arg(0) : cast('float64', arg(0));
  const back = (e: ScalarExpr) => (dt === 'float64' ? e : cast(dt, e));
  const axis = ctx.rankOf(scores) - 1;
  switch (code) {
    case 0: return scores;
    case 1: return ctx.emit1({ kind: 'softmax', axis, log: false }, [scores]);
    case 2: return map(back(un('sigmoid', x)), [scores]);
    case 3: {
      const wide = dt === 'float64' ? scores : map(x, [scores]);
      const rowMax = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [axis], keepDims: true }, [wide]);
      const nonZero = bin('gt', un('abs', arg(0)), f64(1e-7));
      const e = map(select(nonZero, un('exp', bin('sub', arg(0), arg(1))), bin('mul', arg(0), un('exp', un('neg', arg(1))))), [wide, rowMax]);
      const sum = ctx.emit1({ kind: 'reduce', reducer: 'add', axes: [axis], keepDims: true }, [e]);
      const out = select(bin('eq', arg(1), f64(0)), f64(0.5), bin('div', arg(0), arg(1)));
      return map(dt === 'float64' ? out : cast(dt, out), [e, sum]);
    }
    case 4: return map(back(probit(x)), [scores]);
    default: return ctx.attrs.unsupported('post_transform', `${code} is not 0 (NONE), 1 (SOFTMAX), 2 (LOGISTIC), 3 (SOFTMAX_ZERO) or 4 (PROBIT)`);
  }
}
