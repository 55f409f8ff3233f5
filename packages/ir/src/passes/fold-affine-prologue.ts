// Affine prologue folding: a map y = A * x + B (x non-constant; A and B from constants, per channel: BatchNorm
// before a Linear or a 1x1 convolution, an `x * scale + shift` input normalization) whose every reader is a
// contraction sum y * W with constant W disappears: each contraction reads x with W' = W * A along the dim W shares
// with x and adds b' = sum_k B * W, merged into its constant bias when it has one. Inexact (rounding moves).
// Where a convolution reads outside x it sees its pad value p0 in place of A * x + B; reading x padded with p'
// instead is exact only when A * p' + B = p0 for every channel with one p' (a pure scale, a scalar affine map).
// A per-channel shift under padding would need a position-dependent bias at the border: refused, with a counter.

import type { AffineExpr } from '../affine.js';
import type { Dim, TensorType } from '../types.js';
import { dimExpr, evalAffine } from '../affine.js';
import type { Graph, Node, ValueId } from '../graph.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, acc, arg, bin, cast } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import { nextFreeId, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';
import { type Prologue, type Refusal, forEachPoint, prologueOf, roundTo, stridesOf } from './prologue-tables.js';
import { accRefs, argRefs, argsRead, substArgs } from './scalar-rewrite.js';

/** At most this many multiply-adds to tabulate a bias (larger layers are left alone). */
const BIAS_WORK_LIMIT = 1 << 25;

/** The loop an index expression reads plainly (coefficient 1, no offset), ignoring loops of extent 1; null: index 0. */
function plainLoop(e: AffineExpr, extents: readonly Dim[]): number | null | undefined {
  const terms = e.terms.filter((t) => extents[t.idx] !== 1);
  if (terms.length === 0) return e.offset === 0 ? null : undefined;
  return terms.length === 1 && terms[0]!.coeff === 1 && e.offset === 0 ? terms[0]!.idx : undefined;
}

/** Whether some loop point may read `e` outside [0, size) (symbolic sizes: assume it may). */
function mayReadOutside(e: AffineExpr, extents: readonly Dim[], size: Dim): boolean {
  if (typeof size !== 'number' || e.terms.some((t) => typeof extents[t.idx] !== 'number')) return true;
  let lo = e.offset;
  let hi = e.offset;
  for (const t of e.terms) {
    const span = t.coeff * ((extents[t.idx] as number) - 1);
    if (span > 0) hi += span;
    else lo += span;
  }
  return lo < 0 || hi >= size;
}

/** The operand index at which contraction `c` multiplies `id` by a constant, if it does. */
export function factorRead(c: Node, id: ValueId, consts: ReadonlyMap<ValueId, HostTensor>): number | undefined {
  const op = c.op;
  if (op.kind !== 'contract' || op.reducer !== 'add') return undefined;
  const m = op.combiner;
  if (!(m.k === 'bin' && m.op === 'mul' && m.a.k === 'arg' && m.b.k === 'arg' && m.a.i !== m.b.i)) return undefined;
  const [i, j] = [m.a.i, m.b.i];
  if (c.inputs[i] === id && consts.has(c.inputs[j]!)) return i;
  if (c.inputs[j] === id && consts.has(c.inputs[i]!)) return j;
  return undefined;
}

/** The epilogue arg k of a bias add right on the accumulator (acc + a_k), if the epilogue has one. */
function biasArg(e: ScalarExpr | null): number | undefined {
  if (e === null || accRefs(e) !== 1) return undefined;
  const walk = (x: ScalarExpr): number | undefined => {
    if (x.k === 'bin' && x.op === 'add' && x.a.k === 'acc' && x.b.k === 'arg') return x.b.i;
    if (x.k === 'bin' && x.op === 'add' && x.b.k === 'acc' && x.a.k === 'arg') return x.a.i;
    const kids = x.k === 'un' || x.k === 'cast' ? [x.a] : x.k === 'bin' ? [x.a, x.b] : x.k === 'select' ? [x.c, x.a, x.b] : [];
    for (const k of kids) if (accRefs(k) > 0) return walk(k);
    return undefined;
  };
  return walk(e);
}

interface Folded { readonly nodes: Node[] }

/**
 * Folds prologue `p` into contraction `c`, which reads the prologue's result as operand `jx` times constant
 * operand `jw`. Returns the new constants and contraction, or why it cannot.
 */
