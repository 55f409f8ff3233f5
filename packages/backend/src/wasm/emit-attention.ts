// The tiled float32 attention kernel (AttentionKernel, lower-attention.ts): for a unit of R query rows, keys
// stream through in blocks of KB with an online softmax (running max, running sum, rescaled accumulators), so
// no score matrix is ever stored. Vector lanes are queries throughout: the query block is packed transposed
// once per unit (QT [depth][R]); scores of 4 keys x 8 queries come from K splats (K read in place, [key, depth]
// at any strides) times QT vectors; the score epilogue (scale, masks) runs on those vectors; the softmax pass is
// vertical (no horizontal reductions); P·V accumulates 4 features x 8 queries from V splats times P vectors into
// OT [features][R]; the last step divides by the running sum and stores rows. Register tiles of 8 accumulators
// (4x8, the shape V8 keeps in registers). Function `(begin, end, worker)` over units, as the GEMM's.
// Scratch slot per worker: QT, ST [KB][R] (scores, then probabilities), OT, MX / SM / AL [R] (max, sum, rescale).

import binaryen from 'binaryen';
import { type ScalarExpr, bin, lit } from '@tensorc/ir';
import { attentionUnitStart } from './attention-unit.js';
import { forLoop } from './emit-kernels.js';
import { madd } from './simd-madd.js';
import { ROUND_MAGIC, ROUND_MAGIC_BITS } from './wasm-vector-math.js';
import { emitLoad } from './emit-nest.js';
import { type MathImports, emitScalar } from './emit-scalar.js';
import { emitVectorEpilogue, vectorizableScalar } from './emit-vector-epilogue.js';
import { ATTENTION_KEY_BLOCK as KB, ATTENTION_ROW_BLOCK as R, type AttentionKernel } from './lower-attention.js';
import { elementBytes } from './memory-plan.js';
import { slotGuard } from './scratch-slots.js';

type E = binaryen.ExpressionRef;

const ZERO = new Array<number>(16).fill(0);

/** select(bool arg, a, b) spelled select(ne(arg, 0), a, b), so the f32x4 code gets a lane mask (bool lanes load as 0.0 / 1.0). */
function boolConditions(e: ScalarExpr, isBool: (i: number) => boolean): ScalarExpr {
  const f = (x: ScalarExpr) => boolConditions(x, isBool);
  switch (e.k) {
    case 'select': return { ...e, c: e.c.k === 'arg' && isBool(e.c.i) ? bin('ne', e.c, lit(0, 'float32')) : f(e.c), a: f(e.a), b: f(e.b) };
    case 'un': case 'cast': return { ...e, a: f(e.a) };
    case 'bin': return { ...e, a: f(e.a), b: f(e.b) };
    default: return e;
  }
}

