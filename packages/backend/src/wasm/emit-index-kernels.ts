// Code generation for index kernels: gather_elements (a flat loop over the output; the coordinate along
// `axis` comes from the index tensor, normalized and range-checked: a bad index traps, as the reference
// raises) and argmax/argmin along an axis (first index of the extreme value unless select_last).

import binaryen from 'binaryen';
import { emitLoad, emitStore } from './emit-nest.js';
import { binType, wasmTypeOf } from './emit-scalar.js';
import type { ArgReduceKernel, GatherElementsKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

export function emitGatherElements(m: binaryen.Module, k: GatherElementsKernel, address: (id: number) => number): void {
  const r = k.outShape.length;
  const total = k.outShape.reduce((a, b) => a * b, 1);
  const dataStrides = k.dataShape.map((_, i) => k.dataShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const [o, rem, off, ix] = [0, 1, 2, 3];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const c = (v: number) => m.i32.const(v);
  const eb = elementBytes(k.dtype);
  const ib = elementBytes(k.indexDtype);
  const idxAddr = m.i32.add(c(address(k.indices)), m.i32.mul(I(o), c(ib)));
  const loadIdx = k.indexDtype === 'int64' ? m.i32.wrap(m.i64.load(0, 8, idxAddr)) : m.i32.load(0, 4, idxAddr);
  // Unravel o (row-major over the output shape) from the innermost dim outwards, accumulating the data offset.
  const steps: E[] = [m.local.set(rem, I(o)), m.local.set(off, c(0))];
  for (let d = r - 1; d >= 0; d--) {
    const ext = k.outShape[d]!;
    const coord = d === k.axis ? I(ix) : m.i32.rem_u(I(rem), c(ext));
    steps.push(m.local.set(off, m.i32.add(I(off), m.i32.mul(coord, c(dataStrides[d]!)))));
    steps.push(m.local.set(rem, m.i32.div_u(I(rem), c(ext))));
  }
  const axisSize = k.dataShape[k.axis]!;
  const body = m.block(null, [
    m.local.set(ix, loadIdx),
    m.if(m.i32.lt_s(I(ix), c(0)), m.local.set(ix, m.i32.add(I(ix), c(axisSize)))),
    m.if(m.i32.ge_u(I(ix), c(axisSize)), m.unreachable()),
    ...steps,
    emitStore(m, k.dtype, m.i32.add(c(address(k.out)), m.i32.mul(I(o), c(eb))), emitLoad(m, k.dtype, m.i32.add(c(address(k.input)), m.i32.mul(I(off), c(eb))))),
  ]);
  const loop = total === 0 ? m.nop() : m.block(null, [
    m.local.set(o, c(0)),
    m.loop('o', m.block(null, [body, m.local.set(o, m.i32.add(I(o), c(1))), m.br_if('o', m.i32.lt_u(I(o), c(total)))])),
  ]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32], loop);
}

export function emitArgReduce(m: binaryen.Module, k: ArgReduceKernel, address: (id: number) => number): void {
  const [a, cIn, j, best, base] = [0, 1, 2, 3, 4];
  const bv = 5; // best value, in the dtype's expression type (emit-scalar.ts)
  const wt = wasmTypeOf(k.dtype);
  const vt = binType(wt);
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const c = (v: number) => m.i32.const(v);
  const at = (jj: E) => m.i32.add(c(address(k.input)), m.i32.mul(m.i32.add(I(base), m.i32.mul(jj, c(k.inner))), c(elementBytes(k.dtype))));
  const load = (jj: E) => emitLoad(m, k.dtype, at(jj));
  const BV = () => m.local.get(bv, vt);
  // "better": strictly more extreme, or equally extreme when selecting the last (plain comparisons, as the
  // reference interpreter: a NaN never wins unless it comes first); uint32/uint64 compare unsigned.
  const better = (v: () => E): E => {
    if (wt === 'f32' || wt === 'f64') {
      const f = wt === 'f32' ? m.f32 : m.f64;
      return k.mode === 'max' ? (k.selectLast ? f.ge(v(), BV()) : f.gt(v(), BV())) : k.selectLast ? f.le(v(), BV()) : f.lt(v(), BV());
    }
    const i = wt === 'i32' ? m.i32 : m.i64;
    const u = k.dtype === 'uint32' || k.dtype === 'uint64';
    if (k.mode === 'max') return k.selectLast ? (u ? i.ge_u(v(), BV()) : i.ge_s(v(), BV())) : u ? i.gt_u(v(), BV()) : i.gt_s(v(), BV());
    return k.selectLast ? (u ? i.le_u(v(), BV()) : i.le_s(v(), BV())) : u ? i.lt_u(v(), BV()) : i.lt_s(v(), BV());
  };
  const row = [
    m.local.set(base, m.i32.add(m.i32.mul(I(a), c(k.n * k.inner)), I(cIn))),
    m.local.set(best, c(0)),
    m.local.set(bv, load(c(0))),
    m.local.set(j, c(1)),
    m.block('done', [
      m.br_if('done', m.i32.ge_u(I(j), c(k.n))),
      m.loop('scan', m.block(null, [
        m.if(better(() => load(I(j))), m.block(null, [m.local.set(best, I(j)), m.local.set(bv, load(I(j)))])),
        m.local.set(j, m.i32.add(I(j), c(1))),
        m.br_if('scan', m.i32.lt_u(I(j), c(k.n))),
      ])),
    ]),
    m.i64.store(0, 8, m.i32.add(c(address(k.out)), m.i32.shl(m.i32.add(m.i32.mul(I(a), c(k.inner)), I(cIn)), c(3))), m.i64.extend_u(I(best))),
  ];
  const loops = m.block(null, [
    m.local.set(a, c(0)),
    m.loop('outer', m.block(null, [
      m.local.set(cIn, c(0)),
      m.loop('inner', m.block(null, [...row, m.local.set(cIn, m.i32.add(I(cIn), c(1))), m.br_if('inner', m.i32.lt_u(I(cIn), c(k.inner)))])),
      m.local.set(a, m.i32.add(I(a), c(1))),
      m.br_if('outer', m.i32.lt_u(I(a), c(k.outer))),
    ])),
  ]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, vt], k.n === 0 || k.outer * k.inner === 0 ? m.nop() : loops);
}
