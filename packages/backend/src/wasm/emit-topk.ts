// Top-k by repeated selection: output slot s takes, among the elements that come after slot s-1 in the sort
// order, the one that comes first. The order is value descending (ascending for smallest) with ties to the
// lower index and NaN above every number, as ONNX's reference sorts. O(n*k) per row: fine for routers' small k.
// Any numeric dtype: values are held in their expression type (emit-scalar.ts); uint32/uint64 compare unsigned.

import binaryen from 'binaryen';
import { binType, wasmTypeOf } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { TopKKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

export function emitTopK(m: binaryen.Module, k: TopKKernel, address: (id: number) => number): void {
  // before(a, ia, b, ib): does (a, ia) come before (b, ib) in the output order?
  const beforeName = `${k.name}_before`;
  const wt = wasmTypeOf(k.dtype);
  const vt = binType(wt);
  {
    const a = () => m.local.get(0, vt);
    const ia = () => m.local.get(1, binaryen.i32);
    const b = () => m.local.get(2, vt);
    const ib = () => m.local.get(3, binaryen.i32);
    let body: E;
    if (wt === 'f32' || wt === 'f64') {
      const f = wt === 'f32' ? m.f32 : m.f64;
      const nanA = () => f.ne(a(), a());
      const nanB = () => f.ne(b(), b());
      const strictly = k.largest ? f.gt(a(), b()) : f.lt(a(), b());
      const tie = m.i32.and(f.eq(a(), b()), m.i32.lt_s(ia(), ib()));
      const bothNaN = m.i32.and(nanA(), nanB());
      // NaN sorts above every number: first when largest, last when smallest.
      body = m.if(bothNaN, m.i32.lt_s(ia(), ib()),
        m.if(nanA(), m.i32.const(k.largest ? 1 : 0),
          m.if(nanB(), m.i32.const(k.largest ? 0 : 1), m.i32.or(strictly, tie))));
    } else {
      const i = wt === 'i32' ? m.i32 : m.i64;
      const unsigned = k.dtype === 'uint32' || k.dtype === 'uint64';
      const strictly = k.largest ? (unsigned ? i.gt_u(a(), b()) : i.gt_s(a(), b())) : unsigned ? i.lt_u(a(), b()) : i.lt_s(a(), b());
      body = m.i32.or(strictly, m.i32.and(i.eq(a(), b()), m.i32.lt_s(ia(), ib())));
    }
    m.addFunction(beforeName, binaryen.createType([vt, binaryen.i32, vt, binaryen.i32]), binaryen.i32, [], body);
  }
  const [a, c, s, j, best, base, prevI] = [0, 1, 2, 3, 4, 5, 6];
  const [prevV, bestV, v] = [7, 8, 9];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const F = (l: number) => m.local.get(l, vt);
  const eb = elementBytes(k.dtype);
  const C = (x: number) => m.i32.const(x);
  const before = (av: E, ai: E, bv: E, bi: E) => m.call(beforeName, [av, ai, bv, bi], binaryen.i32);
  const inAt = (jj: E) => m.i32.add(C(address(k.input)), m.i32.mul(m.i32.add(I(base), m.i32.mul(jj, C(k.inner))), C(eb)));
  const outPos = () => m.i32.add(m.i32.mul(m.i32.add(m.i32.mul(I(a), C(k.k)), I(s)), C(k.inner)), I(c));
  const loop = (label: string, idx: number, end: number, body: E[]): E => m.block(`${label}_x`, [
    m.local.set(idx, C(0)),
    m.br_if(`${label}_x`, m.i32.ge_u(I(idx), C(end))),
    m.loop(label, m.block(null, [...body, m.local.set(idx, m.i32.add(I(idx), C(1))), m.br_if(label, m.i32.lt_u(I(idx), C(end)))])),
  ]);
  const scan = loop('j', j, k.n, [
    m.local.set(v, emitLoad(m, k.dtype, inAt(I(j)))),
    // a candidate comes after the previous pick (any element when s = 0) and before the best so far
    m.if(m.i32.and(m.i32.or(m.i32.eqz(I(s)), before(F(prevV), I(prevI), F(v), I(j))),
      m.i32.or(m.i32.lt_s(I(best), C(0)), before(F(v), I(j), F(bestV), I(best)))),
    m.block(null, [m.local.set(best, I(j)), m.local.set(bestV, F(v))])),
  ]);
  const slot = loop('s', s, k.k, [
    m.local.set(best, C(-1)),
    scan,
    emitStore(m, k.dtype, m.i32.add(C(address(k.out)), m.i32.mul(outPos(), C(eb))), F(bestV)),
    m.i64.store(0, 8, m.i32.add(C(address(k.indicesOut)), m.i32.shl(outPos(), C(3))), m.i64.extend_u(I(best))),
    m.local.set(prevI, I(best)),
    m.local.set(prevV, F(bestV)),
  ]);
  const body = loop('a', a, k.outer, [loop('c', c, k.inner, [m.local.set(base, m.i32.add(m.i32.mul(I(a), C(k.n * k.inner)), I(c))), slot])]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [...Array(7).fill(binaryen.i32), vt, vt, vt], k.k === 0 ? m.nop() : body);
}
