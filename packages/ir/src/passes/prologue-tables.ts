// The map side of fold-affine-prologue: recognizes a map that computes A * x + B from one non-constant input x
// (A and B over constant inputs and literals: a BatchNorm, a scale and shift) and tabulates A and B over the dims
// they vary along, plus the small index helpers the pass uses to rewrite weights.

import type { DType } from '../dtype.js';
import type { Node, ValueId } from '../graph.js';
import { compileScalar } from '../interp/index.js';
import { type ScalarExpr, acc, arg } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim, TensorType } from '../types.js';
import { affineIn } from './fold-affine.js';
import { argsRead, substArgs } from './scalar-rewrite.js';

/** Why a candidate is left alone; the pass counts each under this name in its statistics. */
export type Refusal = 'refused-dtype' | 'refused-layout' | 'refused-padded-shift' | 'refused-size' | 'refused-other-use' | 'refused-dynamic-shape';

/** A map read as out = A * x + B, with A and B tabulated row-major over the dims `grid` of `shape`. */
export interface Prologue {
  readonly x: ValueId;
  readonly dtype: 'float32' | 'float64';
  /** The map's (and x's) shape; the dims in `grid` are static. */
  readonly shape: readonly Dim[];
  /** Dims along which A (resp. B) varies; `grid` is their union, sorted. */
  readonly aDims: readonly number[];
  readonly bDims: readonly number[];
  readonly grid: readonly number[];
  readonly a: Float64Array;
  /** null when B is zero everywhere. */
  readonly b: Float64Array | null;
}

export const roundTo = (x: number, dtype: 'float32' | 'float64'): number => (dtype === 'float32' ? Math.fround(x) : x);

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Calls `f` at every point of `loops` (row-major, last fastest), writing the indices into `point`. */
export function forEachPoint(loops: readonly number[], extents: readonly Dim[], point: number[], f: () => void): void {
  if (loops.some((l) => extents[l] === 0)) return;
  for (const l of loops) point[l] = 0;
  for (;;) {
    f();
    let k = loops.length - 1;
    for (; k >= 0; k--) {
      const l = loops[k]!;
      if (++point[l]! < (extents[l] as number)) break;
      point[l] = 0;
    }
    if (k < 0) return;
  }
}

/** The one non-constant arg the affine layers of `e` wrap (through +, -, * by constant operands, / by constants, neg). */
function coreArg(e: ScalarExpr, isConst: (j: number) => boolean): number | undefined {
  const constant = (x: ScalarExpr) => argsRead(x).every(isConst);
  if (e.k === 'arg') return isConst(e.i) ? undefined : e.i;
  if (e.k === 'un' && e.op === 'neg') return coreArg(e.a, isConst);
  if (e.k !== 'bin' || !['add', 'sub', 'mul', 'div'].includes(e.op)) return undefined;
  if (constant(e.b)) return coreArg(e.a, isConst);
  if (constant(e.a) && e.op !== 'div') return coreArg(e.b, isConst);
  return undefined;
}

/** Evaluates `e` (over constant args broadcast to `shape`) at every point of `grid`, the other dims at 0. */
function tabulate(e: ScalarExpr, m: Node, shape: readonly Dim[], grid: readonly number[], consts: ReadonlyMap<ValueId, HostTensor>, argDtypes: readonly DType[]): Float64Array {
  const fn = compileScalar(e, argDtypes).fn;
  const r = shape.length;
  const coords = new Array<number>(r).fill(0);
  const reads = argsRead(e).map((j) => {
    const t = consts.get(m.inputs[j]!)!;
    const off = r - t.shape.length;
    const st = stridesOf(t.shape);
    return { j, at: () => t.data[t.shape.reduce((o, s, i) => o + (s === 1 ? 0 : coords[off + i]!) * st[i]!, 0)] as number | bigint };
  });
  const args = new Array<number | bigint>(m.inputs.length).fill(0);
  const out = new Float64Array(grid.reduce((n, d) => n * (shape[d] as number), 1));
  let i = 0;
  forEachPoint(grid, shape, coords, () => {
    for (const rd of reads) args[rd.j] = rd.at();
    out[i++] = Number(fn(args, 0));
  });
  return out;
}

/**
 * `m` as A * x + B, or why it cannot be folded, or undefined when it is not that shape at all (x read twice,
 * through a nonlinear op, or no constant coefficients).
 */
export function prologueOf(m: Node, consts: ReadonlyMap<ValueId, HostTensor>, typeOf: (id: ValueId) => TensorType | undefined): Prologue | Refusal | undefined {
  if (m.op.kind !== 'map') return undefined;
  const expr = m.op.expr;
  const isConst = (j: number) => consts.has(m.inputs[j]!);
  const d = coreArg(expr, isConst);
  const out = m.outputs[0]!.type;
  if (d === undefined || out.kind !== 'tensor') return undefined;
  const aff = affineIn(substArgs(expr, (i) => (i === d ? acc : arg(i))), out.dtype, (j) => j !== d && isConst(j));
  if (!aff) return undefined;
  if (out.dtype !== 'float32' && out.dtype !== 'float64') return 'refused-dtype';
  const xt = typeOf(m.inputs[d]!);
  if (!xt || xt.shape.length !== out.shape.length || xt.shape.some((s, i) => s !== out.shape[i])) return 'refused-layout'; // x itself broadcast
  const shape = out.shape;
  const varying = (e: ScalarExpr | null) => [...new Set(e === null ? [] : argsRead(e).flatMap((j) => {
    const t = consts.get(m.inputs[j]!)!;
    return t.shape.flatMap((s, i) => (s > 1 ? [shape.length - t.shape.length + i] : []));
  }))].sort((p, q) => p - q);
  const aDims = varying(aff.a);
  const bDims = varying(aff.b);
  const grid = [...new Set([...aDims, ...bDims])].sort((p, q) => p - q);
  if (grid.some((k) => typeof shape[k] !== 'number')) return 'refused-dynamic-shape';
  const argDtypes = m.inputs.map((id) => consts.get(id)?.dtype ?? typeOf(id)?.dtype ?? out.dtype);
  const a = aff.a === null ? new Float64Array(grid.reduce((n, k) => n * (shape[k] as number), 1)).fill(1) : tabulate(aff.a, m, shape, grid, consts, argDtypes);
  const b = aff.b === null ? null : tabulate(aff.b, m, shape, grid, consts, argDtypes);
  return { x: m.inputs[d]!, dtype: out.dtype, shape, aDims, bDims, grid, a, b: b !== null && b.some((v) => v !== 0) ? b : null };
}
