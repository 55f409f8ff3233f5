// An NHWC convolution with its 2x2 stride-2 max pool fused (GemmKernel.rowPool): a unit is one pooled output
// row, i.e. two of the convolution's batches (output rows oh, oh+1, `step` elements apart in A). Each 4x8 tile
// takes two adjacent output columns from both rows as its four A rows (rowOffsets), so the four values of
// a pooling window sit in four accumulators of the same channel lanes: the epilogue (bias, ReLU, ...) is
// applied to each, then three f32x4.max (NaN wins, as in the interpreter) give eight pooled channels. The
// convolution's output is never stored. Panels outer, column pairs inner: a weight panel stays in cache.

import { forLoop } from './emit-kernels.js';
import type { E, GemmCode } from './gemm-code.js';

export function rowPoolUnitBody(g: GemmCode): E[] {
  const { m, k, c, I, V } = g;
  const step = k.rowPool!.step;
  const N8 = k.n - (k.n % 8);
  const rem = k.n - N8;
  // tile row r: output column i + (r & 1) of convolution row 2q + (r >> 1)
  const offsets = [0, k.aRow, step, step + k.aRow];
  const conv = (r: number, h: number): E => {
    const accLocal = g.acc[r * 2 + h]!;
    const batch = () => m.i32.add(m.i32.shl(I(g.q), c(1)), c(r >> 1));
    const row = () => m.i32.add(I(g.i), c(r & 1));
    if (!k.epilogue || g.vectorEpilogue) return g.vectorOut(row, () => I(g.j), 4 * h, accLocal, batch);
    return g.laneEpilogues(row, () => I(g.j), 4 * h, accLocal, batch); // an epilogue without a vector form
  };
  const pooled = (h: number): E => m.f32x4.max(m.f32x4.max(conv(0, h), conv(1, h)), m.f32x4.max(conv(2, h), conv(3, h)));
  // C is [pooled column][n] within the unit's pooled row; bp: the pooled column's first channel
  const at = () => m.local.set(g.bp, m.i32.add(I(g.cB), m.i32.shl(m.i32.add(m.i32.mul(m.i32.shr_u(I(g.i), c(1)), c(k.n)), I(g.j)), c(2))));
  const whole: E[] = [
    at(), ...g.pooledInto(g.bv[2]!, pooled(0)), m.v128.store(0, 4, I(g.bp), V(g.bv[2]!)),
    ...g.pooledInto(g.bv[3]!, pooled(1)), m.v128.store(16, 4, I(g.bp), V(g.bv[3]!)),
  ];
  const partial: E[] = [at()];
  for (let h = 0; h < 2 && 4 * h < rem; h++) {
    partial.push(...g.pooledInto(g.bv[h]!, pooled(h)));
    for (let l = 0; l < 4 && 4 * h + l < rem; l++) partial.push(m.f32.store(4 * (4 * h + l), 4, I(g.bp), m.f32x4.extract_lane(V(g.bv[h]!), l)));
  }
  const columns = (store: E[]) => forLoop(m, g.label('pc'), g.i, c(0), () => c(k.m), 2, [...g.tile(4, 1, 0, offsets), ...store]);
  return [
    forLoop(m, g.label('pp'), g.j, c(0), () => c(N8), 8, [...g.setPanel(), columns(whole)]),
    ...(rem > 0 ? [m.local.set(g.j, c(N8)), ...g.setPanel(), columns(partial)] : []),
  ];
}
