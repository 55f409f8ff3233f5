// Compiles a scalar expression into a JS closure for the reference interpreter. Values are exact values of
// their dtype: floats are rounded (nearest even) after every op, integers wrapped (two's complement),
// 64-bit integers are bigints, bool is 0/1. Integer arithmetic is exact (BigInt where doubles could round).

import { type DType, isBigIntDType, isFloat } from '../dtype.js';
import { CompileError } from '../errors.js';
import { scalarDType } from '../infer/scalar-dtype.js';
import { type FloatDType, castScalar, erf, roundToDType, wrapInt } from '../numeric/index.js';
import type { BinaryOp, ScalarExpr, UnaryOp } from '../scalar.js';

export type Scalar = number | bigint;
export type ScalarFn = (args: readonly Scalar[], acc: Scalar) => Scalar;

const fail = (msg: string): never => { throw new CompileError('RUNTIME_ERROR', msg); };

function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

const FLOAT_UNARY: { readonly [K in UnaryOp]?: (x: number) => number } = {
  neg: (x) => -x, abs: Math.abs, sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0), recip: (x) => 1 / x,
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, erf, sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  isnan: (x) => (Number.isNaN(x) ? 1 : 0), isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  isposinf: (x) => (x === Infinity ? 1 : 0), isneginf: (x) => (x === -Infinity ? 1 : 0),
};

function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

const FLOAT_BINARY: { readonly [K in BinaryOp]?: (a: number, b: number) => number } = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b,
  mod: pyMod, fmod: (a, b) => a % b, pow: Math.pow,
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
};

function intPow(a: bigint, e: bigint): bigint {
  if (e >= 0n) return a ** e;
  if (a === 1n) return 1n;
  if (a === -1n) return e % 2n === 0n ? 1n : -1n;
  if (a === 0n) return fail('integer 0 raised to a negative power');
  return 0n;
}

function bigMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

const INT_BINARY: { readonly [K in BinaryOp]?: (a: bigint, b: bigint, bits: number) => bigint } = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b,
  div: (a, b) => (b === 0n ? fail('integer division by zero') : a / b),
  mod: (a, b) => (b === 0n ? fail('integer modulo by zero') : bigMod(a, b)),
  fmod: (a, b) => (b === 0n ? fail('integer modulo by zero') : a % b),
  pow: intPow, max: (a, b) => (a > b ? a : b), min: (a, b) => (a < b ? a : b),
  bitand: (a, b) => a & b, bitor: (a, b) => a | b, bitxor: (a, b) => a ^ b,
  // Shifts by the bit width or more give 0 (ONNX BitShift is defined on unsigned types).
  shl: (a, b, bits) => (b >= BigInt(bits) || b < 0n ? 0n : a << b),
  shr: (a, b, bits) => (b >= BigInt(bits) || b < 0n ? (a < 0n ? -1n : 0n) : a >> b),
};

const CMP: { readonly [K in BinaryOp]?: (a: Scalar, b: Scalar) => boolean } = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
};

const BITS: Partial<Record<DType, number>> = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, int64: 64, uint64: 64, int4: 4, uint4: 4, int2: 2, uint2: 2 };

/** Wraps an exact integer result back into the dtype's representation (number, or bigint for 64-bit). */
function wrapBig(v: bigint, dt: DType): Scalar {
  return wrapInt(v, dt);
}
const toBig = (v: Scalar): bigint => (typeof v === 'bigint' ? v : BigInt(v));

interface Compiled { readonly dt: DType; readonly f: ScalarFn }

function compile(e: ScalarExpr, args: readonly DType[], acc: DType | undefined): Compiled {
  const dt = scalarDType(e, args, acc);
  switch (e.k) {
    case 'arg': { const i = e.i; return { dt, f: (a) => a[i]! }; }
    case 'acc': return { dt, f: (_a, c) => c };
    case 'lit': {
      const v: Scalar = isBigIntDType(dt) ? BigInt(e.v) : isFloat(dt) ? roundToDType(Number(e.v), dt as FloatDType) : Number(e.v);
      return { dt, f: () => v };
    }
    case 'un': {
      const a = compile(e.a, args, acc);
      if (e.op === 'not') return { dt, f: (x, c) => (a.f(x, c) === 0 ? 1 : 0) };
      if (isFloat(a.dt)) {
        const fn = FLOAT_UNARY[e.op] ?? fail(`${e.op} on floats`);
        if (dt === 'bool') return { dt, f: (x, c) => fn(a.f(x, c) as number) };
        const fdt = dt as FloatDType;
        return { dt, f: (x, c) => roundToDType(fn(a.f(x, c) as number), fdt) };
      }
      // Integers: neg, abs, sign, bitnot (others are rejected by the typing).
      const intFn: (v: bigint) => bigint = e.op === 'neg' ? (v) => -v : e.op === 'abs' ? (v) => (v < 0n ? -v : v)
        : e.op === 'sign' ? (v) => (v > 0n ? 1n : v < 0n ? -1n : 0n) : e.op === 'bitnot' ? (v) => ~v : fail(`${e.op} on integers`);
      return { dt, f: (x, c) => wrapBig(intFn(toBig(a.f(x, c))), dt) };
    }
    case 'bin': {
      const a = compile(e.a, args, acc);
      const b = compile(e.b, args, acc);
      const cmp = CMP[e.op];
      if (cmp) return { dt, f: (x, c) => (cmp(a.f(x, c), b.f(x, c)) ? 1 : 0) };
      if (e.op === 'and') return { dt, f: (x, c) => (a.f(x, c) !== 0 && b.f(x, c) !== 0 ? 1 : 0) };
      if (e.op === 'or') return { dt, f: (x, c) => (a.f(x, c) !== 0 || b.f(x, c) !== 0 ? 1 : 0) };
      if (e.op === 'xor') return { dt, f: (x, c) => ((a.f(x, c) !== 0) !== (b.f(x, c) !== 0) ? 1 : 0) };
      if (isFloat(dt)) {
        const fn = FLOAT_BINARY[e.op] ?? fail(`${e.op} on floats`);
        const fdt = dt as FloatDType;
        return { dt, f: (x, c) => roundToDType(fn(a.f(x, c) as number, b.f(x, c) as number), fdt) };
      }
      const fn = INT_BINARY[e.op] ?? fail(`${e.op} on integers`);
      const bits = BITS[dt] ?? fail(`${e.op} on ${dt}`);
      return { dt, f: (x, c) => wrapBig(fn(toBig(a.f(x, c)), toBig(b.f(x, c)), bits), dt) };
    }
    case 'select': {
      const c0 = compile(e.c, args, acc);
      const a = compile(e.a, args, acc);
      const b = compile(e.b, args, acc);
      return { dt, f: (x, c) => (c0.f(x, c) !== 0 ? a.f(x, c) : b.f(x, c)) };
    }
    case 'cast': {
      const a = compile(e.a, args, acc);
      const from = a.dt;
      const to = e.to;
      const sat = e.saturate;
      return { dt, f: (x, c) => castScalar(a.f(x, c), from, to, sat) as Scalar };
    }
  }
}

/** A closure evaluating `e` given its args (and the accumulator inside an epilogue), plus its result dtype. */
export function compileScalar(e: ScalarExpr, argDtypes: readonly DType[], accDtype?: DType): { dtype: DType; fn: ScalarFn } {
  const c = compile(e, argDtypes, accDtype);
  return { dtype: c.dt, fn: c.f };
}
