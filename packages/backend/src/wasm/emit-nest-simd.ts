// A loop nest run four output elements at a time on f32x4 vectors, when that gives exactly the scalar
// nest's results: float32 everywhere, the innermost output loop contiguous in the output and, in every
// operand, contiguous, constant (a splat) or strided (four lane loads), no padded reads, no reduction or a max/min one (order-free
// and exact in float32), and expressions of exactly-rounded ops only. Elementwise maps, broadcasts, copies
// and max reductions qualify; sums keep the scalar float64 accumulation of emit-nest.ts. The last
// (extent mod 4) points run through the scalar nest on a shifted copy of the kernel.
// Two integer cases too: an integer operand read only as float32 of one value (a zero point), and an
// elementwise result of 8- or 16-bit codes that the expression clamps into range (a quantize), truncated and
// narrowed on store (narrow-codes.ts).

import binaryen from 'binaryen';
import type { ScalarExpr } from '@tensorc/ir';
import type { MathImports } from './emit-scalar.js';
import { emitLoad, emitNest } from './emit-nest.js';
import { emitVectorEpilogue, vectorizableScalar } from './emit-vector-epilogue.js';
import { type LoopNestKernel, subNest } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { type NarrowCode, clampsInto, isNarrowCode, narrowInto } from './narrow-codes.js';

type E = binaryen.ExpressionRef;

/** The float32 expression under an elementwise nest's store of codes (cast(code, clamp)), if it is one. */
function codesStored(k: LoopNestKernel): { code: NarrowCode; expr: ScalarExpr } | undefined {
  const c = k.combiner;
  if (k.reducer !== null || k.extraOuts || k.epilogue !== null || !isNarrowCode(k.outDtype) || c.k !== 'cast' || c.to !== k.outDtype || !clampsInto(c.a, k.outDtype)) return undefined;
  return { code: k.outDtype, expr: c.a };
}

/** An integer operand read as one value (stride 0 along every loop), which the expressions may convert to float32. */
const intSplat = (o: LoopNestKernel['operands'][number]) => INT_SPLAT.has(o.dtype) && o.bounds === undefined && o.strides.every((s) => s === 0);
const INT_SPLAT = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32']);

export function canVectorizeNest(k: LoopNestKernel): boolean {
  const r = k.numOutLoops;
  const codes = codesStored(k);
  if (r === 0 || (k.outDtype !== 'float32' && !codes) || (k.accDtype !== 'float32' && !codes)) return false;
  const v = r - 1;
  if (k.outStrides[v] !== 1 || k.extents[v]! < 4) return false;
  if (k.reducer !== null && k.reducer !== 'max' && k.reducer !== 'min') return false;
  // contiguous (1), broadcast (0) or a positive stride (lane loads: pooling windows, transposes); integer splats
  if (k.operands.some((o) => !intSplat(o) && (o.dtype !== 'float32' || o.bounds !== undefined || o.strides[v]! < 0))) return false;
  const extras = k.extraOuts ?? [];
  if (extras.length > 0 && (k.reducer !== null || extras.some((x) => x.dtype !== 'float32' || x.strides[v] !== 1))) return false;
  // a multi-output nest's expressions may read the results stored before them (contiguous, like the output)
  const argOk = (i: number) => i < k.operands.length + (extras.length > 0 ? 1 + extras.length : 0) && !(i < k.operands.length && intSplat(k.operands[i]!));
  const castOk = (i: number) => i < k.operands.length && intSplat(k.operands[i]!);
  const ok = (e: ScalarExpr) => vectorizableScalar(e, argOk, true, false, castOk);
  if (!ok(codes?.expr ?? k.combiner) || !extras.every((x) => ok(x.expr))) return false;
  return k.epilogue === null || ok(k.epilogue);
}