function foldInto(c: Node, jx: number, p: Prologue, consts: ReadonlyMap<ValueId, HostTensor>, fresh: () => ValueId): Folded | Refusal {
  const op = c.op as ContractOp;
  const comb = op.combiner as { a: { i: number }; b: { i: number } };
  const jw = comb.a.i === jx ? comb.b.i : comb.a.i;
  const W = consts.get(c.inputs[jw]!)!;
  if (!(op.accDtype === 'float32' || op.accDtype === 'float64') || p.dtype !== op.accDtype || W.dtype !== op.accDtype) return 'refused-dtype';
  const once = (j: number) => c.inputs.filter((id) => id === c.inputs[j]).length === 1;
  if (!once(jx) || !once(jw) || (op.epilogue !== null && argsRead(op.epilogue).some((j) => j === jx || j === jw))) return 'refused-other-use';
  const out = c.outputs[0]!.type;
  if (out.kind !== 'tensor') return 'refused-dynamic-shape';
  const r = out.shape.length;
  const extents: Dim[] = [...out.shape, ...op.reductionExtents];
  const mx = op.maps[jx]!;
  const mw = op.maps[jw]!;
  // Every dim along which A or B varies must be read at one loop; for A, W must read that loop at one of its dims.
  const xLoop = new Map<number, number>();
  for (const d of p.grid) {
    const l = plainLoop(mx[d]!, extents);
    if (l === undefined || l === null || extents[l] !== p.shape[d]) return 'refused-layout';
    xLoop.set(d, l);
  }
  const wDimOf = new Map<number, number>();
  for (const d of p.aDims) {
    const dw = mw.findIndex((e, k) => plainLoop(e, extents) === xLoop.get(d) && W.shape[k] === p.shape[d]);
    if (dw < 0) return 'refused-layout';
    wDimOf.set(d, dw);
  }
  if (op.padValues[jw] !== null && mw.some((e, k) => mayReadOutside(e, extents, W.shape[k]!))) return 'refused-layout';
  // Reads outside x: the pad value p' with A * p' + B = p0 everywhere.
  let padX = op.padValues[jx] ?? null;
  if (padX !== null && mx.some((e, k) => mayReadOutside(e, extents, p.shape[k]!))) {
    const p0 = padX;
    const q = Array.from(p.a, (a, i) => (p0 - (p.b?.[i] ?? 0)) / a);
    if (!(p.b === null && p0 === 0)) {
      if (!q.every((v) => Number.isFinite(v) && v === q[0])) return 'refused-padded-shift';
      padX = roundTo(q[0]!, p.dtype);
    }
  }
  // b'[P] = sum over the reduction loops of W * B, over the output loops W or B reads.
  const loopsIn = (e: AffineExpr) => e.terms.map((t) => t.idx).filter((l) => extents[l] !== 1);
  const P = [...new Set([...mw.flatMap(loopsIn), ...p.bDims.map((d) => xLoop.get(d)!)])].filter((l) => l < r).sort((a, b) => a - b);
  const R = extents.map((_, l) => l).filter((l) => l >= r && extents[l] !== 1);
  const size = (ls: readonly number[]) => ls.reduce((n, l) => n * (extents[l] as number), 1);
  let bias: Float64Array | null = null;
  if (p.b !== null) {
    if ([...P, ...R].some((l) => typeof extents[l] !== 'number')) return 'refused-dynamic-shape';
    if (size(P) * size(R) > BIAS_WORK_LIMIT) return 'refused-size';
    const gridStride = stridesOf(p.grid.map((d) => p.shape[d] as number));
    const bTerms = p.bDims.map((d) => [xLoop.get(d)!, gridStride[p.grid.indexOf(d)]!] as const);
    const wStride = stridesOf(W.shape);
    const pt = new Array<number>(extents.length).fill(0);
    const table = new Float64Array(size(P));
    const B = p.b;
    let i = 0;
    forEachPoint(P, extents, pt, () => {
      let s = 0;
      forEachPoint(R, extents, pt, () => {
        let wi = 0;
        for (let k = 0; k < mw.length; k++) wi += evalAffine(mw[k]!, pt) * wStride[k]!;
        let bi = 0;
        for (const [l, st] of bTerms) bi += pt[l]! * st;
        s += (W.data[wi] as number) * B[bi]!;
      });
      table[i++] = s;
    });
    if (table.some((v) => v !== 0)) bias = table;
  }
  // W' = W * A along the dims W shares with x.
  const wStride = stridesOf(W.shape);
  const gridStride = stridesOf(p.grid.map((d) => p.shape[d] as number));
  const aTerms = p.aDims.map((d) => [wDimOf.get(d)!, gridStride[p.grid.indexOf(d)]!] as const);
  const wData = new Float64Array(W.data.length);
  for (let i = 0; i < wData.length; i++) {
    let ai = 0;
    for (const [dw, st] of aTerms) ai += (Math.floor(i / wStride[dw]!) % W.shape[dw]!) * st;
    wData[i] = roundTo((W.data[i] as number) * p.a[ai]!, p.dtype);
  }
  const origin = c.origin ? { origin: c.origin } : {};
  const constant = (value: HostTensor): Node => ({ op: { kind: 'constant', value }, inputs: [], outputs: [{ id: fresh(), type: { kind: 'tensor', dtype: value.dtype, shape: value.shape } }], ...origin });
  const wNode = constant({ dtype: W.dtype, shape: W.shape, data: wData });
  const nodes: Node[] = [wNode];
  const inputs = c.inputs.map((id, j) => (j === jx ? p.x : j === jw ? wNode.outputs[0]!.id : id));
  const maps = [...op.maps];
  const padValues = op.padValues.map((v, j) => (j === jx ? padX : v));
  let epilogue = op.epilogue;
  if (bias !== null) {
    const merged = mergeBias(c, consts, jx, jw, extents, P, bias, p.dtype);
    const values = merged?.values ?? bias.map((v) => roundTo(v, p.dtype));
    const loops = merged?.loops ?? P;
    const bNode = constant({ dtype: p.dtype, shape: loops.map((l) => extents[l] as number), data: values });
    nodes.push(bNode);
    if (merged) {
      inputs[merged.k] = bNode.outputs[0]!.id;
      maps[merged.k] = loops.map((l) => dimExpr(l));
    } else {
      const added = bin('add', acc, arg(inputs.length));
      inputs.push(bNode.outputs[0]!.id);
      maps.push(loops.map((l) => dimExpr(l)));
      padValues.push(null);
      epilogue = epilogue !== null ? substArgs(epilogue, arg, () => added) : out.dtype === op.accDtype ? added : cast(out.dtype, added);
    }
  }
  nodes.push({ ...c, op: { ...op, maps, padValues, epilogue }, inputs });
  return { nodes };
}

