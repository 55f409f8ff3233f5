// Fused epilogues for the GEMM kernel: the contraction's inputs beyond A and B (bias, residual, scales) are read
// at the output point; their strides are re-expressed per (batch, row, column) of the GEMM's output, when the
// output's index space flattens that way (batch dims collapse, conv's oh/ow collapse into the column).

import type { AffineMap, ContractOp, Node, TensorType, ValueId } from '@tensorc/ir';
import type { GemmKernel } from './kernel-plan.js';
import { narrowedEpilogue } from './lower-common.js';

const rowMajor = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** Per output loop element strides and base of an operand read through `map` (output loops only). */
function loopStrides(map: AffineMap, shape: readonly number[], r: number): { strides: number[]; base: number } | undefined {
  const st = rowMajor(shape);
  const strides = new Array<number>(r).fill(0);
  let base = 0;
  for (let d = 0; d < map.length; d++) {
    const e = map[d]!;
    base += e.offset * st[d]!;
    for (const t of e.terms) {
      if (t.idx >= r) return undefined; // reads a reduction loop: not an epilogue operand
      strides[t.idx]! += t.coeff * st[d]!;
    }
  }
  return { strides, base };
}

/**
 * Collapses consecutive loops into one index (stride of the innermost) when the strides allow it; loops of
 * extent 1 take no part (a grouped convolution's multiplier loop).
 */
function collapse(strides: readonly number[], extents: readonly number[]): number | undefined {
  const live = strides.map((_, i) => i).filter((i) => extents[i] !== 1);
  if (live.length === 0) return 0;
  const inner = strides[live[live.length - 1]!]!;
  let scale = 1;
  for (let k = live.length - 1; k >= 0; k--) {
    const i = live[k]!;
    if (strides[i] !== inner * scale) return undefined;
    scale *= extents[i]!;
  }
  return inner;
}

/**
 * The batch loops flattened to one stride, or, when the outer ones do not move the operand (a per-group bias
 * read by every image), the inner ones to a stride applied to the batch index mod their extent.
 */
function batchStride(loops: readonly number[], strides: readonly number[], outShape: readonly number[]): { batch: number; batchPeriod?: number } | undefined {
  const flat = collapse(loops.map((l) => strides[l]!), loops.map((l) => outShape[l]!));
  if (flat !== undefined) return { batch: flat };
  for (let k = 1; k < loops.length; k++) {
    const inner = loops.slice(k);
    if (!loops.slice(0, k).every((l) => strides[l] === 0)) break;
    const stride = collapse(inner.map((l) => strides[l]!), inner.map((l) => outShape[l]!));
    if (stride !== undefined) return { batch: stride, batchPeriod: inner.reduce((p, l) => p * outShape[l]!, 1) };
  }
  return undefined;
}

/**
 * Epilogue operands of contraction `n` for a GEMM whose output loops are grouped as batch loops, row loops and
 * column loops (each group flattened). Undefined when an operand cannot be expressed that way.
 */
export function gemmEpilogue(n: Node, outShape: readonly number[], groups: { batch: number[]; row: number[]; col: number[] }, tt: (id: ValueId) => TensorType): Pick<GemmKernel, 'epilogue' | 'epilogueOperands' | 'outCode'> | undefined {
  const op = n.op as ContractOp;
  const outT = n.outputs[0]!.type as TensorType;
  const narrow = outT.dtype === 'float32' ? undefined : narrowedEpilogue(op, outT);
  if (outT.dtype !== 'float32' && !narrow) return undefined;
  const r = outShape.length;
  const operands: GemmKernel['epilogueOperands'][number][] = [];
  for (let j = 2; j < n.inputs.length; j++) {
    if (op.padValues[j] !== null) return undefined;
    const t = tt(n.inputs[j]!);
    if (t.dtype !== 'float32') return undefined;
    const ls = loopStrides(op.maps[j]!, t.shape as number[], r);
    if (!ls) return undefined;
    const pick = (loops: number[]) => collapse(loops.map((l) => ls.strides[l]!), loops.map((l) => outShape[l]!));
    const [row, col] = [pick(groups.row), pick(groups.col)];
    const batch = batchStride(groups.batch, ls.strides, outShape);
    if (batch === undefined || row === undefined || col === undefined) return undefined;
    operands.push({ buffer: n.inputs[j]!, dtype: t.dtype, base: ls.base, row, col, ...batch });
  }
  return narrow ? { epilogue: narrow.epilogue, epilogueOperands: operands, outCode: narrow.code } : { epilogue: op.epilogue, epilogueOperands: operands };
}
