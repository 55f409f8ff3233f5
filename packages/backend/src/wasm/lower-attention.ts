// Lowering of the fused attention op (ir AttentionOp) to one kernel: every operand's affine map becomes an
// element offset plus a stride per role loop (outer loops, query row, key, depth, value feature), so K is read
// in its own [key, depth] layout and heads through their strides, with no transpose copies. The row loop is
// the output loop with the most queries that K and V do not move along; the other output loops (batch, heads,
// unit dims dropped) are the outer loops. Work units are (outer index, block of ATTENTION_ROW_BLOCK rows);
// each worker has its own scratch slot (emit-attention.ts says what it holds). float32 only.

import { CompileError, type DType, type HostTensor, type Node, type ScalarExpr, type TensorType, type ValueId } from '@tensorc/ir';
import { type MaskPattern, alwaysMinusInf, maskPattern } from './attention-masks.js';
import { linear, rowMajor } from './lower-common.js';
import { elementBytes } from './memory-plan.js';

/** Queries per work unit (two 8-lane register tiles); keys per block of the online softmax. */
export const ATTENTION_ROW_BLOCK = 16;
export const ATTENTION_KEY_BLOCK = 64;

/** An operand's element offset and strides per role loop (0 where the operand does not move along it). */
export interface AttentionOperand {
  readonly buffer: ValueId;
  readonly dtype: DType;
  readonly base: number;
  readonly outer: readonly number[];
  readonly row: number;
  readonly key: number;
  readonly depth: number;
  readonly feature: number;
  /** A constant score input's values as a function of row and key (attention-masks.ts): no loads needed. */
  readonly pattern?: MaskPattern;
}

/**
 * out[o, i, e] = sum_j softmax_j(scoreEpilogue(q[o, i, :] · k[o, j, :], extras[o, i, j])) * v[o, j, e] for each
 * outer index o (loops `outerExtents`), query row i < rows, feature e < features; keys j < keys, depth < depth.
 */
export interface AttentionKernel {
  readonly kind: 'attention';
  readonly name: string;
  readonly q: AttentionOperand;
  readonly k: AttentionOperand;
  readonly v: AttentionOperand;
  readonly out: AttentionOperand;
  /** Score epilogue operands: args 3, 4, ... of scoreEpilogue. */
  readonly extras: readonly AttentionOperand[];
  readonly scoreEpilogue: ScalarExpr | null;
  readonly outerExtents: readonly number[];
  readonly rows: number;
  readonly keys: number;
  readonly depth: number;
  readonly features: number;
  /** float32 scratch, `slots` slots of slotBytes, one per worker (scratch-slots.ts): per-unit blocks (emit-attention.ts). */
  readonly scratch: ValueId;
  readonly slotBytes: number;
  readonly slots: number;
  /** Scores with key - row > skipAbove are -inf whatever q·k is: key blocks wholly above that diagonal are skipped. */
  readonly skipAbove?: number;
}

/** Work units: every outer index times the row blocks. */
export function attentionUnits(k: Pick<AttentionKernel, 'outerExtents' | 'rows' | 'features'>): number {
  if (k.features === 0) return 0;
  return k.outerExtents.reduce((a, b) => a * b, 1) * Math.ceil(k.rows / ATTENTION_ROW_BLOCK);
}

/** Multiply-adds: q·k for every score and p·v for every output. */
export function attentionMacs(k: Pick<AttentionKernel, 'outerExtents' | 'rows' | 'keys' | 'depth' | 'features'>): number {
  return k.outerExtents.reduce((a, b) => a * b, 1) * k.rows * k.keys * (k.depth + k.features);
}

/**
 * Bytes of one worker's slot: the tiled kernel's transposed query block [depth][R], score block [KB][R], output
 * accumulators [features][R] and running max, sum and rescale factor [R] each; the exact kernel's float64
 * accumulators [features]. 16-byte aligned.
 */
export function attentionSlotBytes(depth: number, features: number): number {
  const R = ATTENTION_ROW_BLOCK;
  const tiled = 4 * R * (depth + ATTENTION_KEY_BLOCK + features + 3);
  return Math.ceil(Math.max(tiled, 8 * features) / 16) * 16;
}

