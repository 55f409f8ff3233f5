// The decoder against ONNX's own backend test data: every model decodes (or fails with a CompileError), its
// graph matches index.json and an independent protobufjs-reflection decode node for node, every TensorProto
// .pb matches the reflection decode value for value, and truncated models fail only with CompileError.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError, type DType, type HostTensor } from '@tensorc/ir';
import type { AttrValue } from '../convert/attributes.js';
import type { LoweringGraph, LoweringType } from '../lowering-model.js';
import { decodeTensorProto, toLoweringModel } from './index.js';
import {
  BACKEND_TESTS, decodeModelMessage, decodeTensorMessage, haveBackendTests, referenceGraphSummary, referenceTensor,
} from './__tests__/reference-decoder.js';

interface IndexType { kind: string; dtype?: string; shape?: (number | string | null)[] | null; elem?: IndexType | null }
interface IndexTest {
  suite: string;
  name: string;
  model: string;
  ir_version: number;
  opset: Record<string, number>;
  ops: string[];
  subgraph_ops?: string[];
  inputs: { name: string; type: IndexType }[];
  outputs: { name: string; type: IndexType }[];
  data_sets: { dir: string; inputs: { kind: string; dtype?: string; dims?: number[] }[]; outputs: { kind: string; dtype?: string; dims?: number[] }[] }[];
}

const dtypeOf = (onnxName: string): DType =>
  (onnxName === 'FLOAT' ? 'float32' : onnxName === 'DOUBLE' ? 'float64' : onnxName.toLowerCase()) as DType;

function indexType(t: IndexType | null | undefined): LoweringType | null {
  if (t === null || t === undefined) return null;
  switch (t.kind) {
    case 'tensor': return { kind: 'tensor', dtype: dtypeOf(t.dtype!), shape: t.shape ?? null };
    case 'sequence': return { kind: 'sequence', elem: indexType(t.elem) };
    case 'optional': return { kind: 'optional', elem: indexType(t.elem) };
    default: return { kind: 'unknown' };
  }
}

const opName = (n: { opType: string; domain: string }): string => (n.domain === '' ? n.opType : `${n.domain}:${n.opType}`);

function subgraphOps(g: LoweringGraph, out: Set<string>): void {
  for (const n of g.nodes) {
    for (const a of n.attributes.values()) {
      const gs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
      for (const sg of gs as LoweringGraph[]) {
        for (const m of sg.nodes) out.add(opName(m));
        subgraphOps(sg, out);
      }
    }
  }
}

/** The decoder's graph in the reference's summary shape. */
function summary(g: LoweringGraph): unknown {
  const attr = (a: AttrValue): unknown =>
    a.kind === 'graph' ? { kind: 'graph', value: summary(a.value as LoweringGraph) }
      : a.kind === 'graphs' ? { kind: 'graphs', value: (a.value as LoweringGraph[]).map(summary) }
        : a;
  return g.nodes.map((n) => ({
    opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs,
    attributes: Object.fromEntries([...n.attributes].map(([k, v]) => [k, attr(v)])),
  }));
}

/** Same dtype, shape and elements (NaN equals NaN; -0 differs from 0), without building big plain arrays. */
function expectSameTensor(a: HostTensor, b: HostTensor, what: string): void {
  expect([a.dtype, a.shape, a.data.constructor.name, a.data.length], what).toEqual([b.dtype, b.shape, b.data.constructor.name, b.data.length]);
  const x = a.data as ArrayLike<unknown>;
  const y = b.data as ArrayLike<unknown>;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) expect(x[i], `${what} element ${i}`).toBe(y[i]);
  }
}

