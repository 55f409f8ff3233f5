// Scalar expressions -> binaryen expressions. Value types: float32 -> f32, float64 -> f64, the narrow floats
// (float16, bfloat16, float8*, float4e2m1) -> f64 holding their exact value, int32/bool and the narrower ints
// -> i32 (sign- or zero-extended), int64/uint64 -> i64. Operations round like the reference interpreter: one
// IEEE op per node in the element's type (narrow floats: in f64, then rounded to the format); transcendental
// functions go through f64 and round once.

import binaryen from 'binaryen';
import { CompileError, type DType, type FloatDType, type ScalarExpr, roundToDType, scalarDType } from '@tensorc/ir';
import { emitDecode, emitEncode, emitRound, isCodedFloat } from './wasm-coded-float.js';
import { emitF64ToI32, emitF64ToI64, emitF64ToU64, emitI64ToF64RoundOdd } from './wasm-int-cast.js';
import { emitIntPow } from './wasm-int-pow.js';

export type WasmType = 'f32' | 'f64' | 'i32' | 'i64';

export function wasmTypeOf(d: DType): WasmType {
  switch (d) {
    case 'float32': return 'f32';
    case 'float64': return 'f64';
    case 'int64': case 'uint64': return 'i64';
    case 'int32': case 'bool': case 'int8': case 'uint8': case 'int16': case 'uint16': case 'uint32':
    case 'int4': case 'uint4': case 'int2': case 'uint2': return 'i32';
    default:
      if (isCodedFloat(d)) return 'f64';
      throw new CompileError('UNSUPPORTED_OP', `backend: dtype ${d} in expressions is not supported yet`);
  }
}

export const binType = (t: WasmType): binaryen.Type => ({ f32: binaryen.f32, f64: binaryen.f64, i32: binaryen.i32, i64: binaryen.i64 })[t];

/** Host math functions the module imports (name -> arity); the emitter records what it uses. */
export class MathImports {
  readonly used = new Set<string>();
  constructor(private readonly m: binaryen.Module) {}
  call(name: string, args: binaryen.ExpressionRef[]): binaryen.ExpressionRef {
    if (!this.used.has(name)) {
      this.used.add(name);
      this.m.addFunctionImport(`math_${name}`, 'math', name, binaryen.createType(args.map(() => binaryen.f64)), binaryen.f64);
    }
    return this.m.call(`math_${name}`, args, binaryen.f64);
  }
}

export interface ScalarEnv {
  /** Expression loading arg i (already in its wasm type). */
  arg(i: number): binaryen.ExpressionRef;
  acc?: () => binaryen.ExpressionRef;
  readonly argTypes: readonly DType[];
  readonly accDtype?: DType;
}

