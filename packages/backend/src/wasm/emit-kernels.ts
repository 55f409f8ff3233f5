// Code generation for the kernels that are not plain loop nests: row softmax (float64 sums, as the
// reference) and gather (index normalization and range check; a bad index traps). The GEMM is in emit-gemm.ts.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { GatherKernel, SoftmaxKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { VECTOR_MATH } from './wasm-vector-math.js';

type E = binaryen.ExpressionRef;

/** for (i = from; i < to; i += step) body — `to` evaluated each iteration. */
export function forLoop(m: binaryen.Module, label: string, i: number, from: E, to: () => E, step: number, body: E[]): E {
  const gi = () => m.local.get(i, binaryen.i32);
  return m.block(`${label}_exit`, [
    m.local.set(i, from),
    m.br_if(`${label}_exit`, m.i32.ge_s(gi(), to())),
    m.loop(label, m.block(null, [
      ...body,
      m.local.set(i, m.i32.add(gi(), m.i32.const(step))),
      m.br_if(label, m.i32.lt_s(gi(), to())),
    ])),
  ]);
}

/** `exactMath` keeps the float64 scalar code, which rounds exactly as the reference interpreter. */
export function emitSoftmax(m: binaryen.Module, math: MathImports, k: SoftmaxKernel, address: (id: number) => number, exactMath: boolean): void {
  if (!exactMath && k.inner === 1 && k.n >= 4) { emitSoftmaxRowsSimd(m, math, k, address); return; }
  const [a, c, j, mx, sum, base] = [0, 1, 2, 3, 4, 5];
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.f64, binaryen.f64, binaryen.i32];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const F = (x: number) => m.local.get(x, binaryen.f64);
  const at = (ptrBase: number) => m.i32.add(m.i32.const(ptrBase), m.i32.add(I(base), m.i32.shl(m.i32.mul(I(j), m.i32.const(k.inner)), m.i32.const(2))));
  const x = () => m.f64.promote(m.f32.load(0, 4, at(address(k.input))));
  const row = [
    // base = ((a * n) * inner + c) * 4 (byte offset of the row's first element)
    m.local.set(base, m.i32.shl(m.i32.add(m.i32.mul(m.i32.mul(I(a), m.i32.const(k.n)), m.i32.const(k.inner)), I(c)), m.i32.const(2))),
    m.local.set(mx, m.f64.const(-Infinity)),
    forLoop(m, 'max', j, m.i32.const(0), () => m.i32.const(k.n), 1, [m.local.set(mx, m.f64.max(F(mx), x()))]),
    m.local.set(sum, m.f64.const(0)),
    forLoop(m, 'sum', j, m.i32.const(0), () => m.i32.const(k.n), 1, [m.local.set(sum, m.f64.add(F(sum), m.call('exp_f64', [m.f64.sub(x(), F(mx))], binaryen.f64)))]),
    forLoop(m, 'out', j, m.i32.const(0), () => m.i32.const(k.n), 1, [
      m.f32.store(0, 4, at(address(k.out)), m.f32.demote(k.log
        ? m.f64.sub(m.f64.sub(x(), F(mx)), math.call('log', [F(sum)]))
        : m.f64.div(m.call('exp_f64', [m.f64.sub(x(), F(mx))], binaryen.f64), F(sum)))),
    ]),
  ];
  const body = forLoop(m, 'outer', a, m.i32.const(0), () => m.i32.const(k.outer), 1, [
    forLoop(m, 'inner', c, m.i32.const(0), () => m.i32.const(k.inner), 1, row),
  ]);
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, body);
}

export function emitGather(m: binaryen.Module, k: GatherKernel, address: (id: number) => number): void {
  const [a, j, c, ix] = [0, 1, 2, 3];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const eb = elementBytes(k.dtype);
  const ib = elementBytes(k.indexDtype);
  const loadIdx = k.indexDtype === 'int64' ? m.i32.wrap(m.i64.load(0, 8, m.i32.add(m.i32.const(address(k.indices)), m.i32.mul(I(j), m.i32.const(ib)))))
    : m.i32.load(0, 4, m.i32.add(m.i32.const(address(k.indices)), m.i32.mul(I(j), m.i32.const(ib))));
  // int64 indices beyond the i32 range wrap to values the range check below rejects unless they alias; the
  // reference interpreter raises on them too, so only in-range models are affected.
  const src = m.i32.add(m.i32.const(address(k.input)), m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(I(a), m.i32.const(k.axisSize)), I(ix)), m.i32.const(k.inner)), I(c)), m.i32.const(eb)));
  const dst = m.i32.add(m.i32.const(address(k.out)), m.i32.mul(m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(I(a), m.i32.const(k.numIndices)), I(j)), m.i32.const(k.inner)), I(c)), m.i32.const(eb)));
  const body = forLoop(m, 'a', a, m.i32.const(0), () => m.i32.const(k.outer), 1, [
    forLoop(m, 'j', j, m.i32.const(0), () => m.i32.const(k.numIndices), 1, [
      m.local.set(ix, loadIdx),
      m.if(m.i32.lt_s(I(ix), m.i32.const(0)), m.local.set(ix, m.i32.add(I(ix), m.i32.const(k.axisSize)))),
      m.if(m.i32.ge_u(I(ix), m.i32.const(k.axisSize)), m.unreachable()),
      forLoop(m, 'c', c, m.i32.const(0), () => m.i32.const(k.inner), 1, [emitStore(m, k.dtype, dst, emitLoad(m, k.dtype, src))]),
    ]),
  ]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32], body);
}

