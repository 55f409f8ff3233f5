// Size limits converters enforce before they compute anything from a shape or an attribute: a result's
// element count (the importer checks every node output against the same limit, but only after the converter
// has run) and the size of tables a converter builds at compile time (Resize weights, pooling divisors,
// attention masks, ...), which live in host memory while compiling. Without these checks a crafted scale or
// size makes a converter loop for hours or exhaust the heap before any typed error can be raised.

import { MAX_TENSOR_ELEMENTS } from '../onnx/decode-tensor.js';
import type { ConvertContext } from './context.js';

/** Most elements a tensor may have (2^31), as the decoder and the importer's output check allow. */
export const MAX_ELEMENTS = MAX_TENSOR_ELEMENTS;

/** Most entries of a table a converter computes at compile time (2^26: 512 MiB as float64). */
export const MAX_TABLE_ELEMENTS = 2 ** 26;

/**
 * Most time steps RNN/GRU/LSTM are unrolled into (sequence length x directions). Each step is ~16 IR nodes,
 * so import time grows with it; a crafted (or mutated) sequence length of 65535 took minutes.
 */
export const MAX_UNROLLED_STEPS = 16_384;

/** Checks that `shape` is made of non-negative integers and has at most MAX_ELEMENTS elements. */
export function checkShapeSize(ctx: ConvertContext, shape: readonly number[], what: string): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) ctx.fail('SHAPE_ERROR', `${what} has an invalid dim ${d} in [${shape.join(', ')}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) ctx.fail('LIMIT_EXCEEDED', `${what} [${shape.join(', ')}] would have ${n} elements (limit ${MAX_ELEMENTS})`);
}

/** Checks a compile-time table of `count` entries against MAX_TABLE_ELEMENTS before it is built. */
export function checkTableSize(ctx: ConvertContext, count: number, what: string): void {
  if (!(count <= MAX_TABLE_ELEMENTS)) ctx.fail('LIMIT_EXCEEDED', `${what} would need a table of ${count} entries at compile time (limit ${MAX_TABLE_ELEMENTS})`);
}
