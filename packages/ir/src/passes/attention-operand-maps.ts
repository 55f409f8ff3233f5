// Elementwise maps on attention operands, chiefly the scales ONNX Attention's function body (and PyTorch's SDPA
// export) puts on q and on Kᵀ separately (each times sqrt(scale)) before the QKᵀ product. Folding them into the
// score epilogue is not exact: the contraction sums the float32 products round(q * a) * round(k * b) in float64,
// and (q * a) * (k * b) rounded per element differs from (q · k) * (a * b) in the last bits; the attention op
// has no per-operand combiner to keep them in. What is exact: a one-input map commutes with the movement ops
// that only rearrange or repeat elements (same elements, same roundings), so recognize-attention reads q, k, v
// through the transposes, head reshapes and broadcasts below such a map and applies the map to the value it
// reaches, once per source element (no Kᵀ, no expanded K copy). When that value is computed by a float32
// contraction read nowhere else, the map joins its epilogue instead (the epilogue sees the rounded sum too),
// so no kernel is left for it at all.

import type { Node, ValueId } from '../graph.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, acc } from '../scalar.js';
import { substArgs } from './scalar-rewrite.js';

const tensorDType = (n: Node, i: number): string | undefined => (n.outputs[i]?.type.kind === 'tensor' ? n.outputs[i].type.dtype : undefined);

/**
 * The expression of `n` when it is a map of one float32 value into float32 (its other operands literals, as
 * canonicalize leaves scalar constants) whose result is read once, by the operand being folded.
 */
export function operandMapExpr(n: Node, inputDType: string | undefined, readOnce: (id: ValueId) => boolean): ScalarExpr | undefined {
  if (n.op.kind !== 'map' || n.inputs.length !== 1 || n.outputs.length !== 1) return undefined;
  if (inputDType !== 'float32' || tensorDType(n, 0) !== 'float32' || !readOnce(n.outputs[0]!.id)) return undefined;
  return n.op.expr;
}

/** outer(inner(x)) for two one-input maps: maps round after every op, so this is the two maps in a row. */
export const composeMaps = (outer: ScalarExpr, inner: ScalarExpr): ScalarExpr => substArgs(outer, () => inner);

/**
 * The float32 contraction `c` with the one-input map `f` applied to each result element (after its epilogue),
 * or undefined when `c` is not one (other accumulator or result dtypes would need casts the map does not have).
 */
export function contractThenMap(c: Node, f: ScalarExpr): Node | undefined {
  if (c.op.kind !== 'contract' || c.outputs.length !== 1 || tensorDType(c, 0) !== 'float32') return undefined;
  const op: ContractOp = c.op;
  if (op.epilogue === null && op.accDtype !== 'float32') return undefined;
  const before = op.epilogue ?? acc;
  return { ...c, op: { ...op, epilogue: substArgs(f, () => before) } };
}
