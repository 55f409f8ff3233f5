// Code generation for the LayerNorm row kernel: per contiguous row, a mean pass, a variance pass and a
// normalize-scale-shift pass. Rows are its work units, `(begin, end, worker)`: a threaded variant splits them.
// Like the contractions it replaces, sums accumulate in float64 and round to float32 once; every other step is
// float32, so results are bit for bit those of the reference interpreter.

import binaryen from 'binaryen';
import type { LayerNormKernel } from './kernel-plan.js';

type E = binaryen.ExpressionRef;

/** Adds function `k.name(begin: i32, end: i32, worker: i32)` normalizing rows [begin, end). */
export function emitLayerNorm(m: binaryen.Module, k: LayerNormKernel, address: (id: number) => number): void {
  const [begin, end] = [0, 1];
  const [row, j, base, sum, mean, rstd, d] = [3, 4, 5, 6, 7, 8, 9];
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.f64, binaryen.f32, binaryen.f32, binaryen.f32];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const F = (x: number) => m.local.get(x, binaryen.f32);
  const S = () => m.local.get(sum, binaryen.f64);
  const c = (v: number) => m.i32.const(v);
  const f = (v: number) => m.f32.const(v);
  const x = () => m.f32.load(0, 4, m.i32.add(c(address(k.input)), m.i32.add(I(base), m.i32.shl(I(j), c(2)))));
  const vec = (id: number) => m.f32.load(0, 4, m.i32.add(c(address(id)), m.i32.shl(I(j), c(2))));
  const overRow = (label: string, body: E[]): E => m.block(`${label}_exit`, [
    m.local.set(j, c(0)),
    m.loop(label, m.block(null, [...body, m.local.set(j, m.i32.add(I(j), c(1))), m.br_if(label, m.i32.lt_s(I(j), c(k.n)))])),
  ]);
  const perRow = [
    m.local.set(base, m.i32.mul(I(row), c(k.n * 4))),
    m.local.set(sum, m.f64.const(0)),
    overRow('mean', [m.local.set(sum, m.f64.add(S(), m.f64.promote(x())))]),
    m.local.set(mean, m.f32.div(m.f32.demote(S()), f(k.n))),
    m.local.set(sum, m.f64.const(0)),
    overRow('var', [m.local.set(d, m.f32.sub(x(), F(mean))), m.local.set(sum, m.f64.add(S(), m.f64.promote(m.f32.mul(F(d), F(d)))))]),
    m.local.set(rstd, m.f32.div(f(1), m.f32.sqrt(m.f32.add(m.f32.div(m.f32.demote(S()), f(k.n)), f(k.eps))))),
    overRow('norm', [m.f32.store(0, 4, m.i32.add(c(address(k.out)), m.i32.add(I(base), m.i32.shl(I(j), c(2)))),
      m.f32.add(m.f32.mul(m.f32.mul(m.f32.sub(x(), F(mean)), F(rstd)), vec(k.gamma)), vec(k.beta)))]),
  ];
  const body = m.block('rows_exit', [
    m.local.set(row, I(begin)),
    m.br_if('rows_exit', m.i32.ge_s(I(row), I(end))),
    m.loop('rows', m.block(null, [...perRow, m.local.set(row, m.i32.add(I(row), c(1))), m.br_if('rows', m.i32.lt_s(I(row), I(end)))])),
  ]);
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, body);
}
