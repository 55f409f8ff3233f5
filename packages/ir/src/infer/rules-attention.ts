// Type rule of the fused attention op (ops.ts AttentionOp): the result type is declared (like a contraction's,
// it follows from the index maps only for trivial layouts); the maps are checked for shape, canonical form,
// the loops each operand may use, and in-bounds reads; q, k, v and the result share one float dtype, and the
// score epilogue reads only acc and the extra inputs and yields that dtype.

import { isFloat } from '../dtype.js';
import type { ScalarExpr } from '../scalar.js';
import type { Dim } from '../types.js';
import { type InferRule, declaredTensor, shapeError, tensorIn, typeError } from './common.js';
import { checkInBounds, scalarType } from './rules-compute.js';
import { scalarDType } from './scalar-dtype.js';

/** The arg indices an expression reads. */
function argsRead(e: ScalarExpr, into: Set<number> = new Set()): Set<number> {
  switch (e.k) {
    case 'arg': into.add(e.i); break;
    case 'acc': case 'lit': break;
    case 'un': case 'cast': argsRead(e.a, into); break;
    case 'bin': argsRead(e.a, into); argsRead(e.b, into); break;
    case 'select': argsRead(e.c, into); argsRead(e.a, into); argsRead(e.b, into); break;
  }
  return into;
}

const ROLE = ['q', 'k', 'v'] as const;

export const attentionRule: InferRule<'attention'> = (op, ins, declared) => {
  const out = declaredTensor(declared, 'an attention result shape follows from its index maps only for trivial layouts');
  if (ins.length < 3) typeError(`expects q, k, v and optional score inputs, got ${ins.length} inputs`);
  if (op.maps.length !== ins.length) typeError(`has ${op.maps.length} index maps for ${ins.length} inputs`);
  const tins = ins.map((_, i) => tensorIn(ins, i));
  const r = out.shape.length;
  if (!Number.isInteger(op.valueAxis) || op.valueAxis < 0 || op.valueAxis >= r) shapeError(`value axis ${op.valueAxis} is out of range for rank ${r}`);
  const key = r;
  const depth = r + 1;
  const extents: Dim[] = [...out.shape, op.keyExtent, op.qkExtent];
  // Loops each operand must not use: q sees one query row and the depth; k and v one key; extras (masks) one score.
  const forbidden = (j: number): number[] => (j === 0 ? [key, op.valueAxis] : j === 1 ? [op.valueAxis] : j === 2 ? [depth] : [op.valueAxis, depth]);
  op.maps.forEach((map, j) => {
    const t = tins[j]!;
    const who = j < 3 ? ROLE[j] : `score input ${j}`;
    if (map.length !== t.shape.length) shapeError(`index map of ${who} has ${map.length} results for rank ${t.shape.length}`);
    map.forEach((e, d) => {
      for (let k = 0; k < e.terms.length; k++) {
        const term = e.terms[k]!;
        if (!Number.isInteger(term.idx) || term.idx < 0 || term.idx >= extents.length) shapeError(`index map of ${who} uses loop d${term.idx}; there are ${extents.length} loops`);
        if (k > 0 && e.terms[k - 1]!.idx >= term.idx) shapeError(`index map of ${who} is not canonical (terms must be sorted and unique)`);
        if (term.coeff === 0 || !Number.isInteger(term.coeff)) shapeError(`index map of ${who} has coefficient ${term.coeff}`);
        if (forbidden(j).includes(term.idx)) shapeError(`index map of ${who} uses loop d${term.idx}, which it must not (key d${key}, depth d${depth}, value axis d${op.valueAxis})`);
      }
      checkInBounds(e, extents, t.shape[d]!, j, d);
    });
  });
  const dtype = tins[0]!.dtype;
  if (!isFloat(dtype)) typeError(`attention needs float q, k, v, got ${dtype}`);
  for (let j = 1; j < 3; j++) if (tins[j]!.dtype !== dtype) typeError(`${ROLE[j]} is ${tins[j]!.dtype} but q is ${dtype}`);
  if (out.dtype !== dtype) typeError(`result is ${out.dtype} but q, k, v are ${dtype}`);
  if (op.scoreEpilogue !== null) {
    const low = [...argsRead(op.scoreEpilogue)].filter((i) => i < 3);
    if (low.length > 0) typeError(`score epilogue reads a${low[0]} (q, k and v are not score inputs)`);
    const ep = scalarType(() => scalarDType(op.scoreEpilogue!, tins.map((t) => t.dtype), dtype), 'score epilogue');
    if (ep !== dtype) typeError(`score epilogue yields ${ep} but the scores are ${dtype}`);
  }
  return [out];
};
