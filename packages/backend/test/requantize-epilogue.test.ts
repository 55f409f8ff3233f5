// A requantize (QuantizeLinear) after a MatMul or a convolution runs in the GEMM's epilogue, which stores the
// integer codes straight away (narrowing SIMD stores) instead of a float32 result and a second pass. Inputs and
// weights are small integers, so every product and sum is exact in float32 and in the interpreter's float64:
// the codes must then match bit for bit, including ties that round half to even and values that saturate.

import { describe, expect, it } from 'vitest';
import { type DType, GraphBuilder, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, cast, lit, runPipeline, tensorType, un } from '@tensorc/ir';
import { lowerGraph } from '../src/index.js';
import { canVectorizeNest } from '../src/wasm/emit-nest-simd.js';
import { vectorizableScalar } from '../src/wasm/emit-vector-epilogue.js';
import type { LoopNestKernel } from '../src/wasm/kernel-plan.js';
import { expectAllFlavoursAgree } from './variants-harness.js';

type Code = 'int8' | 'uint8' | 'int16' | 'uint16';
const ZP: Record<Code, number> = { int8: -3, uint8: 128, int16: 1000, uint16: 30000 };
// Scales that make exact .5 ties (0.5 and 2 on integer sums) and saturation (0.25 on sums up to a few hundred).
const SCALE: Record<Code, number> = { int8: 0.5, uint8: 0.25, int16: 2, uint16: 0.0078125 };

/** Small integers (-4..4) from a fixed pattern, so sums of products stay exact. */
const ints = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 9) - 4);

function quantize(b: GraphBuilder, x: ValueId, shape: number[], code: Code, scale: ValueId = b.constant({ dtype: 'float32', shape: [], data: new Float64Array([SCALE[code]]) })): ValueId {
  const zp = b.constant({ dtype: code, shape: [], data: new Float64Array([ZP[code]]) });
  return b.add({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, scale, zp], [tensorType(code as DType, shape)])[0]!;
}

async function check(build: (b: GraphBuilder) => void, feeds: Record<string, HostTensor>): Promise<string[]> {
  const b = new GraphBuilder();
  build(b);
  const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
  return (await expectAllFlavoursAgree(g, feeds, 0)).map((k) => k.replace(/^k\d+_/, ''));
}

