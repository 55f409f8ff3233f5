// Elementwise ONNX ops as `map` nodes: each is a scalar expression over broadcast inputs.
// Activation parameters come from attributes (with ONNX's defaults); integer inputs get exact integer maths.

import {
  type BinaryOp, type DType, type ScalarExpr, type UnaryOp, arg, bin, cast, isFloat, isInteger, lit, select, substArgs, tensorType, un,
} from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import type { ConverterTable } from './registry-types.js';

const x = arg(0);

/** Emits map(expr) over the node's inputs; `floatOnly` rejects integer inputs where ONNX does too. */
function mapNode(ctx: ConvertContext, build: (dt: DType) => ScalarExpr, inputs?: number[]): number[] {
  const ids = (inputs ?? [...Array(ctx.numInputs).keys()]).map((i) => ctx.input(i));
  const dt = ctx.tensorTypeOf(ids[0]!).dtype;
  for (const id of ids.slice(1)) {
    const other = ctx.tensorTypeOf(id).dtype;
    if (other !== dt && ctx.node.opType !== 'Where' && ctx.node.opType !== 'Pow' && ctx.node.opType !== 'BitShift') {
      ctx.fail('TYPE_ERROR', `input dtypes differ: ${dt} and ${other}`);
    }
  }
  return [ctx.emit1({ kind: 'map', expr: build(dt) }, ids)];
}

const unary = (op: UnaryOp, requireFloat = true) => (ctx: ConvertContext) =>
  mapNode(ctx, (dt) => {
    if (requireFloat && !isFloat(dt)) ctx.fail('TYPE_ERROR', `${ctx.node.opType} needs a float input, got ${dt}`);
    return un(op, x);
  }, [0]);

/** Variadic ops (Sum, Max, Min, Mean) fold left over their inputs. */
const binary = (op: BinaryOp) => (ctx: ConvertContext) =>
  mapNode(ctx, () => {
    let e: ScalarExpr = arg(0);
    for (let i = 1; i < ctx.numInputs; i++) e = bin(op, e, arg(i));
    return e;
  });

const f = (ctx: ConvertContext, name: string, dflt: number) => ctx.attrs.float(name, dflt);

/**
 * A compound activation on a 16-bit float is computed in float32 and rounded once, as one operator should be
 * (rounding after each step of exp/sub/mul loses up to a few 16-bit ulps; ONNX's expected data round once).
 */
const widened = (build: (dt: DType) => ScalarExpr) => (dt: DType): ScalarExpr => {
  if (dt !== 'float16' && dt !== 'bfloat16') return build(dt);
  return cast(dt, substArgs(build('float32'), (i) => cast('float32', arg(i))));
};

