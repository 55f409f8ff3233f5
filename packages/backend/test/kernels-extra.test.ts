// Compiled wasm against the reference interpreter for the kernels beyond the loop nest and GEMM: cumulative
// scans, ScatterElements / ScatterND (every reduction), GatherND, BitCast, QuantizeLinear / DequantizeLinear
// (per tensor, per axis, blocked) and Pad modes edge / reflect / wrap. Each graph holds many attribute
// combinations as separate outputs; every result must match bit for bit (these kernels round exactly as the
// reference does). Bad indices must trap where the interpreter raises; unsupported cases fail with a typed error.

import { describe, expect, it } from 'vitest';
import {
  CompileError, type DType, GraphBuilder, type Graph, type HostTensor, type Op, type Reducer, type ScatterReduction, type ValueId,
  fromHostTensor, interpret, tensorType, toHostTensor,
} from '@tensorc/ir';
import { InferenceSession, Tensor, type TensorType } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

/** A host tensor of `dtype` from plain values (bigint for int64). */
function host(dtype: DType, shape: number[], values: readonly (number | bigint)[]): HostTensor {
  const nums = values as number[];
  const data = (() => {
    switch (dtype) {
      case 'float32': return Float32Array.from(nums);
      case 'float64': return Float64Array.from(nums);
      case 'int32': return Int32Array.from(nums);
      case 'uint32': return Uint32Array.from(nums);
      case 'int16': return Int16Array.from(nums);
      case 'uint16': return Uint16Array.from(nums);
      case 'int8': return Int8Array.from(nums);
      case 'uint8': case 'bool': return Uint8Array.from(nums);
      case 'int64': return BigInt64Array.from(values.map((v) => BigInt(v)));
      default: throw new Error(`test data of ${dtype}`);
    }
  })();
  return toHostTensor(dtype, shape, data as never);
}

/** Deterministic pseudo-random integers in [lo, hi]. */
function ints(count: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  });
}

async function runCompiled(g: Graph, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const a = compileGraph(g);
  const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights });
  try {
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      const u = fromHostTensor(v);
      tensors[k] = new Tensor(u.type as TensorType, u.data as never, u.dims);
    }
    const out = await s.run(tensors);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, toHostTensor(t.type as DType, [...t.dims], t.data as never)]));
  } finally {
    await s.release();
  }
}

/** Same dtype, shape and elements; floats compared by value with NaN equal to NaN and -0 distinct from 0. */
function expectSame(name: string, got: HostTensor | undefined, want: HostTensor): void {
  expect(got, name).toBeDefined();
  expect(got!.dtype, name).toBe(want.dtype);
  expect([...got!.shape], name).toEqual([...want.shape]);
  for (let i = 0; i < want.data.length; i++) {
    const [x, y] = [got!.data[i], want.data[i]];
    if (!Object.is(x, y)) expect(`${name}[${i}] = ${String(x)}`).toBe(`${name}[${i}] = ${String(y)}`);
  }
}

async function expectAgree(g: Graph, feeds: Record<string, HostTensor>): Promise<void> {
  const want = interpret(g, feeds);
  const got = await runCompiled(g, feeds);
  for (const [name, v] of Object.entries(want)) expectSame(name, got[name], v as HostTensor);
}

const SCAN_DTYPES: DType[] = ['float32', 'float64', 'int32', 'int64', 'int8', 'uint8', 'int16', 'uint16', 'uint32'];

describe('cumulative (CumSum, CumProd, running max/min)', () => {
  for (const dtype of SCAN_DTYPES) {
    it(`${dtype}: every reducer, exclusive, reverse and axis`, async () => {
      const shape = [2, 3, 4];
      const b = new GraphBuilder();
      const x = b.input('x', tensorType(dtype, shape));
      for (const reducer of ['add', 'mul', 'max', 'min'] as Reducer[]) {
        for (const axis of [0, 1, 2]) for (const exclusive of [false, true]) for (const reverse of [false, true]) {
          b.output(`${reducer}_a${axis}_${exclusive ? 'x' : 'i'}${reverse ? 'r' : 'f'}`, b.add1({ kind: 'cumulative', reducer, axis, exclusive, reverse }, [x]));
        }
      }
      const float = dtype.startsWith('float');
      const lo = dtype.startsWith('u') ? 0 : -9;
      // Integers wrap in their dtype (int8 products overflow on purpose); float values are fractional, with a NaN.
      const vals = ints(24, lo, 9 + (dtype === 'uint8' ? 200 : 0), 7).map((v, i) => (float ? (i === 13 ? NaN : v / 4 + 0.3) : v));
      await expectAgree(b.build(), { x: host(dtype, shape, vals) });
    });
  }
});

