// Top-k by repeated selection: output slot s takes, among the elements that come after slot s-1 in the sort
// order, the one that comes first. The order is value descending (ascending for smallest) with ties to the
// lower index and NaN above every number, as ONNX's reference sorts. O(n*k) per row: fine for routers' small k.

import binaryen from 'binaryen';
import type { TopKKernel } from './kernel-plan.js';

type E = binaryen.ExpressionRef;

export function emitTopK(m: binaryen.Module, k: TopKKernel, address: (id: number) => number): void {
  // before(a, ia, b, ib): does (a, ia) come before (b, ib) in the output order?
  const beforeName = `${k.name}_before`;
  {
    const a = () => m.local.get(0, binaryen.f32);
    const ia = () => m.local.get(1, binaryen.i32);
    const b = () => m.local.get(2, binaryen.f32);
    const ib = () => m.local.get(3, binaryen.i32);
    const nanA = () => m.f32.ne(a(), a());
    const nanB = () => m.f32.ne(b(), b());
    const strictly = k.largest ? m.f32.gt(a(), b()) : m.f32.lt(a(), b());
    const tie = m.i32.and(m.f32.eq(a(), b()), m.i32.lt_s(ia(), ib()));
    const bothNaN = m.i32.and(nanA(), nanB());
    // NaN sorts above every number: first when largest, last when smallest.
    const body = m.if(bothNaN, m.i32.lt_s(ia(), ib()),
      m.if(nanA(), m.i32.const(k.largest ? 1 : 0),
        m.if(nanB(), m.i32.const(k.largest ? 0 : 1), m.i32.or(strictly, tie))));
    m.addFunction(beforeName, binaryen.createType([binaryen.f32, binaryen.i32, binaryen.f32, binaryen.i32]), binaryen.i32, [], body);
  }
  const [a, c, s, j, best, base, prevI] = [0, 1, 2, 3, 4, 5, 6];
  const [prevV, bestV, v] = [7, 8, 9];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const F = (l: number) => m.local.get(l, binaryen.f32);
  const C = (x: number) => m.i32.const(x);
  const before = (av: E, ai: E, bv: E, bi: E) => m.call(beforeName, [av, ai, bv, bi], binaryen.i32);
  const inAt = (jj: E) => m.i32.add(C(address(k.input)), m.i32.shl(m.i32.add(I(base), m.i32.mul(jj, C(k.inner))), C(2)));
  const outPos = () => m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(I(a), C(k.k)), I(s)), C(k.inner)), I(c));
  const loop = (label: string, idx: number, end: number, body: E[]): E => m.block(`${label}_x`, [
    m.local.set(idx, C(0)),
    m.br_if(`${label}_x`, m.i32.ge_u(I(idx), C(end))),
    m.loop(label, m.block(null, [...body, m.local.set(idx, m.i32.add(I(idx), C(1))), m.br_if(label, m.i32.lt_u(I(idx), C(end)))])),
  ]);
  const scan = loop('j', j, k.n, [
    m.local.set(v, m.f32.load(0, 4, inAt(I(j)))),
    // a candidate comes after the previous pick (any element when s = 0) and before the best so far
    m.if(m.i32.and(m.i32.or(m.i32.eqz(I(s)), before(F(prevV), I(prevI), F(v), I(j))),
      m.i32.or(m.i32.lt_s(I(best), C(0)), before(F(v), I(j), F(bestV), I(best)))),
    m.block(null, [m.local.set(best, I(j)), m.local.set(bestV, F(v))])),
  ]);
  const slot = loop('s', s, k.k, [
    m.local.set(best, C(-1)),
    scan,
    m.f32.store(0, 4, m.i32.add(C(address(k.out)), m.i32.shl(outPos(), C(2))), F(bestV)),
    m.i64.store(0, 8, m.i32.add(C(address(k.indicesOut)), m.i32.shl(outPos(), C(3))), m.i64.extend_u(I(best))),
    m.local.set(prevI, I(best)),
    m.local.set(prevV, F(bestV)),
  ]);
  const body = loop('a', a, k.outer, [loop('c', c, k.inner, [m.local.set(base, m.i32.add(m.i32.mul(I(a), C(k.n * k.inner)), I(c))), slot])]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [...Array(7).fill(binaryen.i32), binaryen.f32, binaryen.f32, binaryen.f32], k.k === 0 ? m.nop() : body);
}
