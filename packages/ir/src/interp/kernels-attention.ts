// Reference kernel of the fused attention op: literally the composition it stands for, built from the
// contract and softmax kernels (scores over the output loops without the value axis plus the key loop, a
// softmax along the keys, then the PV contraction), so fused and unfused graphs agree bit for bit. The
// interpreter stores the score matrix; backends need not.

import { type AffineExpr, type AffineMap, affine } from '../affine.js';
import type { AttentionOp, ContractOp, SoftmaxOp } from '../ops.js';
import { type ScalarExpr, arg, bin } from '../scalar.js';
import type { TensorType } from '../types.js';
import { COMPUTE_KERNELS } from './kernels-compute.js';
import type { KernelTable } from './kernel-types.js';
import { tensorArg } from './tensor-utils.js';

/** `e` with every arg(i) for i >= 3 renumbered to i - 1 (the score contraction has no v operand). */
function dropV(e: ScalarExpr): ScalarExpr {
  switch (e.k) {
    case 'arg': return e.i >= 3 ? arg(e.i - 1) : e;
    case 'acc': case 'lit': return e;
    case 'un': case 'cast': return { ...e, a: dropV(e.a) };
    case 'bin': return { ...e, a: dropV(e.a), b: dropV(e.b) };
    case 'select': return { ...e, c: dropV(e.c), a: dropV(e.a), b: dropV(e.b) };
  }
}

export const ATTENTION_KERNELS: KernelTable<'attention'> = {
  attention: (op: AttentionOp, insRaw, outTypes, ctx) => {
    const ins = insRaw.map((_, j) => tensorArg(insRaw, j));
    const outT = outTypes[0] as TensorType;
    const outShape = ctx.shape(outT.shape);
    const r = outShape.length;
    const keys = ctx.dim(op.keyExtent);
    const dtype = ins[0]!.dtype;
    // Score space: output loops without the value axis (in order), then the key loop; its reduction is the depth.
    // (q, k and the extras never use the value axis, so every loop after it moves down by one)
    const scoreLoop = (idx: number): number => (idx < op.valueAxis ? idx : idx - 1);
    const toScore = (m: AffineMap): AffineExpr[] => m.map((e) => affine(e.terms.map((t) => ({ idx: scoreLoop(t.idx), coeff: t.coeff })), e.offset));
    const scoreShape = [...outShape.filter((_, i) => i !== op.valueAxis), keys];
    const scoreType: TensorType = { kind: 'tensor', dtype, shape: scoreShape };
    const nIn = ins.length;
    const scores: ContractOp = {
      kind: 'contract', reductionExtents: [ctx.dim(op.qkExtent)], maps: [0, 1, ...Array.from({ length: nIn - 3 }, (_, i) => i + 3)].map((j) => toScore(op.maps[j]!)),
      padValues: new Array(nIn - 1).fill(null), combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: dtype,
      epilogue: op.scoreEpilogue === null ? null : dropV(op.scoreEpilogue),
    };
    const [s] = COMPUTE_KERNELS.contract(scores, [ins[0]!, ins[1]!, ...ins.slice(3)], [scoreType], ctx);
    const softmax: SoftmaxOp = { kind: 'softmax', axis: r - 1, log: false };
    const [p] = COMPUTE_KERNELS.softmax(softmax, [s!], [scoreType], ctx);
    // PV: p read at (output loops without the value axis, key loop r), v through its own map.
    const pMap = [...Array(r).keys()].filter((i) => i !== op.valueAxis).map((i) => affine([{ idx: i, coeff: 1 }])).concat([affine([{ idx: r, coeff: 1 }])]);
    const pv: ContractOp = {
      kind: 'contract', reductionExtents: [keys], maps: [pMap, op.maps[2]!], padValues: [null, null],
      combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: dtype, epilogue: null,
    };
    return COMPUTE_KERNELS.contract(pv, [p!, ins[2]!], [{ kind: 'tensor', dtype, shape: outShape }], ctx);
  },
};
