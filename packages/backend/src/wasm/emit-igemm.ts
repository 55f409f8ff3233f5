// The integer GEMM kernel (IntGemmKernel): tiles of up to 4 rows x 8 columns of i32x4 accumulators. Per pair of
// k, each row's two int16 values are splat as one i32 to all lanes, and i32x4.dot_i16x8_s multiplies them by
// the packed weights of 4 columns x 2 k and adds the pairs: exact int32 sums, as the interpreter computes them.
// Columns past n are zero in the packed weights (computed, not stored); a's padding column (odd k) meets a
// zero row of b. The result is stored as int32, or as float32 through the epilogue (on vectors when it can).
// One thread: splitting it into 4-row units over 2 threads made examples/qdq/dynamic.onnx slower (1.66-2.19 ms
// against 1.57 ms, tensorc bench --threads 2, 64 rows), so it has no parallel step.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { forLoop } from './emit-kernels.js';
import { EpilogueAt, type OutputSite } from './epilogue-at.js';
import type { IntGemmKernel } from './kernel-plan.js';

type E = binaryen.ExpressionRef;

export function emitIntGemm(m: binaryen.Module, math: MathImports, k: IntGemmKernel, address: (id: number) => number, exactMath: boolean): void {
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return vars.length - 1; };
  const [i, j, pa, pb, pe] = [local(binaryen.i32), local(binaryen.i32), local(binaryen.i32), local(binaryen.i32), local(binaryen.i32)];
  const acc = Array.from({ length: 8 }, () => local(binaryen.v128));
  const [b0, b1, av] = [local(binaryen.v128), local(binaryen.v128), local(binaryen.v128)];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const V = (x: number) => m.local.get(x, binaryen.v128);
  const c = (v: number) => m.i32.const(v);
  const epi = k.epilogue ? new EpilogueAt(m, math, address, k.epilogue, k.epilogueOperands, exactMath) : undefined;
  const k2 = k.kp / 2;
  let labels = 0;
  const loop = (name: string, v: number, from: E, to: () => E, step: number, body: E[]) => forLoop(m, `${name}${labels++}`, v, from, to, step, body);

  // rows i..i+R-1 x the 8 columns of panel j / 8, over all of k
  const tile = (R: number): E[] => {
    const zero = acc.slice(0, 2 * R).map((a) => m.local.set(a, m.v128.const(new Array<number>(16).fill(0))));
    const body: E[] = [m.local.set(b0, m.v128.load(0, 16, I(pb))), m.local.set(b1, m.v128.load(16, 16, I(pb)))];
    for (let r = 0; r < R; r++) {
      body.push(m.local.set(av, m.v128.load32_splat(r * k.kp * 2, 4, I(pa))));
      body.push(m.local.set(acc[2 * r]!, m.i32x4.add(V(acc[2 * r]!), m.i32x4.dot_i16x8_s(V(av), V(b0)))));
      body.push(m.local.set(acc[2 * r + 1]!, m.i32x4.add(V(acc[2 * r + 1]!), m.i32x4.dot_i16x8_s(V(av), V(b1)))));
    }
    const name = `ik${labels++}`;
    body.push(m.local.set(pa, m.i32.add(I(pa), c(4))), m.local.set(pb, m.i32.add(I(pb), c(32))), m.br_if(name, m.i32.lt_u(I(pa), I(pe))));
    return [
      ...zero,
      m.local.set(pa, m.i32.add(c(address(k.a)), m.i32.mul(I(i), c(k.kp * 2)))),
      m.local.set(pe, m.i32.add(I(pa), c(k2 * 4))),
      m.local.set(pb, m.i32.add(c(address(k.b)), m.i32.mul(m.i32.shr_u(I(j), c(3)), c(k2 * 32)))),
      ...(k2 > 0 ? [m.loop(name, m.block(null, body))] : []),
    ];
  };

  // C address of (i + r, j + col)
  const cAt = (r: number, col: number): E => m.i32.add(c(address(k.out) + col * 4), m.i32.shl(m.i32.add(m.i32.mul(m.i32.add(I(i), c(r)), c(k.n)), I(j)), c(2)));
  const site = (r: number): OutputSite => ({ batch: () => c(0), row: () => m.i32.add(I(i), c(r)), col: () => I(j) });
  // the four values of accumulator a (columns col..col+3 of row r) as stored
  const value = (r: number, h: number): E => {
    const a = acc[2 * r + h]!;
    if (!epi) return V(a);
    if (epi.onVectors) return epi.vector(site(r), 4 * h, () => m.f32x4.convert_i32x4_s(V(a)));
    return epi.lanes(site(r), 4 * h, (l) => m.f32.convert_s.i32(m.i32x4.extract_lane(V(a), l)));
  };
  const store = (R: number, cols: number): E[] => {
    const out: E[] = [];
    for (let r = 0; r < R; r++) {
      if (cols === 8) { for (let h = 0; h < 2; h++) out.push(m.v128.store(16 * h, 4, cAt(r, 0), value(r, h))); continue; }
      for (let h = 0; 4 * h < cols; h++) {
        out.push(m.local.set(av, value(r, h)));
        for (let l = 0; l < 4 && 4 * h + l < cols; l++) {
          out.push(epi ? m.f32.store(0, 4, cAt(r, 4 * h + l), m.f32x4.extract_lane(V(av), l)) : m.i32.store(0, 4, cAt(r, 4 * h + l), m.i32x4.extract_lane(V(av), l)));
        }
      }
    }
    return out;
  };

  const N8 = k.n - (k.n % 8);
  const rem = k.n - N8;
  const rows = (R: number): E[] => [
    loop('j', j, c(0), () => c(N8), 8, [...tile(R), ...store(R, 8)]),
    ...(rem > 0 ? [m.local.set(j, c(N8)), ...tile(R), ...store(R, rem)] : []),
  ];
  const M4 = k.m - (k.m % 4);
  const body = [
    loop('i', i, c(0), () => c(M4), 4, rows(4)),
    loop('r', i, c(M4), () => c(k.m), 1, rows(1)),
  ];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, m.block(null, body));
}
