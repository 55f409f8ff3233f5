// Narrow float dtypes (float16, bfloat16, the float8s, float8e8m0, float4e2m1) in wasm: memory holds their bit
// codes, expressions hold their exact value as an f64 (as the reference interpreter holds a JS number), and
// three helpers per format, added to the module on first use, convert: dec_<d> (code -> value; bfloat16 is
// inline), enc_<d> (value -> code, round to nearest even, ONNX Cast's overflow rules; enc_<d>_sat saturates)
// and rnd_<d> (an arithmetic result rounded to the format). The format parameters mirror @tensorc/ir's
// numeric layer, which the dtype tests compare against over every code.

import binaryen from 'binaryen';
import type { DType } from '@tensorc/ir';

type E = binaryen.ExpressionRef;

/** A sign-magnitude format: stored mantissa bits, bias, sign bit and special codes. */
interface MiniFormat {
  readonly manBits: number;
  readonly bias: number;
  readonly signBit: number;
  readonly maxCode: number;
  readonly infCode: number | null;
  readonly nanCode: number;
  readonly negNanCode: number;
  /** float4e2m1 has no NaN and no infinity: overflow always clamps. */
  readonly hasNaN: boolean;
  /** Whether a code is NaN: (code & mask) compared with value. */
  readonly nan: { readonly mask: number; readonly cmp: 'eq' | 'gt'; readonly value: number } | null;
  /** The "UZ" formats have no -0 (its code is their NaN). */
  readonly signedZero: boolean;
}

const FORMATS: Readonly<Record<string, MiniFormat>> = {
  float16: { manBits: 10, bias: 15, signBit: 0x8000, maxCode: 0x7bff, infCode: 0x7c00, nanCode: 0x7e00, negNanCode: 0xfe00, hasNaN: true, nan: { mask: 0x7fff, cmp: 'gt', value: 0x7c00 }, signedZero: true },
  bfloat16: { manBits: 7, bias: 127, signBit: 0x8000, maxCode: 0x7f7f, infCode: 0x7f80, nanCode: 0x7fc0, negNanCode: 0xffc0, hasNaN: true, nan: { mask: 0x7fff, cmp: 'gt', value: 0x7f80 }, signedZero: true },
  float8e4m3fn: { manBits: 3, bias: 7, signBit: 0x80, maxCode: 0x7e, infCode: null, nanCode: 0x7f, negNanCode: 0xff, hasNaN: true, nan: { mask: 0x7f, cmp: 'eq', value: 0x7f }, signedZero: true },
  float8e4m3fnuz: { manBits: 3, bias: 8, signBit: 0x80, maxCode: 0x7f, infCode: null, nanCode: 0x80, negNanCode: 0x80, hasNaN: true, nan: { mask: 0xff, cmp: 'eq', value: 0x80 }, signedZero: false },
  float8e5m2: { manBits: 2, bias: 15, signBit: 0x80, maxCode: 0x7b, infCode: 0x7c, nanCode: 0x7e, negNanCode: 0xfe, hasNaN: true, nan: { mask: 0x7f, cmp: 'gt', value: 0x7c }, signedZero: true },
  float8e5m2fnuz: { manBits: 2, bias: 16, signBit: 0x80, maxCode: 0x7f, infCode: null, nanCode: 0x80, negNanCode: 0x80, hasNaN: true, nan: { mask: 0xff, cmp: 'eq', value: 0x80 }, signedZero: false },
  float4e2m1: { manBits: 1, bias: 1, signBit: 0x8, maxCode: 0x7, infCode: null, nanCode: 0x8, negNanCode: 0x8, hasNaN: false, nan: null, signedZero: true },
};

export const CODED_FLOATS: ReadonlySet<DType> = new Set<DType>([...Object.keys(FORMATS) as DType[], 'float8e8m0']);
export const isCodedFloat = (d: DType): boolean => CODED_FLOATS.has(d);

/** Adds function `name` (through `add`) unless the module has it already; returns the name. */
export function once(m: binaryen.Module, name: string, add: () => void): string {
  if (!m.getFunction(name)) add();
  return name;
}

