// Recognizes LayerNorm as fuse-reduction leaves it — a mean contraction, a variance contraction giving
// 1/sqrt(var + eps), and a map (x - mean) * rstd * gamma + beta — over contiguous float32 rows, so lowering
// emits one row kernel (emit-layernorm.ts) instead of three nests. Anything else is left to the nests.

import { type AffineExpr, type Graph, type Node, type ScalarExpr, type ValueId, acc, arg, bin, lit, un } from '@tensorc/ir';
import type { LayerNormKernel } from './kernel-plan.js';

const same = (a: ScalarExpr | null, b: ScalarExpr): boolean => a !== null && JSON.stringify(a) === JSON.stringify(b);

/** Reads dims 0..r-2 of a rank-r operand at the output loops (or 0 on a unit dim), and the last at `last`. */
function rowMap(m: readonly AffineExpr[], shape: readonly number[], last: 'reduce' | 'zero'): boolean {
  const r = shape.length;
  if (m.length !== r) return false;
  for (let i = 0; i < r - 1; i++) {
    const e = m[i]!;
    const plain = e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === i && e.terms[0]!.coeff === 1;
    if (!plain && !(shape[i] === 1 && e.terms.length === 0 && e.offset === 0)) return false;
  }
  const e = m[r - 1]!;
  return last === 'zero' ? e.terms.length === 0 && e.offset === 0
    : e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === r && e.terms[0]!.coeff === 1;
}

const f32Shape = (n: Node, i = 0): number[] | undefined => {
  const t = n.outputs[i]!.type;
  return t.kind === 'tensor' && t.dtype === 'float32' && t.shape.every((d) => typeof d === 'number') ? (t.shape as number[]) : undefined;
};

/**
 * LayerNorm groups by the map's output id: the kernel to emit, and the mean and rstd values it absorbs (no
 * kernel of their own). A group needs the mean read only by the variance and the map, the rstd only by the map.
 */
export function findLayerNorms(g: Graph, uses: ReadonlyMap<ValueId, number>): { kernels: Map<ValueId, Omit<LayerNormKernel, 'name'>>; absorbed: Set<ValueId> } {
  const kernels = new Map<ValueId, Omit<LayerNormKernel, 'name'>>();
  const absorbed = new Set<ValueId>();
  const byOut = new Map<ValueId, Node>();
  const shapeOf = new Map<ValueId, number[]>();
  for (const i of g.inputs) {
    const t = i.value.type;
    if (t.kind === 'tensor' && t.dtype === 'float32' && t.shape.every((d) => typeof d === 'number')) shapeOf.set(i.value.id, t.shape as number[]);
  }
  for (const n of g.nodes) {
    byOut.set(n.outputs[0]!.id, n);
    const s = f32Shape(n);
    if (s) shapeOf.set(n.outputs[0]!.id, s);
  }
  const outputs = new Set(g.outputs.map((o) => o.value));
  for (const y of g.nodes) {
    if (y.op.kind !== 'map' || y.inputs.length !== 5) continue;
    if (!same(y.op.expr, bin('add', bin('mul', bin('mul', bin('sub', arg(0), arg(1)), arg(2)), arg(3)), arg(4)))) continue;
    const [x, mean, rstd, gamma, beta] = y.inputs as [ValueId, ValueId, ValueId, ValueId, ValueId];
    const xs = shapeOf.get(x);
    const ys = f32Shape(y);
    if (!xs || !ys || xs.length < 1 || JSON.stringify(xs) !== JSON.stringify(ys)) continue;
    const r = xs.length;
    const n = xs[r - 1]!;
    const rows = xs.slice(0, -1).reduce((a, b) => a * b, 1);
    if (n < 1 || rows < 1) continue;
    const rowShape = JSON.stringify([...xs.slice(0, -1), 1]);
    // gamma and beta: float32 vectors along the row only ([n] or [1, .., 1, n]).
    const vecOk = (id: ValueId) => { const s = shapeOf.get(id); return s !== undefined && s[s.length - 1] === n && s.slice(0, -1).every((d) => d === 1) && s.length <= r; };
    if (!vecOk(gamma) || !vecOk(beta)) continue;
    const M = byOut.get(mean);
    const R = byOut.get(rstd);
    if (!M || !R || M.op.kind !== 'contract' || R.op.kind !== 'contract') continue;
    if (JSON.stringify(f32Shape(M)) !== rowShape || JSON.stringify(f32Shape(R)) !== rowShape) continue;
    if (uses.get(mean) !== 2 || uses.get(rstd) !== 1 || outputs.has(mean) || outputs.has(rstd)) continue;
    const m = M.op;
    const v = R.op;
    const nLit = lit(n, 'float32');
    const plain = (op: typeof m) => op.reducer === 'add' && op.accDtype === 'float32' && op.reductionExtents.length === 1 && op.reductionExtents[0] === n
      && op.padValues.every((p) => p === null);
    if (!plain(m) || M.inputs.length !== 1 || M.inputs[0] !== x || !same(m.combiner, arg(0)) || !same(m.epilogue, bin('div', acc, nLit))) continue;
    if (!rowMap(m.maps[0]!, xs, 'reduce')) continue;
    if (!plain(v) || R.inputs.length !== 2 || R.inputs[0] !== x || R.inputs[1] !== mean) continue;
    if (!same(v.combiner, bin('mul', bin('sub', arg(0), arg(1)), bin('sub', arg(0), arg(1))))) continue;
    if (!rowMap(v.maps[0]!, xs, 'reduce') || !rowMap(v.maps[1]!, JSON.parse(rowShape) as number[], 'zero')) continue;
    const ep = v.epilogue;
    // recip(sqrt(add(div(acc, n), eps)))
    const epsLit = ep?.k === 'un' && ep.op === 'recip' && ep.a.k === 'un' && ep.a.op === 'sqrt' && ep.a.a.k === 'bin' && ep.a.a.op === 'add' ? ep.a.a.b : undefined;
    if (!epsLit || epsLit.k !== 'lit' || epsLit.dtype !== 'float32' || typeof epsLit.v !== 'number') continue;
    if (!same(ep, un('recip', un('sqrt', bin('add', bin('div', acc, nLit), epsLit))))) continue;
    kernels.set(y.outputs[0]!.id, { kind: 'layernorm', input: x, gamma, beta, out: y.outputs[0]!.id, rows, n, eps: epsLit.v });
    absorbed.add(mean);
    absorbed.add(rstd);
  }
  return { kernels, absorbed };
}
