// Code generation for the kernels that are not plain loop nests: row softmax (float64 sums, as the
// reference) and gather (index normalization and range check; a bad index traps). The GEMM is in emit-gemm.ts.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { GatherKernel, SoftmaxKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

/** for (i = from; i < to; i += step) body — `to` evaluated each iteration. */
function forLoop(m: binaryen.Module, label: string, i: number, from: E, to: () => E, step: number, body: E[]): E {
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

export function emitSoftmax(m: binaryen.Module, math: MathImports, k: SoftmaxKernel, address: (id: number) => number): void {
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