/**
 * Softmax over contiguous rows (the last axis) on f32x4 vectors: a max pass, an exp pass that stores
 * exp(x - max) and sums it, then a scale pass (log-softmax: x - max - log(sum)). exp is the vector
 * float32 one, so results match the reference to float32 resolution rather than bit for bit.
 */
function emitSoftmaxRowsSimd(m: binaryen.Module, math: MathImports, k: SoftmaxKernel, address: (id: number) => number): void {
  const [row, j, base] = [0, 1, 2];
  const [mx, sum] = [3, 4];
  const [vm, vs, ve] = [5, 6, 7];
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.f32, binaryen.f32, binaryen.v128, binaryen.v128, binaryen.v128];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const F = (x: number) => m.local.get(x, binaryen.f32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const n4 = k.n - (k.n % 4);
  const inAt = () => m.i32.add(c(address(k.input)), m.i32.add(I(base), m.i32.shl(I(j), c(2))));
  const outAt = () => m.i32.add(c(address(k.out)), m.i32.add(I(base), m.i32.shl(I(j), c(2))));
  const vexp = (x: binaryen.ExpressionRef) => m.call(VECTOR_MATH.exp, [x], binaryen.v128);
  const lanes = (op: 'max' | 'add', v: number) => {
    const f = (a: binaryen.ExpressionRef, b: binaryen.ExpressionRef) => (op === 'max' ? m.f32.max(a, b) : m.f32.add(a, b));
    return f(f(m.f32x4.extract_lane(V(v), 0), m.f32x4.extract_lane(V(v), 1)), f(m.f32x4.extract_lane(V(v), 2), m.f32x4.extract_lane(V(v), 3)));
  };
  const shifted = () => m.f32x4.sub(m.v128.load(0, 4, inAt()), m.f32x4.splat(F(mx)));
  const tailExp = () => m.f32x4.extract_lane(vexp(m.f32x4.splat(m.f32.sub(m.f32.load(0, 4, inAt()), F(mx)))), 0);
  const body = [
    m.local.set(base, m.i32.mul(I(row), c(k.n * 4))),
    m.local.set(vm, m.f32x4.splat(m.f32.const(-Infinity))),
    forLoop(m, 'vmax', j, c(0), () => c(n4), 4, [m.local.set(vm, m.f32x4.max(V(vm), m.v128.load(0, 4, inAt())))]),
    m.local.set(mx, lanes('max', vm)),
    forLoop(m, 'tmax', j, c(n4), () => c(k.n), 1, [m.local.set(mx, m.f32.max(F(mx), m.f32.load(0, 4, inAt())))]),
    m.local.set(vs, m.f32x4.splat(m.f32.const(0))),
    forLoop(m, 'vexp', j, c(0), () => c(n4), 4, [
      m.local.set(ve, vexp(shifted())),
      ...(k.log ? [] : [m.v128.store(0, 4, outAt(), V(ve))]),
      m.local.set(vs, m.f32x4.add(V(vs), V(ve))),
    ]),
    m.local.set(sum, lanes('add', vs)),
    forLoop(m, 'texp', j, c(n4), () => c(k.n), 1, k.log
      ? [m.local.set(sum, m.f32.add(F(sum), tailExp()))]
      : [m.f32.store(0, 4, outAt(), tailExp()), m.local.set(sum, m.f32.add(F(sum), m.f32.load(0, 4, outAt())))]),
    ...(k.log
      ? [
        // out = (x - max) - log(sum); `sum` becomes max + log(sum)
        m.local.set(sum, m.f32.add(F(mx), m.f32.demote(math.call('log', [m.f64.promote(F(sum))])))),
        forLoop(m, 'vout', j, c(0), () => c(n4), 4, [m.v128.store(0, 4, outAt(), m.f32x4.sub(m.v128.load(0, 4, inAt()), m.f32x4.splat(F(sum))))]),
        forLoop(m, 'tout', j, c(n4), () => c(k.n), 1, [m.f32.store(0, 4, outAt(), m.f32.sub(m.f32.load(0, 4, inAt()), F(sum)))]),
      ]
      : [
        m.local.set(sum, m.f32.div(m.f32.const(1), F(sum))),
        forLoop(m, 'vout', j, c(0), () => c(n4), 4, [m.v128.store(0, 4, outAt(), m.f32x4.mul(m.v128.load(0, 4, outAt()), m.f32x4.splat(F(sum))))]),
        forLoop(m, 'tout', j, c(n4), () => c(k.n), 1, [m.f32.store(0, 4, outAt(), m.f32.mul(m.f32.load(0, 4, outAt()), F(sum)))]),
      ]),
  ];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, forLoop(m, 'row', row, c(0), () => c(k.outer), 1, body));
}
