// Shared harness of the dtype tests: builds one-node-per-output graphs, runs them compiled (the baseline
// module, through @tensorc/runtime) and in the reference interpreter, and compares the outputs bit for bit
// (element codes for the coded dtypes; float32/float64 by value with NaN equal to NaN and -0 apart from 0).

import { expect } from 'vitest';
import {
  type DType, GraphBuilder, type HostTensor, type ScalarExpr, fromHostTensor, interpret, tensorType, toHostTensor,
} from '@tensorc/ir';
import { InferenceSession, Tensor, type TensorType } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

/** A feed given as the runtime's data array (codes for the coded dtypes), so every code reaches the module. */
export interface Feed {
  readonly type: DType;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

export interface OutputSpec {
  readonly name: string;
  /** Builds the output from the graph's inputs (by feed name). */
  readonly build: (b: GraphBuilder, inputs: Record<string, number>) => number;
}

/** Array class of the runtime's storage for a dtype. */
export function userArray(type: DType, values: ArrayLike<number | bigint>): Feed['data'] {
  const host = toHostTensorLoose(type, values);
  return fromHostTensor(host).data as Feed['data'];
}

function toHostTensorLoose(type: DType, values: ArrayLike<number | bigint>): HostTensor {
  if (type === 'int64') return { dtype: type, shape: [values.length], data: BigInt64Array.from(values as ArrayLike<bigint>, (v) => BigInt.asIntN(64, v)) };
  if (type === 'uint64') return { dtype: type, shape: [values.length], data: BigUint64Array.from(values as ArrayLike<bigint>, (v) => BigInt.asUintN(64, v)) };
  return { dtype: type, shape: [values.length], data: Float64Array.from(values as ArrayLike<number>) };
}

/** Every code of a 1-, 2-, 4-, 8- or 16-bit coded dtype, as the runtime's array. */
export function allCodes(type: DType, bits: number): Feed {
  const n = 2 ** bits;
  const data = bits === 16 ? Uint16Array.from({ length: n }, (_, i) => i) : Uint8Array.from({ length: n }, (_, i) => i);
  return { type, dims: [n], data };
}

/** A feed of values (exact values of the dtype; encoded into codes as a user would pass them). */
export function valuesFeed(type: DType, values: ArrayLike<number | bigint>, dims: readonly number[] = [values.length]): Feed {
  return { type, dims, data: userArray(type, values) };
}

const RUNTIME_TYPES: ReadonlySet<string> = new Set(['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'int4', 'uint4', 'int2', 'uint2', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1']);

/**
 * Builds a graph with the feeds as inputs and one output per spec, runs it compiled and interpreted, and
 * returns a description of every element that differs (empty when they agree bit for bit).
 */
export async function compareCompiled(feeds: Record<string, Feed>, outputs: readonly OutputSpec[], opts: { simplify?: boolean } = {}): Promise<string[]> {
  const b = new GraphBuilder();
  const ids: Record<string, number> = {};
  for (const [name, f] of Object.entries(feeds)) ids[name] = b.input(name, tensorType(f.type, [...f.dims]));
  for (const o of outputs) b.output(o.name, o.build(b, ids));
  const g = b.build();
  const hostFeeds = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, toHostTensor(f.type, [...f.dims], f.data as never)]));
  const want = interpret(g, hostFeeds);
  const artifact = compileGraph(g, { threads: false, relaxedSimd: false, simplify: opts.simplify ?? false });
  const session = await InferenceSession.create({ manifest: artifact.manifest, wasm: artifact.wasm, weights: artifact.weights });
  let got: Record<string, Tensor>;
  try {
    const tensors: Record<string, Tensor> = {};
    for (const [k, f] of Object.entries(feeds)) {
      if (!RUNTIME_TYPES.has(f.type)) throw new Error(`no runtime type ${f.type}`);
      tensors[k] = new Tensor(f.type as TensorType, f.data as never, [...f.dims]);
    }
    got = await session.run(tensors);
  } finally {
    await session.release();
  }
  const bad: string[] = [];
  for (const o of outputs) {
    const w = fromHostTensor(want[o.name] as HostTensor);
    const gt = got[o.name]!;
    expect(gt.type).toBe(w.type);
    expect([...gt.dims]).toEqual(w.dims);
    const wd = w.data as ArrayLike<number | bigint>;
    const gd = gt.data as ArrayLike<number | bigint>;
    for (let i = 0; i < wd.length; i++) {
      const x = gd[i]!;
      const y = wd[i]!;
      const same = typeof x === 'number' && typeof y === 'number' ? Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) : x === y;
      if (!same) bad.push(`${o.name}[${i}]: compiled ${String(x)}, interpreter ${String(y)}${describeInputs(feeds, gt.dims, i)}`);
    }
  }
  return bad;
}

/** The inputs at a flat output index (inputs of the output's shape or broadcast from [n,1] x [1,n]). */
function describeInputs(feeds: Record<string, Feed>, dims: readonly number[], i: number): string {
  const parts = Object.entries(feeds).map(([k, f]) => {
    const n = f.data.length;
    if (dims.length === 2 && f.dims.length === 2) return `${k}=${String(f.data[f.dims[0] === 1 ? i % dims[1]! : Math.floor(i / dims[1]!)]!)}`;
    return n === dims.reduce((a, c) => a * c, 1) ? `${k}=${String(f.data[i]!)}` : '';
  }).filter((s) => s);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Asserts agreement, printing the first few differences. */
export async function expectAgree(feeds: Record<string, Feed>, outputs: readonly OutputSpec[], opts: { simplify?: boolean } = {}): Promise<void> {
  const bad = await compareCompiled(feeds, outputs, opts);
  expect(bad.slice(0, 12), `${bad.length} differing elements`).toEqual([]);
}

/** An output computing `expr` elementwise over the named inputs (broadcast). */
export const mapOut = (name: string, expr: ScalarExpr, inputs: readonly string[]): OutputSpec => ({
  name, build: (b, ids) => b.map(expr, inputs.map((k) => ids[k]!)),
});