export function lowerAttention(n: Node, t: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, consts: ReadonlyMap<ValueId, HostTensor>,
  fresh: () => ValueId, name: string, slots: number): {
  kernel: AttentionKernel; newTypes: [ValueId, TensorType][];
} {
  const op = n.op;
  const where = n.origin ? { node: n.origin.node, opType: n.origin.opType } : {};
  if (op.kind !== 'attention') throw new CompileError('INTERNAL', 'backend: lowerAttention on another op', where);
  if (t.dtype !== 'float32') throw new CompileError('UNSUPPORTED_OP', `backend: attention on ${t.dtype} (the fused kernel is float32; recognize-attention fuses only float32)`, where);
  if (typeof op.keyExtent !== 'number' || typeof op.qkExtent !== 'number') throw new CompileError('UNSUPPORTED_OP', 'backend: attention with a symbolic key or depth extent; pin input shapes', where);
  const r = t.shape.length;
  const nLoops = r + 2;
  const [key, depth] = [r, r + 1];
  const ext = [...t.shape, op.keyExtent, op.qkExtent];
  const operands = n.inputs.map((id, j) => {
    const ty = tt(id);
    if (!ty.shape.every((d) => typeof d === 'number')) throw new CompileError('UNSUPPORTED_OP', `backend: attention input ${j} has a symbolic shape`, where);
    return { id, dtype: ty.dtype, ...linear(op.maps[j]!, ty.shape as number[], nLoops) };
  });
  const outLin: { id: ValueId; dtype: DType; base: number; strides: number[] } = { id: n.outputs[0]!.id, dtype: t.dtype, base: 0, strides: [...rowMajor(t.shape), 0, 0] };
  // Loops of extent 1 do not move anything.
  for (const o of [...operands, outLin]) o.strides.forEach((_, l) => { if (ext[l] === 1) o.strides[l] = 0; });
  const [q, k, v] = operands as [typeof operands[0], typeof operands[0], typeof operands[0]];
  const rowCandidates = [...Array(r).keys()].filter((l) => l !== op.valueAxis && ext[l]! > 1 && k.strides[l] === 0 && v.strides[l] === 0);
  const rowLoop = rowCandidates.reduce<number | undefined>((best, l) => (best === undefined || ext[l]! >= ext[best]! ? l : best), undefined);
  const outerLoops = [...Array(r).keys()].filter((l) => l !== op.valueAxis && l !== rowLoop && ext[l]! > 1);
  const plan = (o: typeof outLin): AttentionOperand => {
    elementBytes(o.dtype); // a storage the backend has, else a typed error
    return {
      buffer: o.id, dtype: o.dtype, base: o.base, outer: outerLoops.map((l) => o.strides[l]!), row: rowLoop === undefined ? 0 : o.strides[rowLoop]!,
      key: o.strides[key]!, depth: o.strides[depth]!, feature: o.strides[op.valueAxis]!,
    };
  };
  const scratch = fresh();
  const features = ext[op.valueAxis]!;
  const slotBytes = attentionSlotBytes(op.qkExtent, features);
  // an empty output has no rows to compute
  const rows = t.shape.includes(0) ? 0 : rowLoop === undefined ? 1 : ext[rowLoop]!;
  // constant masks shared by every batch and head whose values follow the row and key indices
  const extras = operands.slice(3).map((o) => {
    const p = plan(o);
    const c = consts.get(o.id);
    const pattern = c && p.row !== 0 && p.outer.every((s) => s === 0) ? maskPattern(c.data as ArrayLike<number | bigint>, p.base, p.row, p.key, rows, op.keyExtent as number) : undefined;
    return pattern ? { ...p, pattern } : p;
  });
  const only = extras.length === 1 ? extras[0]!.pattern : undefined;
  const argTypes = [t.dtype, t.dtype, t.dtype, ...extras.map((x) => x.dtype)];
  const skip = only?.kind === 'causal' && op.scoreEpilogue !== null && alwaysMinusInf(op.scoreEpilogue, argTypes, 3, only.above) ? only.offset : undefined;
  const kernel: AttentionKernel = {
    kind: 'attention', name, q: plan(q), k: plan(k), v: plan(v), out: plan(outLin), extras, scoreEpilogue: op.scoreEpilogue,
    outerExtents: outerLoops.map((l) => ext[l]!), rows, keys: op.keyExtent, depth: op.qkExtent, features, scratch, slotBytes, slots,
    ...(skip !== undefined ? { skipAbove: skip } : {}),
  };
  return { kernel, newTypes: [[scratch, { kind: 'tensor', dtype: 'float32', shape: [slots * slotBytes / 4] }]] };
}