/** Adds function `k.name(begin, end, worker)` computing units [begin, end) (see lower-attention.ts). */
export function emitAttention(m: binaryen.Module, math: MathImports, k: AttentionKernel, address: (id: number) => number, relaxed: boolean): void {
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return 2 + vars.length; };
  const i32 = () => local(binaryen.i32);
  const v128 = () => local(binaryen.v128);
  const worker = 2;
  const [u, rest, idx, r0, nr, nr8, slot, j0, kb, jj, rg, e, pk, pq, pe, pv, g] = Array.from({ length: 17 }, i32);
  const [qB, kB, vB, oB, ke] = [i32(), i32(), i32(), i32(), i32()];
  const eB = k.extras.map(() => i32());
  const acc = Array.from({ length: 8 }, v128);
  const [qa, qb, ks, sv, vm, vn, va, vs] = Array.from({ length: 8 }, v128);
  const [ex, en, et] = [v128(), v128(), v128()];
  let labels = 0;
  const label = (s: string) => `${s}${labels++}`;
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (x: number) => m.i32.const(x);
  const add = (a: E, b: E) => m.i32.add(a, b);
  const mul = (a: E, x: number) => (x === 1 ? a : m.i32.mul(a, c(x)));
  const splat = (x: number) => m.f32x4.splat(m.f32.const(x));
  /**
   * exp(x) for x <= 0 or NaN (every exponent the online softmax takes), inline: no call, no spills. Range
   * reduction by ln2 (two-part constant), degree-7 Taylor polynomial (a few ulp), times 2^n made from its
   * exponent bits; x < -86 gives 0 exactly (so exp(-inf) = 0; dropping terms below 5e-38 is far under float32
   * resolution of any sum holding exp(0) = 1), NaN stays NaN.
   */
  const vexp = (x: E): E => {
    const nf = () => m.f32x4.sub(V(en), splat(ROUND_MAGIC));
    let poly: E = splat(1 / 5040);
    for (const cf of [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) poly = madd(m, relaxed, splat(cf), V(et), poly);
    return m.block(null, [
      m.local.set(ex, x),
      // pmax: one instruction (max takes about eight on x86); with x first a NaN passes
      m.local.set(et, m.f32x4.pmax(V(ex), splat(-86))),
      // en = n + ROUND_MAGIC: n = round(x / ln2) is en - ROUND_MAGIC as a float, its bits minus ROUND_MAGIC_BITS as an integer
      m.local.set(en, m.f32x4.add(m.f32x4.mul(V(et), splat(Math.LOG2E)), splat(ROUND_MAGIC))),
      m.local.set(et, m.f32x4.sub(m.f32x4.sub(V(et), m.f32x4.mul(nf(), splat(0.693359375))), m.f32x4.mul(nf(), splat(-2.12194440e-4)))),
      // times 2^n built from its exponent bits (n + 127 in [3, 127]); a product, so a NaN stays NaN whatever en's bits
      m.v128.andnot(m.f32x4.mul(poly, m.i32x4.shl(m.i32x4.sub(V(en), m.i32x4.splat(c(ROUND_MAGIC_BITS - 127))), c(23))), m.f32x4.lt(V(ex), splat(-86))),
    ], binaryen.v128);
  };
  const loop = (name: string, i: number, from: E, to: () => E, step: number, body: E[]) => forLoop(m, label(name), i, from, to, step, body);
  /** A pointer plus a constant byte offset as a (pointer, immediate) pair (immediates cannot be negative). */
  const at = (ptr: E, off: number): [number, E] => (off >= 0 ? [off, ptr] : [0, add(ptr, c(off))]);
  const F = k.features;
  const D = k.depth;
  const [QT, ST] = [0, 4 * R * D];
  const OT = ST + 4 * R * KB;
  const [MX, SM, AL] = [OT + 4 * R * F, OT + 4 * R * F + 4 * R, OT + 4 * R * F + 8 * R];
  const sp = (off: number) => add(I(slot), c(off));

  // unit u -> outer index and row block; byte bases of every operand at that outer index and the block's first row
  const unitStart = attentionUnitStart(m, k, address, { u, rest, idx, r0, nr, qB, kB, vB, oB, eB });
  unitStart.push(m.local.set(nr8, m.i32.and(add(I(nr), c(7)), c(~7))));

  // QT[d][i] = q row i, depth d (zero rows past the block's end), row by row with running pointers
  const pqLoop = label('pq');
  const packQ = D === 0 ? m.nop() : m.block(null, [
    // a short block's missing rows read as zeros
    m.if(m.i32.lt_s(I(nr), c(R)), m.memory.fill(sp(QT), c(0), c(4 * R * D))),
    loop('pr', g, c(0), () => I(nr), 1, [
      m.local.set(pk, add(I(qB), mul(I(g), k.q.row * 4))),
      m.local.set(pq, add(sp(QT), m.i32.shl(I(g), c(2)))),
      m.local.set(pe, add(I(pq), c(4 * R * D))),
      m.loop(pqLoop, m.block(null, [
        m.f32.store(0, 4, I(pq), m.f32.load(0, 4, I(pk))),
        m.local.set(pk, add(I(pk), c(k.q.depth * 4))),
        m.local.set(pq, add(I(pq), c(R * 4))),
        m.br_if(pqLoop, m.i32.lt_u(I(pq), I(pe))),
      ])),
    ]),
  ]);
  const init = [
    ...Array.from({ length: R / 4 }, (_, i) => m.v128.store(MX + 16 * i, 16, I(slot), splat(-Infinity))),
    m.memory.fill(sp(SM), c(0), c(4 * R)),
    m.memory.fill(sp(OT), c(0), c(4 * R * F)),
  ];

  // score epilogue on the f32x4 of key `key` for queries rg + 4h .. + 3
  const isBool = (i: number) => k.extras[i - 3]?.dtype === 'bool';
  const epi = k.scoreEpilogue === null ? null : boolConditions(k.scoreEpilogue, isBool);
  const vectorEpi = epi !== null && vectorizableScalar(epi, (i) => i >= 3 && (k.extras[i - 3]!.dtype === 'float32' || isBool(i)), false);
  /** Byte address of extra x at the query lane's row (clamped to the block's last row) and `key`. */
  const laneAddr = (x: number, lane: number, h: number, key: () => E): E => {
    const o = k.extras[x]!;
    const b = elementBytes(o.dtype);
    const keyOff = mul(key(), o.key * b);
    if (o.row === 0) return add(I(eB[x]!), keyOff);
    const r = () => add(I(rg), c(4 * h + lane));
    const row = m.select(m.i32.lt_s(r(), I(nr)), r(), m.i32.sub(I(nr), c(1)));
    return add(add(I(eB[x]!), mul(row, o.row * b)), keyOff);
  };
  const extraVector = (x: number, h: number, key: () => E): E => {
    const o = k.extras[x]!;
    const lit32 = (v: number) => m.f32x4.splat(m.f32.const(v));
    if (o.pattern?.kind === 'uniform') return lit32(o.pattern.value);
    if (o.pattern?.kind === 'causal') {
      // lanes whose key - row > offset take `above`: rows r0 + rg + 4h + lane
      const rowsVec = m.i32x4.add(m.i32x4.splat(add(add(I(r0), I(rg)), c(4 * h))), m.v128.const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
      const above = m.i32x4.gt_s(m.i32x4.sub(m.i32x4.splat(key()), rowsVec), m.i32x4.splat(c(o.pattern.offset)));
      return m.v128.bitselect(lit32(o.pattern.above), lit32(o.pattern.below), above);
    }
    const scalar = (lane: number) => (o.dtype === 'bool' ? m.i32.load8_u(0, 1, laneAddr(x, lane, h, key)) : m.f32.load(0, 4, laneAddr(x, lane, h, key)));
    let v: E;
    if (o.row === 0) v = o.dtype === 'bool' ? m.i32x4.splat(scalar(0)) : m.v128.load32_splat(0, 4, laneAddr(x, 0, h, key));
    else {
      v = o.dtype === 'bool' ? m.i32x4.splat(scalar(0)) : m.f32x4.splat(scalar(0));
      for (let lane = 1; lane < 4; lane++) v = o.dtype === 'bool' ? m.i32x4.replace_lane(v, lane, scalar(lane)) : m.f32x4.replace_lane(v, lane, scalar(lane));
    }
    return o.dtype === 'bool' ? m.f32x4.convert_i32x4_u(v) : v;
  };
  const scores = (a: number, h: number, key: () => E): E => {
    if (epi === null) return V(a);
    if (vectorEpi) return emitVectorEpilogue(m, epi, { acc: () => V(a), arg: (i) => extraVector(i - 3, h, key) });
    // any other epilogue: lane by lane in scalar float32 code
    let v: E = V(a);
    for (let lane = 0; lane < 4; lane++) {
      const x = emitScalar(m, math, k.scoreEpilogue!, {
        argTypes: ['float32', 'float32', 'float32', ...k.extras.map((o) => o.dtype)], accDtype: 'float32',
        acc: () => m.f32x4.extract_lane(V(a), lane),
        arg: (i) => emitLoad(m, k.extras[i - 3]!.dtype, laneAddr(i - 3, lane, h, key)),
      });
      v = m.f32x4.replace_lane(v, lane, x);
    }
    return v;
  };

  /**
   * The inner loop of both products, a 2T-accumulator tile: per step the 8 query lanes at pq (a QT or ST row,
   * two vectors) times T splats read `tStride` bytes apart from pk, then pk advances `step` bytes and pq one
   * row, until pq reaches pe.
   */
  const splatMaddLoop = (name: string, T: number, tStride: number, step: number): E => {
    const accs = acc.slice(0, 2 * T);
    const body: E[] = [m.local.set(qa, m.v128.load(0, 4, I(pq))), m.local.set(qb, m.v128.load(16, 4, I(pq)))];
    for (let t = 0; t < T; t++) {
      const [off, ptr] = at(I(pk), t * tStride);
      body.push(m.local.set(ks, m.v128.load32_splat(off, 4, ptr)));
      body.push(m.local.set(accs[2 * t]!, madd(m, relaxed, V(accs[2 * t]!), V(qa), V(ks))), m.local.set(accs[2 * t + 1]!, madd(m, relaxed, V(accs[2 * t + 1]!), V(qb), V(ks))));
    }
    const l = label(name);
    body.push(m.local.set(pk, add(I(pk), c(step))), m.local.set(pq, add(I(pq), c(R * 4))), m.br_if(l, m.i32.lt_u(I(pq), I(pe))));
    return m.loop(l, m.block(null, body));
  };

  // scores of keys j0+jj .. +T-1 for queries rg .. rg+7 into ST
  const qkTile = (T: number): E[] => {
    const accs = acc.slice(0, 2 * T);
    const out: E[] = [
      ...accs.map((a) => m.local.set(a, m.v128.const(ZERO))),
      m.local.set(pk, add(I(kB), mul(add(I(j0), I(jj)), k.k.key * 4))),
      m.local.set(pq, add(add(I(slot), c(QT)), m.i32.shl(I(rg), c(2)))),
      m.local.set(pe, add(I(pq), c(D * R * 4))),
    ];
    if (D > 0) out.push(splatMaddLoop('tk', T, k.k.key * 4, k.k.depth * 4));
    for (let t = 0; t < T; t++) for (let h = 0; h < 2; h++) {
      const key = () => add(add(I(j0), I(jj)), c(t));
      out.push(m.v128.store(ST + 16 * h, 4, add(I(slot), m.i32.shl(add(mul(add(I(jj), c(t)), R), I(rg)), c(2))), scores(accs[2 * t + h]!, h, key)));
    }
    return out;
  };
  const kb4 = () => m.i32.and(I(kb), c(~3));
  const qk = [
    loop('qj', jj, c(0), kb4, 4, [loop('qg', rg, c(0), () => I(nr8), 8, qkTile(4))]),
    loop('qt', jj, kb4(), () => I(kb), 1, [loop('qh', rg, c(0), () => I(nr8), 8, qkTile(1))]),
  ];

  // online softmax over the block, four queries at a time: new max, rescale factor, probabilities in place, sum
  const stCol = () => add(I(slot), m.i32.shl(I(g), c(2)));
  const [smx, sex] = [label('smx'), label('sex')];
  const softmax = loop('sg', g, c(0), () => I(nr8), 4, [
    m.local.set(vm, splat(-Infinity)),
    m.local.set(pv, add(stCol(), c(ST))),
    m.local.set(pe, add(I(pv), mul(I(kb), R * 4))),
    m.loop(smx, m.block(null, [
      m.local.set(vm, m.f32x4.max(V(vm), m.v128.load(0, 4, I(pv)))),
      m.local.set(pv, add(I(pv), c(R * 4))),
      m.br_if(smx, m.i32.lt_u(I(pv), I(pe))),
    ])),
    m.local.set(vn, m.f32x4.max(m.v128.load(MX, 4, stCol()), V(vm))),
    // a row with every score -inf so far subtracts 0, keeping exp(-inf) = 0 instead of NaN
    m.local.set(sv, m.v128.bitselect(splat(0), V(vn), m.f32x4.eq(V(vn), splat(-Infinity)))),
    m.local.set(va, vexp(m.f32x4.sub(m.v128.load(MX, 4, stCol()), V(sv)))),
    m.local.set(vs, splat(0)),
    m.local.set(pv, add(stCol(), c(ST))),
    m.loop(sex, m.block(null, [
      m.local.set(vm, vexp(m.f32x4.sub(m.v128.load(0, 4, I(pv)), V(sv)))),
      m.v128.store(0, 4, I(pv), V(vm)),
      m.local.set(vs, m.f32x4.add(V(vs), V(vm))),
      m.local.set(pv, add(I(pv), c(R * 4))),
      m.br_if(sex, m.i32.lt_u(I(pv), I(pe))),
    ])),
    m.v128.store(SM, 4, stCol(), m.f32x4.add(m.f32x4.mul(m.v128.load(SM, 4, stCol()), V(va)), V(vs))),
    m.v128.store(MX, 4, stCol(), V(vn)),
    m.v128.store(AL, 4, stCol(), V(va)),
  ]);

  // OT[e..e+T-1][rg..rg+7] = OT * rescale + sum over the block's keys of P * V
  const pvTile = (T: number): E[] => {
    const accs = acc.slice(0, 2 * T);
    const otAt = (t: number) => add(I(slot), m.i32.shl(add(mul(add(I(e), c(t)), R), I(rg)), c(2)));
    const out: E[] = [m.local.set(qa, m.v128.load(AL, 4, add(I(slot), m.i32.shl(I(rg), c(2))))), m.local.set(qb, m.v128.load(AL + 16, 4, add(I(slot), m.i32.shl(I(rg), c(2)))))];
    for (let t = 0; t < T; t++) for (let h = 0; h < 2; h++) out.push(m.local.set(accs[2 * t + h]!, m.f32x4.mul(m.v128.load(OT + 16 * h, 4, otAt(t)), V(h === 0 ? qa : qb))));
    out.push(
      m.local.set(pk, add(add(I(vB), mul(I(j0), k.v.key * 4)), mul(I(e), k.v.feature * 4))),
      m.local.set(pq, add(add(I(slot), c(ST)), m.i32.shl(I(rg), c(2)))),
      m.local.set(pe, add(I(pq), mul(I(kb), R * 4))),
      splatMaddLoop('tv', T, k.v.feature * 4, k.v.key * 4),
    );
    for (let t = 0; t < T; t++) for (let h = 0; h < 2; h++) out.push(m.v128.store(OT + 16 * h, 4, otAt(t), V(accs[2 * t + h]!)));
    return out;
  };
  const F4 = F - (F % 4);
  const pvAll = [
    loop('ve', e, c(0), () => c(F4), 4, [loop('vg', rg, c(0), () => I(nr8), 8, pvTile(4))]),
    loop('vt', e, c(F4), () => c(F), 1, [loop('vh', rg, c(0), () => I(nr8), 8, pvTile(1))]),
  ];

  // keys the unit reads: all, or (skipAbove) those on or below the diagonal for its last row
  const keyEnd = k.skipAbove === undefined ? () => c(k.keys) : () => I(ke);
  const setKeyEnd = k.skipAbove === undefined ? [] : [
    m.local.set(ke, add(add(I(r0), I(nr)), c(k.skipAbove))),
    m.local.set(ke, m.select(m.i32.lt_s(I(ke), c(k.keys)), I(ke), c(k.keys))),
  ];
  const blocks = loop('kb', j0, c(0), keyEnd, KB, [
    m.local.set(kb, m.select(m.i32.lt_s(m.i32.sub(keyEnd(), I(j0)), c(KB)), m.i32.sub(keyEnd(), I(j0)), c(KB))),
    ...qk, softmax, ...pvAll,
  ]);

  // out rows = OT / sum (no keys: the empty sum, 0)
  const final = loop('oe', e, c(0), () => c(F), 1, [
    loop('og', g, c(0), () => I(nr), 4, [
      m.local.set(sv, k.keys === 0 ? splat(0) : m.f32x4.div(m.v128.load(OT, 4, add(I(slot), m.i32.shl(add(mul(I(e), R), I(g)), c(2)))), m.v128.load(SM, 4, stCol()))),
      ...[0, 1, 2, 3].map((lane) => {
        const store = m.f32.store(0, 4, add(add(I(oB), mul(add(I(g), c(lane)), k.out.row * 4)), mul(I(e), k.out.feature * 4)), m.f32x4.extract_lane(V(sv), lane));
        return lane === 0 ? store : m.if(m.i32.lt_s(add(I(g), c(lane)), I(nr)), store);
      }),
    ]),
  ]);

  const body = [
    slotGuard(m, worker, k.slots),
    m.local.set(slot, add(c(address(k.scratch)), mul(m.local.get(worker, binaryen.i32), k.slotBytes))),
    loop('u', u, m.local.get(0, binaryen.i32), () => m.local.get(1, binaryen.i32), 1, [...unitStart, ...setKeyEnd, packQ, ...init, blocks, final]),
  ];
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, m.block(null, body));
}