describe('requantize epilogue: the GEMM stores integer codes', () => {
  // M x K @ K x N: whole 4x8 tiles, a ragged right edge, the bottom rows, the 1x32 tiles of a short wide product
  const SHAPES: [number, number, number][] = [[8, 16, 16], [6, 12, 13], [3, 20, 70], [1, 9, 5], [13, 8, 3]];
  for (const code of ['int8', 'uint8', 'int16', 'uint16'] as const) {
    for (const [M, K, N] of SHAPES) {
      it(`${code}: [${M},${K}] @ [${K},${N}] + bias, quantized, in one gemm kernel`, async () => {
        const kernels = await check((b) => {
          const x = b.input('x', tensorType('float32', [M, K]));
          const w = b.constant({ dtype: 'float32', shape: [K, N], data: ints(K * N, 1) });
          const bias = b.constant({ dtype: 'float32', shape: [N], data: ints(N, 2) });
          const y = b.map(bin('add', arg(0), arg(1)), [b.matmul(x, w), bias]);
          b.output('q', quantize(b, y, [M, N], code));
        }, { x: { dtype: 'float32', shape: [M, K], data: ints(M * K, 3) } });
        expect(kernels).toEqual(['gemm']);
      }, 60_000);
    }
  }

  it('a run-time B (row-major, scalar cells at the ragged edge) and a per-column scale', async () => {
    const [M, K, N] = [5, 7, 11];
    const kernels = await check((b) => {
      const x = b.input('x', tensorType('float32', [M, K]));
      const w = b.input('w', tensorType('float32', [K, N]));
      const s = b.constant({ dtype: 'float32', shape: [N], data: Float64Array.from({ length: N }, (_, i) => [0.5, 0.25, 1, 2][i % 4]!) });
      const zp = b.constant({ dtype: 'uint8', shape: [N], data: Float64Array.from({ length: N }, (_, i) => 100 + i) });
      b.output('q', b.add({ kind: 'quantize', scheme: { axis: 1, blockSize: null, saturate: true } }, [b.matmul(x, w), s, zp], [tensorType('uint8', [M, N])])[0]!);
    }, { x: { dtype: 'float32', shape: [M, K], data: ints(M * K, 4) }, w: { dtype: 'float32', shape: [K, N], data: ints(K * N, 5) } });
    expect(kernels).toEqual(['gemm']);
  }, 60_000);

  it('an epilogue that is not vector code (tanh) stores its codes lane by lane', async () => {
    const [M, K, N] = [6, 8, 12];
    const kernels = await check((b) => {
      const x = b.input('x', tensorType('float32', [M, K]));
      const w = b.constant({ dtype: 'float32', shape: [K, N], data: ints(K * N, 6) });
      const y = b.map(un('tanh', bin('mul', arg(0), lit(0.125, 'float32'))), [b.matmul(x, w)]);
      b.output('q', quantize(b, y, [M, N], 'int8', b.constant({ dtype: 'float32', shape: [], data: new Float64Array([1 / 64]) })));
    }, { x: { dtype: 'float32', shape: [M, K], data: ints(M * K, 7) } });
    expect(kernels).toEqual(['gemm']);
  }, 60_000);

  it('a convolution with bias, quantized to uint8, in its implicit GEMM', async () => {
    const [N, C, H, W, M] = [2, 3, 6, 9, 5];
    const kernels = await check((b) => {
      const x = b.input('x', tensorType('float32', [N, C, H, W]));
      const w = b.constant({ dtype: 'float32', shape: [M, C, 3, 3], data: ints(M * C * 9, 8) });
      const y = b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 });
      const bias = b.constant({ dtype: 'float32', shape: [M, 1, 1], data: ints(M, 9) });
      b.output('q', quantize(b, b.map(bin('add', arg(0), arg(1)), [y, bias]), [N, M, H, W], 'uint8'));
    }, { x: { dtype: 'float32', shape: [N, C, H, W], data: ints(N * C * H * W, 10) } });
    expect(kernels).toEqual(['pad', 'conv_gemm']);
  }, 60_000);

  it('a quantize-dequantize round trip (QDQ) is vector code, in a GEMM epilogue and in a map, NaN and infinities included', async () => {
    const [M, K, N] = [7, 10, 19];
    const qdq = (b: GraphBuilder, x: ValueId, shape: number[]) => {
      const s = b.constant({ dtype: 'float32', shape: [], data: new Float64Array([0.5]) });
      const zp = b.constant({ dtype: 'uint8', shape: [], data: new Float64Array([100]) });
      const q = b.add({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, s, zp], [tensorType('uint8', shape)])[0]!;
      return b.add({ kind: 'dequantize', scheme: { axis: null, blockSize: null, saturate: true } }, [q, s, zp], [tensorType('float32', shape)])[0]!;
    };
    const data = ints(M * K, 11);
    [data[3], data[17], data[30]] = [NaN, Infinity, -Infinity];
    const kernels = await check((b) => {
      const x = b.input('x', tensorType('float32', [M, K]));
      const w = b.constant({ dtype: 'float32', shape: [K, N], data: ints(K * N, 12) });
      b.output('y', qdq(b, b.matmul(qdq(b, x, [M, K]), w), [M, N]));
    }, { x: { dtype: 'float32', shape: [M, K], data } });
    expect(kernels).toEqual(['map', 'gemm']);
    const roundTrip = cast('float32', cast('uint8', bin('max', bin('min', un('round', arg(0)), lit(255, 'float32')), lit(0, 'float32'))));
    expect(vectorizableScalar(roundTrip, () => true, true)).toBe(true);
    // unclamped, the cast would wrap where SIMD saturates: not vector code
    expect(vectorizableScalar(cast('float32', cast('uint8', un('round', arg(0)))), () => true, true)).toBe(false);
  }, 60_000);

  it('a quantize on its own (a map storing codes, its zero point a run-time scalar) is vector code and exact, NaN, infinities and ties included', async () => {
    for (const code of ['uint8', 'int8', 'int16', 'uint16'] as const) {
      const b = new GraphBuilder();
      const shape = [3, 37];
      const x = b.input('x', tensorType('float32', shape));
      const zp = b.input('zp', tensorType(code, []));
      const s = b.constant({ dtype: 'float32', shape: [], data: new Float64Array([SCALE[code]]) });
      b.output('q', b.add({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, s, zp], [tensorType(code as DType, shape)])[0]!);
      const g = runPipeline(b.build(), OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
      const data = Float64Array.from({ length: 111 }, (_, i) => (i % 7 === 0 ? (i - 50) * SCALE[code] / 2 : Math.fround(Math.sin(i) * 300 * SCALE[code])));
      [data[5], data[6], data[8]] = [NaN, Infinity, -Infinity];
      const feeds = { x: { dtype: 'float32' as const, shape, data }, zp: { dtype: code as DType, shape: [], data: new Float64Array([ZP[code]]) } };
      const kernels = lowerGraph(g).kernels;
      expect(kernels.map((k) => k.kind)).toEqual(['nest']);
      expect(canVectorizeNest(kernels[0] as LoopNestKernel), code).toBe(true);
      await expectAllFlavoursAgree(g, feeds, 0);
    }
  }, 60_000);
});
