// Test helpers for converter unit tests: a one-node ONNX model in any domain imported with importOnnx,
// deterministic pseudo-random tensors, and the code/message of the CompileError a call throws.

import { CompileError, type Graph, type HostTensor } from '@tensorc/ir';
import { importOnnx } from '../../src/import-onnx.js';
import { graph, model, node, tensorType, valueInfo } from '../../src/onnx/__tests__/proto-writer.js';

/** ONNX TensorProto element type codes. */
export const ONNX = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export interface Io {
  readonly name: string;
  readonly type: number;
  readonly shape: readonly (number | string)[];
}

export interface OneNode {
  readonly opType: string;
  readonly domain: string;
  /** Opset imports; default: [[domain, 1]]. */
  readonly opsets?: [string, number][];
  readonly inputs: readonly Io[];
  readonly outputs: readonly Io[];
  readonly attrs?: Uint8Array[];
}

export function oneNodeBytes(s: OneNode): Uint8Array {
  return model({
    opsets: s.opsets ?? [[s.domain, 1]],
    graph: graph({
      nodes: [node({ opType: s.opType, domain: s.domain, name: 'n', inputs: s.inputs.map((i) => i.name), outputs: s.outputs.map((o) => o.name), attrs: s.attrs ?? [] })],
      inputs: s.inputs.filter((i) => i.name !== '').map((i) => valueInfo(i.name, tensorType(i.type, i.shape))),
      outputs: s.outputs.filter((o) => o.name !== '').map((o) => valueInfo(o.name, tensorType(o.type, o.shape))),
    }),
  });
}

export function oneNode(s: OneNode): Graph {
  return importOnnx(oneNodeBytes(s));
}

/** Deterministic pseudo-random values in [lo, hi), rounded to float32 unless dtype is float64. */
export function rand(shape: number[], seed: number, lo = -1, hi = 1, dtype: 'float32' | 'float64' = 'float32'): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const data = Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = lo + (s / 2 ** 32) * (hi - lo);
    return dtype === 'float32' ? Math.fround(v) : v;
  });
  return { dtype, shape, data };
}

/** The CompileError thrown by f (or a description of what happened instead). */
export function errorOf(f: () => unknown): { code: string; message: string; opType?: string; node?: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return { code: e.code, message: e.message, opType: e.opType, node: e.node };
    throw e;
  }
  return { code: 'no error', message: '' };
}
