// Det beyond the two conformance cases: random, batched, singular and pivot-demanding matrices of 1x1 to 6x6
// against cofactor expansion in float64 written here (a method independent of the LU lowering), in the
// interpreter and, for some, compiled to WebAssembly; plus the empty matrix and the typed errors.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { ONNX, type OneNode, errorOf, oneNode, rand } from './one-node-model.js';

const values = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

/** Determinant by cofactor expansion along the first row (float64). */
function cofactorDet(a: number[][]): number {
  const n = a.length;
  if (n === 0) return 1;
  if (n === 1) return a[0]![0]!;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const minor = a.slice(1).map((row) => row.filter((_, k) => k !== j));
    sum += (j % 2 === 0 ? 1 : -1) * a[0]![j]! * cofactorDet(minor);
  }
  return sum;
}

/** The matrices of x ([..., n, n]) as nested arrays, row-major. */
function matrices(x: readonly number[], n: number): number[][][] {
  const count = n === 0 ? 0 : x.length / (n * n);
  return Array.from({ length: count }, (_, b) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => x[(b * n + i) * n + j]!)));
}

const spec = (shape: (number | string)[], type: number = ONNX.FLOAT, outShape = shape.slice(0, -2)): OneNode => ({
  opType: 'Det', domain: '', opsets: [['', 13]], inputs: [{ name: 'x', type, shape }], outputs: [{ name: 'y', type, shape: outShape }],
});

async function det(x: HostTensor, compiled = false): Promise<number[]> {
  const g = oneNode(spec([...x.shape], x.dtype === 'float64' ? ONNX.DOUBLE : ONNX.FLOAT));
  const out = interpret(g, { x }) as Record<string, HostTensor>;
  expect(out['y']!.shape).toEqual(x.shape.slice(0, -2));
  if (compiled) {
    const c = (await compiledEvaluate(g, { x })) as Record<string, HostTensor>;
    expect(values(c['y']!)).toEqual(values(out['y']!));
  }
  return values(out['y']!);
}

/** |got - want| within rel of the matrix's scale (product of row norms bounds |det|). */
function close(got: number[], x: HostTensor, n: number, rel: number): void {
  const ms = matrices(values(x), n);
  ms.forEach((m, b) => {
    const scale = m.reduce((p, row) => p * Math.max(1e-300, Math.hypot(...row)), 1);
    expect(Math.abs(got[b]! - cofactorDet(m)), `matrix ${b}: ${JSON.stringify(m)} got ${got[b]} want ${cofactorDet(m)}`).toBeLessThanOrEqual(rel * scale);
  });
}

describe('Det', () => {
  for (const n of [1, 2, 3, 4, 5, 6]) {
    it(`random ${n}x${n}, float32 and float64, batched`, async () => {
      const x32 = rand([3, n, n], 10 + n, -2, 2);
      close(await det(x32, n === 4), x32, n, 1e-6);
      const x64 = rand([2, 2, n, n], 20 + n, -2, 2, 'float64');
      close(await det(x64), x64, n, 1e-13);
    });
  }

  it('pivoting: a zero leading entry, permutations and their signs', async () => {
    const cases: [number[][], number][] = [
      [[[0, 1], [1, 0]], -1],
      [[[0, 0, 1], [1, 0, 0], [0, 1, 0]], 1],
      [[[0, 1, 0], [1, 0, 0], [0, 0, 1]], -1],
      [[[0, 2, 3], [4, 5, 6], [7, 8, 10]], cofactorDet([[0, 2, 3], [4, 5, 6], [7, 8, 10]])],
      [[[1e-20, 1], [1, 1]], -1], // without pivoting this loses everything to rounding
    ];
    for (const [m, want] of cases) {
      const n = m.length;
      const got = await det({ dtype: 'float64', shape: [n, n], data: Float64Array.from(m.flat()) });
      expect(got[0]!, JSON.stringify(m)).toBeCloseTo(want, 12);
    }
  });

  it('singular matrices give 0, not NaN (a zero column skips its division)', async () => {
    const zeroColumn = [[0, 1, 2], [0, 3, 4], [0, 5, 6]];
    const zeroRow = [[1, 2, 3], [0, 0, 0], [4, 5, 6]];
    const x: HostTensor = { dtype: 'float32', shape: [2, 3, 3], data: Float64Array.from([...zeroColumn.flat(), ...zeroRow.flat()]) };
    // (-0 or 0 as the row swaps' sign falls; numpy's sign times the pivot product does the same.)
    expect((await det(x, true)).map((v) => v === 0)).toEqual([true, true]);
  });

  it('an empty matrix has determinant 1', async () => {
    expect(await det({ dtype: 'float32', shape: [2, 0, 0], data: new Float64Array(0) })).toEqual([1, 1]);
  });

  it('refuses non-square, rank-1 and integer inputs', () => {
    expect(errorOf(() => oneNode(spec([2, 3])))).toMatchObject({ code: 'SHAPE_ERROR', opType: 'Det', node: 'n' });
    expect(errorOf(() => oneNode(spec([3], ONNX.FLOAT, [])))).toMatchObject({ code: 'SHAPE_ERROR' });
    expect(errorOf(() => oneNode(spec([2, 2], ONNX.INT32)))).toMatchObject({ code: 'TYPE_ERROR' });
    expect(errorOf(() => oneNode(spec([4, 'n', 'n'])))).toMatchObject({ code: 'UNSUPPORTED_OP' });
  });
});
