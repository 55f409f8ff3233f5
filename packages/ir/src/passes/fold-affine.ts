// Affine folding into constant weights: a contraction sum_k x * W with constant W whose epilogue applies
// acc -> A * acc + B, with A and B read from constants that vary only along output dims W indexes directly
// (BatchNorm after Conv or Gemm, a per-column scale after MatMul), gets W' = W * A (per element, along the
// output channel) and the epilogue acc + B. The affine part may sit inside a larger epilogue (ReLU after
// BatchNorm: max(A*acc + B, 0)). Inexact: round(W*A) summed differs from round(sum W*x) * A in the last bits.
// Runs after fuse-epilogue, which has already moved the affine maps into the epilogue.

import { type AffineExpr, dimExpr } from '../affine.js';
import { type DType, isFloat } from '../dtype.js';
import type { Graph, Node, ValueId } from '../graph.js';
import { compileScalar } from '../interp/index.js';
import { type FloatDType, roundToDType } from '../numeric/index.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, acc, arg, bin, lit, un } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import { nextFreeId } from './graph-walk.js';
import { type Pass, bump } from './pass.js';
import { accRefs, argsRead, substArgs } from './scalar-rewrite.js';

/** a * acc + b; a null means 1, b null means 0. Both are expressions over constant epilogue args. */
export interface Affine { readonly a: ScalarExpr | null; readonly b: ScalarExpr | null }

const mulOpt = (x: ScalarExpr | null, k: ScalarExpr): ScalarExpr => (x === null ? k : bin('mul', x, k));

/** `e` as an affine function of acc (of dtype dt), with `isConst(arg)` for the args the coefficients may read. */
export function affineIn(e: ScalarExpr, dt: DType, isConst: (j: number) => boolean): Affine | undefined {
  const constant = (x: ScalarExpr) => accRefs(x) === 0 && argsRead(x).every(isConst);
  const negA = (a: ScalarExpr | null) => (a === null ? lit(-1, dt) : un('neg', a));
  if (e.k === 'acc') return { a: null, b: null };
  if (e.k === 'un' && e.op === 'neg') {
    const l = affineIn(e.a, dt, isConst);
    return l && { a: negA(l.a), b: l.b === null ? null : un('neg', l.b) };
  }
  if (e.k !== 'bin' || !['add', 'sub', 'mul', 'div'].includes(e.op)) return undefined;
  const left = accRefs(e.a) > 0;
  if (left === accRefs(e.b) > 0) return undefined; // acc on both sides (or neither): not affine here
  const [inner, k] = left ? [e.a, e.b] : [e.b, e.a];
  if (!constant(k)) return undefined;
  const l = affineIn(inner, dt, isConst);
  if (!l) return undefined;
  switch (e.op) {
    case 'add': return { a: l.a, b: l.b === null ? k : left ? bin('add', l.b, k) : bin('add', k, l.b) };
    case 'sub':
      if (left) return { a: l.a, b: l.b === null ? un('neg', k) : bin('sub', l.b, k) };
      return { a: negA(l.a), b: l.b === null ? k : bin('sub', k, l.b) };
    case 'mul': return { a: mulOpt(l.a, k), b: l.b === null ? null : bin('mul', l.b, k) };
    case 'div':
      if (!left) return undefined;
      return { a: l.a === null ? bin('div', lit(1, dt), k) : bin('div', l.a, k), b: l.b === null ? null : bin('div', l.b, k) };
    default: return undefined;
  }
}

