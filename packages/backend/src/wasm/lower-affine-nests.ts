// The ops that lower to one generic affine loop nest each: a contraction no special kernel took, elementwise
// maps over broadcast inputs, reductions, and data movement (transpose, slice, expand, constant pad, concat
// parts). Each builder returns the nest without its name; the dispatch (lower.ts) numbers kernels.

import { type AffineExpr, CompileError, type Node, type TensorType, type ValueId, arg } from '@tensorc/ir';
import { type LoopNestKernel, UNSTORED_DTYPES } from './kernel-plan.js';
import { type StaticType, rowMajor, where } from './lower-common.js';
import { identityMap, operandOf } from './lower-operand.js';

export type UnnamedNest = Omit<LoopNestKernel, 'name'>;
type Types = (id: ValueId) => TensorType;

/** A plain copy nest writing `t` (row-major) from one operand read through `map`. */
function copyNest(n: Node, t: StaticType, x: TensorType, map: readonly AffineExpr[], pad: number | null): UnnamedNest {
  const r = t.shape.length;
  return {
    kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: 0, outStrides: rowMajor(t.shape), extents: t.shape, numOutLoops: r,
    operands: [operandOf(n.inputs[0]!, x, map, r, pad)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null,
  };
}

/** A contraction as a loop nest over output then reduction loops; padded reads are bounds-checked. */
export function contractNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'contract') throw new Error('contractNest: not a contract');
  const r = t.shape.length;
  const nLoops = r + op.reductionExtents.length;
  const red = op.reductionExtents.map((d) => (typeof d === 'number' ? d : NaN));
  if (red.some(Number.isNaN)) throw new CompileError('UNSUPPORTED_OP', 'backend: symbolic reduction extent', where(n));
  const extents = [...t.shape, ...red];
  return {
    kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: 0, outStrides: rowMajor(t.shape), extents, numOutLoops: r,
    operands: n.inputs.map((id, j) => operandOf(id, tt(id), op.maps[j]!, nLoops, op.padValues[j] ?? null, extents)),
    combiner: op.combiner, reducer: op.reducer, accDtype: op.accDtype, epilogue: op.epilogue,
  };
}

/**
 * An elementwise map, or a multimap (its results, all of shape t, as extra outputs of one nest); inputs
 * broadcast numpy-style (size-1 dims and missing leading dims read index 0).
 */
export function mapNest(n: Node, t: StaticType, tt: Types, unused: (id: ValueId) => boolean = () => false): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'map' && op.kind !== 'multimap') throw new Error('mapNest: not a map');
  const r = t.shape.length;
  const exprs = op.kind === 'map' ? [op.expr] : op.exprs;
  const extraOuts = n.outputs.slice(1).map((o, j) => ({ buffer: o.id, dtype: tt(o.id).dtype, base: 0, strides: rowMajor(t.shape), expr: exprs[j + 1]! }));
  // results only later results read (a multimap's internal values): kept in locals, not stored
  const unstored = n.outputs.length > 1 ? n.outputs.map((o, r) => (unused(o.id) && UNSTORED_DTYPES.has(tt(o.id).dtype) ? r : -1)).filter((r) => r >= 0) : [];
  return {
    ...(extraOuts.length > 0 ? { extraOuts } : {}),
    ...(unstored.length > 0 ? { unstored } : {}),
    kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: 0, outStrides: rowMajor(t.shape), extents: t.shape, numOutLoops: r,
    operands: n.inputs.map((id) => {
      const it = tt(id);
      const rr = it.shape.length;
      const map: AffineExpr[] = it.shape.map((d, k) => (d === 1 && t.shape[k + r - rr] !== 1 ? { terms: [], offset: 0 } : { terms: [{ idx: k + r - rr, coeff: 1 }], offset: 0 }));
      return operandOf(id, it, map, r, null);
    }),
    combiner: exprs[0]!, reducer: null, accDtype: t.dtype, epilogue: null,
  };
}

/** A reduction over `axes`: kept dims are the output loops, reduced dims the inner loops. */
export function reduceNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'reduce') throw new Error('reduceNest: not a reduce');
  const r = t.shape.length;
  const x = tt(n.inputs[0]!);
  const kept = x.shape.map((_, i) => i).filter((i) => !op.axes.includes(i));
  const loopOf = new Map<number, number>();
  kept.forEach((d, k) => loopOf.set(d, op.keepDims ? d : k));
  op.axes.forEach((d, k) => loopOf.set(d, r + k));
  const map = x.shape.map((_, d) => ({ terms: [{ idx: loopOf.get(d)!, coeff: 1 }], offset: 0 }));
  return {
    kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: 0, outStrides: rowMajor(t.shape),
    extents: [...t.shape, ...op.axes.map((a) => x.shape[a] as number)], numOutLoops: r,
    operands: [operandOf(n.inputs[0]!, x, map, r + op.axes.length, null)],
    combiner: arg(0), reducer: op.reducer, accDtype: t.dtype, epilogue: null,
  };
}

export function transposeNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'transpose') throw new Error('transposeNest: not a transpose');
  const x = tt(n.inputs[0]!);
  const inv = new Array<number>(t.shape.length);
  op.perm.forEach((p, i) => { inv[p] = i; });
  return copyNest(n, t, x, x.shape.map((_, d) => ({ terms: [{ idx: inv[d]!, coeff: 1 }], offset: 0 })), null);
}

export function sliceNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'slice') throw new Error('sliceNest: not a slice');
  return copyNest(n, t, tt(n.inputs[0]!), op.starts.map((s, d) => ({ terms: [{ idx: d, coeff: op.steps[d]! }], offset: s as number })), null);
}

export function expandNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const x = tt(n.inputs[0]!);
  const r = t.shape.length;
  const rr = x.shape.length;
  return copyNest(n, t, x, x.shape.map((d, k) => (d === 1 ? { terms: [], offset: 0 } : { terms: [{ idx: k + r - rr, coeff: 1 }], offset: 0 })), null);
}

/** A constant-mode pad: every output element reads the input shifted by the low pads, out-of-range reads give the value. */
export function constantPadNest(n: Node, t: StaticType, tt: Types): UnnamedNest {
  const op = n.op;
  if (op.kind !== 'pad') throw new Error('constantPadNest: not a pad');
  if (op.interior.some((v) => v !== 0)) throw new CompileError('UNSUPPORTED_OP', `backend: pad mode ${op.mode} is not supported yet`, where(n));
  const x = tt(n.inputs[0]!);
  return copyNest(n, t, x, x.shape.map((_, d) => ({ terms: [{ idx: d, coeff: 1 }], offset: -(op.low[d] as number) })), op.value);
}

/** One copy nest per concat input, each writing its slab of the output at its offset along the axis. */
export function concatNests(n: Node, t: StaticType, tt: Types): UnnamedNest[] {
  const op = n.op;
  if (op.kind !== 'concat') throw new Error('concatNests: not a concat');
  const r = t.shape.length;
  const outStrides = rowMajor(t.shape);
  let off = 0;
  return n.inputs.map((id) => {
    const x = tt(id);
    const k: UnnamedNest = {
      kind: 'nest', out: n.outputs[0]!.id, outDtype: t.dtype, outBase: off * outStrides[op.axis]!, outStrides, extents: x.shape as number[], numOutLoops: r,
      operands: [operandOf(id, x, identityMap(r), r, null)], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null,
    };
    off += x.shape[op.axis] as number;
    return k;
  });
}
