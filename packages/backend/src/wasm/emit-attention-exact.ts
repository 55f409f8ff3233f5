// The attention kernel under exactMath: the reference interpreter's roundings without its score matrix. Per
// query row, three passes over the keys recompute each score exactly as the QKᵀ contraction does (float32
// products summed in float64, rounded to float32 once, then the score epilogue in float32): the max, the
// float64 sum of exp(s - max), then p = float32(exp(s - max) / sum), whose float32 products with v add up in
// float64 sums per feature (in the worker's scratch slot), rounded once. Same units and function signature as emit-attention.ts; slow.

import binaryen from 'binaryen';
import { attentionUnitStart } from './attention-unit.js';
import { forLoop } from './emit-kernels.js';
import { emitLoad } from './emit-nest.js';
import { type MathImports, emitScalar } from './emit-scalar.js';
import type { AttentionKernel } from './lower-attention.js';
import { elementBytes } from './memory-plan.js';
import { slotGuard } from './scratch-slots.js';

type E = binaryen.ExpressionRef;

export function emitAttentionExact(m: binaryen.Module, math: MathImports, k: AttentionKernel, address: (id: number) => number): void {
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return 2 + vars.length; };
  const i32 = () => local(binaryen.i32);
  const [u, rest, idx, r0, nr, slot, row, j, dd, e, pk] = Array.from({ length: 11 }, i32);
  const [qB, kB, vB, oB] = [i32(), i32(), i32(), i32()];
  const eB = k.extras.map(() => i32());
  const [mx, sum, sacc] = [local(binaryen.f64), local(binaryen.f64), local(binaryen.f64)];
  const [s, p] = [local(binaryen.f32), local(binaryen.f32)];
  let labels = 0;
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const D64 = (x: number) => m.local.get(x, binaryen.f64);
  const F32 = (x: number) => m.local.get(x, binaryen.f32);
  const c = (x: number) => m.i32.const(x);
  const add = (a: E, b: E) => m.i32.add(a, b);
  const mul = (a: E, x: number) => (x === 1 ? a : m.i32.mul(a, c(x)));
  const loop = (name: string, i: number, from: E, to: () => E, body: E[]) => forLoop(m, `${name}${labels++}`, i, from, to, 1, body);
  const unitStart = attentionUnitStart(m, k, address, { u, rest, idx, r0, nr, qB, kB, vB, oB, eB });

  // s = score of query row `row` (of the block) and key j
  const score = (): E[] => [
    m.local.set(sacc, m.f64.const(0)),
    m.local.set(pk, add(I(kB), mul(I(j), k.k.key * 4))),
    loop('sd', dd, c(0), () => c(k.depth), [
      m.local.set(sacc, m.f64.add(D64(sacc), m.f64.promote(m.f32.mul(
        m.f32.load(0, 4, add(add(I(qB), mul(I(row), k.q.row * 4)), mul(I(dd), k.q.depth * 4))),
        m.f32.load(0, 4, add(I(pk), mul(I(dd), k.k.depth * 4))))))),
    ]),
    m.local.set(s, k.scoreEpilogue === null ? m.f32.demote(D64(sacc)) : emitScalar(m, math, k.scoreEpilogue, {
      argTypes: ['float32', 'float32', 'float32', ...k.extras.map((o) => o.dtype)], accDtype: 'float32',
      acc: () => m.f32.demote(D64(sacc)),
      arg: (i) => {
        const o = k.extras[i - 3]!;
        const b = elementBytes(o.dtype);
        return emitLoad(m, o.dtype, add(add(I(eB[i - 3]!), mul(I(row), o.row * b)), mul(I(j), o.key * b)));
      },
    })),
  ];
  const shifted = () => m.f64.sub(m.f64.promote(F32(s)), D64(mx));
  const accAt = () => add(I(slot), m.i32.shl(I(e), c(3)));
  const perRow = [
    m.local.set(mx, m.f64.const(-Infinity)),
    loop('mj', j, c(0), () => c(k.keys), [...score(), m.local.set(mx, m.f64.max(D64(mx), m.f64.promote(F32(s))))]),
    m.local.set(sum, m.f64.const(0)),
    loop('sj', j, c(0), () => c(k.keys), [...score(), m.local.set(sum, m.f64.add(D64(sum), m.call('exp_f64', [shifted()], binaryen.f64)))]),
    loop('ze', e, c(0), () => c(k.features), [m.f64.store(0, 8, accAt(), m.f64.const(0))]),
    loop('pj', j, c(0), () => c(k.keys), [
      ...score(),
      m.local.set(p, m.f32.demote(m.f64.div(m.call('exp_f64', [shifted()], binaryen.f64), D64(sum)))),
      m.local.set(pk, add(I(vB), mul(I(j), k.v.key * 4))),
      loop('pe', e, c(0), () => c(k.features), [
        m.f64.store(0, 8, accAt(), m.f64.add(m.f64.load(0, 8, accAt()), m.f64.promote(m.f32.mul(F32(p), m.f32.load(0, 4, add(I(pk), mul(I(e), k.v.feature * 4))))))),
      ]),
    ]),
    loop('oe', e, c(0), () => c(k.features), [
      m.f32.store(0, 4, add(add(I(oB), mul(I(row), k.out.row * 4)), mul(I(e), k.out.feature * 4)), m.f32.demote(m.f64.load(0, 8, accAt()))),
    ]),
  ];
  const body = [
    slotGuard(m, 2, k.slots),
    m.local.set(slot, add(c(address(k.scratch)), mul(m.local.get(2, binaryen.i32), k.slotBytes))),
    loop('u', u, m.local.get(0, binaryen.i32), () => m.local.get(1, binaryen.i32), [...unitStart, loop('r', row, c(0), () => I(nr), perRow)]),
  ];
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, m.block(null, body));
}
