// Depthwise convolution (DepthwiseConvKernel) computed directly on f32x4: a unit is one output plane (image,
// output channel). Each output row runs 16 outputs at a time (four accumulators), then 4, then one by one;
// per tap (a loop over kh, kw unrolled) the weight is one load32_splat and each input vector one load
// (stride 1), two loads and a shuffle (stride 2) or four lane loads, from a pointer that walks the input
// rows (constant offsets for kw and the vector). The epilogue runs on the vectors when it can, else per
// element after the store. Function `(begin, end, worker)` over units, as the GEMM's.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { forLoop } from './emit-kernels.js';
import type { DepthwiseConvKernel } from './kernel-plan.js';
import { EpilogueAt, type OutputSite } from './epilogue-at.js';
import { emitDepthwiseNhwc } from './emit-depthwise-nhwc.js';
import type { GemmCodeOptions } from './gemm-code.js';
import { madd } from './simd-madd.js';

type E = binaryen.ExpressionRef;

const ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/** Lanes 0 and 2 of a, 1 and 3 of b: input elements 0, 2, 4, 6 from vectors at elements 0 and 3. */
const EVEN_OF_SEVEN = [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31];

/** Units: output planes, image-major; in NHWC output rows (image, oh). */
export function depthwiseUnits(k: Pick<DepthwiseConvKernel, 'batch' | 'channels' | 'mult' | 'oh' | 'layout'>): number {
  return k.layout === 'nhwc' ? k.batch * k.oh : k.batch * k.channels * k.mult;
}

