// Code generation for ScatterElements / ScatterND: the data is copied into the output (memory.copy), then the
// updates are applied in order, each index normalized (negative counts from the end) and range-checked (a bad
// index traps, as the reference interpreter raises). Reductions combine in the element type as the reference
// stores them: float ops round once per update, integers wrap, NaN propagates through max/min, bool add/mul
// are or/and. Also the index helper GatherND shares.

import binaryen from 'binaryen';
import { CompileError, type DType, type ScatterReduction } from '@tensorc/ir';
import { binType, emitCast, wasmTypeOf } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { ScatterKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { isCodedFloat } from './wasm-coded-float.js';

type E = binaryen.ExpressionRef;

/**
 * Loads the index at byte address `at` (int32 or int64), normalizes it against an axis of size n and traps when
 * it is out of range; leaves it in i32 local `into`. int64 indices are checked before narrowing, so a huge
 * index cannot wrap into range. `tmp64` is an i64 scratch local.
 */
export function loadCheckedIndex(m: binaryen.Module, dtype: DType, at: E, n: number, into: number, tmp64: number): E[] {
  if (dtype === 'int64') {
    const T = () => m.local.get(tmp64, binaryen.i64);
    return [
      m.local.set(tmp64, m.i64.load(0, 8, at)),
      m.if(m.i64.lt_s(T(), m.i64.const(0n)), m.local.set(tmp64, m.i64.add(T(), m.i64.const(BigInt(n))))),
      m.if(m.i64.ge_u(T(), m.i64.const(BigInt(n))), m.unreachable()),
      m.local.set(into, m.i32.wrap(T())),
    ];
  }
  if (dtype !== 'int32') throw new CompileError('UNSUPPORTED_OP', `backend: ${dtype} indices are not supported (int32 or int64)`);
  const X = () => m.local.get(into, binaryen.i32);
  return [
    m.local.set(into, m.i32.load(0, 4, at)),
    m.if(m.i32.lt_s(X(), m.i32.const(0)), m.local.set(into, m.i32.add(X(), m.i32.const(n)))),
    m.if(m.i32.ge_u(X(), m.i32.const(n)), m.unreachable()),
  ];
}

/** Element types combined exactly as the reference stores them: floats in their wasm type (the narrow ones as
 * exact f64 values, one rounding at the store), integers wrapping (sub-byte ones masked at the store). */
const REDUCIBLE: ReadonlySet<DType> = new Set([
  'float32', 'float64', 'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1',
  'int64', 'uint64', 'int32', 'uint32', 'int16', 'uint16', 'int8', 'uint8', 'int4', 'uint4', 'int2', 'uint2', 'bool',
]);

/** Checks at compile time that the kernel's dtype can be combined with `reduction`. */
export function checkScatterReduction(dtype: DType, reduction: ScatterReduction): string | undefined {
  return reduction === 'none' || REDUCIBLE.has(dtype) ? undefined : `scatter reduction ${reduction} on ${dtype} is not supported yet`;
}

/** old (reduction) v, in the element's wasm type; `old` and `v` give fresh reads of two locals. */
function combine(m: binaryen.Module, dtype: DType, reduction: ScatterReduction, old: () => E, v: () => E): E {
  const wt = wasmTypeOf(dtype);
  if (reduction === 'none') return v();
  if (wt === 'f32' || wt === 'f64') {
    const f = wt === 'f32' ? m.f32 : m.f64;
    return reduction === 'add' ? f.add(old(), v()) : reduction === 'mul' ? f.mul(old(), v()) : reduction === 'max' ? f.max(old(), v()) : f.min(old(), v());
  }
  if (dtype === 'bool') return reduction === 'add' || reduction === 'max' ? m.i32.or(old(), v()) : m.i32.and(old(), v());
  const i = wt === 'i64' ? m.i64 : m.i32;
  if (reduction === 'add') return i.add(old(), v());
  if (reduction === 'mul') return i.mul(old(), v());
  // Narrow integers sit sign- or zero-extended in an i32, so signed comparisons order them; uint32/64 need unsigned.
  const unsigned = dtype === 'uint32' || dtype === 'uint64';
  const gt = unsigned ? i.gt_u(v(), old()) : i.gt_s(v(), old());
  const lt = unsigned ? i.lt_u(v(), old()) : i.lt_s(v(), old());
  return m.select(reduction === 'max' ? gt : lt, v(), old());
}

/** Moves one element's bytes unchanged (any dtype: no decode / encode, NaN payloads kept). */
function copyElement(m: binaryen.Module, bytes: number, dst: E, src: E): E {
  switch (bytes) {
    case 1: return m.i32.store8(0, 1, dst, m.i32.load8_u(0, 1, src));
    case 2: return m.i32.store16(0, 2, dst, m.i32.load16_u(0, 2, src));
    case 4: return m.i32.store(0, 4, dst, m.i32.load(0, 4, src));
    default: return m.i64.store(0, 8, dst, m.i64.load(0, 8, src));
  }
}

const rowMajor = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

export function emitScatter(m: binaryen.Module, k: ScatterKernel, address: (id: number) => number): void {
  const eb = elementBytes(k.dtype);
  const ib = elementBytes(k.indexDtype);
  // (a placeholder value type when nothing is combined: 'none' moves bytes, for any dtype)
  const vt = k.reduction === 'none' ? binaryen.i32 : binType(wasmTypeOf(k.dtype));
  const [u, e, off, rem, ix] = [0, 1, 2, 3, 4];
  const [oldL, vL, tmp64] = [5, 6, 7];
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, vt, vt, binaryen.i64];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const C = (x: number) => m.i32.const(x);
  const total = k.dataShape.reduce((a, b) => a * b, 1);
  const dataStrides = rowMajor(k.dataShape);
  const loop = (label: string, idx: number, end: number, body: E[]): E => m.block(`${label}_x`, [
    m.local.set(idx, C(0)),
    m.br_if(`${label}_x`, m.i32.ge_u(I(idx), C(end))),
    m.loop(label, m.block(null, [...body, m.local.set(idx, m.i32.add(I(idx), C(1))), m.br_if(label, m.i32.lt_u(I(idx), C(end)))])),
  ]);
  // The narrow floats are held by value in the reference, so a NaN code comes out as the format's one NaN:
  // their elements move through decode / encode; everything else moves as raw bytes.
  const coded = isCodedFloat(k.dtype);
  const move = (dst: E, src: E): E => (coded ? emitStore(m, k.dtype, dst, emitLoad(m, k.dtype, src)) : copyElement(m, eb, dst, src));
  const at = (buffer: number, element: E) => m.i32.add(C(address(buffer)), m.i32.mul(element, C(eb)));
  // out[off] (reduction)= updates[at]; both element indices
  const apply = (upd: () => E): E[] => {
    const outAt = () => at(k.out, I(off));
    if (k.reduction === 'none') return [move(outAt(), at(k.updates, upd()))];
    const combined = combine(m, k.dtype, k.reduction, () => m.local.get(oldL, vt), () => m.local.get(vL, vt));
    return [
      m.local.set(oldL, emitLoad(m, k.dtype, outAt())),
      m.local.set(vL, emitLoad(m, k.dtype, at(k.updates, upd()))),
      // narrow floats combine as exact f64 values, rounded to the format once (overflow gives its NaN / inf by value)
      emitStore(m, k.dtype, outAt(), coded ? emitCast(m, combined, 'float64', k.dtype) : combined),
    ];
  };
  const copy = total === 0 ? m.nop()
    : coded ? loop('c', u, total, [move(at(k.out, I(u)), at(k.data, I(u)))])
      : m.memory.copy(C(address(k.out)), C(address(k.data)), C(total * eb));
  let body: E;
  if (k.mode.kind === 'elements') {
    const axis = k.mode.axis;
    const count = k.indicesShape.reduce((a, b) => a * b, 1);
    // Unravel u over the indices' shape from the innermost dim outwards, accumulating the data offset.
    const unravel: E[] = [m.local.set(rem, I(u)), m.local.set(off, C(0))];
    for (let d = k.indicesShape.length - 1; d >= 0; d--) {
      const ext = k.indicesShape[d]!;
      const coord = d === axis ? I(ix) : m.i32.rem_u(I(rem), C(ext));
      unravel.push(m.local.set(off, m.i32.add(I(off), m.i32.mul(coord, C(dataStrides[d]!)))));
      unravel.push(m.local.set(rem, m.i32.div_u(I(rem), C(ext))));
    }
    body = loop('u', u, count, [
      ...loadCheckedIndex(m, k.indexDtype, m.i32.add(C(address(k.indices)), m.i32.mul(I(u), C(ib))), k.dataShape[axis]!, ix, tmp64),
      ...unravel,
      ...apply(() => I(u)),
    ]);
  } else {
    const q = k.indicesShape.length;
    const kk = k.indicesShape[q - 1]!;
    const count = k.indicesShape.slice(0, q - 1).reduce((a, b) => a * b, 1);
    const slice = k.dataShape.slice(kk).reduce((a, b) => a * b, 1);
    const tuple: E[] = [m.local.set(off, C(0))];
    for (let j = 0; j < kk; j++) {
      const at = m.i32.add(C(address(k.indices)), m.i32.mul(m.i32.add(m.i32.mul(I(u), C(kk)), C(j)), C(ib)));
      tuple.push(...loadCheckedIndex(m, k.indexDtype, at, k.dataShape[j]!, ix, tmp64));
      tuple.push(m.local.set(off, m.i32.add(I(off), m.i32.mul(I(ix), C(dataStrides[j]!)))));
    }
    const sliceBody = k.reduction === 'none' && !coded
      ? [m.memory.copy(m.i32.add(C(address(k.out)), m.i32.mul(I(off), C(eb))), m.i32.add(C(address(k.updates)), m.i32.mul(I(u), C(slice * eb))), C(slice * eb))]
      : [loop('e', e, slice, [
        ...apply(() => m.i32.add(m.i32.mul(I(u), C(slice)), I(e))),
        m.local.set(off, m.i32.add(I(off), C(1))),
      ])];
    body = loop('u', u, count, [...tuple, ...sliceBody]);
  }
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, m.block(null, [copy, body]));
}
