// Lowering of BitCast (same bits, another dtype of the same width). Usually no kernel at all: the output is an
// alias of the input's buffer. The reference interpreter holds elements by value, so where that shows, copy
// nests reproduce it: bytes read as bool become 0/1, and a narrow float (float16, float8, ...) passes through
// its value on either side, so NaN codes come out as the format's one NaN code.

import { CompileError, type DType, type Node, type TensorType, type ValueId, arg, cast } from '@tensorc/ir';
import type { LoopNestKernel } from './kernel-plan.js';
import { isCodedFloat } from './wasm-coded-float.js';

type Nest = Omit<LoopNestKernel, 'name'>;

export interface BitcastLowering {
  readonly kernels: readonly { readonly kernel: Nest; readonly suffix: string }[];
  /** The buffer the output aliases, when it needs no kernel of its own. */
  readonly aliasOf?: ValueId;
  readonly newTypes: readonly [ValueId, TensorType][];
}

/** A flat copy nest: out[i] = expr(in[i] read as `readAs`). */
function copy(out: ValueId, outDtype: DType, input: ValueId, readAs: DType, count: number, bool: boolean): Nest {
  return {
    kind: 'nest', out, outDtype, outBase: 0, outStrides: [1], extents: [count], numOutLoops: 1,
    operands: [{ buffer: input, dtype: readAs, base: 0, strides: [1], pad: 0 }],
    combiner: bool ? cast('bool', arg(0)) : arg(0), reducer: null, accDtype: outDtype, epilogue: null,
  };
}

export function lowerBitcast(n: Node, t: TensorType & { shape: readonly number[] }, x: TensorType, supported: (d: DType) => boolean, fresh: () => ValueId): BitcastLowering {
  const where = n.origin ? { node: n.origin.node, opType: n.origin.opType } : {};
  if (!supported(x.dtype)) throw new CompileError('UNSUPPORTED_OP', `backend: bitcast from ${x.dtype} is not supported yet`, where);
  const input = n.inputs[0]!;
  const out = n.outputs[0]!.id;
  const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
  const kernels: { kernel: Nest; suffix: string }[] = [];
  const newTypes: [ValueId, TensorType][] = [];
  let src = input;
  if (isCodedFloat(x.dtype)) {
    // the input's codes through their values first (a NaN payload becomes the canonical NaN code)
    src = fresh();
    newTypes.push([src, { kind: 'tensor', dtype: x.dtype, shape: t.shape }]);
    kernels.push({ kernel: copy(src, x.dtype, input, x.dtype, count, false), suffix: 'bitcast_canonical' });
  }
  if (t.dtype === 'bool' && x.dtype !== 'bool') {
    // the bits (not the value: a float8 -0 has a non-zero code) read as a byte
    kernels.push({ kernel: copy(out, 'bool', src, 'uint8', count, true), suffix: 'bitcast_bool' });
    return { kernels, newTypes };
  }
  if (isCodedFloat(t.dtype)) {
    kernels.push({ kernel: copy(out, t.dtype, src, t.dtype, count, false), suffix: 'bitcast' });
    return { kernels, newTypes };
  }
  return { kernels, aliasOf: src, newTypes };
}
