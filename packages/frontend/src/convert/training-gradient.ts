// ai.onnx.preview.training Gradient: d y / d xs by reverse-mode differentiation of the IR the importer has
// already built for y (the "tape" = this graph's nodes between xs/zs and y). When the Gradient node's inputs
// are not the xs/zs values themselves, the tape is re-emitted on them first (the spec evaluates the gradient
// at the node's inputs). A non-scalar y is seeded with ones (the gradient of sum(y)). Differentiable: map
// (symbolic scalar derivatives), reshape, transpose, expand and sum reductions; anything else on the path
// fails naming the IR op and the ONNX op it came from.

import {
  CompileError, type Node, type ScalarExpr, type ValueId, arg, bin, cast, isFloat, lit, regionsOf, tensorType,
} from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { reshapeTo } from './shape-ops.js';
import { NoDerivative, derivative } from './training-gradient-scalar.js';

/** g summed over the axes along which a value of `shape` was broadcast to g's shape, then given `shape`. */
function unbroadcast(ctx: ConvertContext, g: ValueId, shape: readonly (number | string)[]): ValueId {
  const out = ctx.shapeOf(g);
  const lead = out.length - shape.length;
  const axes = out.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && out[i] !== 1));
  const summed = axes.length === 0 ? g : ctx.emit1({ kind: 'reduce', reducer: 'add', axes, keepDims: true }, [g]);
  return reshapeTo(ctx, summed, shape);
}

/** The gradient contributions of node `n`'s inputs given the gradient `g` of its (single) output. */
function vjp(ctx: ConvertContext, n: Node, g: ValueId, wanted: (id: ValueId) => boolean): (ValueId | undefined)[] {
  const op = n.op;
  const inShape = (j: number) => ctx.shapeOf(n.inputs[j]!);
  const floatIn = (j: number) => wanted(n.inputs[j]!) && isFloat(ctx.tensorTypeOf(n.inputs[j]!).dtype);
  switch (op.kind) {
    case 'map': {
      const dtypes = n.inputs.map((id) => ctx.tensorTypeOf(id).dtype);
      return n.inputs.map((id, j) => {
        if (!floatIn(j)) return undefined;
        let d: ScalarExpr | null;
        try {
          d = derivative(op.expr, j, dtypes);
        } catch (e) {
          if (e instanceof NoDerivative) return unsupported(ctx, n, `the scalar op ${e.message} has no derivative rule`);
          throw e;
        }
        if (d === null) return undefined;
        const chain = bin('mul', arg(n.inputs.length), d);
        const expr = ctx.tensorTypeOf(g).dtype === dtypes[j] ? chain : cast(dtypes[j]!, chain);
        return unbroadcast(ctx, ctx.emit1({ kind: 'map', expr }, [...n.inputs, g]), ctx.shapeOf(id));
      });
    }
    case 'reshape': return [floatIn(0) ? reshapeTo(ctx, g, inShape(0)) : undefined];
    case 'transpose': {
      const inverse = op.perm.map((_, i) => op.perm.indexOf(i));
      return [floatIn(0) ? ctx.emit1({ kind: 'transpose', perm: inverse }, [g]) : undefined];
    }
    case 'expand': return [floatIn(0) ? unbroadcast(ctx, g, inShape(0)) : undefined];
    case 'reduce': {
      if (op.reducer !== 'add') return unsupported(ctx, n, `reduce ${op.reducer} is not differentiated`);
      if (!floatIn(0)) return [undefined];
      const kept = inShape(0).map((d, i) => (op.axes.includes(i) ? 1 : d));
      return [ctx.emit1({ kind: 'expand' }, [reshapeTo(ctx, g, kept)], [tensorType(ctx.tensorTypeOf(g).dtype, inShape(0))])];
    }
    default: return unsupported(ctx, n, `IR op ${op.kind} is not differentiated`);
  }
}

function unsupported(ctx: ConvertContext, n: Node, why: string): never {
  return ctx.fail('UNSUPPORTED_OP', `Gradient through ${n.origin ? `${n.origin.opType} node "${n.origin.node}"` : 'an internal node'}: ${why}`);
}

