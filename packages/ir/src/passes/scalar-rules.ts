// Canonicalization rules on scalar bodies: constants of one value (one element, or all elements equal) read by a
// map (or only by a contraction's epilogue) become literals, so fused kernels read fewer buffers and patterns are visible in the expression;
// pow(x, 2) becomes x * x (bit-identical: pow with exponent 2 is exactly the rounded square, and a multiply
// needs no call); subexpressions of literals alone are evaluated, and a select on a literal condition keeps its
// branch (ONNX Attention's select(isneginf(row max of a constant mask), 0, p) becomes p). Each rule is exact.

import type { Node } from '../graph.js';
import { broadcastShapes } from '../infer/index.js';
import { compileScalar } from '../interp/index.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, arg, bin, lit } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Rewrite, Rule, RuleContext } from './canonicalize.js';
import { argRefs, substArgs } from './scalar-rewrite.js';

/** The literal every element of `t` holds (bit for bit), or undefined (strings, no elements, differing values). */
function literalOf(t: HostTensor | undefined): ScalarExpr | undefined {
  if (!t || t.data.length === 0 || t.dtype === 'string') return undefined;
  const v = t.data[0] as number | bigint;
  for (let i = 1; i < t.data.length; i++) if (!Object.is(t.data[i], v)) return undefined;
  return lit(v, t.dtype);
}

