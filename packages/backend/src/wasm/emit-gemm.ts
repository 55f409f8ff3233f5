// The float32 GEMM kernel: SIMD128 register tiles (gemm-code.ts) over units of work. A unit is a 4-row strip,
// or an 8-column panel when the output is wider than tall (so the larger operand streams once), or four
// packed panels side by side when there are fewer than 4 rows (1x32 tiles: eight independent accumulators
// hide the add latency a lone 1x8 tile waits on). The function takes a unit range and a worker
// `(begin, end, worker)`: `run` passes the whole range, threaded variants hand disjoint ranges to workers.
// A convolution's implicit B is gathered panel by panel into the worker's scratch slot (gemm-gather.ts);
// with `pool` set each unit is two output rows, max-pooled on the way out (gemm-pool.ts).
// No blocking over K: walking K in blocks of 256 or 512 (partial sums kept in C) measured 0-10% slower on
// matmul_1024, mlp_b64 and moe_top2 (2 vCPU EPYC, 512 KB L2): whole 32 KB panels stream from L2 fine.
// Nor row blocks for B larger than L2 (units of 32 rows walking every panel over the block, so B streams
// m/32 times instead of m/4): matmul_512 and matmul_1024 ran the same, interleaved (B streams from memory at
// the rate the 4x8 tiles consume it).

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { forLoop } from './emit-kernels.js';
import type { GemmKernel } from './kernel-plan.js';
import { type E, GemmCode, type GemmCodeOptions } from './gemm-code.js';
import { PanelGather } from './gemm-gather.js';
import { poolUnitBody, poolUnits } from './gemm-pool.js';
import { rowPoolUnitBody } from './gemm-pool-nhwc.js';
import { slotGuard } from './scratch-slots.js';

export type { GemmCodeOptions } from './gemm-code.js';

/** How a GEMM's work is cut into independent units (all units of a batch, then the next batch). */
export function gemmUnits(k: Pick<GemmKernel, 'm' | 'n' | 'batch' | 'bImplicit' | 'bPacked' | 'pool' | 'rowPool'>): { readonly byColumns: boolean; readonly wide: boolean; readonly perBatch: number; readonly total: number } {
  if (k.rowPool) return { byColumns: false, wide: false, perBatch: 1, total: k.batch };
  if (k.pool) {
    const perBatch = poolUnits(k);
    return { byColumns: true, wide: false, perBatch, total: perBatch * k.batch };
  }
  const byColumns = k.n > k.m || k.bImplicit !== undefined;
  const wide = byColumns && k.m < 4 && k.bPacked;
  const perBatch = byColumns ? Math.ceil(k.n / (wide ? 32 : 8)) : Math.ceil(k.m / 4);
  return { byColumns, wide, perBatch, total: perBatch * k.batch };
}

/** Bytes of one worker's scratch slot of an implicit-B GEMM: one gathered panel, two when pooling. */
export function scratchSlotBytes(k: Pick<GemmKernel, 'k' | 'pool'>): number {
  return k.k * 32 * (k.pool ? 2 : 1);
}