/** The outermost sub-expression holding every acc that is affine in acc, with a path to replace it. */
function findAffine(e: ScalarExpr, dt: DType, isConst: (j: number) => boolean): { part: Affine; replace: (r: ScalarExpr) => ScalarExpr } | undefined {
  const whole = affineIn(e, dt, isConst);
  if (whole) return { part: whole, replace: (r) => r };
  const kids: [ScalarExpr, (r: ScalarExpr) => ScalarExpr][] = e.k === 'un' || e.k === 'cast' ? [[e.a, (r) => ({ ...e, a: r })]]
    : e.k === 'bin' ? [[e.a, (r) => ({ ...e, a: r })], [e.b, (r) => ({ ...e, b: r })]]
    : e.k === 'select' ? [[e.c, (r) => ({ ...e, c: r })], [e.a, (r) => ({ ...e, a: r })], [e.b, (r) => ({ ...e, b: r })]] : [];
  const withAcc = kids.filter(([k]) => accRefs(k) > 0);
  if (withAcc.length !== 1) return undefined;
  const [child, rebuild] = withAcc[0]!;
  const inner = findAffine(child, dt, isConst);
  return inner && { part: inner.part, replace: (r) => rebuild(inner.replace(r)) };
}

/** Output loop read by each dim of a broadcast-style map (null: a constant index into a size-1 dim). */
function plainLoops(map: readonly AffineExpr[]): (number | null)[] | undefined {
  const out: (number | null)[] = [];
  for (const e of map) {
    if (e.terms.length === 0 && e.offset === 0) out.push(null);
    else if (e.terms.length === 1 && e.terms[0]!.coeff === 1 && e.offset === 0) out.push(e.terms[0]!.idx);
    else return undefined;
  }
  return out;
}

/** Evaluates `e` (over constant args read through their maps) at every point of `loops`; shape = their extents. */
function tabulate(e: ScalarExpr, loops: readonly number[], extents: readonly number[], op: ContractOp, consts: readonly (HostTensor | undefined)[]): HostTensor {
  const shape = loops.map((l) => extents[l]!);
  const n = shape.reduce((p, q) => p * q, 1);
  const fn = compileScalar(e, consts.map((t) => t?.dtype ?? op.accDtype)).fn;
  const data = new Float64Array(n);
  const point = new Array<number>(extents.length).fill(0);
  const args: (number | bigint)[] = new Array<number | bigint>(consts.length).fill(0);
  const used = argsRead(e);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let d = loops.length - 1; d >= 0; d--) { point[loops[d]!] = rem % shape[d]!; rem = Math.floor(rem / shape[d]!); }
    for (const j of used) {
      const t = consts[j]!;
      let off = 0;
      op.maps[j]!.forEach((m, d) => { off = off * t.shape[d]! + (m.terms.length ? point[m.terms[0]!.idx]! : 0); });
      args[j] = t.data[off] as number | bigint;
    }
    data[i] = Number(fn(args, 0));
  }
  return { dtype: op.accDtype, shape, data };
}