describe('scatter_elements and scatter_nd', () => {
  const REDUCTIONS: ScatterReduction[] = ['none', 'add', 'mul', 'max', 'min'];
  for (const dtype of ['float32', 'float64', 'int32', 'int64', 'int8', 'uint8', 'uint32'] as DType[]) {
    for (const indexDtype of ['int64', 'int32'] as DType[]) {
      it(`${dtype} data, ${indexDtype} indices: every axis and reduction, duplicate and negative indices`, async () => {
        const b = new GraphBuilder();
        const data = b.input('data', tensorType(dtype, [3, 4]));
        const upd = b.input('upd', tensorType(dtype, [2, 3]));
        const idx0 = b.input('idx0', tensorType(indexDtype, [2, 3])); // along axis 0: values in [-3, 2]
        const idx1 = b.input('idx1', tensorType(indexDtype, [2, 3])); // along axis 1: values in [-4, 3]
        const nd1 = b.input('nd1', tensorType(indexDtype, [3, 1])); // row tuples, one duplicate
        const nd2 = b.input('nd2', tensorType(indexDtype, [2, 2, 2])); // element tuples
        const updRows = b.input('updRows', tensorType(dtype, [3, 4]));
        const updElems = b.input('updElems', tensorType(dtype, [2, 2]));
        for (const reduction of REDUCTIONS) {
          b.output(`se0_${reduction}`, b.add1({ kind: 'scatter_elements', axis: 0, reduction }, [data, idx0, upd]));
          b.output(`se1_${reduction}`, b.add1({ kind: 'scatter_elements', axis: 1, reduction }, [data, idx1, upd]));
          b.output(`nd1_${reduction}`, b.add1({ kind: 'scatter_nd', reduction }, [data, nd1, updRows]));
          b.output(`nd2_${reduction}`, b.add1({ kind: 'scatter_nd', reduction }, [data, nd2, updElems]));
        }
        const float = dtype.startsWith('float');
        const lo = dtype.startsWith('u') ? 0 : -20;
        const v = (n: number, seed: number) => ints(n, lo, 20 + (dtype === 'uint8' ? 200 : 0), seed).map((x) => (float ? x / 8 : x));
        const feeds = {
          data: host(dtype, [3, 4], v(12, 1)), upd: host(dtype, [2, 3], v(6, 2)),
          idx0: host(indexDtype, [2, 3], [0, -1, 2, 0, 1, -3]), idx1: host(indexDtype, [2, 3], [3, 3, -4, 0, -1, 1]),
          nd1: host(indexDtype, [3, 1], [2, -3, 2]), nd2: host(indexDtype, [2, 2, 2], [0, 1, -1, -1, 0, 1, 1, 2]),
          updRows: host(dtype, [3, 4], v(12, 3)), updElems: host(dtype, [2, 2], v(4, 4)),
        };
        await expectAgree(b.build(), feeds);
      });
    }
  }
  it('bool data: add/mul are or/and', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('int32', [2, 3]));
    const idx = b.input('idx', tensorType('int64', [2, 3]));
    const xb = b.add1({ kind: 'map', expr: { k: 'cast', to: 'bool', a: { k: 'arg', i: 0 }, saturate: false } }, [x]);
    for (const reduction of REDUCTIONS) b.output(reduction, b.add1({ kind: 'scatter_elements', axis: 0, reduction }, [xb, idx, xb]));
    await expectAgree(b.build(), { x: host('int32', [2, 3], [1, 0, 1, 0, 0, 1]), idx: host('int64', [2, 3], [1, 1, 0, 1, 0, 1]) });
  });
  it('float max/min propagate NaN', async () => {
    const b = new GraphBuilder();
    const data = b.input('data', tensorType('float32', [4]));
    const idx = b.input('idx', tensorType('int64', [3, 1]));
    const upd = b.input('upd', tensorType('float32', [3]));
    for (const reduction of ['max', 'min', 'add'] as ScatterReduction[]) b.output(reduction, b.add1({ kind: 'scatter_nd', reduction }, [data, idx, upd]));
    await expectAgree(b.build(), { data: host('float32', [4], [1, NaN, -0, 3]), idx: host('int64', [3, 1], [0, 2, 3]), upd: host('float32', [3], [NaN, 0, -Infinity]) });
  });
  it('an index out of range traps (as the interpreter raises), also an int64 one that would wrap into range', async () => {
    for (const [dtype, bad] of [['int64', 4n], ['int64', 2n ** 32n], ['int64', -5n], ['int32', 4]] as const) {
      const b = new GraphBuilder();
      const data = b.input('data', tensorType('float32', [4]));
      const idx = b.input('idx', tensorType(dtype, [1]));
      const upd = b.input('upd', tensorType('float32', [1]));
      b.output('y', b.add1({ kind: 'scatter_elements', axis: 0, reduction: 'none' }, [data, idx, upd]));
      const g = b.build();
      const feeds = { data: host('float32', [4], [1, 2, 3, 4]), idx: host(dtype, [1], [bad]), upd: host('float32', [1], [9]) };
      expect(() => interpret(g, feeds)).toThrow(/scatter_elements index/);
      await expect(runCompiled(g, feeds)).rejects.toThrow();
    }
  });
});

