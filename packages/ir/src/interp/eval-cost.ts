// How much work the reference interpreter does for one node, in scalar operations (roughly). Constant folding
// (the IR pass and the importer's eager folding) checks it before evaluating at compile time: a small result
// can still cost billions of operations, e.g. a convolution of a constant input with a large kernel, and a
// crafted model must not turn compilation into a minutes-long computation.

import type { Node, ValueId } from '../graph.js';
import { isStaticShape, numElements } from '../types.js';

/** Most work (scalar operations) compile-time folding spends on one group of nodes. */
export const FOLD_WORK_LIMIT = 1 << 24;

/**
 * Elements read and written by `n`, times the reduction extent for a contraction. `elements(id)` gives the
 * element count of an input; undefined when an input's or output's size is not known statically.
 */
export function evalCost(n: Node, elements: (id: ValueId) => number | undefined): number | undefined {
  let perOutput = 1;
  if (n.op.kind === 'contract') {
    const red = n.op.reductionExtents;
    if (!isStaticShape(red)) return undefined;
    perOutput = Math.max(1, numElements(red));
  }
  if (n.op.kind === 'attention') {
    // every output element's row of scores (keys x depth) plus its weighted sum over the keys
    const { keyExtent: keys, qkExtent: depth } = n.op;
    if (typeof keys !== 'number' || typeof depth !== 'number') return undefined;
    perOutput = Math.max(1, keys * (depth + 1));
  }
  let cost = 0;
  for (const o of n.outputs) {
    if (o.type.kind !== 'tensor' || !isStaticShape(o.type.shape)) return undefined;
    cost += numElements(o.type.shape) * perOutput;
  }
  for (const id of n.inputs) {
    const k = elements(id);
    if (k === undefined) return undefined;
    cost += k;
  }
  return cost;
}