const sameDims = (a: readonly (number | string)[], b: readonly (number | string)[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Drops inputs listed in `drop` (replaced by literals) from a map, when the broadcast shape stays the same. */
function mapWithLiterals(n: Node, ctx: RuleContext): Rewrite | undefined {
  if (n.op.kind !== 'map') return undefined;
  const lits = n.inputs.map((id) => literalOf(ctx.constant(id)));
  if (lits.every((l) => l === undefined)) return undefined;
  const keep = n.inputs.map((_, j) => lits[j] === undefined);
  if (!keep.some(Boolean)) return undefined; // all constant: constant folding's job
  const shapes = n.inputs.filter((_, j) => keep[j]).map((id) => ctx.typeOf(id));
  if (shapes.some((t) => t?.kind !== 'tensor')) return undefined;
  const out = n.outputs[0]!.type;
  let shape;
  try {
    shape = broadcastShapes(shapes.map((t) => (t as { shape: readonly (number | string)[] }).shape));
  } catch {
    return undefined;
  }
  if (out.kind !== 'tensor' || !sameDims(shape, out.shape)) return undefined;
  const newIndex: number[] = [];
  let k = 0;
  n.inputs.forEach((_, j) => { if (keep[j]) newIndex[j] = k++; });
  const expr = substArgs(n.op.expr, (j) => lits[j] ?? arg(newIndex[j]!));
  return { replace: { ...n, op: { kind: 'map', expr }, inputs: n.inputs.filter((_, j) => keep[j]) } };
}

/** Replaces constants of one value read only by a contraction's epilogue with literals. */
function epilogueWithLiterals(n: Node, ctx: RuleContext): Rewrite | undefined {
  if (n.op.kind !== 'contract' || n.op.epilogue === null) return undefined;
  const op: ContractOp = n.op;
  // Only in-bounds reads (no pad value) of a one-value input always see that value.
  const lits = n.inputs.map((id, j) => (argRefs(op.combiner, j) === 0 && op.padValues[j] === null ? literalOf(ctx.constant(id)) : undefined));
  if (lits.every((l) => l === undefined)) return undefined;
  const keep = n.inputs.map((_, j) => lits[j] === undefined);
  const newIndex: number[] = [];
  let k = 0;
  n.inputs.forEach((_, j) => { if (keep[j]) newIndex[j] = k++; });
  const re = (e: ScalarExpr) => substArgs(e, (j) => lits[j] ?? arg(newIndex[j]!));
  const fused: ContractOp = {
    ...op,
    combiner: re(op.combiner),
    epilogue: re(op.epilogue!),
    maps: op.maps.filter((_, j) => keep[j]),
    padValues: op.padValues.filter((_, j) => keep[j]),
  };
  return { replace: { ...n, op: fused, inputs: n.inputs.filter((_, j) => keep[j]) } };
}

/** pow(x, 2) -> x * x throughout an expression; undefined when nothing changes. */
function squareInsteadOfPow(e: ScalarExpr): ScalarExpr | undefined {
  let changed = false;
  const walk = (x: ScalarExpr): ScalarExpr => {
    switch (x.k) {
      case 'arg': case 'acc': case 'lit': return x;
      case 'un': case 'cast': return { ...x, a: walk(x.a) };
      case 'select': return { ...x, c: walk(x.c), a: walk(x.a), b: walk(x.b) };
      case 'bin': {
        const a = walk(x.a);
        if (x.op === 'pow' && x.b.k === 'lit' && Number(x.b.v) === 2) { changed = true; return bin('mul', a, a); }
        return { ...x, a, b: walk(x.b) };
      }
    }
  };
  const out = walk(e);
  return changed ? out : undefined;
}

function powTwo(n: Node): Rewrite | undefined {
  if (n.op.kind === 'map') {
    const expr = squareInsteadOfPow(n.op.expr);
    return expr ? { replace: { ...n, op: { kind: 'map', expr } } } : undefined;
  }
  if (n.op.kind === 'contract') {
    const combiner = squareInsteadOfPow(n.op.combiner);
    const epilogue = n.op.epilogue === null ? undefined : squareInsteadOfPow(n.op.epilogue);
    if (!combiner && !epilogue) return undefined;
    return { replace: { ...n, op: { ...n.op, combiner: combiner ?? n.op.combiner, epilogue: epilogue ?? n.op.epilogue } } };
  }
  return undefined;
}

/** `e` with every subexpression of literals alone evaluated (as the interpreter would) and selects on a literal condition resolved. */
function foldLiterals(e: ScalarExpr): ScalarExpr | undefined {
  let changed = false;
  const evaluate = (x: ScalarExpr): ScalarExpr => {
    const { dtype, fn } = compileScalar(x, []);
    changed = true;
    return lit(fn([], 0), dtype);
  };
  const walk = (x: ScalarExpr): ScalarExpr => {
    switch (x.k) {
      case 'arg': case 'acc': case 'lit': return x;
      case 'un': case 'cast': { const a = walk(x.a); return a.k === 'lit' ? evaluate({ ...x, a }) : a === x.a ? x : { ...x, a }; }
      case 'bin': {
        const [a, b] = [walk(x.a), walk(x.b)];
        return a.k === 'lit' && b.k === 'lit' ? evaluate({ ...x, a, b }) : a === x.a && b === x.b ? x : { ...x, a, b };
      }
      case 'select': {
        const c = walk(x.c);
        if (c.k === 'lit') { changed = true; return walk(Number(c.v) !== 0 ? x.a : x.b); }
        const [a, b] = [walk(x.a), walk(x.b)];
        return c === x.c && a === x.a && b === x.b ? x : { ...x, c, a, b };
      }
    }
  };
  const out = walk(e);
  return changed ? out : undefined;
}

function literalsFolded(n: Node): Rewrite | undefined {
  if (n.op.kind === 'map') {
    const expr = foldLiterals(n.op.expr);
    return expr ? { replace: { ...n, op: { kind: 'map', expr } } } : undefined;
  }
  if (n.op.kind === 'contract') {
    const combiner = foldLiterals(n.op.combiner);
    const epilogue = n.op.epilogue === null ? undefined : foldLiterals(n.op.epilogue);
    if (!combiner && !epilogue) return undefined;
    return { replace: { ...n, op: { ...n.op, combiner: combiner ?? n.op.combiner, epilogue: epilogue ?? n.op.epilogue } } };
  }
  return undefined;
}

export const SCALAR_RULES: readonly Rule[] = [
  { name: 'map-constant-literal', identity: 'map(x, c: one value) -> map(x) with c as a literal', apply: mapWithLiterals },
  { name: 'epilogue-constant-literal', identity: 'contract epilogue reading c: one value -> c as a literal', apply: epilogueWithLiterals },
  { name: 'pow-two', identity: 'pow(x, 2) -> x * x', apply: powTwo },
  { name: 'fold-literals', identity: 'f(literals) -> literal; select(literal c, a, b) -> a or b', apply: literalsFolded },
];