/** Adds function `k.name(begin: i32, end: i32, worker: i32)` computing units [begin, end) of the product. */
export function emitGemm(m: binaryen.Module, math: MathImports, k: GemmKernel, address: (id: number) => number, opts: GemmCodeOptions): void {
  const g = new GemmCode(m, math, k, address, opts);
  const { c, I } = g;
  const units = gemmUnits(k);
  const M4 = k.m - (k.m % 4);
  const N8 = k.n - (k.n % 8);
  const rem = k.n - N8;
  const gather = k.bImplicit ? new PanelGather(g) : undefined;
  const slotBytes = scratchSlotBytes(k);
  const loop = (name: string, v: number, from: E, to: () => E, step: number, body: E[]) => forLoop(m, g.label(name), v, from, to, step, body);
  // B columns j..j+7 ready at `pb`: packed or row-major in place, implicit gathered (`lanes` < 8: the ragged panel)
  const panel = (lanes = 8): E[] => (gather
    ? [...gather.gather(() => I(g.j), 0, lanes, slotBytes), m.local.set(g.pb, gather.slot(0, slotBytes))]
    : g.setPanel());
  // A packed or gathered ragged panel is zero-padded to 8 columns: tiles run whole, stores stop at the edge.
  const vectorEdge = k.bPacked || gather !== undefined;
  // rows i..i+R-1 x the ragged right edge (columns N8..N-1)
  const edge = (R: number): E[] => {
    if (rem === 0) return [];
    if (vectorEdge) return [m.local.set(g.j, c(N8)), ...panel(rem), ...g.tile(R, 1, 0), ...g.storePartial(R, rem)];
    // scalar cells of rows i..i+R-1 (hi keeps i)
    return [m.local.set(g.hi, I(g.i)), loop('ei', g.i, I(g.hi), () => m.i32.add(I(g.hi), c(R)), 1, [loop('ej', g.j, c(N8), () => c(k.n), 1, g.cell())]), m.local.set(g.i, I(g.hi))];
  };

  let unitBody: E[];
  if (k.rowPool) {
    unitBody = rowPoolUnitBody(g);
  } else if (k.pool) {
    unitBody = poolUnitBody(g, gather!, slotBytes);
  } else if (units.wide) {
    const N32 = k.n - (k.n % 32);
    unitBody = [
      m.local.set(g.lo, m.i32.shl(I(g.u), c(5))),
      m.if(m.i32.lt_s(I(g.lo), c(N32)),
        m.block(null, [m.local.set(g.j, I(g.lo)), ...g.setPanel(), loop('wi', g.i, c(0), () => c(k.m), 1, [...g.tile(1, 4, k.k * 32), ...g.storeTile(1, 4)])]),
        // the last unit: remaining whole panels, then the ragged right edge
        m.block(null, [
          loop('pj', g.j, I(g.lo), () => c(N8), 8, [...g.setPanel(), loop('pi', g.i, c(0), () => c(k.m), 1, [...g.tile(1, 1, 0), ...g.storeTile(1, 1)])]),
          ...(rem > 0 ? [m.local.set(g.j, c(N8)), ...g.setPanel(), loop('ei', g.i, c(0), () => c(k.m), 1, [...g.tile(1, 1, 0), ...g.storePartial(1, rem)])] : []),
        ])),
    ];
  } else if (units.byColumns) {
    // a panel: 4-row tiles down the rows, then the bottom rows one at a time
    const down = (store4: E[], store1: E[]): E[] => [
      loop('ti', g.i, c(0), () => c(M4), 4, [...g.tile(4, 1, 0), ...store4]),
      loop('ri', g.i, c(M4), () => c(k.m), 1, [...g.tile(1, 1, 0), ...store1]),
    ];
    const ragged: E[] = rem === 0 ? [] : vectorEdge
      ? [m.local.set(g.j, c(N8)), ...panel(rem), ...down(g.storePartial(4, rem), g.storePartial(1, rem))]
      : [loop('ei', g.i, c(0), () => c(k.m), 1, [loop('ej', g.j, c(N8), () => c(k.n), 1, g.cell())])];
    unitBody = [
      m.local.set(g.lo, m.i32.shl(I(g.u), c(3))),
      m.if(m.i32.lt_s(I(g.lo), c(N8)),
        m.block(null, [m.local.set(g.j, I(g.lo)), ...panel(), ...down(g.storeTile(4, 1), g.storeTile(1, 1))]),
        m.block(null, ragged)),
    ];
  } else {
    unitBody = [
      m.local.set(g.lo, m.i32.shl(I(g.u), c(2))),
      m.if(m.i32.le_s(m.i32.add(I(g.lo), c(4)), c(k.m)),
        m.block(null, [
          m.local.set(g.i, I(g.lo)),
          loop('tj', g.j, c(0), () => c(N8), 8, [...panel(), ...g.tile(4, 1, 0), ...g.storeTile(4, 1)]),
          ...edge(4),
        ]),
        // the bottom strip (fewer than 4 rows; the whole product when M < 4)
        loop('ri', g.i, I(g.lo), () => c(k.m), 1, [
          loop('rj', g.j, c(0), () => c(N8), 8, [...panel(), ...g.tile(1, 1, 0), ...g.storeTile(1, 1)]),
          ...edge(1),
        ])),
    ];
  }
  const perBatch = units.perBatch;
  const body = loop('unit', g.u, I(g.begin), () => I(g.end), 1, [
    // q = batch of unit u, u = unit inside the batch
    m.local.set(g.q, m.i32.div_u(I(g.u), c(perBatch))),
    m.local.set(g.aB, m.i32.add(c(address(k.a) + (k.aBase ?? 0) * 4), m.i32.mul(k.aBatchPeriod ? m.i32.rem_u(I(g.q), c(k.aBatchPeriod)) : I(g.q), c(k.aBatch * 4)))),
    ...(k.aBatchPeriod && k.aBatchOuter ? [m.local.set(g.aB, m.i32.add(I(g.aB), m.i32.mul(m.i32.div_u(I(g.q), c(k.aBatchPeriod)), c(k.aBatchOuter * 4))))] : []),
    m.local.set(g.bB, m.i32.add(c(address(k.b) + (k.bBase ?? 0) * 4), m.i32.mul(I(g.q), c(k.bBatch * 4)))),
    m.local.set(g.cB, m.i32.add(c(address(k.out)), m.i32.mul(I(g.q), c(k.cBatch * g.cBytes)))),
    m.local.set(g.u, m.i32.sub(I(g.u), m.i32.mul(I(g.q), c(perBatch)))),
    ...unitBody,
    // restore u to the global unit index for the loop
    m.local.set(g.u, m.i32.add(I(g.u), m.i32.mul(I(g.q), c(perBatch)))),
  ]);
  const guarded = k.bScratch !== undefined ? m.block(null, [slotGuard(m, g.worker, k.scratchSlots ?? 1), body]) : body;
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, g.vars, guarded);
}
