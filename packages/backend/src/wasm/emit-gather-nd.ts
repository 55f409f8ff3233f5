// Code generation for GatherND: for each batch (the leading batchDims dims, shared by data and indices) and
// each index k-tuple, the addressed slice of the data is copied with memory.copy (narrow floats element by
// element through their values, as the reference holds them); indices are normalized and range-checked per
// component (a bad index traps, as the reference interpreter raises).

import binaryen from 'binaryen';
import { emitLoad, emitStore } from './emit-nest.js';
import { loadCheckedIndex } from './emit-scatter.js';
import type { GatherNdKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { isCodedFloat } from './wasm-coded-float.js';

type E = binaryen.ExpressionRef;

export function emitGatherNd(m: binaryen.Module, k: GatherNdKernel, address: (id: number) => number): void {
  const eb = elementBytes(k.dtype);
  const ib = elementBytes(k.indexDtype);
  const [bt, t, off, ix, tmp64, e] = [0, 1, 2, 3, 4, 5];
  const I = (l: number) => m.local.get(l, binaryen.i32);
  const C = (x: number) => m.i32.const(x);
  const b = k.batchDims;
  const batches = k.dataShape.slice(0, b).reduce((x, y) => x * y, 1);
  const perBatch = k.dataShape.slice(b).reduce((x, y) => x * y, 1);
  const slice = k.dataShape.slice(b + k.k).reduce((x, y) => x * y, 1);
  const strides = k.dataShape.map((_, i) => k.dataShape.slice(i + 1).reduce((x, y) => x * y, 1));
  const loop = (label: string, idx: number, end: number, body: E[]): E => m.block(`${label}_x`, [
    m.local.set(idx, C(0)),
    m.br_if(`${label}_x`, m.i32.ge_u(I(idx), C(end))),
    m.loop(label, m.block(null, [...body, m.local.set(idx, m.i32.add(I(idx), C(1))), m.br_if(label, m.i32.lt_u(I(idx), C(end)))])),
  ]);
  // flat tuple number: bt * tuples + t (the output holds one slice per tuple, in that order)
  const tupleNo = () => m.i32.add(m.i32.mul(I(bt), C(k.tuples)), I(t));
  const body: E[] = [m.local.set(off, m.i32.mul(I(bt), C(perBatch)))];
  for (let j = 0; j < k.k; j++) {
    const at = m.i32.add(C(address(k.indices)), m.i32.mul(m.i32.add(m.i32.mul(tupleNo(), C(k.k)), C(j)), C(ib)));
    body.push(...loadCheckedIndex(m, k.indexDtype, at, k.dataShape[b + j]!, ix, tmp64));
    body.push(m.local.set(off, m.i32.add(I(off), m.i32.mul(I(ix), C(strides[b + j]!)))));
  }
  if (isCodedFloat(k.dtype)) {
    // narrow floats pass through decode / encode, so NaN codes come out as the format's one NaN (as the reference)
    const dst = () => m.i32.add(C(address(k.out)), m.i32.mul(m.i32.add(m.i32.mul(tupleNo(), C(slice)), I(e)), C(eb)));
    const src = () => m.i32.add(C(address(k.input)), m.i32.mul(m.i32.add(I(off), I(e)), C(eb)));
    body.push(loop('e', e, slice, [emitStore(m, k.dtype, dst(), emitLoad(m, k.dtype, src()))]));
  } else {
    body.push(m.memory.copy(m.i32.add(C(address(k.out)), m.i32.mul(tupleNo(), C(slice * eb))), m.i32.add(C(address(k.input)), m.i32.mul(I(off), C(eb))), C(slice * eb)));
  }
  const vars = [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i64, binaryen.i32];
  m.addFunction(k.name, binaryen.none, binaryen.none, vars, loop('b', bt, batches, [loop('t', t, k.tuples, body)]));
}
