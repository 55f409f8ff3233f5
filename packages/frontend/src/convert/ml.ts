// The ai.onnx.ml domain (classic ML pipelines): Binarizer and ArrayFeatureExtractor here; LabelEncoder and
// TreeEnsemble in their own files. All lower to ordinary IR (map, gather, argreduce, contract), so the
// reference interpreter and the passes need nothing ML-specific. `since` counts ai.onnx.ml opset versions.

import { type ValueId, arg, bin, cast, isBigIntDType, isFloat, isInteger, lit, select } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimsProduct } from './dim-utils.js';
import { labelEncoder } from './ml-label-encoder.js';
import { treeEnsemble } from './ml-tree-ensemble.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

/** y = x > threshold ? 1 : 0 in x's dtype; integers compare as float64 (numpy's int-vs-float comparison). */
function binarizer(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const dt = ctx.tensorTypeOf(x).dtype;
  if (!isFloat(dt) && !isInteger(dt)) ctx.fail('TYPE_ERROR', `Binarizer needs a numeric input, got ${dt}`);
  const threshold = ctx.attrs.float('threshold', 0);
  const cond = bin('gt', dt === 'float64' ? arg(0) : cast('float64', arg(0)), lit(threshold, 'float64'));
  const one = lit(isBigIntDType(dt) ? 1n : 1, dt);
  const zero = lit(isBigIntDType(dt) ? 0n : 0, dt);
  return [ctx.emit1({ kind: 'map', expr: select(cond, one, zero) }, [x])];
}

/**
 * Selects entries of the last axis by the (flattened) indices; a 1-D input yields [1, n] (the shape
 * onnxruntime and ONNX's reference give), otherwise [..., n].
 */
function arrayFeatureExtractor(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const ind = ctx.input(1);
  const shape = ctx.shapeOf(x);
  const it = ctx.tensorTypeOf(ind).dtype;
  if (it !== 'int64' && it !== 'int32') ctx.fail('TYPE_ERROR', `indices must be int64, got ${it}`);
  if (shape.length === 0) ctx.fail('SHAPE_ERROR', 'ArrayFeatureExtractor needs an input of rank 1 or more');
  const n = dimsProduct(ctx.shapeOf(ind), [], (m) => ctx.fail('SHAPE_ERROR', m));
  const flat = reshapeTo(ctx, ind, [n]);
  const y = ctx.emit1({ kind: 'gather', axis: shape.length - 1 }, [x, flat]);
  return [shape.length === 1 ? reshapeTo(ctx, y, [1, n]) : y];
}

export const ML: ConverterTable = {
  Binarizer: { since: 1, convert: binarizer },
  ArrayFeatureExtractor: { since: 1, convert: arrayFeatureExtractor },
  LabelEncoder: { since: 1, convert: labelEncoder },
  TreeEnsemble: { since: 5, convert: treeEnsemble },
};
