// The shape of a converter entry: the first opset version it implements and the lowering function.
// Converters that change meaning across opsets branch on ctx.opset inside `convert`.

import type { ValueId } from '@tensorc/ir';
import type { ConvertContext } from './context.js';

export interface Converter {
  /** Lowest opset version of the op's own domain this converter handles (the op's first version). */
  readonly since: number;
  /** Returns one IR value per ONNX output (in order); optional outputs the op cannot produce fail inside. */
  readonly convert: (ctx: ConvertContext) => readonly ValueId[];
}

export type ConverterTable = { readonly [opType: string]: Converter };