/** 2^k as an f64, for an i32 k in the normal exponent range. */
export const pow2 = (m: binaryen.Module, k: E): E => m.f64.reinterpret(m.i64.shl(m.i64.extend_s(m.i32.add(k, m.i32.const(1023))), m.i64.const(52n)));

/** The exact value (f64) of the code `code` (i32) of dtype d. */
export function emitDecode(m: binaryen.Module, d: DType, code: E): E {
  // bfloat16 is the top half of a float32
  if (d === 'bfloat16') return m.f64.promote(m.f32.reinterpret(m.i32.shl(code, m.i32.const(16))));
  const name = once(m, `dec_${d}`, () => (d === 'float8e8m0' ? addDecodeE8M0(m) : addDecodeMini(m, d, FORMATS[d]!)));
  return m.call(name, [code], binaryen.f64);
}

/** The code (i32) of an f64 value in dtype d; `saturate` is ONNX Cast's (float8 targets only). */
export function emitEncode(m: binaryen.Module, d: DType, x: E, saturate: boolean): E {
  const sat = saturate && d !== 'float16' && d !== 'bfloat16' && d !== 'float4e2m1';
  const name = once(m, `enc_${d}${sat ? '_sat' : ''}`, () => (d === 'float8e8m0' ? addEncodeE8M0(m, sat) : addEncodeMini(m, d, FORMATS[d]!, sat)));
  return m.call(name, [x], binaryen.i32);
}

/** An f64 rounded to dtype d as plain arithmetic results are (non-saturating), still an f64. */
export function emitRound(m: binaryen.Module, d: DType, x: E): E {
  const name = once(m, `rnd_${d}`, () => {
    if (d === 'float8e8m0') m.addFunction(`rnd_${d}`, binaryen.f64, binaryen.f64, [], emitDecode(m, d, emitEncode(m, d, m.local.get(0, binaryen.f64), false)));
    else addRoundMini(m, d, FORMATS[d]!);
  });
  return m.call(name, [x], binaryen.f64);
}

/**
 * rnd_<d> without going through the code (the hot path of narrow float arithmetic): the same rounding as
 * enc_<d> (non-saturating) followed by dec_<d>, computed on the value. Locals 0 x, 1 a = |x|, 2 e (i32), 3 r.
 */
function addRoundMini(m: binaryen.Module, d: DType, f: MiniFormat): void {
  const x = () => m.local.get(0, binaryen.f64);
  const a = () => m.local.get(1, binaryen.f64);
  const e = () => m.local.get(2, binaryen.i32);
  const r = () => m.local.get(3, binaryen.f64);
  const emin = 1 - f.bias;
  const emax = Math.floor(f.maxCode / 2 ** f.manBits) - f.bias;
  const maxValue = (2 ** f.manBits + (f.maxCode % 2 ** f.manBits)) * 2 ** (Math.floor(f.maxCode / 2 ** f.manBits) - f.bias - f.manBits);
  // overflow without saturation: infinity where the format has it, NaN where it has only NaN, float4 clamps
  const overflow = (): E => (!f.hasNaN ? m.f64.copysign(m.f64.const(maxValue), x()) : f.infCode !== null ? m.f64.copysign(m.f64.const(Infinity), x()) : m.f64.const(NaN));
  const body: E[] = [
    m.if(m.f64.ne(x(), x()), m.return(x())),
    m.local.set(1, m.f64.abs(x())),
    m.if(m.f64.ge(a(), m.f64.const(2 ** (emax + 2))), m.return(overflow())),
    m.local.set(2, m.i32.sub(m.i32.wrap(m.i64.shr_u(m.i64.reinterpret(a()), m.i64.const(52n))), m.i32.const(1023))),
    m.if(m.i32.lt_s(e(), m.i32.const(emin)), m.local.set(2, m.i32.const(emin))),
    // a rounded to a multiple of its quantum 2^(e - manBits): exact power-of-two scalings around one nearest
    m.local.set(3, m.f64.mul(m.f64.nearest(m.f64.mul(a(), pow2(m, m.i32.sub(m.i32.const(f.manBits), e())))), pow2(m, m.i32.sub(e(), m.i32.const(f.manBits))))),
    m.if(m.f64.gt(r(), m.f64.const(maxValue)), m.return(overflow())),
    m.return(f.signedZero ? m.f64.copysign(r(), x()) : m.if(m.f64.eq(r(), m.f64.const(0)), m.f64.const(0), m.f64.copysign(r(), x()))),
  ];
  m.addFunction(`rnd_${d}`, binaryen.f64, binaryen.f64, [binaryen.f64, binaryen.i32, binaryen.f64], m.block(null, body, binaryen.f64));
}

