// Ops that write values into a zero image: MaxUnpool (run-time indices from MaxPool, a plain scatter into the
// flattened output) and Col2Im (compile-time positions: each block offset's columns are spread by the stride
// and placed by padding, and the placements are summed).

import { type DType, type ValueId, allocData, arg, bin, tensorType } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { reshapeTo } from './shape-ops.js';
import { dilateByStride, padConstant } from './spatial-conv-transpose.js';
import { staticDims } from './spatial-grid-sample.js';

function zeros(ctx: ConvertContext, dt: DType, shape: readonly number[]): ValueId {
  const z = ctx.b.constant({ dtype: dt, shape: [], data: allocData(dt, 1) });
  return ctx.emit1({ kind: 'expand' }, [z], [tensorType(dt, shape)]);
}

const product = (xs: readonly number[]) => xs.reduce((a, d) => a * d, 1);

export function maxUnpool(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const ind = ctx.input(1);
  const xs = staticDims(ctx, x, 'MaxUnpool input');
  const n = xs.length - 2;
  const kernel = [...ctx.attrs.requiredInts('kernel_shape')];
  if (kernel.length !== n) ctx.fail('SHAPE_ERROR', `kernel_shape has ${kernel.length} dims for a ${n}-d input`);
  const strides = [...(ctx.attrs.ints('strides') ?? kernel.map(() => 1))];
  const pads = [...(ctx.attrs.ints('pads') ?? Array(2 * n).fill(0))];
  const inferred = [xs[0]!, xs[1]!, ...kernel.map((k, i) => (xs[i + 2]! - 1) * strides[i]! - (pads[i]! + pads[n + i]!) + k)];
  const dt = ctx.tensorTypeOf(x).dtype;
  const total = product(inferred);
  const count = product(xs);
  // MaxPool's indices count over the whole tensor (batch and channel included), so scatter into it flattened.
  const flat = ctx.emit1({ kind: 'scatter_elements', axis: 0, reduction: 'none' },
    [zeros(ctx, dt, [total]), reshapeTo(ctx, ind, [count]), reshapeTo(ctx, x, [count])]);
  let y = reshapeTo(ctx, flat, inferred);
  if (ctx.optInput(2) !== undefined) {
    const shape = ctx.constInts(2, 'MaxUnpool output_shape');
    if (shape.length !== inferred.length) ctx.fail('SHAPE_ERROR', `output_shape [${shape}] has the wrong rank`);
    const high = shape.map((d, i) => d - inferred[i]!);
    if (high.some((h) => h !== 0)) y = ctx.emit1({ kind: 'pad', mode: 'constant', low: high.map(() => 0), high, interior: high.map(() => 0), value: 0 }, [y]);
  }
  return [y];
}

export function col2Im(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const xs = staticDims(ctx, x, 'Col2Im input');
  const image = ctx.constInts(1, 'Col2Im image_shape');
  const block = ctx.constInts(2, 'Col2Im block_shape');
  const n = image.length;
  if (block.length !== n || xs.length !== 3) ctx.fail('SHAPE_ERROR', `Col2Im input [${xs}], image_shape [${image}], block_shape [${block}]`);
  const dil = [...(ctx.attrs.ints('dilations') ?? Array(n).fill(1))];
  const strides = [...(ctx.attrs.ints('strides') ?? Array(n).fill(1))];
  const pads = [...(ctx.attrs.ints('pads') ?? Array(2 * n).fill(0))];
  const [N, CK, L] = xs as [number, number, number];
  const K = product(block);
  if (CK % K !== 0) ctx.fail('SHAPE_ERROR', `Col2Im input channels ${CK} are not a multiple of the block size ${K}`);
  const C = CK / K;
  const padded = image.map((d, i) => d + pads[i]! + pads[n + i]!);
  const cols = padded.map((d, i) => Math.floor((d - (dil[i]! * (block[i]! - 1) + 1)) / strides[i]!) + 1);
  if (product(cols) !== L || cols.some((c) => c < 1)) ctx.fail('SHAPE_ERROR', `Col2Im expects ${cols.join('x')} blocks but the input has ${L}`);
  const dt = ctx.tensorTypeOf(x).dtype;
  // Block offset k contributes its columns, spread by the stride, at k * dilation; the image is their sum,
  // cropped by the pads (negative padding).
  const x4 = reshapeTo(ctx, x, [N, C, K, L]);
  const kIdx = new Array<number>(n);
  let sum: ValueId | undefined;
  for (let k = 0; k < K; k++) {
    for (let r = k, a = n - 1; a >= 0; a--) { kIdx[a] = r % block[a]!; r = Math.floor(r / block[a]!); }
    const slab = ctx.emit1({ kind: 'slice', starts: [0, 0, k, 0], steps: [1, 1, 1, 1] }, [x4], [tensorType(dt, [N, C, 1, L])]);
    const spread = dilateByStride(ctx, reshapeTo(ctx, slab, [N, C, ...cols]), strides);
    const low = kIdx.map((kk, a) => kk * dil[a]! - pads[a]!);
    const high = low.map((lo, a) => image[a]! - lo - cols[a]! * strides[a]!);
    const placed = padConstant(ctx, spread, [0, 0, ...low], [0, 0, ...high]);
    sum = sum === undefined ? placed : ctx.emit1({ kind: 'map', expr: bin('add', arg(0), arg(1)) }, [sum, placed]);
  }
  return [sum!];
}
