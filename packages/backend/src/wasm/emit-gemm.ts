// The float32 GEMM kernel: a SIMD128 4x8 register tile (8 f32x4 accumulators, one A broadcast, two B vectors:
// the largest tile V8 keeps in registers) over the main block, one-row tiles on the bottom edge, scalar
// cells on the right edge. The work is cut into units (4-row strips, or 8-column panels when the output
// is wider than tall, so the larger operand streams once) and the function takes a unit range and a worker
// `(begin, end, worker)`: `run` passes the whole range, threaded variants hand disjoint ranges to workers.
// A convolution's implicit B (read in place from the input, kernel-plan.ts) is first gathered panel by
// panel into the worker's scratch slot in packed layout, so the tiles stream it from L1 like packed weights.

import binaryen from 'binaryen';
import { type MathImports, emitScalar } from './emit-scalar.js';
import { emitLoad } from './emit-nest.js';
import { forLoop } from './emit-kernels.js';
import type { GemmKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { emitVectorEpilogue, vectorizableEpilogue } from './emit-vector-epilogue.js';

type E = binaryen.ExpressionRef;

// binaryen.js exposes relaxed SIMD only through its C API (no typed builder yet).
const simdTernary = (binaryen as unknown as { _BinaryenSIMDTernary(module: number, op: number, a: E, b: E, c: E): E })._BinaryenSIMDTernary;
const RELAXED_MADD_F32X4 = (binaryen as unknown as { RelaxedMaddVecF32x4: number }).RelaxedMaddVecF32x4;

export interface GemmCodeOptions {
  /** Use f32x4.relaxed_madd (one rounding on FMA hardware) instead of mul + add. */
  readonly relaxed: boolean;
  /** Keep transcendental epilogue ops (exp, erf, sigmoid) on the scalar float64 code (EmitOptions.exactMath). */
  readonly exactMath: boolean;
}

/** Scratch slots (one per worker) of an implicit-B GEMM: the most workers a threaded variant can use. */
export const SCRATCH_WORKERS = 32;

/** How a GEMM's work is cut into independent units (all units of a batch, then the next batch). */
export function gemmUnits(k: Pick<GemmKernel, 'm' | 'n' | 'batch' | 'bImplicit' | 'bPacked'>): { readonly byColumns: boolean; readonly wide: boolean; readonly perBatch: number; readonly total: number } {
  const byColumns = k.n > k.m || k.bImplicit !== undefined;
  // Fewer than 4 rows (matrix-vector products, batch-1 layers) by packed panels: a unit is 4 panels, run as
  // 1x32 tiles whose 8 independent accumulators hide the add latency that a lone 1x8 tile waits on.
  const wide = byColumns && k.m < 4 && k.bPacked;
  const perBatch = byColumns ? Math.ceil(k.n / (wide ? 32 : 8)) : Math.ceil(k.m / 4);
  return { byColumns, wide, perBatch, total: perBatch * k.batch };
}

const ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Adds function `k.name(begin: i32, end: i32, worker: i32)` computing units [begin, end) of the product. */
export function emitGemm(m: binaryen.Module, math: MathImports, k: GemmKernel, address: (id: number) => number, opts: GemmCodeOptions): void {
  const [begin, end, worker] = [0, 1, 2];
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return 2 + vars.length; };
  // batch q, row i, column j, depth kk, byte bases of A/B/C for the batch, the unit u and its bounds
  const [q, i, j, kk, aB, bB, cB, u, lo, hi] = Array.from({ length: 10 }, () => local(binaryen.i32)) as [number, number, number, number, number, number, number, number, number, number];
  // epilogue counters; `pb`: byte address of the current 8-column panel of packed (or gathered) B
  const [er, ec, rr, cc, pb, bp] = Array.from({ length: 6 }, () => local(binaryen.i32)) as [number, number, number, number, number, number];
  const sacc = local(binaryen.f32);
  const vacc = Array.from({ length: 8 }, () => local(binaryen.v128));
  const [b0, b1, av] = [local(binaryen.v128), local(binaryen.v128), local(binaryen.v128)];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const units = gemmUnits(k);
  const M4 = k.m - (k.m % 4);
  const N8 = k.n - (k.n % 8);
  const imp = k.bImplicit;
  if (imp && !k.bScratch) throw new Error('implicit-B GEMM without scratch');
  // acc + a * b, as one relaxed fused multiply-add or as mul then add.
  const madd = (acc: E, a: E, b: E): E => (opts.relaxed
    ? simdTernary(m.ptr, RELAXED_MADD_F32X4, a, b, acc)
    : m.f32x4.add(acc, m.f32x4.mul(a, b)));
  const aAt = (row: E, col: E) => m.i32.add(I(aB), m.i32.shl(m.i32.add(m.i32.mul(row, c(k.aRow)), col), c(2)));
  const tableAt = (kv: E): E => m.i32.load(0, 4, m.i32.add(c(imp ? address(imp.table) : 0), m.i32.shl(kv, c(2))));
  // Implicit B element offset (k, j): table[k] + (j / ow) * rowStep + j % ow.
  const implicitAt = (kv: () => E, jv: () => E): E => m.i32.add(I(bB), m.i32.shl(m.i32.add(tableAt(kv()),
    m.i32.add(m.i32.mul(m.i32.div_u(jv(), c(imp!.ow)), c(imp!.rowStep)), m.i32.rem_u(jv(), c(imp!.ow)))), c(2)));
  // Any B element (row k, column j), for scalar cells. Packed panels put column j at ((j - j%8)*K + k*8 + j%8).
  const bAt = (kLocal: number, jLocal: number): E => {
    if (imp) return implicitAt(() => I(kLocal), () => I(jLocal));
    if (k.bPacked) return m.i32.add(I(bB), m.i32.shl(m.i32.add(m.i32.add(m.i32.mul(m.i32.and(I(jLocal), c(~7)), c(k.k)), m.i32.shl(I(kLocal), c(3))), m.i32.and(I(jLocal), c(7))), c(2)));
    return m.i32.add(I(bB), m.i32.shl(m.i32.add(m.i32.mul(I(kLocal), c(k.bRow)), I(jLocal)), c(2)));
  };
  // B vectors of columns j..j+7 at depth kk for a tile: from the panel at `pb` (packed, gathered) or row-major.
  const panelRow = (): E => (k.bPacked || imp
    ? m.i32.add(I(pb), m.i32.shl(I(kk), c(5)))
    : m.i32.add(I(bB), m.i32.shl(m.i32.add(m.i32.mul(I(kk), c(k.bRow)), I(j)), c(2))));
  // The panel holding column j (a multiple of 8): packed weights in place; implicit B is gathered first.
  const setPanel = (): E[] => (k.bPacked ? [m.local.set(pb, m.i32.add(I(bB), m.i32.shl(m.i32.mul(I(j), c(k.k)), c(2))))] : []);
  const gatherPanel = (): E[] => (imp ? [
    m.local.set(pb, m.i32.add(c(address(k.bScratch!)), m.i32.mul(I(worker), c(k.k * 32)))),
    forLoop(m, 'gk', kk, c(0), () => c(k.k), 1, [
      m.local.set(bp, implicitAt(() => I(kk), () => I(j))),
      m.v128.store(0, 4, panelRow(), m.v128.load(0, 4, I(bp))),
      m.v128.store(16, 4, panelRow(), m.v128.load(16, 4, I(bp))),
    ]),
  ] : []);
  const cAt = (row: E, col: E) => m.i32.add(I(cB), m.i32.shl(m.i32.add(m.i32.mul(row, c(k.cRow ?? k.n)), col), c(2)));
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

  // An epilogue of plain f32 arithmetic runs on the accumulator vectors before the store (operands read as
  // vectors: contiguous along the columns, or one value splat); others run per element after the store.
  const vectorEpilogue = k.epilogue !== null && vectorizableEpilogue(k.epilogue, k.epilogueOperands.map((o) => o.col), opts.exactMath);
  const storeVec = (row: () => E, col: () => E, colOffset: number, accLocal: number): E => {
    if (!vectorEpilogue) return m.v128.store(colOffset * 4, 4, cAt(row(), col()), V(accLocal));
    const value = emitVectorEpilogue(m, k.epilogue!, {
      acc: () => V(accLocal),
      arg: (n) => {
        const o = k.epilogueOperands[n - 2]!;
        const el = m.i32.add(m.i32.add(m.i32.add(c(o.base + colOffset * o.col), m.i32.mul(I(q), c(o.batch))), m.i32.mul(row(), c(o.row))), m.i32.mul(col(), c(o.col)));
        const ptr = m.i32.add(c(address(o.buffer)), m.i32.shl(el, c(2)));
        return o.col === 0 ? m.v128.load32_splat(0, 4, ptr) : m.v128.load(0, 4, ptr);
      },
    });
    return m.v128.store(colOffset * 4, 4, cAt(row(), col()), value);
  };
  const scalarBlockEpilogue = (tag: string, rows: number): E[] => (vectorEpilogue ? [] : blockEpilogue(tag, rows));

  // rows i..i+3 x columns j..j+7 (the panel already set)
  const tile = (): E[] => [
    ...vacc.map((v) => m.local.set(v, m.v128.const(ZERO))),
    forLoop(m, 'tk', kk, c(0), () => c(k.k), 1, [
      m.local.set(b0, m.v128.load(0, 4, panelRow())),
      m.local.set(b1, m.v128.load(16, 4, panelRow())),
      ...[0, 1, 2, 3].flatMap((r) => [
        m.local.set(av, m.v128.load32_splat(0, 4, aAt(rowPlus(r), I(kk)))),
        m.local.set(vacc[2 * r]!, madd(V(vacc[2 * r]!), V(av), V(b0))),
        m.local.set(vacc[2 * r + 1]!, madd(V(vacc[2 * r + 1]!), V(av), V(b1))),
      ]),
    ]),
    ...[0, 1, 2, 3].flatMap((r) => [
      storeVec(() => rowPlus(r), () => I(j), 0, vacc[2 * r]!),
      storeVec(() => rowPlus(r), () => I(j), 4, vacc[2 * r + 1]!),
    ]),
    ...scalarBlockEpilogue('t', 4),
  ];
  // row i x columns j..j+7 (the panel already set)
  const rowTile = (): E[] => [
    m.local.set(vacc[0]!, m.v128.const(ZERO)),
    m.local.set(vacc[1]!, m.v128.const(ZERO)),
    forLoop(m, 'rk', kk, c(0), () => c(k.k), 1, [
      m.local.set(av, m.v128.load32_splat(0, 4, aAt(I(i), I(kk)))),
      m.local.set(vacc[0]!, madd(V(vacc[0]!), V(av), m.v128.load(0, 4, panelRow()))),
      m.local.set(vacc[1]!, madd(V(vacc[1]!), V(av), m.v128.load(16, 4, panelRow()))),
    ]),
    storeVec(() => I(i), () => I(j), 0, vacc[0]!),
    storeVec(() => I(i), () => I(j), 4, vacc[1]!),
    ...scalarBlockEpilogue('r', 1),
  ];
  // row i x columns j..j+31: four packed panels side by side (units.wide)
  const wideRowTile = (): E[] => [
    ...setPanel(),
    ...vacc.map((v) => m.local.set(v, m.v128.const(ZERO))),
    forLoop(m, 'wk', kk, c(0), () => c(k.k), 1, [
      m.local.set(av, m.v128.load32_splat(0, 4, aAt(I(i), I(kk)))),
      m.local.set(bp, panelRow()),
      ...vacc.map((v, n) => m.local.set(v, madd(V(v), V(av), m.v128.load((n >> 1) * k.k * 32 + (n & 1) * 16, 4, I(bp))))),
    ]),
    ...[0, 1, 2, 3].flatMap((p) => [
      storeVec(() => I(i), () => m.i32.add(I(j), c(8 * p)), 0, vacc[2 * p]!),
      storeVec(() => I(i), () => m.i32.add(I(j), c(8 * p)), 4, vacc[2 * p + 1]!),
    ]),
    ...(vectorEpilogue || !k.epilogue ? [] : [
      forLoop(m, 'wec', ec, c(0), () => c(32), 1, [m.local.set(rr, I(i)), m.local.set(cc, m.i32.add(I(j), I(ec))), ...epilogueAt()]),
    ]),
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
  const N32 = k.n - (k.n % 32);
  const unitBody: E[] = units.wide
    ? [
      m.local.set(lo, m.i32.shl(I(u), c(5))),
      m.if(m.i32.lt_s(I(lo), c(N32)),
        m.block(null, [m.local.set(j, I(lo)), forLoop(m, 'wi', i, c(0), () => c(k.m), 1, wideRowTile())]),
        // the last unit: remaining whole panels, then the ragged right edge
        m.block(null, [
          forLoop(m, 'pj', j, I(lo), () => c(N8), 8, [forLoop(m, 'pi', i, c(0), () => c(k.m), 1, [...setPanel(), ...rowTile()])]),
          forLoop(m, 'ei', i, c(0), () => c(k.m), 1, [forLoop(m, 'ej', j, c(N8), () => c(k.n), 1, cell('e'))]),
        ])),
    ]
    : units.byColumns
    ? [
      m.local.set(lo, m.i32.shl(I(u), c(3))),
      m.if(m.i32.lt_s(I(lo), c(N8)),
        // a full 8-column panel: 4-row tiles, then the bottom rows one at a time
        m.block(null, [
          m.local.set(j, I(lo)),
          ...setPanel(),
          ...gatherPanel(),
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
        m.block(null, [m.local.set(i, I(lo)), forLoop(m, 'tj', j, c(0), () => c(N8), 8, [...setPanel(), ...tile()])]),
        // the bottom strip (fewer than 4 rows; the whole product when M < 4, e.g. batch-1 layers)
        m.block(null, [
          m.local.set(hi, c(k.m)),
          forLoop(m, 'ri', i, I(lo), () => I(hi), 1, [forLoop(m, 'rj', j, c(0), () => c(N8), 8, [...setPanel(), ...rowTile()])]),
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
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, body);
}
