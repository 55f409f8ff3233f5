// Where an attention work unit starts, shared by the SIMD and the exactMath attention emitters: unit u is a
// block of ATTENTION_ROW_BLOCK query rows at one outer (batch, head, ...) index; every operand's byte base
// is set for that outer index and the block's first row.

import binaryen from 'binaryen';
import { ATTENTION_ROW_BLOCK as R, type AttentionKernel, type AttentionOperand } from './lower-attention.js';
import { elementBytes } from './memory-plan.js';

type E = binaryen.ExpressionRef;

/** i32 locals the unit start writes: u is read; the others are set. eB holds one base per extra input. */
export interface UnitLocals {
  readonly u: number; readonly rest: number; readonly idx: number; readonly r0: number; readonly nr: number;
  readonly qB: number; readonly kB: number; readonly vB: number; readonly oB: number; readonly eB: readonly number[];
}

/** Statements setting r0 (first row), nr (rows in this block) and the byte base of q, k, v, out and extras. */
export function attentionUnitStart(m: binaryen.Module, k: AttentionKernel, address: (id: number) => number, l: UnitLocals): E[] {
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const c = (x: number) => m.i32.const(x);
  const add = (a: E, b: E) => m.i32.add(a, b);
  const mul = (a: E, x: number) => (x === 1 ? a : m.i32.mul(a, c(x)));
  const nBlocks = Math.ceil(k.rows / R);
  const ops: [number, AttentionOperand, number][] = [[l.qB, k.q, 4], [l.kB, k.k, 4], [l.vB, k.v, 4], [l.oB, k.out, 4],
    ...k.extras.map((x, i): [number, AttentionOperand, number] => [l.eB[i]!, x, elementBytes(x.dtype)])];
  const out: E[] = [
    m.local.set(l.r0, mul(m.i32.rem_u(I(l.u), c(nBlocks)), R)),
    m.local.set(l.rest, m.i32.div_u(I(l.u), c(nBlocks))),
    ...ops.map(([b, o, size]) => m.local.set(b, add(c(address(o.buffer) + o.base * size), mul(I(l.r0), o.row * size)))),
  ];
  for (let i = k.outerExtents.length - 1; i >= 0; i--) {
    out.push(m.local.set(l.idx, i === 0 ? I(l.rest) : m.i32.rem_u(I(l.rest), c(k.outerExtents[i]!))));
    if (i > 0) out.push(m.local.set(l.rest, m.i32.div_u(I(l.rest), c(k.outerExtents[i]!))));
    for (const [b, o, size] of ops) if (o.outer[i] !== 0) out.push(m.local.set(b, add(I(b), mul(I(l.idx), o.outer[i]! * size))));
  }
  out.push(m.local.set(l.nr, m.select(m.i32.lt_s(m.i32.sub(c(k.rows), I(l.r0)), c(R)), m.i32.sub(c(k.rows), I(l.r0)), c(R))));
  return out;
}
