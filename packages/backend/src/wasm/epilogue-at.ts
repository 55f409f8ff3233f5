// A fused float32 epilogue evaluated at one output site of a GEMM-like kernel (GEMM, depthwise convolution):
// operand j of the epilogue is read at element base + batch*b + row*r + col*c (its strides per output
// batch, row and column). On four adjacent columns as an f32x4 (operands contiguous along the columns are
// loaded, constant ones splat), or on one element through the scalar code.

import binaryen from 'binaryen';
import type { ScalarExpr } from '@tensorc/ir';
import { type MathImports, emitScalar } from './emit-scalar.js';
import { emitLoad } from './emit-nest.js';
import type { GemmKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';
import { emitVectorEpilogue, vectorizableEpilogue } from './emit-vector-epilogue.js';

type E = binaryen.ExpressionRef;

export type EpilogueOperands = GemmKernel['epilogueOperands'];

/** Where an output sits: its batch, row and column (fresh expressions per call). */
export interface OutputSite {
  readonly batch: () => E;
  readonly row: () => E;
  readonly col: () => E;
}

export class EpilogueAt {
  /** The epilogue runs on f32x4 accumulators (else per element, through the scalar code). */
  readonly onVectors: boolean;

  constructor(private readonly m: binaryen.Module, private readonly math: MathImports, private readonly address: (id: number) => number,
    readonly epilogue: ScalarExpr | null, private readonly operands: EpilogueOperands, exactMath: boolean) {
    this.onVectors = epilogue !== null && vectorizableEpilogue(epilogue, operands.map((o) => o.col), exactMath);
  }

  /** Element index of operand o at the site, `colOffset` columns further. */
  private element(o: EpilogueOperands[number], site: OutputSite, colOffset: number): E {
    const { m } = this;
    const c = (v: number) => m.i32.const(v);
    const batch = o.batchPeriod ? m.i32.rem_u(site.batch(), c(o.batchPeriod)) : site.batch();
    return m.i32.add(m.i32.add(m.i32.add(c(o.base + colOffset * o.col), m.i32.mul(batch, c(o.batch))), m.i32.mul(site.row(), c(o.row))), m.i32.mul(site.col(), c(o.col)));
  }

  /** The f32x4 to store for columns col+colOffset.. of the site: `acc` with the epilogue applied when it runs on vectors. */
  vector(site: OutputSite, colOffset: number, acc: () => E): E {
    const { m } = this;
    if (!this.onVectors) return acc();
    return emitVectorEpilogue(m, this.epilogue!, {
      acc,
      arg: (n) => {
        const o = this.operands[n - 2]!;
        const ptr = m.i32.add(m.i32.const(this.address(o.buffer)), m.i32.shl(this.element(o, site, colOffset), m.i32.const(2)));
        return o.col === 0 ? m.v128.load32_splat(0, 4, ptr) : m.v128.load(0, 4, ptr);
      },
    });
  }

  /**
   * The epilogue of columns col+colOffset.. col+colOffset+3 of the site computed one element at a time through
   * the scalar code (an epilogue without a vector form), as an f32x4; `acc(l)`: lane l's product.
   */
  lanes(site: OutputSite, colOffset: number, acc: (l: number) => E): E {
    const { m } = this;
    const one = (l: number) => this.scalar({ ...site, col: () => m.i32.add(site.col(), m.i32.const(colOffset + l)) }, () => acc(l));
    let v = m.f32x4.splat(one(0));
    for (let l = 1; l < 4; l++) v = m.f32x4.replace_lane(v, l, one(l));
    return v;
  }

  /** The epilogue of one element whose product is `acc`, its operands read at the site. */
  scalar(site: OutputSite, acc: () => E): E {
    const { m } = this;
    const env = {
      argTypes: ['float32', 'float32', ...this.operands.map((o) => o.dtype)],
      accDtype: 'float32' as const,
      acc,
      arg: (n: number) => {
        const o = this.operands[n - 2];
        if (!o) return m.unreachable();
        return emitLoad(m, o.dtype, m.i32.add(m.i32.const(this.address(o.buffer)), m.i32.mul(this.element(o, site, 0), m.i32.const(elementBytes(o.dtype)))));
      },
    };
    return emitScalar(m, this.math, this.epilogue!, env as never);
  }
}
