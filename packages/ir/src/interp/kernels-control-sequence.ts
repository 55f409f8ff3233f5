// Reference kernels for ONNX sequence values (SequenceConstruct/Empty/At/Insert/Erase/Length, SplitToSequence,
// ConcatFromSequence) and optional values (Optional, OptionalHasElement, OptionalGetElement).
// A sequence is a readonly HostTensor[]; an empty optional is null. Results are copies, never aliases.

import type { HostTensor, RuntimeValue } from '../tensor.js';
import type { KernelTable } from './kernel-types.js';
import { cloneTensor, cloneValue, concatAlong, normAxis, scalarOf, sliceRange, stackAlong } from './kernels-control-utils.js';
import { normIndex, runtimeError, tensorArg } from './tensor-utils.js';

function seqArg(ins: readonly RuntimeValue[], i: number): readonly HostTensor[] {
  const v = ins[i];
  if (!Array.isArray(v)) return runtimeError(`input ${i} must be a sequence`);
  return v as readonly HostTensor[];
}

const present = (ins: readonly RuntimeValue[], i: number) => ins[i] !== undefined && ins[i] !== null;

const int64Scalar = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });

/** SplitToSequence's piece lengths: a scalar split gives equal chunks (the last may be shorter). */
function splitSizes(n: number, split: HostTensor | undefined): number[] {
  if (!split) return Array<number>(n).fill(1);
  const vals = Array.from(split.data as ArrayLike<number | bigint>, Number);
  if (split.shape.length === 0) {
    const c = vals[0]!;
    if (!(c > 0)) runtimeError(`split size ${c} must be positive`);
    return Array.from({ length: Math.ceil(n / c) }, (_, i) => Math.min(c, n - i * c));
  }
  if (vals.some((v) => v < 0) || vals.reduce((a, b) => a + b, 0) !== n) runtimeError(`split sizes [${vals.join(',')}] do not add up to ${n}`);
  return vals;
}

export const SEQUENCE_KERNELS: KernelTable<'sequence' | 'optional'> = {
  sequence: (op, ins) => {
    switch (op.fn) {
      case 'construct': return [ins.map((_, i) => cloneTensor(tensorArg(ins, i)))];
      case 'empty': return [[]];
      case 'length': return [int64Scalar(seqArg(ins, 0).length)];
      case 'at': {
        const s = seqArg(ins, 0);
        return [cloneTensor(s[normIndex(scalarOf(tensorArg(ins, 1), 'position'), s.length, 'sequence position')]!)];
      }
      case 'insert': {
        const s = seqArg(ins, 0).map(cloneTensor);
        const n = s.length;
        const pos = present(ins, 2) ? scalarOf(tensorArg(ins, 2), 'position') : n;
        const p = pos < 0 ? pos + n : pos;
        if (!Number.isInteger(p) || p < 0 || p > n) runtimeError(`insert position ${pos} is out of range [${-n}, ${n}]`);
        s.splice(p, 0, cloneTensor(tensorArg(ins, 1)));
        return [s];
      }
      case 'erase': {
        const s = seqArg(ins, 0).map(cloneTensor);
        const pos = present(ins, 1) ? scalarOf(tensorArg(ins, 1), 'position') : s.length - 1;
        s.splice(normIndex(pos, s.length, 'sequence erase position'), 1);
        return [s];
      }
      case 'split': {
        const x = tensorArg(ins, 0);
        const axis = normAxis(op.axis, x.shape.length, 'split');
        const split = present(ins, 1) ? tensorArg(ins, 1) : undefined;
        const parts: HostTensor[] = [];
        let start = 0;
        for (const len of splitSizes(x.shape[axis]!, split)) {
          const piece = sliceRange(x, axis, start, len);
          // keepDims applies only to the unit pieces of a split without sizes.
          parts.push(split || op.keepDims ? piece : { ...piece, shape: piece.shape.filter((_, d) => d !== axis) });
          start += len;
        }
        return [parts];
      }
      case 'concat': {
        const s = seqArg(ins, 0);
        if (s.length === 0) runtimeError('cannot concatenate an empty sequence');
        return [concatAlong(s, normAxis(op.axis, s[0]!.shape.length, 'concat'))];
      }
      case 'stack': {
        const s = seqArg(ins, 0);
        if (s.length === 0) runtimeError('cannot stack an empty sequence');
        return [stackAlong(s, normAxis(op.axis, s[0]!.shape.length + 1, 'stack'))];
      }
      default: {
        const never: never = op.fn;
        return runtimeError(`unknown sequence function ${String(never)}`);
      }
    }
  },

  optional: (op, ins) => {
    switch (op.fn) {
      case 'wrap': {
        if (ins[0] === undefined) runtimeError('optional wrap needs a value');
        return [cloneValue(ins[0]!)];
      }
      case 'none': return [null];
      case 'has': return [{ dtype: 'bool', shape: [], data: Float64Array.of(present(ins, 0) ? 1 : 0) }];
      case 'get':
        if (!present(ins, 0)) runtimeError('optional has no value');
        return [cloneValue(ins[0]!)];
      default: {
        const never: never = op.fn;
        return runtimeError(`unknown optional function ${String(never)}`);
      }
    }
  },
};
