// Shared pieces of the type rules: the rule signature, errors, tensor-type access, broadcasting and the
// comparison of a declared result type against the inferred one.

import { dimEquals } from '../dims.js';
import { type DType, DTYPE_INFO } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { OpKind, OpOf } from '../ops.js';
import type { Dim, TensorType, ValueType } from '../types.js';

/**
 * A type rule: result types from the op, its input types and (for ops whose result cannot be derived, such
 * as reshape or slice) the declared result types. When both exist they must agree.
 */
export type InferRule<K extends OpKind> = (op: OpOf<K>, ins: readonly ValueType[], declared: readonly ValueType[] | undefined) => readonly ValueType[];

export const typeError = (msg: string): never => { throw new CompileError('TYPE_ERROR', msg); };
export const shapeError = (msg: string): never => { throw new CompileError('SHAPE_ERROR', msg); };

export function printTypeBrief(t: ValueType): string {
  if (t.kind === 'tensor') return `${DTYPE_INFO[t.dtype].short}[${t.shape.join(',')}]`;
  if (t.kind === 'sequence') return `seq<${printTypeBrief(t.elem)}>`;
  return `opt<${printTypeBrief(t.elem)}>`;
}

export function tensorIn(ins: readonly ValueType[], i: number, what = `input ${i}`): TensorType {
  const t = ins[i];
  if (t === undefined) return typeError(`${what} is missing`);
  if (t.kind !== 'tensor') return typeError(`${what} must be a tensor, got ${printTypeBrief(t)}`);
  return t;
}

export function arity(ins: readonly ValueType[], min: number, max = min): void {
  if (ins.length < min || ins.length > max) {
    typeError(`expects ${min === max ? min : `${min} to ${max}`} inputs, got ${ins.length}`);
  }
}

export function needDeclared(declared: readonly ValueType[] | undefined, n: number, why: string): readonly ValueType[] {
  if (declared === undefined) return typeError(`result types must be declared (${why})`);
  if (declared.length !== n) return typeError(`expects ${n} results, ${declared.length} declared`);
  return declared;
}

export function declaredTensor(declared: readonly ValueType[] | undefined, why: string): TensorType {
  const [t] = needDeclared(declared, 1, why);
  if (t!.kind !== 'tensor') return typeError(`result must be a tensor, got ${printTypeBrief(t!)}`);
  return t as TensorType;
}

export function typesEqual(a: ValueType, b: ValueType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'tensor') {
    const bt = b as TensorType;
    return a.dtype === bt.dtype && a.shape.length === bt.shape.length && a.shape.every((d, i) => dimEquals(d, bt.shape[i]!));
  }
  if (a.kind === 'sequence') return typesEqual(a.elem, (b as typeof a).elem);
  return typesEqual(a.elem, (b as typeof a).elem);
}

/** Returns the inferred types, after checking that declared ones (if any) agree. */
export function agree(inferred: readonly ValueType[], declared: readonly ValueType[] | undefined): readonly ValueType[] {
  if (declared === undefined) return inferred;
  if (declared.length !== inferred.length) typeError(`has ${inferred.length} results, ${declared.length} declared`);
  inferred.forEach((t, i) => {
    if (!typesEqual(t, declared[i]!)) typeError(`result ${i} is ${printTypeBrief(t)} but ${printTypeBrief(declared[i]!)} is declared`);
  });
  return declared;
}

/**
 * numpy broadcasting. A symbolic dim against 1 gives the symbol; against a number n > 1 gives n; two
 * different symbols give the first (the model promises they are equal; pinning input shapes makes it exact).
 */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[i - rank + s.length];
      if (e === undefined || e === 1) continue;
      if (d === 1) d = e;
      else if (typeof d === 'number' && typeof e === 'number' && d !== e) shapeError(`cannot broadcast shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')}`);
      else if (typeof d === 'string' && typeof e === 'number') d = e;
    }
    out.push(d);
  }
  return out;
}

/** Whether `from` broadcasts to `to` (numpy rules, right-aligned). */
export function broadcastsTo(from: readonly Dim[], to: readonly Dim[]): boolean {
  if (from.length > to.length) return false;
  return from.every((d, i) => d === 1 || dimEquals(d, to[i + to.length - from.length]!) || typeof d === 'string' || typeof to[i + to.length - from.length] === 'string');
}

export function checkAxis(axis: number, rank: number, what = 'axis'): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) shapeError(`${what} ${axis} is out of range for rank ${rank}`);
}

export const tt = (dtype: DType, shape: readonly Dim[]): TensorType => ({ kind: 'tensor', dtype, shape });
