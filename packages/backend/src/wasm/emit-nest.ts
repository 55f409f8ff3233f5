// Code generation for the generic affine loop nest: one wasm loop per extent, byte pointers advanced
// incrementally per loop, padded operands bounds-checked per dim, float accumulation in f64 (rounded once,
// exactly as the reference interpreter does), integer accumulation wrapping in the element type.

import binaryen from 'binaryen';
import { type DType, intRange, isFloat, scalarDType } from '@tensorc/ir';
import { type MathImports, type WasmType, binType, emitCast, emitScalar, wasmTypeOf, wrapSmall } from './emit-scalar.js';
import type { LoopNestKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { emitDecode, emitEncode, emitRound, isCodedFloat } from './wasm-coded-float.js';

/** A load of one element as its expression value (wasm-scalar types: see emit-scalar.ts). */
export function emitLoad(m: binaryen.Module, d: DType, ptr: binaryen.ExpressionRef): binaryen.ExpressionRef {
  switch (d) {
    case 'float32': return m.f32.load(0, 4, ptr);
    case 'float64': return m.f64.load(0, 8, ptr);
    case 'int32': case 'uint32': return m.i32.load(0, 4, ptr);
    case 'int64': case 'uint64': return m.i64.load(0, 8, ptr);
    case 'int8': return m.i32.load8_s(0, 1, ptr);
    case 'int16': return m.i32.load16_s(0, 2, ptr);
    case 'uint16': return m.i32.load16_u(0, 2, ptr);
    // sub-byte ints: one code per byte, sign- or zero-extended from its low bits
    case 'int4': case 'uint4': case 'int2': case 'uint2': return wrapSmall(m, m.i32.load8_u(0, 1, ptr), d);
    case 'float16': case 'bfloat16': return emitDecode(m, d, m.i32.load16_u(0, 2, ptr));
    default: return isCodedFloat(d) ? emitDecode(m, d, m.i32.load8_u(0, 1, ptr)) : m.i32.load8_u(0, 1, ptr);
  }
}

/** A store of one element from its expression value; narrow ints keep only their code bits. */
export function emitStore(m: binaryen.Module, d: DType, ptr: binaryen.ExpressionRef, v: binaryen.ExpressionRef): binaryen.ExpressionRef {
  switch (d) {
    case 'float32': return m.f32.store(0, 4, ptr, v);
    case 'float64': return m.f64.store(0, 8, ptr, v);
    case 'int32': case 'uint32': return m.i32.store(0, 4, ptr, v);
    case 'int64': case 'uint64': return m.i64.store(0, 8, ptr, v);
    case 'int16': case 'uint16': return m.i32.store16(0, 2, ptr, v);
    case 'int4': case 'uint4': return m.i32.store8(0, 1, ptr, m.i32.and(v, m.i32.const(0xf)));
    case 'int2': case 'uint2': return m.i32.store8(0, 1, ptr, m.i32.and(v, m.i32.const(0x3)));
    case 'float16': case 'bfloat16': return m.i32.store16(0, 2, ptr, emitEncode(m, d, v, false));
    default: return m.i32.store8(0, 1, ptr, isCodedFloat(d) ? emitEncode(m, d, v, false) : v);
  }
}

function constOf(m: binaryen.Module, t: WasmType, v: number): binaryen.ExpressionRef {
  switch (t) {
    case 'f32': return m.f32.const(v);
    case 'f64': return m.f64.const(v);
    case 'i64': return m.i64.const(BigInt.asIntN(64, BigInt(Math.trunc(v))));
    default: return m.i32.const(Math.trunc(v) | 0);
  }
}

/** Adds function `k.name` computing the kernel; `address` gives each buffer's byte address. */
export function emitNest(m: binaryen.Module, math: MathImports, k: LoopNestKernel, address: (id: number) => number): void {
  const L = k.extents.length;
  const r = k.numOutLoops;
  const vars: binaryen.Type[] = [];
  const local = (t: binaryen.Type) => { vars.push(t); return vars.length - 1; };
  const idx = k.extents.map(() => local(binaryen.i32));
  const ptr = k.operands.map(() => local(binaryen.i32));
  const outPtr = local(binaryen.i32);
  const extras = k.extraOuts ?? [];
  const extraPtr = extras.map(() => local(binaryen.i32));
  const floatAcc = isFloat(k.accDtype);
  const accWasm: WasmType = floatAcc ? 'f64' : wasmTypeOf(k.accDtype);
  const acc = local(binType(accWasm));
  const saves: number[][] = k.extents.map(() => k.operands.map(() => local(binaryen.i32)));
  const outSave = k.extents.map(() => local(binaryen.i32));
  const extraSave = k.extents.map(() => extras.map(() => local(binaryen.i32)));
  const g = (i: number) => m.local.get(i, binaryen.i32);
  // a multi-output nest's expressions read the results stored before them after the operands
  const argTypes = [...k.operands.map((o) => o.dtype), ...(extras.length > 0 ? [k.outDtype, ...extras.map((x) => x.dtype)] : [])];
  const nOps = k.operands.length;
  // results nothing reads after the nest stay in locals (kernel-plan.ts `unstored`)
  const unstored = new Set(k.unstored ?? []);
  const held = [k.outDtype, ...extras.map((x) => x.dtype)].map((d, r) => (unstored.has(r) ? local(binType(wasmTypeOf(d))) : -1));
  const put = (r: number, d: DType, p: number, v: binaryen.ExpressionRef) => (unstored.has(r) ? m.local.set(held[r]!, v) : emitStore(m, d, g(p), v));

  if (extras.length > 0 && k.reducer !== null) throw new Error(`emitNest ${k.name}: extra results need an elementwise nest`);
  if (k.extents.slice(0, r).some((e) => e === 0)) {
    m.addFunction(k.name, binaryen.none, binaryen.none, [], m.nop());
    return;
  }

  const readArg = (j: number): binaryen.ExpressionRef => {
    if (j >= nOps && unstored.has(j - nOps)) return m.local.get(held[j - nOps]!, binType(wasmTypeOf(argTypes[j]!)));
    if (j >= nOps) return emitLoad(m, argTypes[j]!, g(j === nOps ? outPtr : extraPtr[j - nOps - 1]!));
    const o = k.operands[j]!;
    const load = emitLoad(m, o.dtype, g(ptr[j]!));
    if (!o.bounds) return load;
    const checks = o.bounds.coeffs.map((c, d) => {
      let v: binaryen.ExpressionRef = m.i32.const(o.bounds!.offsets[d]!);
      c.forEach((coef, l) => { if (coef !== 0) v = m.i32.add(v, m.i32.mul(g(idx[l]!), m.i32.const(coef))); });
      return m.i32.lt_u(v, m.i32.const(o.bounds!.sizes[d]!));
    });
    const cond = checks.reduce((a, b) => m.i32.and(a, b));
    return m.if(cond, load, constOf(m, wasmTypeOf(o.dtype), o.pad));
  };
  const env = { arg: readArg, argTypes };

  // Value of the combiner at the current point, in the accumulator's wasm type (floats: the exact value as an
  // f64, since the reference sums doubles and rounds once at the end).
  const combinerDtype = scalarDType(k.combiner, argTypes);
  const combined = (): binaryen.ExpressionRef => {
    const v = emitScalar(m, math, k.combiner, env);
    if (floatAcc) return emitCast(m, v, combinerDtype, 'float64');
    return wasmTypeOf(combinerDtype) === accWasm ? v : emitCast(m, v, combinerDtype, k.accDtype);
  };
  const A = (): binaryen.ExpressionRef => m.local.get(acc, binType(accWasm));
  const tmp = local(binType(accWasm));
  // uint32/uint64 compare unsigned; narrower unsigned values are zero-extended, so signed compares work.
  const accUnsigned = k.accDtype === 'uint32' || k.accDtype === 'uint64';
  const reduceStep = (): binaryen.ExpressionRef => {
    // The combined value goes through a local: binaryen expressions cannot be shared between two parents.
    const setV = m.local.set(tmp, combined());
    const v = m.local.get(tmp, binType(accWasm));
    const ops = accWasm === 'f64' ? m.f64 : accWasm === 'f32' ? m.f32 : null;
    const i = accWasm === 'i64' ? m.i64 : m.i32;
    let nv: binaryen.ExpressionRef;
    switch (k.reducer) {
      case 'add': nv = ops ? ops.add(A(), v) : i.add(A(), v); break;
      case 'mul': nv = ops ? ops.mul(A(), v) : i.mul(A(), v); break;
      case 'max': nv = ops ? ops.max(A(), v) : m.select(accUnsigned ? i.gt_u(v, A()) : i.gt_s(v, A()), m.local.get(tmp, binType(accWasm)), A()); break;
      default: nv = ops ? ops.min(A(), v) : m.select(accUnsigned ? i.lt_u(v, A()) : i.lt_s(v, A()), m.local.get(tmp, binType(accWasm)), A()); break;
    }
    return m.block(null, [setV, m.local.set(acc, nv)]);
  };
  // An empty max/min gives the dtype's lowest/highest value, as the reference does.
  const initValue = (): binaryen.ExpressionRef => {
    if (k.reducer === 'add' || k.reducer === 'mul' || floatAcc) {
      const v = k.reducer === 'add' ? 0 : k.reducer === 'mul' ? 1 : k.reducer === 'max' ? -Infinity : Infinity;
      return constOf(m, accWasm, v);
    }
    const extreme = k.accDtype === 'bool' ? (k.reducer === 'max' ? 0n : 1n) : k.reducer === 'max' ? intRange(k.accDtype).min : intRange(k.accDtype).max;
    return accWasm === 'i64' ? m.i64.const(BigInt.asIntN(64, extreme)) : m.i32.const(Number(BigInt.asIntN(32, extreme)));
  };

  const loop = (l: number, body: binaryen.ExpressionRef, advanceOut: boolean): binaryen.ExpressionRef => {
    const ext = k.extents[l]!;
    if (ext === 1) return body;
    const bump: binaryen.ExpressionRef[] = [];
    k.operands.forEach((o, j) => {
      const s = o.strides[l]! * elementBytes(o.dtype);
      if (s !== 0) bump.push(m.local.set(ptr[j]!, m.i32.add(g(ptr[j]!), m.i32.const(s))));
    });
    const os = advanceOut ? k.outStrides[l]! * elementBytes(k.outDtype) : 0;
    if (os !== 0) bump.push(m.local.set(outPtr, m.i32.add(g(outPtr), m.i32.const(os))));
    extras.forEach((x, e) => {
      const xs = advanceOut ? x.strides[l]! * elementBytes(x.dtype) : 0;
      if (xs !== 0) bump.push(m.local.set(extraPtr[e]!, m.i32.add(g(extraPtr[e]!), m.i32.const(xs))));
    });
    const save = [...k.operands.map((_, j) => m.local.set(saves[l]![j]!, g(ptr[j]!))), m.local.set(outSave[l]!, g(outPtr)),
      ...extras.map((_, e) => m.local.set(extraSave[l]![e]!, g(extraPtr[e]!)))];
    const restore = [...k.operands.map((_, j) => m.local.set(ptr[j]!, g(saves[l]![j]!))), m.local.set(outPtr, g(outSave[l]!)),
      ...extras.map((_, e) => m.local.set(extraPtr[e]!, g(extraSave[l]![e]!))), m.local.set(idx[l]!, m.i32.const(0))];
    if (ext === 0) return m.nop();
    return m.block(null, [
      ...save,
      m.local.set(idx[l]!, m.i32.const(0)),
      m.loop(`L${l}`, m.block(null, [
        body, ...bump,
        m.local.set(idx[l]!, m.i32.add(g(idx[l]!), m.i32.const(1))),
        m.br_if(`L${l}`, m.i32.lt_u(g(idx[l]!), m.i32.const(ext))),
      ])),
      ...restore,
    ]);
  };

  // Innermost output-point body: reduce (if any), then epilogue / cast, then store.
  let point: binaryen.ExpressionRef;
  if (k.reducer === null) {
    point = put(0, k.outDtype, outPtr, emitCast(m, emitScalar(m, math, k.combiner, env), combinerDtype, k.outDtype));
    // extra results in order, each after the ones it may read back
    if (extras.length > 0) {
      point = m.block(null, [point, ...extras.map((x, e) =>
        put(e + 1, x.dtype, extraPtr[e]!, emitCast(m, emitScalar(m, math, x.expr, env), scalarDType(x.expr, argTypes), x.dtype)))]);
    }
  } else {
    let red: binaryen.ExpressionRef = reduceStep();
    for (let l = L - 1; l >= r; l--) red = loop(l, red, false);
    // The accumulated value rounded once to the accumulator's dtype.
    const accValue = (): binaryen.ExpressionRef => {
      if (k.accDtype === 'float32') return m.f32.demote(A());
      return isCodedFloat(k.accDtype) ? emitRound(m, k.accDtype, A()) : A();
    };
    const result = k.epilogue
      ? emitScalar(m, math, k.epilogue, { ...env, acc: accValue, accDtype: k.accDtype })
      : emitCast(m, accValue(), k.accDtype, k.outDtype);
    point = m.block(null, [m.local.set(acc, initValue()), red, emitStore(m, k.outDtype, g(outPtr), result)]);
  }
  let body = point;
  for (let l = r - 1; l >= 0; l--) body = loop(l, body, true);
  const setup = [
    ...k.operands.map((o, j) => m.local.set(ptr[j]!, m.i32.const(address(o.buffer) + o.base * elementBytes(o.dtype)))),
    m.local.set(outPtr, m.i32.const(unstored.has(0) ? 0 : address(k.out) + k.outBase * elementBytes(k.outDtype))),
    ...extras.map((x, e) => m.local.set(extraPtr[e]!, m.i32.const(unstored.has(e + 1) ? 0 : address(x.buffer) + x.base * elementBytes(x.dtype)))),
  ];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, m.block(null, [...setup, body]));
}
