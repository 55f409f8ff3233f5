// Code generation for running reductions (CumSum, CumProd, and max/min scans) along an axis: one pass per row
// with a byte pointer stepping by ±inner elements. The accumulator is kept as the reference interpreter keeps
// it: float64 for floats (rounded to the element type at each store; the narrow floats load as their exact
// value), wrapping i32/i64 for integers (sub-byte ones stored masked). Exclusive
// scans store before accumulating; the empty max/min is the type's bound.

import binaryen from 'binaryen';
import { type DType, intRange, isFloat } from '@tensorc/ir';
import { binType, emitCast, wasmTypeOf } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { CumulativeKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

/** The dtype the accumulator is kept in. */
function accDtypeOf(d: DType): 'float64' | 'int64' | 'int32' {
  if (isFloat(d)) return 'float64';
  return wasmTypeOf(d) === 'i64' ? 'int64' : 'int32';
}

/** Identity of the reducer (the exclusive scan's first value), as the accumulator's wasm constant. */
function initial(m: binaryen.Module, k: CumulativeKernel): E {
  const acc = accDtypeOf(k.dtype);
  if (acc === 'float64') return m.f64.const(k.reducer === 'add' ? 0 : k.reducer === 'mul' ? 1 : k.reducer === 'max' ? -Infinity : Infinity);
  if (k.reducer === 'add') return acc === 'int64' ? m.i64.const(0n) : m.i32.const(0);
  if (k.reducer === 'mul') return acc === 'int64' ? m.i64.const(1n) : m.i32.const(1);
  // the type's lowest value for max, highest for min, as the bit pattern the accumulator holds
  const r = intRange(k.dtype);
  const bound = k.reducer === 'max' ? r.min : r.max;
  return acc === 'int64' ? m.i64.const(BigInt.asIntN(64, bound)) : m.i32.const(Number(BigInt.asIntN(32, bound)));
}

/** acc (reducer)= v; `a` and `v` are fresh reads of the accumulator and the loaded element. */
function step(m: binaryen.Module, k: CumulativeKernel, a: () => E, v: () => E): E {
  const acc = accDtypeOf(k.dtype);
  if (acc === 'float64') {
    const f = m.f64;
    return k.reducer === 'add' ? f.add(a(), v()) : k.reducer === 'mul' ? f.mul(a(), v()) : k.reducer === 'max' ? f.max(a(), v()) : f.min(a(), v());
  }
  const i = acc === 'int64' ? m.i64 : m.i32;
  if (k.reducer === 'add') return i.add(a(), v());
  if (k.reducer === 'mul') return i.mul(a(), v());
  // Narrow integers are loaded sign- or zero-extended, so signed comparisons order them; uint32/64 need unsigned.
  const unsigned = k.dtype === 'uint32' || k.dtype === 'uint64';
  const gt = unsigned ? i.gt_u(v(), a()) : i.gt_s(v(), a());
  const lt = unsigned ? i.lt_u(v(), a()) : i.lt_s(v(), a());
  return m.select(k.reducer === 'max' ? gt : lt, v(), a());
}

export function emitCumulative(m: binaryen.Module, k: CumulativeKernel, address: (id: number) => number): void {
  const acc = accDtypeOf(k.dtype);
  const accT = binType(wasmTypeOf(acc));
  const [a, c, s, inPtr, outPtr] = [0, 1, 2, 3, 4];
  const [accL, vL] = [5, 6];
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, accT, accT];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const C = (x: number) => m.i32.const(x);
  const A = () => m.local.get(accL, accT);
  const V = () => m.local.get(vL, accT);
  const eb = elementBytes(k.dtype);
  const stride = (k.reverse ? -1 : 1) * k.inner * eb;
  const firstOffset = (k.reverse ? k.n - 1 : 0) * k.inner * eb;
  const store = () => emitStore(m, k.dtype, I(outPtr), emitCast(m, A(), acc, k.dtype));
  const accumulate = [m.local.set(vL, emitCast(m, emitLoad(m, k.dtype, I(inPtr)), k.dtype, acc)), m.local.set(accL, step(m, k, A, V))];
  const loop = (label: string, idx: number, end: number, body: E[]): E => m.block(`${label}_x`, [
    m.local.set(idx, C(0)),
    m.br_if(`${label}_x`, m.i32.ge_u(I(idx), C(end))),
    m.loop(label, m.block(null, [...body, m.local.set(idx, m.i32.add(I(idx), C(1))), m.br_if(label, m.i32.lt_u(I(idx), C(end)))])),
  ]);
  const row = [
    // element offset of the row's first visited element, in bytes: ((a * n) * inner + c) * eb (+ the reverse start)
    m.local.set(inPtr, m.i32.add(C(firstOffset), m.i32.mul(m.i32.add(m.i32.mul(I(a), C(k.n * k.inner)), I(c)), C(eb)))),
    m.local.set(outPtr, m.i32.add(I(inPtr), C(address(k.out)))),
    m.local.set(inPtr, m.i32.add(I(inPtr), C(address(k.input)))),
    m.local.set(accL, initial(m, k)),
    loop('s', s, k.n, [
      ...(k.exclusive ? [store(), ...accumulate] : [...accumulate, store()]),
      m.local.set(inPtr, m.i32.add(I(inPtr), C(stride))),
      m.local.set(outPtr, m.i32.add(I(outPtr), C(stride))),
    ]),
  ];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, loop('a', a, k.outer, [loop('c', c, k.inner, row)]));
}
