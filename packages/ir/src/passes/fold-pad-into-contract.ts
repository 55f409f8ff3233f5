// Prologue fusion of explicit padding: a constant-mode Pad feeding a windowed contraction (a convolution or
// a pooling window) is read through the contraction's own padded access instead of being materialized. The
// operand's map is shifted by the low pads and its pad value becomes the Pad's fill value, so a read inside
// the padded border returns the fill exactly as before (exact: the same elements are read).
// ONNX models get this shape from TensorFlow's SAME padding and from PyTorch's F.pad before a Conv/Pool.
// Folds only when
//   - the Pad is 'constant', has no interior padding, static non-negative pads and one input (no run-time
//     pads or fill value);
//   - the operand is already read with padding of the same value (two borders merge into one), or it is read
//     in bounds through a window (a dim indexed by an output loop plus a reduction loop): a plain matrix
//     product keeps its Pad, since a padded read would take it off the GEMM path.
// Either way every shifted read lands in the Pad's interior (the same element) or outside the unpadded input,
// where the contraction now reads the fill value the Pad would have stored.

import { type AffineExpr, affine } from '../affine.js';
import type { Graph, Node, ValueId } from '../graph.js';
import type { ContractOp, PadOp } from '../ops.js';
import { producers } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

/** A dim read by an output loop together with a reduction loop: a sliding window (conv / pool input). */
function isWindow(m: readonly AffineExpr[], numOutLoops: number): boolean {
  return m.some((e) => e.terms.some((t) => t.idx < numOutLoops) && e.terms.some((t) => t.idx >= numOutLoops));
}

/** The pads as numbers when `p` can be folded (constant mode, no interior, static and non-negative). */
function foldablePads(p: Node): { low: number[]; value: number } | undefined {
  const op = p.op as PadOp;
  if (op.mode !== 'constant' || p.inputs.length !== 1 || op.interior.some((v) => v !== 0)) return undefined;
  if (![...op.low, ...op.high].every((d) => typeof d === 'number' && d >= 0)) return undefined;
  return { low: op.low as number[], value: op.value };
}

export const foldPadIntoContractPass: Pass = {
  name: 'fold-pad-into-contract',
  description: 'read a windowed contraction operand (conv, pool) through its own padded access instead of a materialized constant Pad',
  run(g: Graph, stats) {
    const prod = producers(g);
    const numOutLoops = (n: Node): number | undefined => {
      const t = n.outputs[0]?.type;
      return t?.kind === 'tensor' ? t.shape.length : undefined;
    };
    let changed = false;
    const nodes = g.nodes.map((n) => {
      if (n.op.kind !== 'contract') return n;
      const op: ContractOp = n.op;
      const outLoops = numOutLoops(n);
      if (outLoops === undefined) return n;
      const inputs: ValueId[] = [...n.inputs];
      const maps = [...op.maps];
      const padValues = [...op.padValues];
      n.inputs.forEach((id, j) => {
        const p = prod.get(id);
        if (!p || p.op.kind !== 'pad') return;
        const pads = foldablePads(p);
        const own = padValues[j] ?? null;
        if (!pads || maps[j]!.length !== pads.low.length) return;
        if (own === null ? !isWindow(maps[j]!, outLoops) : !Object.is(own, pads.value)) return;
        inputs[j] = p.inputs[0]!;
        maps[j] = maps[j]!.map((e, d) => affine(e.terms, e.offset - pads.low[d]!));
        padValues[j] = pads.value;
        bump(stats, 'padsFolded');
        changed = true;
      });
      return inputs.some((v, j) => v !== n.inputs[j]) ? { ...n, inputs, op: { ...op, maps, padValues } } : n;
    });
    return changed ? { ...g, nodes } : g;
  },
};
