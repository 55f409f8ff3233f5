// Shared helpers of the named bad-input tests: a tiny model builder over the test proto writer and
// expectCompileError, which checks the code, that the message names the node, op and reason, and the time.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError, type ErrorCode } from '@tensorc/ir';
import { expect } from 'vitest';
import { importOnnx, type ImportOptions } from '../../src/import-onnx.js';
import { graph, le, model, tensor, tensorType, valueInfo } from '../../src/onnx/__tests__/proto-writer.js';

export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;
export const TEN_BILLION = 10_000_000_000;
export const MLP = new Uint8Array(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/mlp/model.onnx')));

export interface Expected {
  readonly code: ErrorCode;
  /** The ONNX node the error must name (omitted for model-level errors). */
  readonly node?: string;
  readonly op?: string;
  readonly reason: RegExp;
}

/** Runs `fn`, which must throw a CompileError matching `want`, within `ms` milliseconds. */
export function expectCompileError(fn: () => unknown, want: Expected, ms = 5_000): CompileError {
  const t0 = performance.now();
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  const took = performance.now() - t0;
  if (!(thrown instanceof CompileError)) {
    throw new Error(`expected a CompileError ${want.code}, got ${thrown === undefined ? 'success' : String((thrown as Error)?.stack ?? thrown)}`);
  }
  expect({ code: thrown.code, message: thrown.message }).toEqual({ code: want.code, message: expect.stringMatching(want.reason) });
  if (want.node !== undefined) {
    expect(thrown.node).toBe(want.node);
    expect(thrown.message).toContain(`"${want.node}"`);
  }
  if (want.op !== undefined) {
    expect(thrown.opType).toBe(want.op);
    expect(thrown.message).toContain(want.op);
  }
  expect(took).toBeLessThan(ms);
  return thrown;
}

export const importing = (bytes: Uint8Array, opts?: ImportOptions) => () => importOnnx(bytes, opts);

/** A model around `nodes` with float inputs/outputs given as [name, shape]. */
export function modelOf(
  nodes: Uint8Array[],
  io: { inputs?: [string, number, (number | string | null)[]][]; outputs?: [string, number, (number | string | null)[]][]; initializers?: Uint8Array[] },
  opset = 18,
): Uint8Array {
  return model({
    opsets: [['', opset]],
    graph: graph({
      nodes,
      inputs: (io.inputs ?? []).map(([n, t, s]) => valueInfo(n, tensorType(t, s))),
      outputs: (io.outputs ?? []).map(([n, t, s]) => valueInfo(n, tensorType(t, s))),
      initializers: io.initializers ?? [],
    }),
  });
}

export const i64 = (name: string, values: number[], dims = [values.length]) => tensor({ name, dims, dataType: INT64, int64Data: values });
export const f32 = (name: string, values: number[], dims = [values.length]) => tensor({ name, dims, dataType: FLOAT, raw: le(new Float32Array(values)) });