describe.skipIf(!haveBackendTests())('ONNX backend test data', () => {
  if (!haveBackendTests()) console.warn(`ONNX backend tests not found at ${BACKEND_TESTS}; skipping`);
  const index = haveBackendTests()
    ? (JSON.parse(fs.readFileSync(path.join(BACKEND_TESTS, 'index.json'), 'utf8')) as { tests: IndexTest[] }).tests
    : [];

  it('decodes node/test_add: one Add node', () => {
    const m = toLoweringModel(fs.readFileSync(path.join(BACKEND_TESTS, 'node/test_add/model.onnx')));
    expect(m.graph.nodes).toHaveLength(1);
    const n = m.graph.nodes[0]!;
    expect([n.opType, n.domain, n.inputs, n.outputs]).toEqual(['Add', '', ['x', 'y'], ['sum']]);
    expect(m.graph.inputs.map((i) => i.name)).toEqual(['x', 'y']);
    expect(m.graph.inputs[0]!.type).toEqual({ kind: 'tensor', dtype: 'float32', shape: [3, 4, 5] });
    expect(m.opsets.get('')).toBeGreaterThan(0);
  });

  it('every model decodes, matching index.json and a reflection decode', () => {
    const failures: string[] = [];
    const start = Date.now();
    for (const t of index) {
      const bytes = fs.readFileSync(path.join(BACKEND_TESTS, t.model));
      let m;
      try {
        m = toLoweringModel(bytes, path.dirname(path.join(BACKEND_TESTS, t.model)));
      } catch (e) {
        if (!(e instanceof CompileError)) throw new Error(`${t.model}: ${String(e)}`);
        failures.push(`${t.name}: ${e.code} ${e.message}`);
        continue;
      }
      expect(m.irVersion, t.name).toBe(t.ir_version);
      expect(Object.fromEntries(m.opsets), t.name).toEqual(
        Object.fromEntries(Object.entries(t.opset).map(([d, v]) => [d === 'ai.onnx' ? '' : d, v])),
      );
      expect([...new Set(m.graph.nodes.map(opName))].sort(), t.name).toEqual([...t.ops].sort());
      const sub = new Set<string>();
      subgraphOps(m.graph, sub);
      expect([...sub].sort(), t.name).toEqual([...(t.subgraph_ops ?? [])].sort());
      expect(m.graph.inputs.map((i) => [i.name, i.type]), t.name).toEqual(t.inputs.map((i) => [i.name, indexType(i.type)]));
      expect(m.graph.outputs.map((i) => [i.name, i.type]), t.name).toEqual(t.outputs.map((i) => [i.name, indexType(i.type)]));
      // Node for node, attribute for attribute, against protobufjs reflection.
      const ref = decodeModelMessage(bytes);
      expect(summary(m.graph), t.name).toEqual(referenceGraphSummary(ref.graph));
      const refInits = (ref.graph.initializer ?? []) as { name: string }[];
      expect(m.graph.initializers.map((i) => i.name), t.name).toEqual(refInits.map((i) => i.name));
      m.graph.initializers.forEach((init, i) => expectSameTensor(init.value, referenceTensor(refInits[i]), `${t.name}/${init.name}`));
    }
    // Only sparse-tensor attributes (Constant's sparse_value) are expected to be refused.
    expect(failures.filter((f) => !/sparse/.test(f))).toEqual([]);
    console.log(`decoded ${index.length} models in ${Date.now() - start} ms; refused ${failures.length}: ${failures.join('; ')}`);
  });

  it('every tensor .pb decodes like the reflection decode', () => {
    let count = 0;
    for (const t of index) {
      if (t.suite === 'light') continue;
      for (const ds of t.data_sets) {
        const dir = path.join(BACKEND_TESTS, path.dirname(t.model), ds.dir);
        const files = [
          ...ds.inputs.map((v, i) => [v, `input_${i}.pb`] as const),
          ...ds.outputs.map((v, i) => [v, `output_${i}.pb`] as const),
        ];
        for (const [v, file] of files) {
          if (v.kind !== 'tensor') continue;
          const bytes = fs.readFileSync(path.join(dir, file));
          const mine = decodeTensorProto(bytes).value;
          expect([mine.dtype, mine.shape], `${t.name}/${file}`).toEqual([dtypeOf(v.dtype!), v.dims]);
          expectSameTensor(mine, referenceTensor(decodeTensorMessage(bytes)), `${t.name}/${file}`);
          count++;
        }
      }
    }
    expect(count).toBeGreaterThan(3000);
  });

  it('truncated models fail only with CompileError', () => {
    for (const model of ['node/test_add/model.onnx', 'node/test_if_seq/model.onnx', 'simple/test_sequence_model1/model.onnx']) {
      const bytes = fs.readFileSync(path.join(BACKEND_TESTS, model));
      for (let cut = 0; cut < bytes.length; cut++) {
        try {
          toLoweringModel(bytes.subarray(0, cut));
        } catch (e) {
          if (!(e instanceof CompileError)) throw new Error(`${model} cut at ${cut}: ${String(e)}`);
          expect(e.code).toBe('INVALID_MODEL');
        }
      }
    }
  });

  it('models with flipped bytes fail only with CompileError', () => {
    const bytes = fs.readFileSync(path.join(BACKEND_TESTS, 'node/test_if_seq/model.onnx'));
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const b = Uint8Array.from(bytes);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256);
      try {
        toLoweringModel(b);
      } catch (e) {
        if (!(e instanceof CompileError)) throw new Error(`trial ${trial}: ${String(e)}`);
      }
    }
  });
});
