// Einsum-string sugar for `contract` (frontend and tests only; the IR itself stores index maps).
// Supports explicit and implicit outputs, repeated letters (diagonals) and "..." broadcasting dims.
// Half-precision inputs accumulate in float32 and round once, as the reference semantics promise.

import { type AffineExpr, constExpr, dimExpr } from '../affine.js';
import { dimEquals } from '../dims.js';
import { type DType, isFloat } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { ValueId } from '../graph.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, arg, bin, cast } from '../scalar.js';
import type { Dim } from '../types.js';
import type { GraphBuilder } from './graph-builder.js';

export interface ContractOptions {
  /** Accumulator dtype; default: the input dtype, float32 for float16/bfloat16/fp8 inputs. */
  readonly accDtype?: DType;
  /** Result dtype; default: the input dtype. */
  readonly outDtype?: DType;
}

const fail = (msg: string): never => { throw new CompileError('SHAPE_ERROR', `einsum: ${msg}`); };

function parseTerm(term: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('...', i)) { out.push('...'); i += 2; continue; }
    const c = term[i]!;
    if (!/[A-Za-z]/.test(c)) fail(`bad character "${c}" in "${term}"`);
    out.push(c);
  }
  if (out.filter((c) => c === '...').length > 1) fail(`more than one "..." in "${term}"`);
  return out;
}

/** Accumulator and result dtypes for a product-sum over inputs of dtype `dt`. */
export function defaultAcc(dt: DType): DType {
  return isFloat(dt) && dt !== 'float32' && dt !== 'float64' ? 'float32' : dt;
}

/** Product of all args in the accumulator dtype (a single arg is summed as is). */
export function productCombiner(n: number, inDtypes: readonly DType[], acc: DType): ScalarExpr {
  const a = (i: number): ScalarExpr => (inDtypes[i] === acc ? arg(i) : cast(acc, arg(i)));
  let e = a(0);
  for (let i = 1; i < n; i++) e = bin('mul', e, a(i));
  return e;
}

export function einsum(b: GraphBuilder, spec: string, inputs: readonly ValueId[], opts: ContractOptions = {}): ValueId {
  const [lhs, rhsGiven] = spec.replace(/\s+/g, '').split('->') as [string, string | undefined];
  const terms = lhs.split(',').map(parseTerm);
  if (terms.length !== inputs.length) fail(`"${spec}" has ${terms.length} operands but ${inputs.length} inputs are given`);
  const types = inputs.map((id) => b.tensorTypeOf(id));
  const dt = types[0]!.dtype;
  if (types.some((t) => t.dtype !== dt)) fail('inputs must share a dtype');

  // Letter extents, and the broadcast extent of the "..." dims (right-aligned across operands).
  const extent = new Map<string, Dim>();
  let ellRank = 0;
  terms.forEach((t, j) => {
    const r = types[j]!.shape.length;
    const nEll = t.includes('...') ? r - (t.length - 1) : 0;
    if (nEll < 0 || (!t.includes('...') && t.length !== r)) fail(`operand ${j} "${t.join('')}" does not match rank ${r}`);
    ellRank = Math.max(ellRank, nEll);
  });
  const ellDims: Dim[] = Array(ellRank).fill(1);
  terms.forEach((t, j) => {
    const shape = types[j]!.shape;
    let d = 0;
    for (const c of t) {
      if (c === '...') {
        const nEll = shape.length - (t.length - 1);
        for (let k = 0; k < nEll; k++) {
          const size = shape[d + k]!;
          const slot = ellRank - nEll + k;
          if (size !== 1) {
            if (ellDims[slot] !== 1 && !dimEquals(ellDims[slot]!, size) && typeof size === 'number' && typeof ellDims[slot] === 'number') fail('"..." dims do not broadcast');
            if (ellDims[slot] === 1 || typeof ellDims[slot] === 'string') ellDims[slot] = size;
          }
        }
        d += nEll;
        continue;
      }
      const size = shape[d++]!;
      const prev = extent.get(c);
      if (prev === undefined || prev === 1) extent.set(c, size);
      else if (size !== 1 && !dimEquals(prev, size) && typeof prev === 'number' && typeof size === 'number') fail(`letter ${c} has sizes ${prev} and ${size}`);
    }
  });

  let out: string[];
  if (rhsGiven !== undefined) {
    out = parseTerm(rhsGiven);
    for (const c of out) if (c !== '...' && !extent.has(c)) fail(`output letter ${c} is not in any input`);
    if (new Set(out).size !== out.length) fail(`output "${rhsGiven}" repeats a letter`);
  } else {
    const count = new Map<string, number>();
    for (const t of terms) for (const c of t) if (c !== '...') count.set(c, (count.get(c) ?? 0) + 1);
    out = [...(ellRank > 0 ? ['...'] : []), ...[...count.entries()].filter(([, n]) => n === 1).map(([c]) => c).sort()];
  }

  // Loop order: output dims (with "..." expanded), then summed "..." dims, then summed letters (first appearance).
  const loopOf = new Map<string, number>();
  const outShape: Dim[] = [];
  const ellLoops: number[] = [];
  for (const c of out) {
    if (c === '...') {
      for (let k = 0; k < ellRank; k++) { ellLoops.push(outShape.length); outShape.push(ellDims[k]!); }
    } else {
      loopOf.set(c, outShape.length);
      outShape.push(extent.get(c)!);
    }
  }
  const reductionExtents: Dim[] = [];
  const nOut = outShape.length;
  // "..." dropped from the output: its dims are summed like repeated letters.
  if (ellRank > 0 && !out.includes('...')) {
    for (let k = 0; k < ellRank; k++) { ellLoops.push(nOut + reductionExtents.length); reductionExtents.push(ellDims[k]!); }
  }
  for (const t of terms) {
    for (const c of t) {
      if (c !== '...' && !loopOf.has(c)) { loopOf.set(c, nOut + reductionExtents.length); reductionExtents.push(extent.get(c)!); }
    }
  }

  const maps = terms.map((t, j) => {
    const shape = types[j]!.shape;
    const exprs: AffineExpr[] = [];
    let d = 0;
    for (const c of t) {
      if (c === '...') {
        const nEll = shape.length - (t.length - 1);
        for (let k = 0; k < nEll; k++) {
          const size = shape[d + k]!;
          const loop = ellLoops[ellRank - nEll + k]!;
          exprs.push(size === 1 ? constExpr(0) : dimExpr(loop));
        }
        d += nEll;
        continue;
      }
      const size = shape[d++]!;
      const loop = loopOf.get(c)!;
      const ext = loop < nOut ? outShape[loop]! : reductionExtents[loop - nOut]!;
      exprs.push(size === 1 && ext !== 1 ? constExpr(0) : dimExpr(loop));
    }
    return exprs;
  });

  const acc = opts.accDtype ?? defaultAcc(dt);
  const outDtype = opts.outDtype ?? dt;
  const op: ContractOp = {
    kind: 'contract',
    reductionExtents,
    maps,
    padValues: inputs.map(() => null),
    combiner: productCombiner(inputs.length, types.map((t) => t.dtype), acc),
    reducer: 'add',
    accDtype: acc,
    epilogue: outDtype === acc ? null : cast(outDtype, { k: 'acc' }),
  };
  return b.add1(op, inputs, [{ kind: 'tensor', dtype: outDtype, shape: outShape }]);
}
