// The type-rule table: one rule per op kind (a missing kind is a compile error). `inferTypes` is what the
// builder calls to type a new node and what the verifier calls to re-check an existing one.

import type { Op, OpKind, OpOf } from '../ops.js';
import type { ValueType } from '../types.js';
import { type InferRule, shapeError } from './common.js';
import { attentionRule } from './rules-attention.js';
import * as C from './rules-compute.js';
import { type TypeLookup, expertsRule, ifRule, loopRule, optionalRule, scanRule, sequenceRule } from './rules-control.js';
import * as M from './rules-movement.js';
import * as S from './rules-strings.js';

type RuleWithLookup<K extends OpKind> = (op: OpOf<K>, ins: readonly ValueType[], declared: readonly ValueType[] | undefined, lookup?: TypeLookup) => readonly ValueType[];

const RULES: { readonly [K in OpKind]: InferRule<K> | RuleWithLookup<K> } = {
  constant: C.constantRule, contract: C.contractRule, map: C.mapRule, multimap: C.multimapRule, reduce: C.reduceRule, argreduce: C.argreduceRule,
  softmax: C.softmaxRule, attention: attentionRule, cumulative: C.cumulativeRule, quantize: C.quantizeRule, dequantize: C.dequantizeRule, topk: C.topkRule,
  reshape: M.reshapeRule, transpose: M.transposeRule, slice: M.sliceRule, pad: M.padRule, concat: M.concatRule,
  expand: M.expandRule, gather: M.gatherRule, gather_elements: M.gatherElementsRule, gather_nd: M.gatherNdRule,
  scatter_elements: M.scatterElementsRule, scatter_nd: M.scatterNdRule, iota: M.iotaRule, shape_of: M.shapeOfRule,
  nonzero: M.nonzeroRule, bitcast: M.bitcastRule,
  string_concat: S.stringConcatRule, string_case: S.stringCaseRule, regex_match: S.regexMatchRule, string_split: S.stringSplitRule,
  experts: expertsRule, if: ifRule, loop: loopRule, scan: scanRule, sequence: sequenceRule, optional: optionalRule,
};

/** Result types of `op` applied to inputs of types `ins`; throws CompileError (TYPE_ERROR / SHAPE_ERROR) without a location. */
export function inferTypes(op: Op, ins: readonly ValueType[], declared?: readonly ValueType[], lookup?: TypeLookup): readonly ValueType[] {
  // Declared results and reduction extents come from converters doing arithmetic on (possibly hostile) model
  // values: a negative or fractional size must stop here, not reach the verifier or the interpreter.
  for (const t of declared ?? []) checkSizes(t.kind === 'tensor' ? t.shape : t.kind === 'sequence' ? t.elem.shape : t.elem.kind === 'tensor' ? t.elem.shape : t.elem.elem.shape, 'declared result');
  if (op.kind === 'contract') checkSizes(op.reductionExtents, 'reduction extents');
  if (op.kind === 'attention') checkSizes([op.keyExtent, op.qkExtent], 'attention extents');
  const rule = RULES[op.kind] as RuleWithLookup<OpKind>;
  return rule(op as never, ins, declared, lookup);
}

function checkSizes(shape: readonly (number | string)[], what: string): void {
  for (const d of shape) {
    if (typeof d === 'number' && (!Number.isSafeInteger(d) || d < 0)) shapeError(`${what} [${shape.join(', ')}] has a size ${d} that is not a non-negative integer`);
  }
}

export type { TypeLookup } from './rules-control.js';
export { broadcastShapes, typesEqual, printTypeBrief } from './common.js';
export { scalarDType, scalarArity, ScalarTypeError } from './scalar-dtype.js';