function tryFold(n: Node, consts: ReadonlyMap<ValueId, HostTensor>, fresh: () => ValueId): Node[] | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || op.reducer !== 'add' || op.epilogue === null || !isFloat(op.accDtype)) return undefined;
  const out = n.outputs[0]!.type;
  if (out.kind !== 'tensor' || !out.shape.every((d) => typeof d === 'number')) return undefined;
  const c = op.combiner;
  if (!(c.k === 'bin' && c.op === 'mul' && c.a.k === 'arg' && c.b.k === 'arg' && c.a.i !== c.b.i)) return undefined;
  const [ca, cb] = [c.a.i, c.b.i];
  const epiArgs = argsRead(op.epilogue);
  const w = [ca, cb].find((j) => {
    const t = consts.get(n.inputs[j]!);
    return t !== undefined && t.dtype === op.accDtype && !epiArgs.includes(j) && n.inputs.indexOf(n.inputs[j]!) === n.inputs.lastIndexOf(n.inputs[j]!) && (op.padValues[j] ?? 0) === 0;
  });
  if (w === undefined) return undefined;
  const r = out.shape.length;
  const loopsOf = op.maps.map((m) => plainLoops(m));
  const isConst = (j: number) => consts.has(n.inputs[j]!) && loopsOf[j] !== undefined && loopsOf[j]!.every((l) => l === null || l < r);
  const found = findAffine(op.epilogue, op.accDtype, isConst);
  if (!found || found.part.a === null) return undefined;
  const extents = out.shape as number[];
  const argConsts = n.inputs.map((id) => consts.get(id));
  const loopsRead = (e: ScalarExpr) => [...new Set(argsRead(e).flatMap((j) => loopsOf[j]!.filter((l): l is number => l !== null)))].filter((l) => extents[l]! > 1).sort((p, q) => p - q);
  // A may vary only along output loops that W indexes directly (W[.., channel, ..] -> that channel's A).
  const aLoops = loopsRead(found.part.a);
  const wMap = op.maps[w]!;
  const wDimOf = aLoops.map((l) => wMap.findIndex((e) => e.terms.length === 1 && e.terms[0]!.idx === l && e.terms[0]!.coeff === 1 && e.offset === 0));
  const W = consts.get(n.inputs[w]!)!;
  if (wDimOf.some((d, k) => d < 0 || W.shape[d] !== extents[aLoops[k]!])) return undefined;
  const A = tabulate(found.part.a, aLoops, extents, op, argConsts);
  const wData = new Float64Array(W.data.length);
  const wStrides = W.shape.map((_, d) => W.shape.slice(d + 1).reduce((p, q) => p * q, 1));
  for (let i = 0; i < wData.length; i++) {
    let ai = 0;
    wDimOf.forEach((d, k) => { ai = ai * A.shape[k]! + (Math.floor(i / wStrides[d]!) % W.shape[d]!); });
    wData[i] = roundToDType((W.data[i] as number) * (A.data[ai] as number), op.accDtype as FloatDType);
  }
  const wId = fresh();
  const nodes: Node[] = [{ op: { kind: 'constant', value: { dtype: W.dtype, shape: W.shape, data: wData } }, inputs: [], outputs: [{ id: wId, type: { kind: 'tensor', dtype: W.dtype, shape: W.shape } }] }];
  const inputs = n.inputs.map((id, j) => (j === w ? wId : id));
  const maps = [...op.maps];
  const padValues = [...op.padValues];
  let part: ScalarExpr = acc;
  if (found.part.b !== null) {
    const bLoops = loopsRead(found.part.b);
    const B = tabulate(found.part.b, bLoops, extents, op, argConsts);
    const bId = fresh();
    nodes.push({ op: { kind: 'constant', value: B }, inputs: [], outputs: [{ id: bId, type: { kind: 'tensor', dtype: B.dtype, shape: B.shape } }] });
    part = bin('add', acc, arg(inputs.length));
    inputs.push(bId);
    maps.push(bLoops.map((l) => dimExpr(l)));
    padValues.push(null);
  }
  // Drop inputs only the folded coefficients read.
  const epilogue = found.replace(part);
  const keep = inputs.map((_, j) => j === ca || j === cb || argsRead(epilogue).includes(j));
  const index: number[] = [];
  let k = 0;
  keep.forEach((kp, j) => { if (kp) index[j] = k++; });
  const re = (e: ScalarExpr) => substArgs(e, (j) => arg(index[j]!));
  const origin = n.origin ? { origin: n.origin } : {};
  nodes.forEach((x, i) => { nodes[i] = { ...x, ...origin }; });
  nodes.push({
    ...n,
    op: { ...op, combiner: re(op.combiner), epilogue: re(epilogue), maps: maps.filter((_, j) => keep[j]), padValues: padValues.filter((_, j) => keep[j]) },
    inputs: inputs.filter((_, j) => keep[j]),
  });
  return nodes;
}

export const foldAffinePass: Pass = {
  name: 'fold-affine',
  description: 'fold per-channel scale and shift epilogues (BatchNorm) into constant contraction weights and bias',
  inexact: true,
  run(g: Graph, stats) {
    let next = nextFreeId(g);
    const consts = new Map<ValueId, HostTensor>();
    const out: Node[] = [];
    for (const n of g.nodes) {
      if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
      const folded = tryFold(n, consts, () => next++);
      if (folded) bump(stats, 'folded');
      out.push(...(folded ?? [n]));
    }
    return stats.counters['folded'] ? { ...g, nodes: out } : g;
  },
};
