// The float32 GEMM kernel: a SIMD128 4x8 register tile (8 f32x4 accumulators, one A broadcast, two B vectors:
// the largest tile V8 keeps in registers) over the main block, one-row tiles on the bottom edge, scalar
// cells on the right edge. The work is cut into units (4-row strips, or 8-column panels when the output
// is wider than tall, so the larger operand streams once) and the function takes a unit range
// `(begin, end)`: `run` passes the whole range, threaded variants hand disjoint ranges to workers.

import binaryen from 'binaryen';
import { type MathImports, emitScalar } from './emit-scalar.js';
import { emitLoad } from './emit-nest.js';
import type { GemmKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

// binaryen.js exposes relaxed SIMD only through its C API (no typed builder yet).
const simdTernary = (binaryen as unknown as { _BinaryenSIMDTernary(module: number, op: number, a: E, b: E, c: E): E })._BinaryenSIMDTernary;
const RELAXED_MADD_F32X4 = (binaryen as unknown as { RelaxedMaddVecF32x4: number }).RelaxedMaddVecF32x4;

export interface GemmCodeOptions {
  /** Use f32x4.relaxed_madd (one rounding on FMA hardware) instead of mul + add. */
  readonly relaxed: boolean;
}

/** How a GEMM's work is cut into independent units (all units of a batch, then the next batch). */
export function gemmUnits(k: Pick<GemmKernel, 'm' | 'n' | 'batch'>): { readonly byColumns: boolean; readonly perBatch: number; readonly total: number } {
  const byColumns = k.n > k.m;
  const perBatch = byColumns ? Math.ceil(k.n / 8) : Math.ceil(k.m / 4);
  return { byColumns, perBatch, total: perBatch * k.batch };
}

/** for (i = from; i < to; i += step) body. */
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

const ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Adds function `k.name(begin: i32, end: i32)` computing units [begin, end) of the product. */
export function emitGemm(m: binaryen.Module, math: MathImports, k: GemmKernel, address: (id: number) => number, opts: GemmCodeOptions): void {
  // params: begin 0, end 1. locals: batch q, i, j, kk, aBase, bBase, cBase (bytes), scalar acc, 8 vector
  // accumulators, 2 B vectors, an A splat, epilogue counters, the unit u and its row/column bounds.
  const [begin, end] = [0, 1];
  const [q, i, j, kk, aB, bB, cB, sacc] = [2, 3, 4, 5, 6, 7, 8, 9];
  const vacc = [10, 11, 12, 13, 14, 15, 16, 17];
  const [b0, b1, av] = [18, 19, 20];
  const [er, ec, rr, cc, u, lo, hi] = [21, 22, 23, 24, 25, 26, 27];
  const vars = [...Array(7).fill(binaryen.i32), binaryen.f32, ...Array(11).fill(binaryen.v128), ...Array(7).fill(binaryen.i32)];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const units = gemmUnits(k);
  const M4 = k.m - (k.m % 4);
  const N8 = k.n - (k.n % 8);
  // acc + a * b, as one relaxed fused multiply-add or as mul then add.
  const madd = (acc: E, a: E, b: E): E => (opts.relaxed
    ? simdTernary(m.ptr, RELAXED_MADD_F32X4, a, b, acc)
    : m.f32x4.add(acc, m.f32x4.mul(a, b)));
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

  // Fused epilogue on output element (rr, cc) of batch q: acc is the stored product; operand j reads at
  // base + q*batch + rr*row + cc*col. Runs right after the element's tile is stored, while it is in cache.
  const epilogueAt = (): E[] => {
    if (!k.epilogue) return [];
    const ops = k.epilogueOperands;
    const env = {
      argTypes: ['float32', 'float32', ...ops.map((o) => o.dtype)],
      accDtype: 'float32' as const,
      acc: () => m.f32.load(0, 4, cAt(I(rr), I(cc))),
      arg: (n: number) => {
        const o = ops[n - 2];
        if (!o) return m.unreachable();
        const el = m.i32.add(m.i32.add(m.i32.add(c(o.base), m.i32.mul(I(q), c(o.batch))), m.i32.mul(I(rr), c(o.row))), m.i32.mul(I(cc), c(o.col)));
        return emitLoad(m, o.dtype, m.i32.add(c(address(o.buffer)), m.i32.mul(el, c(elementBytes(o.dtype)))));
      },
    };
    return [m.f32.store(0, 4, cAt(I(rr), I(cc)), emitScalar(m, math, k.epilogue, env as never))];
  };
  const blockEpilogue = (tag: string, rows: number): E[] => (k.epilogue ? [
    forLoop(m, `er_${tag}`, er, c(0), () => c(rows), 1, [
      forLoop(m, `ec_${tag}`, ec, c(0), () => c(8), 1, [
        m.local.set(rr, m.i32.add(I(i), I(er))), m.local.set(cc, m.i32.add(I(j), I(ec))), ...epilogueAt(),
      ]),
    ]),
  ] : []);
  const cellEpilogue = (): E[] => (k.epilogue ? [m.local.set(rr, I(i)), m.local.set(cc, I(j)), ...epilogueAt()] : []);

  // rows i..i+3 x columns j..j+7
  const tile = (): E[] => [
    ...vacc.map((v) => m.local.set(v, m.v128.const(ZERO))),
    forLoop(m, 'tk', kk, c(0), () => c(k.k), 1, [
      m.local.set(b0, m.v128.load(0, 4, bAt(kk, j, true))),
      m.local.set(b1, m.v128.load(16, 4, bAt(kk, j, true))),
      ...[0, 1, 2, 3].flatMap((r) => [
        m.local.set(av, m.v128.load32_splat(0, 4, aAt(rowPlus(r), I(kk)))),
        m.local.set(vacc[2 * r]!, madd(V(vacc[2 * r]!), V(av), V(b0))),
        m.local.set(vacc[2 * r + 1]!, madd(V(vacc[2 * r + 1]!), V(av), V(b1))),
      ]),
    ]),
    ...[0, 1, 2, 3].flatMap((r) => [
      m.v128.store(0, 4, cAt(rowPlus(r), I(j)), V(vacc[2 * r]!)),
      m.v128.store(16, 4, cAt(rowPlus(r), I(j)), V(vacc[2 * r + 1]!)),
    ]),
    ...blockEpilogue('t', 4),
  ];
  // row i x columns j..j+7
  const rowTile = (): E[] => [
    m.local.set(vacc[0]!, m.v128.const(ZERO)),
    m.local.set(vacc[1]!, m.v128.const(ZERO)),
    forLoop(m, 'rk', kk, c(0), () => c(k.k), 1, [
      m.local.set(av, m.v128.load32_splat(0, 4, aAt(I(i), I(kk)))),
      m.local.set(vacc[0]!, madd(V(vacc[0]!), V(av), m.v128.load(0, 4, bAt(kk, j, true)))),
      m.local.set(vacc[1]!, madd(V(vacc[1]!), V(av), m.v128.load(16, 4, bAt(kk, j, true)))),
    ]),
    m.v128.store(0, 4, cAt(I(i), I(j)), V(vacc[0]!)),
    m.v128.store(16, 4, cAt(I(i), I(j)), V(vacc[1]!)),
    ...blockEpilogue('r', 1),
  ];
  // element (i, j)
  const cell = (tag: string): E[] => [
    m.local.set(sacc, m.f32.const(0)),
    forLoop(m, `sk_${tag}`, kk, c(0), () => c(k.k), 1, [
      m.local.set(sacc, m.f32.add(m.local.get(sacc, binaryen.f32), m.f32.mul(m.f32.load(0, 4, aAt(I(i), I(kk))), m.f32.load(0, 4, bAt(kk, j))))),
    ]),
    m.f32.store(0, 4, cAt(I(i), I(j)), m.local.get(sacc, binaryen.f32)),
    ...cellEpilogue(),
  ];

  // One unit: `lo` is its first row (by rows) or column (by columns) inside batch q.
  const unitBody: E[] = units.byColumns
    ? [
      m.local.set(lo, m.i32.shl(I(u), c(3))),
      m.if(m.i32.lt_s(I(lo), c(N8)),
        // a full 8-column panel: 4-row tiles, then the bottom rows one at a time
        m.block(null, [
          m.local.set(j, I(lo)),
          forLoop(m, 'ti', i, c(0), () => c(M4), 4, tile()),
          forLoop(m, 'ri', i, c(M4), () => c(k.m), 1, rowTile()),
        ]),
        // the ragged right edge (fewer than 8 columns), every row
        forLoop(m, 'ei', i, c(0), () => c(k.m), 1, [forLoop(m, 'ej', j, c(N8), () => c(k.n), 1, cell('e'))])),
    ]
    : [
      m.local.set(lo, m.i32.shl(I(u), c(2))),
      m.local.set(hi, m.i32.add(I(lo), c(4))),
      m.if(m.i32.le_s(I(hi), c(k.m)),
        m.block(null, [m.local.set(i, I(lo)), forLoop(m, 'tj', j, c(0), () => c(N8), 8, tile())]),
        // the bottom strip (fewer than 4 rows; the whole product when M < 4, e.g. batch-1 layers)
        m.block(null, [
          m.local.set(hi, c(k.m)),
          forLoop(m, 'ri', i, I(lo), () => I(hi), 1, [forLoop(m, 'rj', j, c(0), () => c(N8), 8, rowTile())]),
        ])),
      // right edge (columns N8..N) of the strip's rows
      forLoop(m, 'ei', i, I(lo), () => I(hi), 1, [forLoop(m, 'ej', j, c(N8), () => c(k.n), 1, cell('e'))]),
    ];
  const perUnit = [
    // q = batch of unit u, u = unit inside the batch
    m.local.set(q, m.i32.div_u(I(u), c(units.perBatch))),
    m.local.set(aB, m.i32.add(c(address(k.a)), m.i32.mul(I(q), c(k.aBatch * 4)))),
    m.local.set(bB, m.i32.add(c(address(k.b)), m.i32.mul(I(q), c(k.bBatch * 4)))),
    m.local.set(cB, m.i32.add(c(address(k.out)), m.i32.mul(I(q), c(k.cBatch * 4)))),
    m.local.set(u, m.i32.sub(I(u), m.i32.mul(I(q), c(units.perBatch)))),
    ...unitBody,
    // restore u to the global unit index for the loop
    m.local.set(u, m.i32.add(I(u), m.i32.mul(I(q), c(units.perBatch)))),
  ];
  const body = forLoop(m, 'unit', u, I(begin), () => I(end), 1, perUnit);
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none, vars, body);
}