/** b' = b + bias when the epilogue already adds a constant b to acc (b read only there, along plain loops). */
function mergeBias(c: Node, consts: ReadonlyMap<ValueId, HostTensor>, jx: number, jw: number, extents: readonly Dim[], P: readonly number[], bias: Float64Array, dtype: 'float32' | 'float64'): { k: number; loops: number[]; values: Float64Array } | undefined {
  const op = c.op as ContractOp;
  const k = biasArg(op.epilogue);
  if (k === undefined || k === jx || k === jw || argRefs(op.epilogue!, k) !== 1 || op.padValues[k] !== null) return undefined;
  const b = consts.get(c.inputs[k]!);
  if (!b || b.dtype !== dtype || c.inputs.filter((id) => id === c.inputs[k]).length !== 1) return undefined;
  const bLoops = op.maps[k]!.map((e) => plainLoop(e, extents));
  if (bLoops.some((l) => l === undefined)) return undefined;
  const loops = [...new Set([...P, ...bLoops.filter((l): l is number => l !== null)])].sort((x, y) => x - y);
  if (loops.some((l) => typeof extents[l] !== 'number')) return undefined;
  const bStride = stridesOf(b.shape);
  const pStride = stridesOf(P.map((l) => extents[l] as number));
  const values = new Float64Array(loops.reduce((n, l) => n * (extents[l] as number), 1));
  const pt = new Array<number>(extents.length).fill(0);
  let i = 0;
  forEachPoint(loops, extents, pt, () => {
    let bi = 0;
    bLoops.forEach((l, d) => { if (l !== null && l !== undefined) bi += pt[l]! * bStride[d]!; });
    let pi = 0;
    P.forEach((l, d) => { pi += pt[l]! * pStride[d]!; });
    values[i++] = roundTo((b.data[bi] as number) + bias[pi]!, dtype);
  });
  return { k, loops, values };
}

export const foldAffineProloguePass: Pass = {
  name: 'fold-affine-prologue',
  description: 'fold per-channel scale and shift maps (BatchNorm) read only by contractions into their constant weights and bias',
  inexact: true,
  run(g: Graph, stats) {
    const consts = new Map<ValueId, HostTensor>();
    for (const n of g.nodes) if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
    const types = new Map<ValueId, TensorType>();
    for (const i of g.inputs) if (i.value.type.kind === 'tensor') types.set(i.value.id, i.value.type);
    for (const n of g.nodes) for (const o of n.outputs) if (o.type.kind === 'tensor') types.set(o.id, o.type);
    const uses = useCounts(g);
    const readers = new Map<ValueId, number[]>();
    g.nodes.forEach((n, i) => n.inputs.forEach((id) => readers.set(id, [...(readers.get(id) ?? []), i])));
    let next = nextFreeId(g);
    const replaced = new Map<number, Node[]>();
    g.nodes.forEach((m, i) => {
      if (m.op.kind !== 'map') return;
      const id = m.outputs[0]!.id;
      const rs = [...new Set(readers.get(id) ?? [])];
      const factors = rs.map((ri) => factorRead(g.nodes[ri]!, id, consts));
      if (!factors.some((f) => f !== undefined)) return; // not read as a factor of constant weights: not a candidate
      const p = prologueOf(m, consts, (v) => types.get(v));
      if (p === undefined) return;
      if (typeof p === 'string') { bump(stats, p); return; }
      if (factors.some((f) => f === undefined) || (readers.get(id) ?? []).length !== uses.get(id) || rs.some((ri) => replaced.has(ri))) {
        bump(stats, 'refused-other-use');
        return;
      }
      const folds = rs.map((ri, k) => foldInto(g.nodes[ri]!, factors[k]!, p, consts, () => next++));
      const refusal = folds.find((f): f is Refusal => typeof f === 'string');
      if (refusal) { bump(stats, refusal); return; }
      rs.forEach((ri, k) => replaced.set(ri, (folds[k] as Folded).nodes));
      replaced.set(i, []);
      bump(stats, 'folded', rs.length);
      bump(stats, 'maps-removed');
    });
    return replaced.size ? { ...g, nodes: g.nodes.flatMap((n, i) => replaced.get(i) ?? [n]) } : g;
  },
};
