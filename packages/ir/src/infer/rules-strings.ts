// Type rules of the string ops: concatenation, case mapping, RE2 full match and splitting. The regex is
// translated here too, so an unsupported pattern fails when the node is built, not when it runs.

import { dimEquals } from '../dims.js';
import { re2FullMatch } from '../regex-re2.js';
import type { TensorType } from '../types.js';
import { type InferRule, agree, arity, broadcastShapes, needDeclared, shapeError, tensorIn, tt, typeError } from './common.js';

function stringIn(ins: Parameters<InferRule<'string_concat'>>[1], i: number): TensorType {
  const t = tensorIn(ins, i);
  if (t.dtype !== 'string') typeError(`input ${i} must be a string tensor, got ${t.dtype}`);
  return t;
}

export const stringConcatRule: InferRule<'string_concat'> = (_op, ins, declared) => {
  arity(ins, 2);
  const a = stringIn(ins, 0);
  const b = stringIn(ins, 1);
  return agree([tt('string', broadcastShapes([a.shape, b.shape]))], declared);
};

export const stringCaseRule: InferRule<'string_case'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = stringIn(ins, 0);
  if (op.locale !== '') {
    try {
      Intl.getCanonicalLocales(op.locale);
    } catch {
      typeError(`locale ${JSON.stringify(op.locale)} is not a BCP 47 language tag`);
    }
  }
  return agree([x], declared);
};

export const regexMatchRule: InferRule<'regex_match'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = stringIn(ins, 0);
  re2FullMatch(op.pattern);
  return agree([tt('bool', x.shape)], declared);
};

export const stringSplitRule: InferRule<'string_split'> = (op, ins, declared) => {
  arity(ins, 1);
  const x = stringIn(ins, 0);
  if (!Number.isInteger(op.maxSplit) || op.maxSplit < -1) typeError(`maxSplit ${op.maxSplit} must be -1 (no limit) or >= 0`);
  const [tokens, counts] = needDeclared(declared, 2, 'the number of tokens is data-dependent') as [TensorType, TensorType];
  const r = x.shape.length;
  if (tokens.kind !== 'tensor' || tokens.dtype !== 'string' || tokens.shape.length !== r + 1) typeError(`tokens must be str[${[...x.shape, 'n'].join(',')}]`);
  if (!x.shape.every((d, i) => dimEquals(d, tokens.shape[i]!))) shapeError(`tokens must keep the input dims [${x.shape.join(',')}]`);
  return [tokens, ...agree([tt('int64', x.shape)], [counts])];
};