function addDecodeMini(m: binaryen.Module, d: DType, f: MiniFormat): void {
  const code = () => m.i32.and(m.local.get(0, binaryen.i32), m.i32.const(f.signBit * 2 - 1));
  const body: E[] = [];
  if (f.nan) {
    const masked = m.i32.and(code(), m.i32.const(f.nan.mask));
    const isNaN = f.nan.cmp === 'eq' ? m.i32.eq(masked, m.i32.const(f.nan.value)) : m.i32.gt_u(masked, m.i32.const(f.nan.value));
    body.push(m.if(isNaN, m.return(m.f64.const(NaN))));
  }
  body.push(m.return(m.if(m.i32.and(code(), m.i32.const(f.signBit)), m.f64.neg(magnitudeValue(m, f)), magnitudeValue(m, f))));
  m.addFunction(`dec_${d}`, binaryen.i32, binaryen.f64, [], m.block(null, body, binaryen.f64));
}

/**
 * The value of the magnitude bits of the code in local 0: expField 0 gives man * 2^(1-bias-manBits), others
 * (2^manBits + man) * 2^(expField-bias-manBits). Called once per use: binaryen expressions form a tree.
 */
function magnitudeValue(m: binaryen.Module, f: MiniFormat): E {
  const c = (v: number) => m.i32.const(v);
  const mag = () => m.i32.and(m.local.get(0, binaryen.i32), c(f.signBit - 1));
  const expField = () => m.i32.shr_u(mag(), c(f.manBits));
  const man = () => m.i32.and(mag(), c((1 << f.manBits) - 1));
  const finite = m.if(m.i32.eqz(expField()),
    m.f64.mul(m.f64.convert_u.i32(man()), pow2(m, c(1 - f.bias - f.manBits))),
    m.f64.mul(m.f64.convert_u.i32(m.i32.or(man(), c(1 << f.manBits))), pow2(m, m.i32.sub(expField(), c(f.bias + f.manBits)))));
  return f.infCode === null ? finite : m.if(m.i32.eq(mag(), c(f.infCode)), m.f64.const(Infinity), finite);
}

/**
 * enc_<d>: locals 0 x (f64), 1 a = |x|, 2 sign (i32), 3 e (i32), 4 mag (i32). The magnitude code of a is
 * (e - emin) * 2^manBits + roundEven(a * 2^(manBits - e)) with e = max(floor(log2 a), emin): the scaling is by
 * a power of two, so the one rounding is f64.nearest's (ties to even), and a mantissa carry runs into the
 * exponent field by plain addition. Magnitudes past maxCode overflow by the format's rule.
 */