const FLOAT_HOST = new Set(['exp', 'log', 'erf', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh']);

export function emitScalar(m: binaryen.Module, math: MathImports, e: ScalarExpr, env: ScalarEnv): binaryen.ExpressionRef {
  const dt = scalarDType(e, env.argTypes, env.accDtype);
  // Integers narrower than 32 bits live sign- or zero-extended in an i32; every result is wrapped back.
  if ((e.k === 'un' || e.k === 'bin') && SMALL_INTS.has(dt)) return wrapSmall(m, emitWide(m, math, e, env), dt);
  // Narrow floats compute in f64 (exact for + - * / of their values) and round to the format after every op.
  if ((e.k === 'un' || e.k === 'bin') && isCodedFloat(dt)) return emitRound(m, dt, emitWide(m, math, e, env));
  return emitWide(m, math, e, env);
}

const SMALL_INTS = new Set<DType>(['int8', 'uint8', 'int16', 'uint16', 'int4', 'uint4', 'int2', 'uint2']);

/** An i32 wrapped to a narrow integer type (sign-extended for the signed ones). */
export function wrapSmall(m: binaryen.Module, v: binaryen.ExpressionRef, dt: DType): binaryen.ExpressionRef {
  switch (dt) {
    case 'int8': return m.i32.extend8_s(v);
    case 'uint8': return m.i32.and(v, m.i32.const(0xff));
    case 'int16': return m.i32.extend16_s(v);
    case 'uint16': return m.i32.and(v, m.i32.const(0xffff));
    case 'int4': return m.i32.shr_s(m.i32.shl(v, m.i32.const(28)), m.i32.const(28));
    case 'uint4': return m.i32.and(v, m.i32.const(0xf));
    case 'int2': return m.i32.shr_s(m.i32.shl(v, m.i32.const(30)), m.i32.const(30));
    case 'uint2': return m.i32.and(v, m.i32.const(0x3));
    default: throw new CompileError('INTERNAL', `backend: ${dt} is not a narrow integer type`);
  }
}

function emitWide(m: binaryen.Module, math: MathImports, e: ScalarExpr, env: ScalarEnv): binaryen.ExpressionRef {
  const dt = scalarDType(e, env.argTypes, env.accDtype);
  const unsupported = (what: string): never => { throw new CompileError('UNSUPPORTED_OP', `backend: ${what} is not supported yet`); };
  const wt = wasmTypeOf(dt);
  const F = (t: WasmType) => (t === 'f32' ? m.f32 : m.f64);
  const I = (t: WasmType) => (t === 'i32' ? m.i32 : m.i64);
  const toF64 = (x: binaryen.ExpressionRef, t: WasmType) => (t === 'f32' ? m.f64.promote(x) : x);
  const fromF64 = (x: binaryen.ExpressionRef, t: WasmType) => (t === 'f32' ? m.f32.demote(x) : x);
  const sub = (x: ScalarExpr) => emitScalar(m, math, x, env);
  const typeOf = (x: ScalarExpr) => wasmTypeOf(scalarDType(x, env.argTypes, env.accDtype));
  switch (e.k) {
    case 'arg': return env.arg(e.i);
    case 'acc': return env.acc ? env.acc() : unsupported('acc outside an epilogue');
    case 'lit': {
      if (isCodedFloat(dt)) return m.f64.const(roundToDType(Number(e.v), dt as FloatDType));
      if (wt === 'f32') return m.f32.const(e.v as number);
      if (wt === 'f64') return m.f64.const(e.v as number);
      if (wt === 'i64') return m.i64.const(BigInt.asIntN(64, BigInt(e.v)));
      return m.i32.const(Number(e.v) | 0);
    }
    case 'un': {
      const at = typeOf(e.a);
      const a = sub(e.a);
      if (at === 'f32' || at === 'f64') {
        const f = F(at);
        switch (e.op) {
          case 'neg': return f.neg(a);
          case 'abs': return f.abs(a);
          case 'sqrt': return f.sqrt(a);
          case 'floor': return f.floor(a);
          case 'ceil': return f.ceil(a);
          case 'round': return f.nearest(a);
          case 'recip': return f.div(f.const(1), a);
          case 'sign': return m.call(`sign_${at}`, [a], binType(at));
          case 'sigmoid': return fromF64(m.call('sigmoid_f64', [toF64(a, at)], binaryen.f64), at);
          case 'isnan': return f.ne(a, sub(e.a)); // a second copy: binaryen expressions cannot be shared
          case 'isinf': return f.eq(f.abs(a), f.const(Infinity));
          case 'isposinf': return f.eq(a, f.const(Infinity));
          case 'isneginf': return f.eq(a, f.const(-Infinity));
          default:
            // exp, tanh and erf are compiled into the module (wasm-math.ts); the rest call the host.
            if (e.op === 'exp' || e.op === 'tanh' || e.op === 'erf') return fromF64(m.call(`${e.op}_f64`, [toF64(a, at)], binaryen.f64), at);
            if (FLOAT_HOST.has(e.op)) return fromF64(math.call(e.op, [toF64(a, at)]), at);
            return unsupported(`${e.op} on floats`);
        }
      }
      const i = I(at);
      switch (e.op) {
        case 'not': return m.i32.eqz(a);
        case 'neg': return i.sub(at === 'i32' ? m.i32.const(0) : m.i64.const(0n), a);
        case 'bitnot': return i.xor(a, at === 'i32' ? m.i32.const(-1) : m.i64.const(-1n));
        default: return unsupported(`${e.op} on integers`);
      }
    }
    case 'bin': {
      const at = typeOf(e.a);
      const a = sub(e.a);
      const b = sub(e.b);
      if (at === 'f32' || at === 'f64') {
        const f = F(at);
        switch (e.op) {
          case 'add': return f.add(a, b);
          case 'sub': return f.sub(a, b);
          case 'mul': return f.mul(a, b);
          case 'div': return f.div(a, b);
          case 'max': return f.max(a, b);
          case 'min': return f.min(a, b);
          case 'pow': return fromF64(math.call('pow', [toF64(a, at), toF64(b, at)]), at);
          case 'fmod': return fromF64(math.call('fmod', [toF64(a, at), toF64(b, at)]), at);
          case 'mod': return fromF64(m.call('pymod_f64', [toF64(a, at), toF64(b, at)], binaryen.f64), at);
          case 'eq': return f.eq(a, b);
          case 'ne': return f.ne(a, b);
          case 'lt': return f.lt(a, b);
          case 'le': return f.le(a, b);
          case 'gt': return f.gt(a, b);
          case 'ge': return f.ge(a, b);
          default: return unsupported(`${e.op} on floats`);
        }
      }
      const i = I(at);
      const adt = scalarDType(e.a, env.argTypes, env.accDtype);
      // bool and zero-extended narrow unsigned values compare correctly either way; uint32/uint64 need unsigned ops.
      const unsigned = adt === 'bool' || adt === 'uint32' || adt === 'uint64';
      const zero = () => (at === 'i32' ? m.i32.const(0) : m.i64.const(0n));
      const width = (minus = 0) => (at === 'i32' ? m.i32.const(32 - minus) : m.i64.const(BigInt(64 - minus)));
      switch (e.op) {
        case 'add': return i.add(a, b);
        case 'sub': return i.sub(a, b);
        case 'mul': return i.mul(a, b);
        case 'div': return unsigned ? i.div_u(a, b) : i.div_s(a, b);
        case 'fmod': return unsigned ? i.rem_u(a, b) : i.rem_s(a, b);
        case 'mod': return unsigned ? i.rem_u(a, b) : m.call(`pymod_${at}`, [a, b], binType(at));
        case 'pow': return emitIntPow(m, at, a, b, !unsigned);
        // wasm takes shift counts modulo the width; the reference shifts everything out (0, or the sign for shr)
        case 'shl': return m.select(i.lt_u(sub(e.b), width()), i.shl(a, b), zero());
        case 'shr': {
          const logical = adt === 'bool' || adt.startsWith('u');
          return m.select(i.lt_u(sub(e.b), width()), logical ? i.shr_u(a, b) : i.shr_s(a, b), logical ? zero() : i.shr_s(sub(e.a), width(1)));
        }
        case 'and': case 'bitand': return i.and(a, b);
        case 'or': case 'bitor': return i.or(a, b);
        case 'xor': case 'bitxor': return i.xor(a, b);
        // binaryen expressions form a tree (no shared nodes): re-emit the operands for each use.
        case 'max': return m.select(unsigned ? i.gt_u(a, b) : i.gt_s(a, b), sub(e.a), sub(e.b));
        case 'min': return m.select(unsigned ? i.lt_u(a, b) : i.lt_s(a, b), sub(e.a), sub(e.b));
        case 'eq': return i.eq(a, b);
        case 'ne': return i.ne(a, b);
        case 'lt': return unsigned ? i.lt_u(a, b) : i.lt_s(a, b);
        case 'le': return unsigned ? i.le_u(a, b) : i.le_s(a, b);
        case 'gt': return unsigned ? i.gt_u(a, b) : i.gt_s(a, b);
        case 'ge': return unsigned ? i.ge_u(a, b) : i.ge_s(a, b);
        default: return unsupported(`${(e as { op: string }).op} on integers`);
      }
    }
    case 'select': return m.select(sub(e.c), sub(e.a), sub(e.b));
    case 'cast': return emitCast(m, sub(e.a), scalarDType(e.a, env.argTypes, env.accDtype), e.to, e.saturate);
  }
}

const isUnsigned = (d: DType): boolean => d === 'bool' || d.startsWith('u');

/**
 * Conversion between element types, as ONNX Cast in the reference interpreter (castScalar): float -> int
 * truncates, with NaN, infinities and out-of-range values as x86-64 numpy gives them (wasm-int-cast.ts);
 * int -> int wraps; -> float rounds to nearest even from the exact value (64-bit ints through a round-to-odd
 * double for the narrow formats); `saturate` clamps float8 overflow to the largest finite value.
 */
export function emitCast(m: binaryen.Module, a: binaryen.ExpressionRef, from: DType, to: DType, saturate = false): binaryen.ExpressionRef {
  if (from === to) return a;
  const ft = wasmTypeOf(from);
  const tt = wasmTypeOf(to);
  if (to === 'bool') {
    if (ft === 'f32') return m.f32.ne(a, m.f32.const(0));
    if (ft === 'f64') return m.f64.ne(a, m.f64.const(0));
    if (ft === 'i64') return m.i64.ne(a, m.i64.const(0n));
    return m.i32.ne(a, m.i32.const(0));
  }
  const u = isUnsigned(from);
  if (to === 'float32' || to === 'float64' || isCodedFloat(to)) {
    if (to === 'float32') {
      switch (ft) {
        case 'f32': return a;
        case 'f64': return m.f32.demote(a);
        case 'i32': return u ? m.f32.convert_u.i32(a) : m.f32.convert_s.i32(a);
        case 'i64': return u ? m.f32.convert_u.i64(a) : m.f32.convert_s.i64(a);
      }
    }
    let x: binaryen.ExpressionRef;
    switch (ft) {
      case 'f32': x = m.f64.promote(a); break;
      case 'f64': x = a; break;
      case 'i32': x = u ? m.f64.convert_u.i32(a) : m.f64.convert_s.i32(a); break;
      case 'i64': x = to === 'float64' ? (u ? m.f64.convert_u.i64(a) : m.f64.convert_s.i64(a)) : emitI64ToF64RoundOdd(m, a, u); break;
    }
    return to === 'float64' ? x : emitDecode(m, to, emitEncode(m, to, x, saturate));
  }
  if (ft === 'f32' || ft === 'f64') {
    const x = ft === 'f32' ? m.f64.promote(a) : a;
    switch (to) {
      case 'int64': return emitF64ToI64(m, x);
      case 'uint64': return emitF64ToU64(m, x);
      case 'uint32': return m.i32.wrap(emitF64ToI64(m, x));
      case 'int32': return emitF64ToI32(m, x);
      default: return wrapSmall(m, emitF64ToI32(m, x), to);
    }
  }
  // integer -> integer: two's-complement wrap (narrow values are already sign- or zero-extended)
  if (tt === 'i64') return ft === 'i64' ? a : u ? m.i64.extend_u(a) : m.i64.extend_s(a);
  const low = ft === 'i64' ? m.i32.wrap(a) : a;
  return SMALL_INTS.has(to) ? wrapSmall(m, low, to) : low;
}

/** Helper functions the scalar emitter calls (sign, sigmoid); added once per module. Every use of the parameter
 * is a fresh local.get: binaryen expressions form a tree and must not be shared. */
export function addScalarHelpers(m: binaryen.Module, math: MathImports): void {
  for (const t of ['f32', 'f64'] as const) {
    const f = t === 'f32' ? m.f32 : m.f64;
    const x = () => m.local.get(0, binType(t));
    // sign: NaN -> NaN, else -1, 0 or 1
    m.addFunction(`sign_${t}`, binType(t), binType(t), [], m.if(f.ne(x(), x()), x(), m.select(f.gt(x(), f.const(0)), f.const(1), m.select(f.lt(x(), f.const(0)), f.const(-1), f.const(0)))));
  }
  // Python-style remainder (sign of the divisor): r = a rem b, plus b when r is non-zero and the signs differ.
  for (const t of ['i32', 'i64'] as const) {
    const i = t === 'i32' ? m.i32 : m.i64;
    const zero = () => (t === 'i32' ? m.i32.const(0) : m.i64.const(0n));
    const g = (k: number) => m.local.get(k, binType(t));
    m.addFunction(`pymod_${t}`, binaryen.createType([binType(t), binType(t)]), binType(t), [binType(t)], m.block(null, [
      m.local.set(2, i.rem_s(g(0), g(1))),
      m.if(m.i32.and(i.ne(g(2), zero()), m.i32.ne(i.lt_s(g(2), zero()), i.lt_s(g(1), zero()))), m.local.set(2, i.add(g(2), g(1)))),
      m.return(g(2)),
    ], binType(t)));
  }
  {
    const g = (k: number) => m.local.get(k, binaryen.f64);
    m.addFunction('pymod_f64', binaryen.createType([binaryen.f64, binaryen.f64]), binaryen.f64, [binaryen.f64], m.block(null, [
      m.local.set(2, math.call('fmod', [g(0), g(1)])),
      m.if(m.i32.and(m.f64.ne(g(2), m.f64.const(0)), m.i32.ne(m.f64.lt(g(2), m.f64.const(0)), m.f64.lt(g(1), m.f64.const(0)))), m.local.set(2, m.f64.add(g(2), g(1)))),
      m.return(g(2)),
    ], binaryen.f64));
  }
  const x = () => m.local.get(0, binaryen.f64);
  const exp = (v: binaryen.ExpressionRef) => m.call('exp_f64', [v], binaryen.f64);
  // sigmoid, written as the reference interpreter does: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below
  m.addFunction('sigmoid_f64', binaryen.f64, binaryen.f64, [], m.if(m.f64.ge(x(), m.f64.const(0)),
    m.f64.div(m.f64.const(1), m.f64.add(m.f64.const(1), exp(m.f64.neg(x())))),
    m.f64.div(exp(x()), m.f64.add(m.f64.const(1), exp(x())))));
}
