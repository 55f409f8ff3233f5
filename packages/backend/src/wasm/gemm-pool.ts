// A convolution with its 2x2 stride-2 max pool fused (GemmKernel.pool = 'max2x2'): a unit is two rows of the
// convolution's output grid by 8 columns, gathered as two panels; 2x16 register tiles (two channels) run
// over them, the epilogue (bias, ReLU, ...) is applied to every convolution output, and each channel's four
// 2x2 windows are reduced with f32x4.max (NaN wins, as in the interpreter) into four pooled values. The
// convolution's output is never stored. Needs an even output grid whose width is a multiple of 8.

import { forLoop } from './emit-kernels.js';
import type { GemmKernel } from './kernel-plan.js';
import type { E, GemmCode } from './gemm-code.js';
import type { PanelGather } from './gemm-gather.js';

/** Units per batch: row pairs x 8-column blocks of the convolution's output grid. */
export function poolUnits(k: Pick<GemmKernel, 'n' | 'bImplicit'>): number {
  const ow = k.bImplicit!.ow;
  return (k.n / ow / 2) * (ow / 8);
}

const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];

export function poolUnitBody(g: GemmCode, gather: PanelGather, slotBytes: number): E[] {
  const { m, k, c, I, V } = g;
  const ow = k.bImplicit!.ow;
  const blocks = ow / 8;
  const [PH, PW] = [k.n / ow / 2, ow / 2];
  const pairs = k.m - (k.m % 2);
  // Convolution output (row i + r, grid column j + p*ow + 4h + lane) as an f32x4 with the epilogue applied.
  const conv = (r: number, p: number, h: number): E => {
    const accLocal = g.acc[r * 4 + 2 * p + h]!;
    const row = () => m.i32.add(I(g.i), c(r));
    const col = () => m.i32.add(I(g.j), c(p * ow));
    if (!k.epilogue || g.vectorEpilogue) return g.vectorOut(row, col, 4 * h, accLocal);
    return g.laneEpilogues(row, col, 4 * h, accLocal); // an epilogue without a vector form
  };
  const store = (R: number): E[] => {
    const out: E[] = [];
    for (let r = 0; r < R; r++) {
      // bv[h]: the vertical max of columns 4h..4h+3 of the two rows; then the horizontal max of lane pairs
      for (let h = 0; h < 2; h++) out.push(m.local.set(g.bv[h]!, m.f32x4.max(conv(r, 0, h), conv(r, 1, h))));
      const at = m.i32.add(I(g.cB), m.i32.shl(m.i32.add(m.i32.add(m.i32.mul(m.i32.add(I(g.i), c(r)), c(PH * PW)), m.i32.mul(I(g.lo), c(PW))), m.i32.shl(I(g.hi), c(2))), c(2)));
      out.push(...g.pooledInto(g.bv[2]!, m.f32x4.max(m.i8x16.shuffle(V(g.bv[0]!), V(g.bv[1]!), EVEN), m.i8x16.shuffle(V(g.bv[0]!), V(g.bv[1]!), ODD))));
      out.push(m.v128.store(0, 4, at, V(g.bv[2]!)));
    }
    return out;
  };
  // lo: pooled row, hi: 8-column block; j: the unit's first convolution output (top-left)
  return [
    m.local.set(g.lo, m.i32.div_u(I(g.u), c(blocks))),
    m.local.set(g.hi, m.i32.sub(I(g.u), m.i32.mul(I(g.lo), c(blocks)))),
    m.local.set(g.j, m.i32.add(m.i32.mul(I(g.lo), c(2 * ow)), m.i32.shl(I(g.hi), c(3)))),
    ...gather.gather(() => I(g.j), 0, 8, slotBytes),
    ...gather.gather(() => m.i32.add(I(g.j), c(ow)), k.k * 32, 8, slotBytes),
    m.local.set(g.pb, gather.slot(0, slotBytes)),
    forLoop(m, g.label('pi'), g.i, c(0), () => c(pairs), 2, [...g.tile(2, 2, k.k * 32), ...store(2)]),
    ...(pairs < k.m ? [m.local.set(g.i, c(pairs)), ...g.tile(1, 2, k.k * 32), ...store(1)] : []),
  ];
}
