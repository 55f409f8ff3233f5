// ONNX's constraints on the window attributes of convolutions and pooling (kernel_shape, strides, dilations,
// pads, output_padding), checked before any shape arithmetic: a zero stride or a negative pad would otherwise
// give nonsense output sizes, index maps the interpreter cannot evaluate, or silently wrong numbers.

import type { ConvertContext } from './context.js';

function check(ctx: ConvertContext, name: string, v: readonly number[] | undefined, length: number, min: number, what: string): void {
  if (v === undefined) return;
  if (v.length !== length || v.some((x) => !Number.isSafeInteger(x) || x < min)) {
    ctx.fail('INVALID_MODEL', `attribute ${name} must hold ${length} ${what} integers, got [${v.join(', ')}]`);
  }
}

/** Checks the window attributes of an op with `n` spatial axes (those given; pads as written, 2n entries). */
export function checkWindowAttrs(
  ctx: ConvertContext,
  n: number,
  a: { kernel?: readonly number[]; strides?: readonly number[]; dilations?: readonly number[]; pads?: readonly number[]; outputPadding?: readonly number[] },
): void {
  check(ctx, 'kernel_shape', a.kernel, n, 1, 'positive');
  check(ctx, 'strides', a.strides, n, 1, 'positive');
  check(ctx, 'dilations', a.dilations, n, 1, 'positive');
  check(ctx, 'pads', a.pads, 2 * n, 0, 'non-negative');
  check(ctx, 'output_padding', a.outputPadding, n, 0, 'non-negative');
}