/** Adds `k.name` as vector code (and `k.name + '_tail'` for the remainder); call when canVectorizeNest(k). */
export function emitNestSimd(m: binaryen.Module, math: MathImports, k: LoopNestKernel, address: (id: number) => number): void {
  const L = k.extents.length;
  const r = k.numOutLoops;
  const v = r - 1;
  const E4 = k.extents[v]! - (k.extents[v]! % 4);
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return vars.length - 1; };
  const idx = k.extents.map(() => local(binaryen.i32));
  const ptr = k.operands.map(() => local(binaryen.i32));
  const outPtr = local(binaryen.i32);
  const extras = k.extraOuts ?? [];
  const extraPtr = extras.map(() => local(binaryen.i32));
  // every output pointer: the result, then the extra results
  const outPtrs = [outPtr, ...extraPtr];
  const outStrides = [k.outStrides, ...extras.map((x) => x.strides)];
  const acc = local(binaryen.v128);
  const nOps = k.operands.length;
  // results nothing reads after the nest stay in vector locals (kernel-plan.ts `unstored`)
  const unstored = new Set(k.unstored ?? []);
  const held = outPtrs.map((_, r) => (unstored.has(r) ? local(binaryen.v128) : -1));
  const put = (r: number, v: E): E => (unstored.has(r) ? m.local.set(held[r]!, v) : codes ? storeCodes(v) : m.v128.store(0, 4, g(outPtrs[r]!), v));
  // four clamped values truncated and narrowed (saturating: exact in range) into 4 bytes or 4 shorts
  // (acc is free in an elementwise nest: it holds the lanes between steps, since an expression is used once)
  const storeCodes = (v: E): E => {
    const A = () => m.local.get(acc, binaryen.v128);
    const four = outBytes === 2 ? m.i64.store(0, 2, g(outPtr), m.i64x2.extract_lane(A(), 0)) : m.i32.store(0, 1, g(outPtr), m.i32x4.extract_lane(A(), 0));
    return m.block(null, [m.local.set(acc, m.i32x4.trunc_sat_f32x4_s(v)), ...narrowInto(m, codes!.code, A, A, acc), four]);
  };
  const saves = k.extents.map(() => [...k.operands.map(() => local(binaryen.i32)), ...outPtrs.map(() => local(binaryen.i32))]);
  const g = (i: number) => m.local.get(i, binaryen.i32);
  const load = (j: number): E => {
    if (j >= nOps) return unstored.has(j - nOps) ? m.local.get(held[j - nOps]!, binaryen.v128) : m.v128.load(0, 4, g(outPtrs[j - nOps]!));
    const st = k.operands[j]!.strides[v]!;
    if (st === 0) return m.v128.load32_splat(0, 4, g(ptr[j]!));
    if (st === 1) return m.v128.load(0, 4, g(ptr[j]!));
    // four strided elements, one lane at a time
    let x = m.v128.load32_zero(0, 4, g(ptr[j]!));
    for (let lane = 1; lane < 4; lane++) x = m.v128.load32_lane(lane * st * 4, 4, lane, g(ptr[j]!), x);
    return x;
  };
  // float32 of an integer splat operand: one load, converted, in all four lanes
  const castArg = (j: number): E => {
    return m.f32x4.splat(m.f32.convert_s.i32(emitLoad(m, k.operands[j]!.dtype, g(ptr[j]!))));
  };
  const value = (e: typeof k.combiner, accE?: () => E): E => emitVectorEpilogue(m, e, { acc: accE ?? (() => m.unreachable()), arg: load, castArg });
  const codes = codesStored(k);
  const outBytes = codes ? (codes.code.endsWith('16') ? 2 : 1) : 4;

  const loop = (l: number, body: E, advanceOut: boolean): E => {
    const vec = l === v;
    const ext = vec ? E4 / 4 : k.extents[l]!;
    if (ext === 1) return body;
    const bump: E[] = [];
    k.operands.forEach((o, j) => {
      const s = o.strides[l]! * elementBytes(o.dtype) * (vec ? 4 : 1);
      if (s !== 0) bump.push(m.local.set(ptr[j]!, m.i32.add(g(ptr[j]!), m.i32.const(s))));
    });
    outPtrs.forEach((p, e) => {
      const os = advanceOut ? outStrides[e]![l]! * (e === 0 ? outBytes : 4) * (vec ? 4 : 1) : 0;
      if (os !== 0) bump.push(m.local.set(p, m.i32.add(g(p), m.i32.const(os))));
    });
    const sv = saves[l]!;
    return m.block(null, [
      ...k.operands.map((_, j) => m.local.set(sv[j]!, g(ptr[j]!))), ...outPtrs.map((p, e) => m.local.set(sv[nOps + e]!, g(p))),
      m.local.set(idx[l]!, m.i32.const(0)),
      m.loop(`V${l}`, m.block(null, [
        body, ...bump,
        m.local.set(idx[l]!, m.i32.add(g(idx[l]!), m.i32.const(1))),
        m.br_if(`V${l}`, m.i32.lt_u(g(idx[l]!), m.i32.const(ext))),
      ])),
      ...k.operands.map((_, j) => m.local.set(ptr[j]!, g(sv[j]!))), ...outPtrs.map((p, e) => m.local.set(p, g(sv[nOps + e]!))),
    ]);
  };

  let point: E;
  if (k.reducer === null) {
    point = put(0, value(codes?.expr ?? k.combiner));
    // extra results in order, each after the ones it may read back
    if (extras.length > 0) point = m.block(null, [point, ...extras.map((x, e) => put(e + 1, value(x.expr)))]);
  } else {
    const A = () => m.local.get(acc, binaryen.v128);
    let red: E = m.local.set(acc, k.reducer === 'max' ? m.f32x4.max(A(), value(k.combiner)) : m.f32x4.min(A(), value(k.combiner)));
    for (let l = L - 1; l >= r; l--) red = k.extents[l] === 0 ? m.nop() : loop(l, red, false);
    const init = m.f32x4.splat(m.f32.const(k.reducer === 'max' ? -Infinity : Infinity));
    point = m.block(null, [m.local.set(acc, init), red, m.v128.store(0, 4, g(outPtr), k.epilogue ? value(k.epilogue, A) : A())]);
  }
  let body = point;
  for (let l = r - 1; l >= 0; l--) body = loop(l, body, true);
  const setup = [
    ...k.operands.map((o, j) => m.local.set(ptr[j]!, m.i32.const(address(o.buffer) + o.base * elementBytes(o.dtype)))),
    m.local.set(outPtr, m.i32.const(unstored.has(0) ? 0 : address(k.out) + k.outBase * outBytes)),
    ...extras.map((x, e) => m.local.set(extraPtr[e]!, m.i32.const(unstored.has(e + 1) ? 0 : address(x.buffer) + x.base * 4))),
  ];
  const parts: E[] = [...setup, body];
  if (E4 < k.extents[v]!) {
    // The remaining points: the same nest with the vector loop's extent cut to the tail and bases shifted.
    const tail = subNest(k, v, E4, k.extents[v]! - E4, `${k.name}_tail`);
    emitNest(m, math, tail, address);
    parts.push(m.call(tail.name, [], binaryen.none));
  }
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, m.block(null, parts));
}