export function emitDepthwise(m: binaryen.Module, math: MathImports, k: DepthwiseConvKernel, address: (id: number) => number, opts: GemmCodeOptions): void {
  if (k.layout === 'nhwc') { emitDepthwiseNhwc(m, math, k, address, opts); return; }
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return 2 + vars.length; };
  const [begin, end] = [0, 1];
  // unit, image, output channel, byte bases of the input plane / weights / output plane, output row and
  // column, input row pointer, block input pointer, weight pointer, kh counter, epilogue counter
  const [u, q, ch, xb, wb, ob, oh, ow, rb, px, pw, kh, e] = Array.from({ length: 13 }, () => local(binaryen.i32));
  const acc = Array.from({ length: 4 }, () => local(binaryen.v128));
  const wv = local(binaryen.v128);
  const sacc = local(binaryen.f32);
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const M = k.channels * k.mult;
  const epi = new EpilogueAt(m, math, address, k.epilogue, k.epilogueOperands, opts.exactMath);
  let labels = 0;
  const label = (base: string) => `${base}${labels++}`;
  const rowBytes = k.rowLen * 4;
  // the input vector of tap column kw for outputs 4v..4v+3 of the block at px
  const inputVector = (kw: number, v: number): E => {
    const off = kw * k.dw * 4 + v * 16 * k.sw;
    if (k.sw === 1) return m.v128.load(off, 4, I(px));
    if (k.sw === 2) return m.i8x16.shuffle(m.v128.load(off, 4, I(px)), m.v128.load(off + 12, 4, I(px)), EVEN_OF_SEVEN);
    let x = m.f32x4.splat(m.f32.load(off, 4, I(px)));
    for (let l = 1; l < 4; l++) x = m.f32x4.replace_lane(x, l, m.f32.load(off + l * k.sw * 4, 4, I(px)));
    return x;
  };
  // the taps: a loop over kh (px and pw advance a dilated input row and a weight row), kw unrolled
  const taps = (perKw: (kw: number) => E[]): E[] => {
    const loop = label('kh');
    return [
      m.local.set(pw, I(wb)),
      m.local.set(kh, c(0)),
      m.loop(loop, m.block(null, [
        ...Array.from({ length: k.kw }, (_, kw) => perKw(kw)).flat(),
        m.local.set(px, m.i32.add(I(px), c(k.dh * rowBytes))),
        m.local.set(pw, m.i32.add(I(pw), c(k.kw * 4))),
        m.local.set(kh, m.i32.add(I(kh), c(1))),
        m.br_if(loop, m.i32.lt_u(I(kh), c(k.kh))),
      ])),
    ];
  };
  const site = (extra: () => E): OutputSite => ({ batch: () => I(q), row: () => I(ch), col: () => m.i32.add(m.i32.mul(I(oh), c(k.ow)), extra()) });
  const outAt = (col: E) => m.i32.add(I(ob), m.i32.shl(m.i32.add(m.i32.mul(I(oh), c(k.ow)), col), c(2)));
  // elements ow..ow+n-1 of the row, already stored: the epilogue one by one
  const elementEpilogues = (n: number): E[] => (k.epilogue && !epi.onVectors ? [
    forLoop(m, label('ep'), e, c(0), () => c(n), 1, [
      m.f32.store(0, 4, outAt(m.i32.add(I(ow), I(e))), epi.scalar(site(() => m.i32.add(I(ow), I(e))), () => m.f32.load(0, 4, outAt(m.i32.add(I(ow), I(e)))))),
    ]),
  ] : []);
  // V vectors of outputs from column ow on
  const block = (V4: number): E[] => [
    ...acc.slice(0, V4).map((a) => m.local.set(a, m.v128.const(ZERO))),
    m.local.set(px, m.i32.add(I(rb), m.i32.mul(I(ow), c(k.sw * 4)))),
    ...taps((kw) => [
      m.local.set(wv, m.v128.load32_splat(kw * 4, 4, I(pw))),
      ...acc.slice(0, V4).map((a, v) => m.local.set(a, madd(m, opts.relaxed, V(a), V(wv), inputVector(kw, v)))),
    ]),
    ...acc.slice(0, V4).map((a, v) => m.v128.store(v * 16, 4, outAt(I(ow)), epi.vector(site(() => I(ow)), 4 * v, () => V(a)))),
    ...elementEpilogues(4 * V4),
  ];
  const single: E[] = [
    m.local.set(sacc, m.f32.const(0)),
    m.local.set(px, m.i32.add(I(rb), m.i32.mul(I(ow), c(k.sw * 4)))),
    ...taps((kw) => [m.local.set(sacc, m.f32.add(m.local.get(sacc, binaryen.f32), m.f32.mul(m.f32.load(kw * k.dw * 4, 4, I(px)), m.f32.load(kw * 4, 4, I(pw)))))]),
    m.f32.store(0, 4, outAt(I(ow)), k.epilogue ? epi.scalar(site(() => I(ow)), () => m.local.get(sacc, binaryen.f32)) : m.local.get(sacc, binaryen.f32)),
  ];
  const O16 = k.ow - (k.ow % 16);
  const O4 = k.ow - (k.ow % 4);
  const row: E[] = [
    m.local.set(rb, m.i32.add(I(xb), m.i32.mul(I(oh), c(k.sh * rowBytes)))),
    forLoop(m, label('b16'), ow, c(0), () => c(O16), 16, block(4)),
    forLoop(m, label('b4'), ow, c(O16), () => c(O4), 4, block(1)),
    forLoop(m, label('b1'), ow, c(O4), () => c(k.ow), 1, single),
  ];
  const body = forLoop(m, label('unit'), u, I(begin), () => I(end), 1, [
    m.local.set(q, m.i32.div_u(I(u), c(M))),
    m.local.set(ch, m.i32.sub(I(u), m.i32.mul(I(q), c(M)))),
    m.local.set(xb, m.i32.add(c(address(k.x) + k.base * 4), m.i32.shl(m.i32.add(m.i32.mul(I(q), c(k.channels * k.plane)), m.i32.mul(m.i32.div_u(I(ch), c(k.mult)), c(k.plane))), c(2)))),
    m.local.set(wb, m.i32.add(c(address(k.w)), m.i32.mul(I(ch), c(k.kh * k.kw * 4)))),
    m.local.set(ob, m.i32.add(c(address(k.out)), m.i32.mul(I(u), c(k.oh * k.ow * 4)))),
    forLoop(m, label('oh'), oh, c(0), () => c(k.oh), 1, row),
  ]);
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, body);
}
