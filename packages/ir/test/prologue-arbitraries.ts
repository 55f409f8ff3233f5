// fast-check arbitraries for fold-affine-prologue: a scale-and-shift map on a graph input (BatchNorm as the
// frontend spells it, x*s+t in one or two maps, a pure scale, a scalar normalization, or a scale along a dim the
// weights do not index) read by one or two contractions with constant weights (MatMul, Gemm with transposed
// weights, batched MatMul, convolutions: 1x1 or 3x3, padded or not, strided, depthwise), sometimes also a graph
// output, then an optional bias and ReLU; the batch dim is sometimes symbolic. Each case says which outcomes of the pass are correct for it.

import fc from 'fast-check';
import { type DType, GraphBuilder, type HostTensor, type ValueId, arg, bin, lit, un, tensorType } from '../src/index.js';
import type { RandomCase } from './arbitraries.js';

export type Outcome = 'folded' | 'refused-layout' | 'refused-padded-shift' | 'refused-other-use';

export interface PrologueCase extends RandomCase {
  /** Outcomes of the pass (its counters) that are right for this graph. */
  readonly expected: readonly Outcome[];
  readonly label: string;
}

const KINDS = ['matmul', 'gemm-transposed', 'batched-matmul', 'conv'] as const;
const FORMS = ['batchnorm', 'batchnorm', 'scale-shift', 'scale-shift-two-maps', 'scale', 'divide', 'scalar', 'neg-shift', 'off-channel'] as const;
const READERS = ['one', 'one', 'one', 'one', 'two', 'output'] as const;

export const prologueSpec = fc.record({
  kind: fc.constantFrom(...KINDS),
  form: fc.constantFrom(...FORMS),
  readers: fc.constantFrom(...READERS),
  tail: fc.constantFrom('none', 'bias', 'bias-relu'),
  float64: fc.integer({ min: 0, max: 4 }).map((v) => v === 0),
  batch: fc.integer({ min: 1, max: 3 }),
  channels: fc.integer({ min: 1, max: 4 }),
  outs: fc.integer({ min: 1, max: 4 }),
  kernel: fc.constantFrom(1, 3),
  pad: fc.constantFrom(0, 1),
  stride: fc.constantFrom(1, 2),
  depthwise: fc.boolean(),
  rank1Constants: fc.boolean(),
  symbolicBatch: fc.boolean(),
  seed: fc.integer({ min: 0, max: 10_000 }),
});
export type PrologueSpec = typeof prologueSpec extends fc.Arbitrary<infer T> ? T : never;

function fill(dtype: DType, shape: readonly number[], seed: number, lo: number, hi: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return { dtype, shape, data: Float64Array.from({ length: n }, (_, i) => round(lo + ((Math.sin((i + 1) * 2.3 + seed * 1.9) + 1) / 2) * (hi - lo))) };
}