export const ELEMENTWISE: ConverterTable = {
  Add: { since: 1, convert: binary('add') },
  Sub: { since: 1, convert: binary('sub') },
  Mul: { since: 1, convert: binary('mul') },
  Div: { since: 1, convert: binary('div') },
  Sum: { since: 1, convert: binary('add') },
  Max: { since: 1, convert: binary('max') },
  Min: { since: 1, convert: binary('min') },
  Mean: {
    since: 1,
    convert: (ctx) => mapNode(ctx, (dt) => {
      let e: ScalarExpr = arg(0);
      for (let i = 1; i < ctx.numInputs; i++) e = bin('add', e, arg(i));
      return bin('div', e, lit(ctx.numInputs, dt));
    }),
  },
  Pow: {
    since: 1,
    convert: (ctx) => mapNode(ctx, (dt) => {
      const et = ctx.tensorTypeOf(ctx.input(1)).dtype;
      return bin('pow', x, et === dt ? arg(1) : cast(dt, arg(1)));
    }),
  },
  Mod: {
    since: 10,
    convert: (ctx) => {
      const fmod = ctx.attrs.int('fmod', 0);
      return mapNode(ctx, (dt) => {
        if (isFloat(dt) && fmod !== 1) ctx.fail('INVALID_MODEL', 'Mod on floats requires fmod=1');
        return bin(fmod === 1 ? 'fmod' : 'mod', x, arg(1));
      });
    },
  },
  And: { since: 1, convert: binary('and') },
  Or: { since: 1, convert: binary('or') },
  Xor: { since: 1, convert: binary('xor') },
  Not: { since: 1, convert: (ctx) => mapNode(ctx, () => un('not', x), [0]) },
  BitwiseAnd: { since: 18, convert: binary('bitand') },
  BitwiseOr: { since: 18, convert: binary('bitor') },
  BitwiseXor: { since: 18, convert: binary('bitxor') },
  BitwiseNot: { since: 18, convert: (ctx) => mapNode(ctx, () => un('bitnot', x), [0]) },
  BitShift: {
    since: 11,
    convert: (ctx) => {
      const dir = ctx.attrs.string('direction');
      if (dir !== 'LEFT' && dir !== 'RIGHT') ctx.attrs.unsupported('direction', `must be LEFT or RIGHT, got ${String(dir)}`);
      return mapNode(ctx, () => bin(dir === 'LEFT' ? 'shl' : 'shr', x, arg(1)));
    },
  },
  Equal: { since: 1, convert: binary('eq') },
  Greater: { since: 1, convert: binary('gt') },
  Less: { since: 1, convert: binary('lt') },
  GreaterOrEqual: { since: 12, convert: binary('ge') },
  LessOrEqual: { since: 12, convert: binary('le') },
  Where: {
    since: 9,
    convert: (ctx) => mapNode(ctx, () => select(arg(0), arg(1), arg(2))),
  },

  Neg: { since: 1, convert: unary('neg', false) },
  Abs: { since: 1, convert: unary('abs', false) },
  Sign: { since: 9, convert: unary('sign', false) },
  Reciprocal: { since: 1, convert: unary('recip') },
  Sqrt: { since: 1, convert: unary('sqrt') },
  Exp: { since: 1, convert: unary('exp') },
  Log: { since: 1, convert: unary('log') },
  Erf: { since: 9, convert: unary('erf') },
  Sigmoid: { since: 1, convert: unary('sigmoid') },
  Sin: { since: 7, convert: unary('sin') },
  Cos: { since: 7, convert: unary('cos') },
  Tan: { since: 7, convert: unary('tan') },
  Asin: { since: 7, convert: unary('asin') },
  Acos: { since: 7, convert: unary('acos') },
  Atan: { since: 7, convert: unary('atan') },
  Sinh: { since: 9, convert: unary('sinh') },
  Cosh: { since: 9, convert: unary('cosh') },
  Tanh: { since: 1, convert: unary('tanh') },
  Asinh: { since: 9, convert: unary('asinh') },
  Acosh: { since: 9, convert: unary('acosh') },
  Atanh: { since: 9, convert: unary('atanh') },
  Floor: { since: 1, convert: unary('floor') },
  Ceil: { since: 1, convert: unary('ceil') },
  Round: { since: 11, convert: unary('round') },
  IsNaN: { since: 9, convert: unary('isnan') },
  IsInf: {
    since: 10,
    convert: (ctx) => {
      const pos = ctx.attrs.int('detect_positive', 1) !== 0;
      const neg = ctx.attrs.int('detect_negative', 1) !== 0;
      return mapNode(ctx, (dt) => {
        if (!isFloat(dt)) ctx.fail('TYPE_ERROR', `IsInf needs a float input, got ${dt}`);
        if (pos && neg) return un('isinf', x);
        if (pos) return un('isposinf', x);
        if (neg) return un('isneginf', x);
        return bin('and', un('isinf', x), un('not', un('isinf', x))); // neither: always false
      }, [0]);
    },
  },

  Relu: { since: 1, convert: (ctx) => mapNode(ctx, (dt) => bin('max', x, lit(0, dt)), [0]) },
  LeakyRelu: {
    since: 1,
    convert: (ctx) => mapNode(ctx, (dt) => select(bin('lt', x, lit(0, dt)), bin('mul', x, lit(f(ctx, 'alpha', 0.01), dt)), x), [0]),
  },
  PRelu: {
    since: 1,
    convert: (ctx) => {
      // Before opset 7 a 1-D slope of size C is per channel (axis 1), not right-aligned numpy broadcasting.
      const s = ctx.shapeOf(ctx.input(0));
      const slope = ctx.shapeOf(ctx.input(1));
      if (ctx.opset < 7 && slope.length === 1 && s.length > 2 && slope[0] !== 1 && slope[0] === s[1]) {
        const perChannel = ctx.emit1({ kind: 'reshape' }, [ctx.input(1)], [tensorType(ctx.tensorTypeOf(ctx.input(1)).dtype, [slope[0]!, ...Array(s.length - 2).fill(1)])]);
        return [ctx.emit1({ kind: 'map', expr: select(bin('lt', x, lit(0, ctx.tensorTypeOf(ctx.input(0)).dtype)), bin('mul', x, arg(1)), x) }, [ctx.input(0), perChannel])];
      }
      return mapNode(ctx, (dt) => select(bin('lt', x, lit(0, dt)), bin('mul', x, arg(1)), x));
    },
  },
  Elu: {
    since: 1,
    convert: (ctx) => mapNode(ctx, widened((dt) => {
      const a = lit(f(ctx, 'alpha', 1), dt);
      return select(bin('lt', x, lit(0, dt)), bin('mul', a, bin('sub', un('exp', x), lit(1, dt))), x);
    }), [0]),
  },
  Celu: {
    since: 12,
    convert: (ctx) => mapNode(ctx, widened((dt) => {
      const a = lit(f(ctx, 'alpha', 1), dt);
      // max(0,x) + min(0, alpha*(exp(x/alpha)-1))
      const neg = bin('mul', a, bin('sub', un('exp', bin('div', x, a)), lit(1, dt)));
      return bin('add', bin('max', x, lit(0, dt)), bin('min', lit(0, dt), neg));
    }), [0]),
  },
  Selu: {
    since: 1,
    convert: (ctx) => mapNode(ctx, widened((dt) => {
      const a = lit(f(ctx, 'alpha', 1.67326319217681884765625), dt);
      const g = lit(f(ctx, 'gamma', 1.05070102214813232421875), dt);
      const neg = bin('sub', bin('mul', a, un('exp', x)), a);
      return bin('mul', g, select(bin('le', x, lit(0, dt)), neg, x));
    }), [0]),
  },
  ThresholdedRelu: {
    since: 10,
    convert: (ctx) => mapNode(ctx, (dt) => select(bin('gt', x, lit(f(ctx, 'alpha', 1), dt)), x, lit(0, dt)), [0]),
  },
  HardSigmoid: {
    since: 1,
    convert: (ctx) => mapNode(ctx, (dt) => {
      const y = bin('add', bin('mul', x, lit(f(ctx, 'alpha', 0.2), dt)), lit(f(ctx, 'beta', 0.5), dt));
      return bin('max', lit(0, dt), bin('min', lit(1, dt), y));
    }, [0]),
  },
  HardSwish: {
    since: 14,
    convert: (ctx) => mapNode(ctx, (dt) => {
      const y = bin('add', bin('mul', x, lit(1 / 6, dt)), lit(0.5, dt));
      return bin('mul', x, bin('max', lit(0, dt), bin('min', lit(1, dt), y)));
    }, [0]),
  },
  Softplus: {
    since: 1,
    // log(1 + exp(x)), written to stay finite for large x: max(x,0) + log(1 + exp(-|x|))
    convert: (ctx) => mapNode(ctx, (dt) => bin('add', bin('max', x, lit(0, dt)),
      un('log', bin('add', lit(1, dt), un('exp', un('neg', un('abs', x)))))), [0]),
  },
  Softsign: {
    since: 1,
    convert: (ctx) => mapNode(ctx, (dt) => bin('div', x, bin('add', lit(1, dt), un('abs', x))), [0]),
  },
  Mish: {
    since: 18,
    convert: (ctx) => mapNode(ctx, (dt) => {
      const sp = bin('add', bin('max', x, lit(0, dt)), un('log', bin('add', lit(1, dt), un('exp', un('neg', un('abs', x))))));
      return bin('mul', x, un('tanh', sp));
    }, [0]),
  },
  Swish: {
    since: 24,
    convert: (ctx) => mapNode(ctx, (dt) => bin('mul', x, un('sigmoid', bin('mul', x, lit(f(ctx, 'alpha', 1), dt)))), [0]),
  },
  Gelu: {
    since: 20,
    convert: (ctx) => {
      const approx = ctx.attrs.string('approximate', 'none');
      return mapNode(ctx, (dt) => {
        const half = lit(0.5, dt);
        if (approx === 'tanh') {
          const inner = bin('mul', lit(Math.sqrt(2 / Math.PI), dt), bin('add', x, bin('mul', lit(0.044715, dt), bin('mul', x, bin('mul', x, x)))));
          return bin('mul', bin('mul', half, x), bin('add', lit(1, dt), un('tanh', inner)));
        }
        if (approx !== 'none') ctx.attrs.unsupported('approximate', `must be "none" or "tanh", got "${approx}"`);
        return bin('mul', bin('mul', half, x), bin('add', lit(1, dt), un('erf', bin('mul', x, lit(Math.SQRT1_2, dt)))));
      }, [0]);
    },
  },
  Shrink: {
    since: 9,
    convert: (ctx) => mapNode(ctx, (dt) => {
      const l = f(ctx, 'lambd', 0.5);
      const b = f(ctx, 'bias', 0);
      const lt = (v: number) => lit(isInteger(dt) ? Math.trunc(v) : v, dt);
      return select(bin('lt', x, lt(-l)), bin('add', x, lt(b)), select(bin('gt', x, lt(l)), bin('sub', x, lt(b)), lt(0)));
    }, [0]),
  },
};
