// Test helpers for the signal converters: one-node ONNX models, a seeded generator, and the reference DFT
// written the slow, obvious way (a complex sum per output element in float64), independent of the
// converters' twiddle tables.

import { type DType, type HostTensor, interpret } from '@tensorc/ir';
import type { AttrValue } from '../../src/convert/attributes.js';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel } from '../../src/lowering-model.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function randomTensor(random: () => number, dtype: DType, shape: number[]): HostTensor {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return { dtype, shape, data: Float64Array.from({ length: numel(shape) }, () => round(random() * 2 - 1)) };
}

export const int64 = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });

export interface OneNode {
  readonly op: string;
  readonly opset: number;
  /** Node inputs in order; '' for an omitted optional one. */
  readonly inputs: readonly string[];
  /** Graph inputs (fed at run time) with their dtypes and shapes. */
  readonly graphInputs: readonly { name: string; dtype: DType; shape: readonly number[] }[];
  /** Compile-time values by name. */
  readonly initializers?: Record<string, HostTensor>;
  readonly attrs?: Record<string, number>;
}

/** A model with one node whose single output is "y". */
export function oneNodeModel(n: OneNode): LoweringModel {
  const attributes = new Map<string, AttrValue>(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, { kind: 'int', value: v }]));
  return {
    irVersion: 9, producer: 'test', opsets: new Map([['', n.opset]]),
    graph: {
      name: 'g', valueInfo: new Map(),
      initializers: Object.entries(n.initializers ?? {}).map(([name, value]) => ({ name, value })),
      inputs: n.graphInputs.map((i) => ({ name: i.name, type: { kind: 'tensor' as const, dtype: i.dtype, shape: [...i.shape] } })),
      outputs: [{ name: 'y', type: { kind: 'unknown' } }],
      nodes: [{ opType: n.op, domain: '', name: 'n0', inputs: [...n.inputs], outputs: ['y'], attributes }],
    },
  };
}

export async function runOneNode(n: OneNode, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  return (await interpret(lowerModel(oneNodeModel(n)), feeds))['y'] as HostTensor;
}

export interface DftSpec {
  readonly axis: number;
  /** DFT length (after the converter's defaulting). */
  readonly n: number;
  readonly inverse: boolean;
  readonly onesided: boolean;
}

/**
 * The DFT of x ([..., L, ..., C], C = 1 or 2) along `axis` by definition: zero-pad or truncate to n, sum
 * x[m] e^(-+2 pi i k m / n) (inverse divided by n); onesided forward keeps n/2+1 bins; onesided inverse
 * rebuilds the Hermitian spectrum from the given bins and returns its real inverse ([..., n, ..., 1]).
 */
export function naiveDft(x: HostTensor, s: DftSpec): { shape: number[]; data: Float64Array } {
  const shape = x.shape;
  const r = shape.length;
  const C = shape[r - 1]!;
  const L = shape[s.axis]!;
  const outer = numel(shape.slice(0, s.axis));
  const inner = numel(shape.slice(s.axis + 1, r - 1));
  const irfft = s.inverse && s.onesided;
  const K = s.onesided && !s.inverse ? Math.floor(s.n / 2) + 1 : s.n;
  const D = irfft ? 1 : 2;
  const out = new Float64Array(outer * K * inner * D);
  const xd = x.data as Float64Array;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const re = new Float64Array(s.n);
      const im = new Float64Array(s.n);
      const at = (m: number, c: number) => ((o * L + m) * inner + i) * C + c;
      if (irfft) {
        for (let k = 0; k <= Math.floor(s.n / 2) && k < L; k++) {
          re[k] = xd[at(k, 0)]!;
          im[k] = C === 2 ? xd[at(k, 1)]! : 0;
          if (k > 0 && 2 * k !== s.n) { re[s.n - k] = re[k]!; im[s.n - k] = -im[k]!; }
        }
      } else {
        for (let m = 0; m < Math.min(L, s.n); m++) { re[m] = xd[at(m, 0)]!; im[m] = C === 2 ? xd[at(m, 1)]! : 0; }
      }
      const sign = s.inverse ? 1 : -1;
      for (let k = 0; k < K; k++) {
        let yr = 0;
        let yi = 0;
        for (let m = 0; m < s.n; m++) {
          const a = (sign * 2 * Math.PI * k * m) / s.n;
          yr += re[m]! * Math.cos(a) - im[m]! * Math.sin(a);
          yi += re[m]! * Math.sin(a) + im[m]! * Math.cos(a);
        }
        const scale = s.inverse ? 1 / s.n : 1;
        const base = ((o * K + k) * inner + i) * D;
        out[base] = yr * scale;
        if (D === 2) out[base + 1] = yi * scale;
      }
    }
  }
  const outShape = shape.map((d, j) => (j === s.axis ? K : j === r - 1 ? D : d));
  return { shape: outShape, data: out };
}

/** Largest |got - want| relative to the largest |want| (and at least 1). */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
  return err / scale;
}
