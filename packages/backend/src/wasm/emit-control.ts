// Code for the control kernels (lower-control.ts): their regions' kernels are emitted as functions of their
// own, and the control kernel is a function calling them under a wasm `if` or `loop`, moving values with
// memory.copy. A control kernel runs whole inside one serial step (parallel-plan.ts), so the kernels of its
// regions are called over all their work (`callKernel`, as `run` calls them).

import binaryen from 'binaryen';
import type { BufferCopy, IfKernel, Kernel, LoopKernel } from './kernel-plan.js';

/** As the reference interpreter's MAX_LOOP_ITERATIONS: a loop still running after this many iterations traps. */
export const LOOP_ITERATION_CAP = 10_000_000;

export function emitControl(m: binaryen.Module, k: IfKernel | LoopKernel, address: (id: number) => number, emitKernel: (k: Kernel) => void,
  callKernel: (k: Kernel) => binaryen.ExpressionRef): void {
  for (const r of k.regions) for (const inner of r) emitKernel(inner);
  const C = (v: number) => m.i32.const(v);
  const copy = (c: BufferCopy) => m.memory.copy(C(address(c.dst)), C(address(c.src)), C(c.bytes));
  const calls = (r: readonly Kernel[]) => r.map(callKernel);
  if (k.kind === 'if') {
    const branch = (i: 0 | 1) => m.block(null, [...calls(k.regions[i]), ...k.copies[i].map(copy)]);
    m.addFunction(k.name, binaryen.none, binaryen.none, [], m.if(m.i32.load8_u(0, 1, C(address(k.cond))), branch(0), branch(1)));
    return;
  }
  emitLoop(m, k, address, copy, calls);
}

function emitLoop(m: binaryen.Module, k: LoopKernel, address: (id: number) => number, copy: (c: BufferCopy) => binaryen.ExpressionRef,
  calls: (r: readonly Kernel[]) => binaryen.ExpressionRef[]): void {
  const C = (v: number) => m.i32.const(v);
  const [I, TRIP, COND] = [0, 1, 2]; // locals: iteration (i64), trip count (i64), condition (i32)
  const i = () => m.local.get(I, binaryen.i64);
  const exit = `${k.name}_exit`;
  const next = `${k.name}_next`;
  const body = [
    m.br_if(exit, m.i32.eqz(m.local.get(COND, binaryen.i32))),
    m.br_if(exit, m.i64.ge_s(i(), m.local.get(TRIP, binaryen.i64))),
    m.if(m.i64.ge_s(i(), m.i64.const(BigInt(LOOP_ITERATION_CAP))), m.unreachable()),
    m.i64.store(0, 8, C(address(k.iterParam)), i()),
    ...calls(k.regions[0]),
    // row i of each scan output; i < its static row count, so the offset fits in 32 bits
    ...k.scans.map((c) => m.memory.copy(m.i32.add(C(address(c.dst)), m.i32.mul(m.i32.wrap(i()), C(c.bytes))), C(address(c.src)), C(c.bytes))),
    // the condition and the scanned values are read before the carried params are overwritten
    m.local.set(COND, m.i32.load8_u(0, 1, C(address(k.condResult)))),
    ...k.stage.map(copy),
    ...k.carry.map(copy),
    m.local.set(I, m.i64.add(i(), m.i64.const(1n))),
    m.br(next),
  ];
  const code = m.block(null, [
    ...k.init.map(copy),
    // the body runs only while the condition holds, so its condition param is always true
    m.i32.store8(0, 1, C(address(k.condParam)), C(1)),
    m.local.set(TRIP, k.maxTrip !== null ? m.i64.load(0, 8, C(address(k.maxTrip))) : m.i64.const(0x7fffffffffffffffn)),
    m.local.set(COND, k.cond !== null ? m.i32.load8_u(0, 1, C(address(k.cond))) : C(1)),
    m.local.set(I, m.i64.const(0n)),
    m.block(exit, [m.loop(next, m.block(null, body))]),
    ...k.final.map(copy),
  ]);
  m.addFunction(k.name, binaryen.none, binaryen.none, [binaryen.i64, binaryen.i64, binaryen.i32], code);
}