describe('gather_nd', () => {
  it('tuples of every length, batch dims, negative indices', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2, 3, 4]));
    const xi = b.input('xi', tensorType('int64', [2, 3, 4]));
    const i1 = b.input('i1', tensorType('int64', [2, 1]));
    const i2 = b.input('i2', tensorType('int32', [3, 2]));
    const i3 = b.input('i3', tensorType('int64', [2, 2, 3]));
    const ib = b.input('ib', tensorType('int64', [2, 2, 1])); // batch_dims 1: per batch, rows of [3, 4]
    b.output('g1', b.add1({ kind: 'gather_nd', batchDims: 0 }, [x, i1]));
    b.output('g2', b.add1({ kind: 'gather_nd', batchDims: 0 }, [x, i2]));
    b.output('g3', b.add1({ kind: 'gather_nd', batchDims: 0 }, [xi, i3]));
    b.output('gb', b.add1({ kind: 'gather_nd', batchDims: 1 }, [x, ib]));
    const feeds = {
      x: host('float32', [2, 3, 4], ints(24, -50, 50, 5).map((v) => v / 3)), xi: host('int64', [2, 3, 4], ints(24, -50, 50, 6)),
      i1: host('int64', [2, 1], [1, -2]), i2: host('int32', [3, 2], [0, 2, 1, -1, -2, 0]),
      i3: host('int64', [2, 2, 3], [0, 0, 0, 1, 2, 3, -1, -1, -1, 0, 1, 2]), ib: host('int64', [2, 2, 1], [2, 0, -1, 1]),
    };
    await expectAgree(b.build(), feeds);
  });
  it('an index out of range traps', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2, 3]));
    const i = b.input('i', tensorType('int64', [1, 2]));
    b.output('y', b.add1({ kind: 'gather_nd', batchDims: 0 }, [x, i]));
    const g = b.build();
    const feeds = { x: host('float32', [2, 3], [1, 2, 3, 4, 5, 6]), i: host('int64', [1, 2], [1, 3]) };
    expect(() => interpret(g, feeds)).toThrow(/gather_nd index/);
    await expect(runCompiled(g, feeds)).rejects.toThrow();
  });
});

describe('bitcast', () => {
  it('reinterprets bits between dtypes of one width, as an output and feeding another kernel', async () => {
    const b = new GraphBuilder();
    const f = b.input('f', tensorType('float32', [5]));
    const i = b.input('i', tensorType('int32', [5]));
    const d = b.input('d', tensorType('float64', [2]));
    const u8 = b.input('u8', tensorType('uint8', [4]));
    const cast = (x: ValueId, to: DType, shape: number[]) => b.add1({ kind: 'bitcast' }, [x], [tensorType(to, shape)]);
    b.output('f2i', cast(f, 'int32', [5]));
    b.output('i2f', cast(i, 'float32', [5]));
    b.output('i2u', cast(i, 'uint32', [5]));
    b.output('d2l', cast(d, 'int64', [2]));
    b.output('u2b', cast(u8, 'bool', [4]));
    b.output('u2i8', cast(u8, 'int8', [4]));
    // a bitcast value read by a later kernel: the alias must be read with its own dtype
    b.output('sum', b.add1({ kind: 'map', expr: { k: 'bin', op: 'add', a: { k: 'arg', i: 0 }, b: { k: 'arg', i: 1 } } }, [cast(f, 'int32', [5]), i]));
    const feeds = {
      f: host('float32', [5], [1, -2.5, 0, -0, 3.4028234663852886e38]), i: host('int32', [5], [0, 1, -1, 0x7f800000, 1065353216]),
      d: host('float64', [2], [Math.PI, -1e300]), u8: host('uint8', [4], [0, 1, 5, 255]),
    };
    await expectAgree(b.build(), feeds);
  });
});