export function gradient(ctx: ConvertContext): ValueId[] {
  const xs = ctx.attrs.strings('xs') ?? ctx.fail('INVALID_MODEL', 'required attribute "xs" is missing');
  const zs = ctx.attrs.strings('zs') ?? [];
  const yName = ctx.attrs.string('y') ?? ctx.fail('INVALID_MODEL', 'required attribute "y" is missing');
  if (ctx.numInputs !== xs.length + zs.length) ctx.fail('INVALID_MODEL', `Gradient takes one input per name in xs and zs (${xs.length + zs.length}), got ${ctx.numInputs}`);
  const named = (name: string) => ctx.valueNamed(name) ?? ctx.fail('UNSUPPORTED_OP', `"${name}" must be computed before the Gradient node`);
  const at = [...xs, ...zs].map(named);
  const y = named(yName);

  // The tape: nodes of this graph that y depends on and that depend on xs or zs, in graph order.
  const nodes = ctx.b.nodesSince(0);
  const producer = new Map<ValueId, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o.id, n);
  const free = new Set(at);
  const known = new Set([...ctx.modelInputValues(), ...at]);
  const varies = new Map<ValueId, boolean>();
  const dependsOnFree = (id: ValueId): boolean => {
    const memo = varies.get(id);
    if (memo !== undefined) return memo;
    let v = free.has(id);
    if (!v) {
      const p = producer.get(id);
      if (p === undefined && !known.has(id) && ctx.known.constant(id) === undefined) {
        ctx.fail('UNSUPPORTED_OP', `y depends on value %${id}, defined outside the Gradient's graph; differentiate in the graph that computes it`);
      }
      // Visit every input (no short-circuit): each one's dependence decides whether it is on the tape.
      v = p !== undefined && p.inputs.map(dependsOnFree).some(Boolean);
    }
    varies.set(id, v);
    return v;
  };
  dependsOnFree(y);
  const tape = nodes.filter((n) => n.outputs.some((o) => varies.get(o.id) === true && !free.has(o.id)));

  // Evaluate at the Gradient's own inputs: re-emit the tape on them when they are other values.
  const subst = new Map<ValueId, ValueId>();
  at.forEach((id, k) => { if (ctx.input(k) !== id) subst.set(id, ctx.input(k)); });
  const replay = subst.size === 0 ? tape : tape.map((n): Node => {
    if (regionsOf(n.op).length > 0) unsupported(ctx, n, 'nodes with regions are not re-evaluated');
    const inputs = n.inputs.map((id) => subst.get(id) ?? id);
    const outs = ctx.emit(n.op, inputs, n.outputs.map((o) => o.type));
    n.outputs.forEach((o, i) => subst.set(o.id, outs[i]!));
    return { op: n.op, inputs, outputs: n.outputs.map((o, i) => ({ id: outs[i]!, type: o.type })) };
  });
  const point = (id: ValueId) => subst.get(id) ?? id;

  const yt = ctx.tensorTypeOf(y);
  if (!isFloat(yt.dtype)) ctx.fail('TYPE_ERROR', `y must be a float tensor, got ${yt.dtype}`);
  const grads = new Map<ValueId, ValueId>([[point(y), ctx.emit1({ kind: 'map', expr: lit(1, yt.dtype) }, [point(y)])]]);
  const wanted = new Set([...at.slice(0, xs.length).map(point), ...replay.flatMap((n) => n.outputs.map((o) => o.id))]);
  for (const n of [...replay].reverse()) {
    const g = grads.get(n.outputs[0]!.id);
    if (n.outputs.slice(1).some((o) => grads.has(o.id))) unsupported(ctx, n, 'nodes with several outputs are not differentiated');
    if (g === undefined) continue;
    vjp(ctx, n, g, (id) => wanted.has(id)).forEach((d, j) => {
      if (d === undefined) return;
      const id = n.inputs[j]!;
      const prev = grads.get(id);
      grads.set(id, prev === undefined ? d : ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [prev, d]));
    });
  }
  return xs.map((_, k) => {
    const x = point(at[k]!);
    const xt = ctx.tensorTypeOf(x);
    if (!isFloat(xt.dtype)) throw new CompileError('TYPE_ERROR', `xs[${k}] "${xs[k]}" is ${xt.dtype}; only float tensors have gradients`, ctx.where);
    // y does not depend on x: the gradient is zero.
    return grads.get(x) ?? ctx.emit1({ kind: 'map', expr: lit(0, xt.dtype) }, [x]);
  });
}