export function buildPrologueCase(s: PrologueSpec): PrologueCase {
  const dt: DType = s.float64 ? 'float64' : 'float32';
  const b = new GraphBuilder();
  let seed = s.seed;
  const constant = (shape: readonly number[], lo: number, hi: number) => b.constant(fill(dt, shape, seed++, lo, hi));
  const conv = s.kind === 'conv';
  const C = s.channels;
  const xShape = conv ? [s.batch, C, 4, 5] : s.kind === 'batched-matmul' ? [s.batch, 3, C] : [s.batch, C];
  const x = b.input('x', tensorType(dt, s.symbolicBatch ? ['N', ...xShape.slice(1)] : xShape));
  const feeds = { x: fill(dt, xShape, s.seed + 7, -1, 1) };
  const rank = xShape.length;
  const channelAxis = conv ? 1 : rank - 1;
  // Per-channel constants shaped as the frontend makes them ([C] or [C,1,1]) or with leading ones.
  const chanShape = conv ? (s.rank1Constants ? [1, C, 1, 1] : [C, 1, 1]) : s.rank1Constants ? [1, C] : [C];
  const perChannel = (lo: number, hi: number) => constant(chanShape, lo, hi);
  const f = (v: number) => lit(v, dt);
  let y: ValueId;
  switch (s.form) {
    case 'batchnorm': // (x - mean) / sqrt(var + eps) * scale + bias
      y = b.map(bin('add', bin('mul', bin('div', bin('sub', arg(0), arg(3)), un('sqrt', bin('add', arg(4), f(1e-5)))), arg(1)), arg(2)),
        [x, perChannel(0.5, 1.5), perChannel(-0.5, 0.5), perChannel(-0.5, 0.5), perChannel(0.5, 2)]);
      break;
    case 'scale-shift': y = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [x, perChannel(0.5, 2), perChannel(-1, 1)]); break;
    case 'scale-shift-two-maps': y = b.map(bin('add', arg(0), arg(1)), [b.map(bin('mul', arg(0), arg(1)), [x, perChannel(0.5, 2)]), perChannel(-1, 1)]); break;
    case 'scale': y = b.map(bin('mul', arg(1), arg(0)), [x, perChannel(-2, 2)]); break;
    case 'divide': y = b.map(bin('div', arg(0), arg(1)), [x, perChannel(0.5, 2)]); break;
    case 'scalar': y = b.map(bin('mul', bin('sub', arg(0), f(0.5)), arg(1)), [x, b.constant(fill(dt, [], seed++, 1.5, 3))]); break;
    case 'neg-shift': y = b.map(bin('sub', arg(1), un('neg', arg(0))), [x, perChannel(-1, 1)]); break;
    case 'off-channel': { // varies along the batch (rows) or a spatial dim: no weight dim to fold it into
      const shape = xShape.map((d, i) => (i === (conv ? 2 : 0) ? d : 1));
      y = b.map(bin('add', bin('mul', arg(0), arg(1)), arg(2)), [x, constant(shape, 0.5, 2), constant(shape, -1, 1)]);
      break;
    }
  }
  const contraction = (): ValueId => {
    if (!conv) {
      const M = s.outs;
      if (s.kind === 'gemm-transposed') return b.einsum('ik,jk->ij', [y, constant([M, C], -0.5, 0.5)]);
      return b.matmul(y, constant([C, M], -0.5, 0.5));
    }
    const group = s.depthwise ? C : 1;
    const M = s.depthwise ? C : s.outs;
    const w = constant([M, C / group, s.kernel, s.kernel], -0.5, 0.5);
    return b.conv({ x: y, w, strides: [s.stride, s.stride], dilations: [1, 1], pads: [s.pad, s.pad, s.pad, s.pad], group });
  };
  const finish = (v: ValueId, name: string) => {
    let out = v;
    if (s.tail !== 'none') {
      const os = b.tensorTypeOf(v).shape as number[];
      const biasShape = conv ? [os[1]!, 1, 1] : [os[os.length - 1]!];
      out = b.map(bin('add', arg(0), arg(1)), [out, constant(biasShape, -1, 1)]);
    }
    if (s.tail === 'bias-relu') out = b.map(bin('max', arg(0), f(0)), [out]);
    b.output(name, out);
  };
  finish(contraction(), 'y');
  if (s.readers === 'two') finish(contraction(), 'y2');
  if (s.readers === 'output') b.output('prologue', y);
  // Reads outside x: a convolution with padding (a 1x1 kernel with padding too: its output is larger than x).
  const padded = conv && s.pad > 0;
  const perChannelShift = ['batchnorm', 'scale-shift', 'scale-shift-two-maps', 'neg-shift'].includes(s.form) && C > 1;
  // A symbolic batch broadcast against batch-shaped coefficients makes x itself broadcast: refused-layout first.
  const expected: Outcome[] = s.readers === 'output' ? (s.form === 'off-channel' ? ['refused-other-use', 'refused-layout'] : ['refused-other-use'])
    : s.form === 'off-channel' && xShape[conv ? 2 : 0]! > 1 ? ['refused-layout']
    : padded && perChannelShift ? ['refused-padded-shift'] : ['folded'];
  const label = `${s.kind}${conv ? ` k${s.kernel} p${s.pad} s${s.stride}${s.depthwise ? ' dw' : ''}` : ''} ${s.form} readers=${s.readers} ${dt}${s.symbolicBatch ? ' batch N' : ''} channel axis ${channelAxis}`;
  return { graph: b.build(), feeds, steps: [], expected, label };
}

export const prologueCase: fc.Arbitrary<PrologueCase> = prologueSpec.map(buildPrologueCase);
