// Evaluates a conformance case compiled: the wasm backend builds the artifact and @tensorc/runtime runs it,
// with feeds and outputs converted between host tensors and runtime Tensors. Backend refusals are 'compile'.
// Only the baseline variant (model.wasm) is built and run; the relaxed-SIMD and threaded variants are
// checked against it and the interpreter by packages/backend/test/variants.test.ts.

import { compileGraph } from '@tensorc/backend';
import { CompileError, type HostTensor, type RuntimeValue, fromHostTensor, toHostTensor } from '@tensorc/ir';
import { InferenceSession, Tensor, type TensorType } from '@tensorc/runtime';
import { type Evaluate, StageError } from './run-case.js';

export const compiledEvaluate: Evaluate = async (graph, feeds) => {
  let artifact;
  try {
    artifact = compileGraph(graph, { threads: false, relaxedSimd: false });
  } catch (e) {
    throw new StageError('compile', e instanceof CompileError ? `${e.code}: ${e.message}` : String(e));
  }
  const session = await InferenceSession.create({ manifest: artifact.manifest, wasm: artifact.wasm, weights: artifact.weights });
  try {
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      if (v === null || Array.isArray(v)) throw new StageError('compile', 'sequence and optional feeds are not supported by compiled artifacts');
      const u = fromHostTensor(v as HostTensor);
      tensors[k] = new Tensor(u.type as TensorType, u.data as never, u.dims);
    }
    const out = await session.run(tensors);
    const result: Record<string, RuntimeValue> = {};
    for (const [k, t] of Object.entries(out)) result[k] = toHostTensor(t.type, [...t.dims], t.data as never);
    return result;
  } finally {
    await session.release();
  }
};