describe('quantize and dequantize', () => {
  const SCHEMES = [
    { name: 'tensor', axis: null, blockSize: null, scale: [] as number[] },
    { name: 'axis1', axis: 1, blockSize: null, scale: [5] },
    { name: 'axis0', axis: 0, blockSize: null, scale: [3] },
    { name: 'block2', axis: 1, blockSize: 2, scale: [3, 3] }, // 5 = 2 + 2 + a partial block of 1
    { name: 'block5', axis: 1, blockSize: 5, scale: [3, 1] },
    { name: 'block3_axis0', axis: 0, blockSize: 2, scale: [2, 5] },
  ];
  const shape = [3, 5];
  const count = (s: number[]) => s.reduce((a, c) => a * c, 1);
  // Ties (x / scale = k + 0.5) round to even, values beyond the code range saturate, NaN gives the zero point's 0.
  const xs = [1.25, -1.25, 0.75, 2.5, -3.5, 1000, -1000, NaN, 0.1, -0.3, 7.75, 1e9, -1e9, 0, -0];
  for (const code of ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32'] as DType[]) {
    it(`quantize to ${code}: per tensor, per axis, blocked; with and without zero point`, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType('float32', shape));
      for (const s of SCHEMES) {
        const scale = b.input(`scale_${s.name}`, tensorType('float32', s.scale));
        const zp = b.input(`zp_${s.name}`, tensorType(code, s.scale));
        const scheme = { axis: s.axis, blockSize: s.blockSize, saturate: true };
        b.output(`q_${s.name}`, b.add1({ kind: 'quantize', scheme }, [x, scale, zp]));
        b.output(`qn_${s.name}`, b.add1({ kind: 'quantize', scheme }, [x, scale], [tensorType(code, shape)]));
      }
      const feeds: Record<string, HostTensor> = { x: host('float32', shape, xs) };
      const unsigned = code.startsWith('u');
      for (const s of SCHEMES) {
        feeds[`scale_${s.name}`] = host('float32', s.scale, ints(count(s.scale), 1, 4, 9).map((v) => v / 2));
        feeds[`zp_${s.name}`] = host(code, s.scale, ints(count(s.scale), unsigned ? 0 : -3, 3, 11));
      }
      await expectAgree(b.build(), feeds);
    });
    it(`dequantize from ${code}: per tensor, per axis, blocked; with and without zero point`, async () => {
      const b = new GraphBuilder();
      const x = b.input('x', tensorType(code, shape));
      for (const s of SCHEMES) {
        const scale = b.input(`scale_${s.name}`, tensorType('float32', s.scale));
        const zp = b.input(`zp_${s.name}`, tensorType(code, s.scale));
        const scheme = { axis: s.axis, blockSize: s.blockSize, saturate: true };
        b.output(`d_${s.name}`, b.add1({ kind: 'dequantize', scheme }, [x, scale, zp]));
        b.output(`dn_${s.name}`, b.add1({ kind: 'dequantize', scheme }, [x, scale]));
      }
      const unsigned = code.startsWith('u');
      const big = code.endsWith('32');
      // 32-bit codes beyond 2^24 lose bits in the float32 widening, as the reference's do
      const codes = ints(15, unsigned ? 0 : -100, 100, 13).map((v, i) => (big && i % 4 === 0 ? v * 1234567 + (unsigned ? 2 ** 31 : 0) : v));
      const feeds: Record<string, HostTensor> = { x: host(code, shape, codes) };
      for (const s of SCHEMES) {
        feeds[`scale_${s.name}`] = host('float32', s.scale, ints(count(s.scale), 1, 7, 17).map((v) => v / 3));
        feeds[`zp_${s.name}`] = host(code, s.scale, ints(count(s.scale), unsigned ? 0 : -3, 3, 19));
      }
      await expectAgree(b.build(), feeds);
    });
  }
  it('float64 input and scale', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float64', [4]));
    const scale = b.input('scale', tensorType('float64', []));
    const zp = b.input('zp', tensorType('int8', []));
    const q = b.add1({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, scale, zp]);
    b.output('q', q);
    b.output('d', b.add1({ kind: 'dequantize', scheme: { axis: null, blockSize: null, saturate: true } }, [q, scale, zp]));
    await expectAgree(b.build(), { x: host('float64', [4], [0.1, 2.5, -300, 1 / 3]), scale: host('float64', [], [0.1]), zp: host('int8', [], [3]) });
  });
});

