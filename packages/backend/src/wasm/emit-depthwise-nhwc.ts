// Depthwise convolution in NHWC (DepthwiseConvKernel with layout 'nhwc', one output channel per input
// channel): channels are contiguous in the input, the weights (packed [KH][KW][C] at compile time) and the
// output, so each f32x4 holds four channels of one pixel and every load is a plain vector load. A unit is one
// output row (image, oh); each output pixel runs its channels 16 at a time (four accumulators), then 4, then
// one by one, over the taps (a loop over kh, kw unrolled) with pointers walking the input rows. The epilogue
// (a site is batch = image, row = oh*OW + ow, column = channel) runs on the vectors when it can, else per
// element. Function `(begin, end, worker)` over units, as the GEMM's.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { forLoop } from './emit-kernels.js';
import type { DepthwiseConvKernel } from './kernel-plan.js';
import { EpilogueAt, type OutputSite } from './epilogue-at.js';
import type { GemmCodeOptions } from './gemm-code.js';
import { madd } from './simd-madd.js';

type E = binaryen.ExpressionRef;

const ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

export function emitDepthwiseNhwc(m: binaryen.Module, math: MathImports, k: DepthwiseConvKernel, address: (id: number) => number, opts: GemmCodeOptions): void {
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return 2 + vars.length; };
  const [begin, end] = [0, 1];
  // unit, image, output row and column, channel, input pixel pointer (tap (0, 0)), tap row pointers into the
  // input and weights, output pixel pointer, kh counter, epilogue counter
  const [u, q, oh, ow, ch, px, rx, rw, po, kh, e] = Array.from({ length: 11 }, () => local(binaryen.i32));
  const acc = Array.from({ length: 4 }, () => local(binaryen.v128));
  const sacc = local(binaryen.f32);
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const C = k.channels;
  const epi = new EpilogueAt(m, math, address, k.epilogue, k.epilogueOperands, opts.exactMath);
  let labels = 0;
  const label = (base: string) => `${base}${labels++}`;
  const rowBytes = k.rowLen * 4;
  const site = (col: () => E): OutputSite => ({ batch: () => I(q), row: () => m.i32.add(m.i32.mul(I(oh), c(k.ow)), I(ow)), col });

  // the taps: kh a loop (rx, rw step a dilated input row and a weight row), kw unrolled; `tap(kw)` reads
  // channel ch (+ lanes) of tap (kh, kw) at rx + kw*dw*C and rw + kw*C elements
  const taps = (tap: (kw: number) => E[]): E[] => {
    const loop = label('kh');
    return [
      m.local.set(rx, m.i32.add(I(px), m.i32.shl(I(ch), c(2)))),
      m.local.set(rw, m.i32.add(c(address(k.w)), m.i32.shl(I(ch), c(2)))),
      m.local.set(kh, c(0)),
      m.loop(loop, m.block(null, [
        ...Array.from({ length: k.kw }, (_, kw) => tap(kw)).flat(),
        m.local.set(rx, m.i32.add(I(rx), c(k.dh * rowBytes))),
        m.local.set(rw, m.i32.add(I(rw), c(k.kw * C * 4))),
        m.local.set(kh, m.i32.add(I(kh), c(1))),
        m.br_if(loop, m.i32.lt_u(I(kh), c(k.kh))),
      ])),
    ];
  };
  const outAt = (extra: E) => m.i32.add(I(po), m.i32.shl(extra, c(2)));
  // channels ch..ch+n-1 already stored: the epilogue one by one
  const elementEpilogues = (n: number): E[] => (k.epilogue && !epi.onVectors ? [
    forLoop(m, label('ep'), e, c(0), () => c(n), 1, [
      m.f32.store(0, 4, outAt(m.i32.add(I(ch), I(e))), epi.scalar(site(() => m.i32.add(I(ch), I(e))), () => m.f32.load(0, 4, outAt(m.i32.add(I(ch), I(e)))))),
    ]),
  ] : []);
  // V vectors of channels from ch on
  const block = (V4: number): E[] => [
    ...acc.slice(0, V4).map((a) => m.local.set(a, m.v128.const(ZERO))),
    ...taps((kw) => acc.slice(0, V4).map((a, v) => m.local.set(a, madd(m, opts.relaxed, V(a),
      m.v128.load(kw * k.dw * C * 4 + v * 16, 4, I(rx)), m.v128.load(kw * C * 4 + v * 16, 4, I(rw)))))),
    ...acc.slice(0, V4).map((a, v) => m.v128.store(v * 16, 4, outAt(I(ch)), epi.vector(site(() => I(ch)), 4 * v, () => V(a)))),
    ...elementEpilogues(4 * V4),
  ];
  const single: E[] = [
    m.local.set(sacc, m.f32.const(0)),
    ...taps((kw) => [m.local.set(sacc, m.f32.add(m.local.get(sacc, binaryen.f32),
      m.f32.mul(m.f32.load(kw * k.dw * C * 4, 4, I(rx)), m.f32.load(kw * C * 4, 4, I(rw)))))]),
    m.f32.store(0, 4, outAt(I(ch)), k.epilogue ? epi.scalar(site(() => I(ch)), () => m.local.get(sacc, binaryen.f32)) : m.local.get(sacc, binaryen.f32)),
  ];
  const C16 = C - (C % 16);
  const C4 = C - (C % 4);
  const pixel: E[] = [
    m.local.set(px, m.i32.add(c(address(k.x) + k.base * 4), m.i32.shl(m.i32.add(m.i32.add(m.i32.mul(I(q), c(k.plane)), m.i32.mul(I(oh), c(k.sh * k.rowLen))), m.i32.mul(I(ow), c(k.sw * C))), c(2)))),
    m.local.set(po, m.i32.add(c(address(k.out)), m.i32.shl(m.i32.mul(m.i32.add(m.i32.mul(I(u), c(k.ow)), I(ow)), c(C)), c(2)))),
    forLoop(m, label('c16'), ch, c(0), () => c(C16), 16, block(4)),
    forLoop(m, label('c4'), ch, c(C16), () => c(C4), 4, block(1)),
    forLoop(m, label('c1'), ch, c(C4), () => c(C), 1, single),
  ];
  const body = forLoop(m, label('unit'), u, I(begin), () => I(end), 1, [
    m.local.set(q, m.i32.div_u(I(u), c(k.oh))),
    m.local.set(oh, m.i32.sub(I(u), m.i32.mul(I(q), c(k.oh)))),
    forLoop(m, label('ow'), ow, c(0), () => c(k.ow), 1, pixel),
  ]);
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, vars, body);
}
