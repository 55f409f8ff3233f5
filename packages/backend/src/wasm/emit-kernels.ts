// Code generation for the kernels that are not plain loop nests: row softmax (float64 sums, as the
// reference), gather (index normalization and range check; a bad index traps), and the float32 GEMM:
// a SIMD128 4x8 register tile (8 f32x4 accumulators) over the main block, scalar loops on the edges.

import binaryen from 'binaryen';
import { type MathImports, emitScalar } from './emit-scalar.js';
import { emitLoad, emitStore } from './emit-nest.js';
import type { GatherKernel, GemmKernel, SoftmaxKernel } from './kernel-plan.js';
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

export function emitGemm(m: binaryen.Module, math: MathImports, k: GemmKernel, address: (id: number) => number): void {
  // locals: batch q, i, j, kk, aBase, bBase, cBase (bytes), scalar acc, 8 vector accumulators, 2 b vectors, a splat
  const [q, i, j, kk, aB, bB, cB, sacc] = [0, 1, 2, 3, 4, 5, 6, 7];
  const vacc = [8, 9, 10, 11, 12, 13, 14, 15];
  const [b0, b1, av] = [16, 17, 18];
  const [er, ec, rr, cc] = [19, 20, 21, 22];
  const vars = [...Array(7).fill(binaryen.i32), binaryen.f32, ...Array(11).fill(binaryen.v128), ...Array(4).fill(binaryen.i32)];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const M4 = k.m - (k.m % 4);
  const N8 = k.n - (k.n % 8);
  const aAt = (row: E, col: E) => m.i32.add(I(aB), m.i32.shl(m.i32.add(m.i32.mul(row, c(k.aRow)), col), c(2)));
  // B element (row k, column j), from the locals holding k and j (each use re-reads them: binaryen expressions
  // are trees). Packed panels put column j at ((j - j%8) * K + k*8 + j%8).
  const bAt = (kLocal: number, jLocal: number, colMod8Zero = false) => k.bPacked
    ? m.i32.add(I(bB), m.i32.shl(colMod8Zero
      ? m.i32.add(m.i32.mul(I(jLocal), c(k.k)), m.i32.shl(I(kLocal), c(3)))
      : m.i32.add(m.i32.add(m.i32.mul(m.i32.and(I(jLocal), c(~7)), c(k.k)), m.i32.shl(I(kLocal), c(3))), m.i32.and(I(jLocal), c(7))), c(2)))
    : m.i32.add(I(bB), m.i32.shl(m.i32.add(m.i32.mul(I(kLocal), c(k.bRow)), I(jLocal)), c(2)));
  const cAt = (row: E, col: E) => m.i32.add(I(cB), m.i32.shl(m.i32.add(m.i32.mul(row, c(k.n)), col), c(2)));
  const rowPlus = (r: number) => m.i32.add(I(i), c(r));
  const tile = [
    ...vacc.map((v) => m.local.set(v, m.v128.const([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))),
    forLoop(m, 'tk', kk, c(0), () => c(k.k), 1, [
      m.local.set(b0, m.v128.load(0, 4, bAt(kk, j, true))),
      m.local.set(b1, m.v128.load(16, 4, bAt(kk, j, true))),
      ...[0, 1, 2, 3].flatMap((r) => [
        m.local.set(av, m.f32x4.splat(m.f32.load(0, 4, aAt(rowPlus(r), I(kk))))),
        m.local.set(vacc[2 * r]!, m.f32x4.add(V(vacc[2 * r]!), m.f32x4.mul(V(av), V(b0)))),
        m.local.set(vacc[2 * r + 1]!, m.f32x4.add(V(vacc[2 * r + 1]!), m.f32x4.mul(V(av), V(b1)))),
      ]),
    ]),
    ...[0, 1, 2, 3].flatMap((r) => [
      m.v128.store(0, 4, cAt(rowPlus(r), I(j)), V(vacc[2 * r]!)),
      m.v128.store(16, 4, cAt(rowPlus(r), I(j)), V(vacc[2 * r + 1]!)),
    ]),
  ];
  const rowTile = [
    m.local.set(vacc[0]!, m.v128.const([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    m.local.set(vacc[1]!, m.v128.const([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    forLoop(m, 'rk', kk, c(0), () => c(k.k), 1, [
      m.local.set(av, m.f32x4.splat(m.f32.load(0, 4, aAt(I(i), I(kk))))),
      m.local.set(vacc[0]!, m.f32x4.add(V(vacc[0]!), m.f32x4.mul(V(av), m.v128.load(0, 4, bAt(kk, j, true))))),
      m.local.set(vacc[1]!, m.f32x4.add(V(vacc[1]!), m.f32x4.mul(V(av), m.v128.load(16, 4, bAt(kk, j, true))))),
    ]),
    m.v128.store(0, 4, cAt(I(i), I(j)), V(vacc[0]!)),
    m.v128.store(16, 4, cAt(I(i), I(j)), V(vacc[1]!)),
  ];
  const scalarCell = (tag: string) => [
    m.local.set(sacc, m.f32.const(0)),
    forLoop(m, `sk_${tag}`, kk, c(0), () => c(k.k), 1, [
      m.local.set(sacc, m.f32.add(m.local.get(sacc, binaryen.f32), m.f32.mul(m.f32.load(0, 4, aAt(I(i), I(kk))), m.f32.load(0, 4, bAt(kk, j))))),
    ]),
    m.f32.store(0, 4, cAt(I(i), I(j)), m.local.get(sacc, binaryen.f32)),
  ];
  // Fused epilogue on output element (rr, cc) of batch q: acc is the stored product; operand j reads at
  // base + q*batch + rr*row + cc*col. Runs right after the element's tile is stored, while it is in cache.
  const epilogueAt = (): E[] => {
    if (!k.epilogue) return [];
    const ops = k.epilogueOperands;
    const env = {
      argTypes: ['float32', 'float32', ...ops.map((o) => o.dtype)] as const,
      accDtype: 'float32' as const,
      acc: () => m.f32.load(0, 4, cAt(I(rr), I(cc))),
      arg: (i: number) => {
        const o = ops[i - 2];
        if (!o) return m.unreachable();
        const el = m.i32.add(m.i32.add(m.i32.add(c(o.base), m.i32.mul(I(q), c(o.batch))), m.i32.mul(I(rr), c(o.row))), m.i32.mul(I(cc), c(o.col)));
        return emitLoad(m, o.dtype, m.i32.add(c(address(o.buffer)), m.i32.mul(el, c(elementBytes(o.dtype)))));
      },
    };
    return [m.f32.store(0, 4, cAt(I(rr), I(cc)), emitScalar(m, math, k.epilogue, { ...env, argTypes: [...env.argTypes] }))];
  };
  const tileEpilogue = (tag: string, rows: number): E[] => (k.epilogue ? [
    forLoop(m, `er_${tag}`, er, c(0), () => c(rows), 1, [
      forLoop(m, `ec_${tag}`, ec, c(0), () => c(8), 1, [
        m.local.set(rr, m.i32.add(I(i), I(er))), m.local.set(cc, m.i32.add(I(j), I(ec))), ...epilogueAt(),
      ]),
    ]),
  ] : []);
  tile.push(...tileEpilogue('t', 4));
  rowTile.push(...tileEpilogue('r', 1));
  const cellEpilogue = (): E[] => (k.epilogue ? [m.local.set(rr, I(i)), m.local.set(cc, I(j)), ...epilogueAt()] : []);
  const perBatch = [
    m.local.set(aB, m.i32.add(c(address(k.a)), m.i32.mul(I(q), c(k.aBatch * 4)))),
    m.local.set(bB, m.i32.add(c(address(k.b)), m.i32.mul(I(q), c(k.bBatch * 4)))),
    m.local.set(cB, m.i32.add(c(address(k.out)), m.i32.mul(I(q), c(k.cBatch * 4)))),
    // main block: 4 rows x 8 columns per tile. The larger operand is streamed once: with more columns than
    // rows (convolutions) each B panel stays in cache while every row block passes over it, else the reverse.
    k.n > k.m
      ? forLoop(m, 'tj', j, c(0), () => c(N8), 8, [forLoop(m, 'ti', i, c(0), () => c(M4), 4, tile)])
      : forLoop(m, 'ti', i, c(0), () => c(M4), 4, [forLoop(m, 'tj', j, c(0), () => c(N8), 8, tile)]),
    // bottom rows (M4..M): one row x 8 columns per tile (the whole product when M < 4, e.g. batch-1 layers)
    forLoop(m, 'ri', i, c(M4), () => c(k.m), 1, [forLoop(m, 'rj', j, c(0), () => c(N8), 8, rowTile)]),
    // right edge (columns N8..N) for every row
    forLoop(m, 'ei', i, c(0), () => c(k.m), 1, [forLoop(m, 'ej', j, c(N8), () => c(k.n), 1, [...scalarCell('e'), ...cellEpilogue()])]),
  ];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, forLoop(m, 'batch', q, c(0), () => c(k.batch), 1, perBatch));
}
