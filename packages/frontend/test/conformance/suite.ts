// The ONNX backend test suite on disk (ONNX_BACKEND_TESTS, default ../shared/onnx-backend-tests next to the
// repo): its cases from index.json, and how to load a case's model, feeds and expected outputs.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostTensor, RuntimeValue } from '@tensorc/ir';
import { toLoweringModel } from '../../src/onnx/index.js';
import type { LoweringModel } from '../../src/lowering-model.js';
import { readValue } from './read-value.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function suiteDir(): string | undefined {
  const dir = process.env['ONNX_BACKEND_TESTS'] ?? path.resolve(REPO_ROOT, '../shared/onnx-backend-tests');
  return fs.existsSync(path.join(dir, 'index.json')) ? dir : undefined;
}

export interface SuiteCase {
  readonly suite: string;
  readonly name: string;
  /** Model path relative to the suite folder. */
  readonly model: string;
  readonly ops: readonly string[];
}

export function listCases(dir: string): SuiteCase[] {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { tests: { suite: string; name: string; model: string; ops: string[]; subgraph_ops?: string[]; function_ops?: string[] }[] };
  return index.tests.map((t) => ({ suite: t.suite, name: t.name, model: t.model, ops: [...new Set([...t.ops, ...(t.subgraph_ops ?? []), ...(t.function_ops ?? [])])] }));
}

export interface LoadedCase {
  readonly model: LoweringModel;
  readonly bytes: Uint8Array;
  readonly dataSets: { readonly feeds: Record<string, RuntimeValue>; readonly expected: RuntimeValue[] }[];
}

/** light/ models have no input files: ONNX's runner feeds arange(n).reshape(shape) / n (float32), symbolic dims = 1. */
function lightFeed(shape: readonly (number | string | null)[]): HostTensor {
  const dims = shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape: dims, data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.fround(i) / Math.fround(n))) };
}

export function loadCase(dir: string, c: SuiteCase): LoadedCase {
  const modelPath = path.join(dir, c.model);
  const bytes = new Uint8Array(fs.readFileSync(modelPath));
  const model = toLoweringModel(bytes, path.dirname(modelPath));
  const inits = new Set(model.graph.initializers.map((i) => i.name));
  const realInputs = model.graph.inputs.filter((i) => !inits.has(i.name));
  if (c.suite === 'light') {
    const feeds: Record<string, RuntimeValue> = {};
    for (const i of realInputs) {
      if (i.type.kind !== 'tensor' || i.type.shape === null) throw new Error(`light input ${i.name} has no shape`);
      feeds[i.name] = lightFeed(i.type.shape);
    }
    const out = new Uint8Array(fs.readFileSync(path.join(dir, `light/${c.name}_output_0.pb`)));
    return { model, bytes, dataSets: [{ feeds, expected: [readValue(out, model.graph.outputs[0]!.type)] }] };
  }
  const caseDir = path.dirname(modelPath);
  const sets = fs.readdirSync(caseDir).filter((f) => f.startsWith('test_data_set_')).sort();
  const dataSets = sets.map((s) => {
    const feeds: Record<string, RuntimeValue> = {};
    realInputs.forEach((inp, i) => {
      const f = path.join(caseDir, s, `input_${i}.pb`);
      if (fs.existsSync(f)) feeds[inp.name] = readValue(new Uint8Array(fs.readFileSync(f)), inp.type);
    });
    const expected = model.graph.outputs.map((o, i) => readValue(new Uint8Array(fs.readFileSync(path.join(caseDir, s, `output_${i}.pb`))), o.type));
    return { feeds, expected };
  });
  return { model, bytes, dataSets };
}