function addEncodeMini(m: binaryen.Module, d: DType, f: MiniFormat, saturate: boolean): void {
  const c = (v: number) => m.i32.const(v);
  const x = () => m.local.get(0, binaryen.f64);
  const a = () => m.local.get(1, binaryen.f64);
  const sign = () => m.local.get(2, binaryen.i32);
  const e = () => m.local.get(3, binaryen.i32);
  const mag = () => m.local.get(4, binaryen.i32);
  const emin = 1 - f.bias;
  const emax = Math.floor(f.maxCode / 2 ** f.manBits) - f.bias;
  const overflow = (): E => {
    if (saturate || !f.hasNaN) return m.i32.or(sign(), c(f.maxCode));
    if (f.infCode !== null) return m.i32.or(sign(), c(f.infCode));
    return f.negNanCode === f.nanCode ? c(f.nanCode) : m.if(sign(), c(f.negNanCode), c(f.nanCode));
  };
  const body: E[] = [
    m.if(m.f64.ne(x(), x()), m.return(c(f.nanCode))),
    // the sign bit of x (so -0 keeps its sign)
    m.local.set(2, m.if(m.i64.lt_s(m.i64.reinterpret(x()), m.i64.const(0n)), c(f.signBit), c(0))),
    m.local.set(1, m.f64.abs(x())),
    // at or past 2^(emax+2) (infinity included) nothing can round back into range
    m.if(m.f64.ge(a(), m.f64.const(2 ** (emax + 2))), m.return(overflow())),
    m.local.set(3, m.i32.sub(m.i32.wrap(m.i64.shr_u(m.i64.reinterpret(a()), m.i64.const(52n))), c(1023))),
    m.if(m.i32.lt_s(e(), c(emin)), m.local.set(3, c(emin))),
    m.local.set(4, m.i32.add(m.i32.shl(m.i32.sub(e(), c(emin)), c(f.manBits)),
      m.i32.trunc_s.f64(m.f64.nearest(m.f64.mul(a(), pow2(m, m.i32.sub(c(f.manBits), e()))))))),
    m.if(m.i32.gt_u(mag(), c(f.maxCode)), m.return(overflow())),
  ];
  if (!f.signedZero) body.push(m.if(m.i32.eqz(mag()), m.return(c(0))));
  body.push(m.return(m.i32.or(sign(), mag())));
  m.addFunction(`enc_${d}${saturate ? '_sat' : ''}`, binaryen.f64, binaryen.i32, [binaryen.f64, binaryen.i32, binaryen.i32, binaryen.i32], m.block(null, body, binaryen.i32));
}

/** dec_float8e8m0: 2^(code - 127), code 0xFF is NaN. */
function addDecodeE8M0(m: binaryen.Module): void {
  const code = () => m.i32.and(m.local.get(0, binaryen.i32), m.i32.const(0xff));
  m.addFunction('dec_float8e8m0', binaryen.i32, binaryen.f64, [],
    m.if(m.i32.eq(code(), m.i32.const(0xff)), m.f64.const(NaN), pow2(m, m.i32.sub(code(), m.i32.const(127)))));
}

/**
 * enc_float8e8m0 (ONNX's default round_mode 'up'), as @tensorc/ir's encodeE8M0: the value is taken as float32
 * and rounded on its bits (sign ignored); float32 subnormals up to 2^-127 give code 0, larger ones code 1.
 * Locals 0 x (f64), 1 bits (i32), 2 exponent (i32), 3 mantissa (i32).
 */
function addEncodeE8M0(m: binaryen.Module, saturate: boolean): void {
  const c = (v: number) => m.i32.const(v);
  const x = () => m.local.get(0, binaryen.f64);
  const bits = () => m.local.get(1, binaryen.i32);
  const ex = () => m.local.get(2, binaryen.i32);
  const man = () => m.local.get(3, binaryen.i32);
  const overflow = saturate ? 0xfe : 0xff;
  const roundUp = m.if(m.i32.eqz(ex()), m.i32.gt_u(man(), c(0x400000)), m.i32.ne(man(), c(0)));
  m.addFunction(`enc_float8e8m0${saturate ? '_sat' : ''}`, binaryen.f64, binaryen.i32, [binaryen.i32, binaryen.i32, binaryen.i32], m.block(null, [
    m.if(m.f64.ne(x(), x()), m.return(c(0xff))),
    m.local.set(1, m.i32.reinterpret(m.f32.demote(x()))),
    m.local.set(2, m.i32.and(m.i32.shr_u(bits(), c(23)), c(0xff))),
    m.local.set(3, m.i32.and(bits(), c(0x7fffff))),
    m.if(m.i32.eq(ex(), c(0xff)), m.return(c(overflow))),
    m.if(m.i32.eqz(roundUp), m.return(ex())),
    m.if(m.i32.eq(ex(), c(0xfe)), m.return(c(overflow))),
    m.return(m.i32.add(ex(), c(1))),
  ], binaryen.i32));
}