describe('pad modes edge, reflect, wrap', () => {
  const count = (s: number[]) => s.reduce((a, c) => a * c, 1);
  const cases: { shape: number[]; low: number[]; high: number[] }[] = [
    { shape: [3, 4], low: [1, 2], high: [2, 1] },
    { shape: [3, 4], low: [0, 7], high: [5, 0] }, // pads longer than the axis
    { shape: [3, 4], low: [-1, 2], high: [1, -2] }, // negative pads crop first
    { shape: [1, 3], low: [2, 0], high: [1, 3] }, // an axis of one element
    { shape: [2, 3, 4], low: [1, 0, 3], high: [0, 2, 1] },
    { shape: [2, 12], low: [0, 10], high: [1, 9] }, // long reversed and repeated runs along the contiguous axis
  ];
  for (const mode of ['edge', 'reflect', 'wrap'] as const) {
    it(mode, async () => {
      const b = new GraphBuilder();
      const feeds: Record<string, HostTensor> = {};
      cases.forEach((c, i) => {
        const dtype: DType = i % 2 === 0 ? 'float32' : 'int64';
        const x = b.input(`x${i}`, tensorType(dtype, c.shape));
        b.output(`y${i}`, b.add1({ kind: 'pad', mode, low: c.low, high: c.high, interior: c.shape.map(() => 0), value: 0 }, [x]));
        feeds[`x${i}`] = host(dtype, c.shape, ints(count(c.shape), -99, 99, i + 1));
      });
      await expectAgree(b.build(), feeds);
    });
  }
});

describe('empty tensors', () => {
  it('edge pad, quantize, cumulative, scatter and gather_nd of zero-size tensors still produce their outputs', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [0, 3]));
    const data = b.input('data', tensorType('float32', [2, 3]));
    const idx = b.input('idx', tensorType('int64', [0, 3]));
    const upd = b.input('upd', tensorType('float32', [0, 3]));
    const scale = b.input('scale', tensorType('float32', []));
    b.output('pad', b.add1({ kind: 'pad', mode: 'edge', low: [0, 1], high: [0, 1], interior: [0, 0], value: 0 }, [x]));
    b.output('q', b.add1({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [x, scale], [tensorType('int8', [0, 3])]));
    b.output('cum', b.add1({ kind: 'cumulative', reducer: 'add', axis: 0, exclusive: false, reverse: false }, [x]));
    b.output('scatter', b.add1({ kind: 'scatter_elements', axis: 0, reduction: 'add' }, [data, idx, upd]));
    b.output('gnd', b.add1({ kind: 'gather_nd', batchDims: 0 }, [data, b.add1({ kind: 'reshape' }, [idx], [tensorType('int64', [0, 1])])]));
    await expectAgree(b.build(), {
      x: host('float32', [0, 3], []), data: host('float32', [2, 3], [1, 2, 3, 4, 5, 6]), idx: host('int64', [0, 3], []), upd: host('float32', [0, 3], []), scale: host('float32', [], [0.5]),
    });
  });
});

describe('typed refusals', () => {
  const refused = (op: Op, inputTypes: ReturnType<typeof tensorType>[], declared?: ReturnType<typeof tensorType>[]) => {
    const b = new GraphBuilder();
    b.origin = { opType: 'Test', node: 'n1' };
    const ins = inputTypes.map((t, i) => b.input(`x${i}`, t));
    b.output('y', b.add1(op, ins, declared));
    let err: unknown;
    try {
      compileGraph(b.build());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe('UNSUPPORTED_OP');
    expect((err as CompileError).node).toBe('n1');
    return (err as CompileError).message;
  };
  it('quantize to int64 codes', () => {
    expect(refused({ kind: 'quantize', scheme: { axis: null, blockSize: null, saturate: true } }, [tensorType('float32', [2]), tensorType('float32', [])], [tensorType('int64', [2])])).toMatch(/quantize to int64 codes/);
  });
  it('a reflect pad that would need too many copy kernels', () => {
    expect(refused({ kind: 'pad', mode: 'reflect', low: [600], high: [0], interior: [0], value: 0 }, [tensorType('float32', [2])])).toMatch(/copy kernels/);
  });
});
