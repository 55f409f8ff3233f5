// Named bad inputs: each must end in a typed CompileError with the right code whose message names the node,
// the op and the reason — never an uncaught exception, a hang or an out-of-memory. Covers bytes that are not
// (or no longer) a model, unknown ops and domains, unsupported attribute values, dtype and shape errors,
// cycles and missing values, tensors of ten billion elements, deep nesting and huge loop trip counts.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError, type ErrorCode, type HostTensor, interpret } from '@tensorc/ir';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { importOnnx, type ImportOptions } from '../src/import-onnx.js';
import {
  attr, f, functionProto, graph, le, model, msg, node, sequenceType, sub, tensor, tensorType, valueInfo,
} from '../src/onnx/__tests__/proto-writer.js';

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const TEN_BILLION = 10_000_000_000;
const MLP = new Uint8Array(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/mlp/model.onnx')));

interface Expected {
  readonly code: ErrorCode;
  /** The ONNX node the error must name (omitted for model-level errors). */
  readonly node?: string;
  readonly op?: string;
  readonly reason: RegExp;
}

/** Runs `fn`, which must throw a CompileError matching `want`, within `ms` milliseconds. */
function expectCompileError(fn: () => unknown, want: Expected, ms = 5_000): CompileError {
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

const importing = (bytes: Uint8Array, opts?: ImportOptions) => () => importOnnx(bytes, opts);

/** A model around `nodes` with float inputs/outputs given as [name, shape]. */
function modelOf(
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

const i64 = (name: string, values: number[], dims = [values.length]) => tensor({ name, dims, dataType: INT64, int64Data: values });
const f32 = (name: string, values: number[], dims = [values.length]) => tensor({ name, dims, dataType: FLOAT, raw: le(new Float32Array(values)) });

describe('bytes that are not (or no longer) an ONNX model', () => {
  it.each([
    ['empty input', new Uint8Array(0), /the input is empty/],
    ['a PNG header', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /not an ONNX model/],
    ['JSON text', new TextEncoder().encode('{"graph": {"node": []}}'), /not an ONNX model/],
    ['a valid protobuf without a graph', msg(f.int(1, 8), f.str(2, 'pytorch')), /no graph/],
    ['a length prefix claiming 2^60 bytes', Uint8Array.from([0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 2, 3]), /claims 1152921504606846976 bytes/],
    // 10^5 nested start-group tags in an unknown field: refused at once, not skipped by recursion.
    ['nested protobuf groups', Uint8Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 0xfb : 0x07)), /ONNX uses no groups/],
    // 2^32 + 3 must not be read as 3 (its low 32 bits), which would frame the next bytes as a graph.
    ['a length prefix of 2^32 + 3', Uint8Array.from([0x3a, 0x83, 0x80, 0x80, 0x80, 0x10, 0x12, 0x01, 0x67]), /claims 4294967299 bytes/],
  ])('%s -> INVALID_MODEL', (_, bytes, reason) => {
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', reason });
  });

  it.each([10, 100, 1000, Math.floor(MLP.length / 2), MLP.length - 1])('the example MLP truncated to %i bytes -> INVALID_MODEL', (n) => {
    expectCompileError(importing(MLP.subarray(0, n)), { code: 'INVALID_MODEL', reason: /malformed|corrupt|no graph|never produced|has \d+ bytes/ });
  });

  it('a corrupt initializer (raw_data shorter than its dims) -> INVALID_MODEL naming the tensor', () => {
    const bytes = modelOf([node({ opType: 'Add', name: 'add', inputs: ['x', 'w'], outputs: ['y'] })], {
      inputs: [['x', FLOAT, [4]]], outputs: [['y', FLOAT, [4]]], initializers: [tensor({ name: 'w', dims: [4], dataType: FLOAT, raw: new Uint8Array(12) })],
    });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', reason: /tensor "w" .* 12 bytes of raw_data, the dims need 16/ });
  });
});

describe('ops, domains and attribute values tensorc does not support', () => {
  it('an unknown op -> UNSUPPORTED_OP naming node and op', () => {
    const bytes = modelOf([node({ opType: 'FrobnicateTensor', name: 'frob', inputs: ['x'], outputs: ['y'] })], { inputs: [['x', FLOAT, [2]]], outputs: [['y', FLOAT, [2]]] });
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_OP', node: 'frob', op: 'FrobnicateTensor', reason: /operator FrobnicateTensor is not supported/ });
  });

  it('an unknown domain -> UNSUPPORTED_OP naming node, domain and op', () => {
    const bytes = model({
      opsets: [['', 18], ['com.acme.unknown', 1]],
      graph: graph({
        nodes: [node({ opType: 'Relu', domain: 'com.acme.unknown', name: 'custom', inputs: ['x'], outputs: ['y'] })],
        inputs: [valueInfo('x', tensorType(FLOAT, [2]))], outputs: [valueInfo('y', tensorType(FLOAT, [2]))],
      }),
    });
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_OP', node: 'custom', op: 'com.acme.unknown:Relu', reason: /com\.acme\.unknown/ });
  });

  it('Resize with an unknown coordinate_transformation_mode -> UNSUPPORTED_ATTRIBUTE naming the value', () => {
    const bytes = modelOf([node({
      opType: 'Resize', name: 'up', inputs: ['x', '', 'scales'], outputs: ['y'], attrs: [attr.string('coordinate_transformation_mode', 'sideways')],
    })], { inputs: [['x', FLOAT, [1, 1, 2, 2]]], outputs: [['y', FLOAT, [1, 1, 4, 4]]], initializers: [f32('scales', [1, 1, 2, 2])] });
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_ATTRIBUTE', node: 'up', op: 'Resize', reason: /coordinate_transformation_mode: "sideways"/ });
  });

  it('Resize with an unknown nearest_mode -> UNSUPPORTED_ATTRIBUTE', () => {
    const bytes = modelOf([node({
      opType: 'Resize', name: 'up', inputs: ['x', '', 'scales'], outputs: ['y'], attrs: [attr.string('nearest_mode', 'stochastic')],
    })], { inputs: [['x', FLOAT, [1, 1, 2, 2]]], outputs: [['y', FLOAT, [1, 1, 3, 3]]], initializers: [f32('scales', [1, 1, 1.5, 1.5])] });
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_ATTRIBUTE', node: 'up', op: 'Resize', reason: /nearest_mode: "stochastic"/ });
  });

  it('an attribute of the wrong kind -> INVALID_MODEL naming the attribute', () => {
    const bytes = modelOf([node({ opType: 'Transpose', name: 't', inputs: ['x'], outputs: ['y'], attrs: [attr.float('perm', 1)] })],
      { inputs: [['x', FLOAT, [2, 3]]], outputs: [['y', FLOAT, [3, 2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', node: 't', op: 'Transpose', reason: /attribute "perm" should be ints but is float/ });
  });

  it('a list-of-tensors attribute -> UNSUPPORTED_ATTRIBUTE', () => {
    const tensors = msg(f.str(1, 'value'), f.int(20, 9), f.bytes(10, f32('a', [1])));
    const bytes = modelOf([node({ opType: 'Constant', name: 'c', outputs: ['y'], attrs: [tensors] })], { outputs: [['y', FLOAT, [1]]] });
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_ATTRIBUTE', node: 'c', op: 'Constant', reason: /list of tensors/ });
  });

  it('an opset older than the op -> UNSUPPORTED_OP', () => {
    const bytes = modelOf([node({ opType: 'LayerNormalization', name: 'ln', inputs: ['x', 's'], outputs: ['y'] })],
      { inputs: [['x', FLOAT, [2, 3]]], outputs: [['y', FLOAT, [2, 3]]], initializers: [f32('s', [1, 1, 1])] }, 13);
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_OP', node: 'ln', op: 'LayerNormalization', reason: /needs .*opset 17, the model imports 13/ });
  });
});

describe('dtype and shape errors', () => {
  it('Add of float32 and int64 -> TYPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'Add', name: 'add', inputs: ['x', 'k'], outputs: ['y'] })],
      { inputs: [['x', FLOAT, [3]], ['k', INT64, [3]]], outputs: [['y', FLOAT, [3]]] });
    expectCompileError(importing(bytes), { code: 'TYPE_ERROR', node: 'add', op: 'Add', reason: /float32.*int64|int64.*float32/ });
  });

  it('HardSigmoid on int32 (a float-only op) -> TYPE_ERROR at import, not a crash in the interpreter', () => {
    const bytes = modelOf([node({ opType: 'HardSigmoid', name: 'hs', inputs: ['x'], outputs: ['y'] })], { inputs: [['x', 6, [3]]], outputs: [['y', 6, [3]]] });
    expectCompileError(importing(bytes), { code: 'TYPE_ERROR', node: 'hs', op: 'HardSigmoid', reason: /literal 0\.2 is not a value of int32/ });
  });

  it('int64 operands where float ones are expected still import and run (MaxUnpool zeros, Conv weights)', () => {
    // Found by retyping graph inputs of the backend-suite models: both crashed the interpreter with BigInt errors.
    const unpool = modelOf([node({ opType: 'MaxUnpool', name: 'up', inputs: ['x', 'i'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] })],
      { inputs: [['x', INT64, [1, 1, 1, 1]], ['i', INT64, [1, 1, 1, 1]]], outputs: [['y', INT64, [1, 1, 2, 2]]] });
    const one = (dtype: 'int64' | 'float32', v: number) => ({ dtype, shape: [1, 1, 1, 1], data: dtype === 'int64' ? BigInt64Array.of(BigInt(v)) : Float64Array.of(v) });
    expect(Array.from((interpret(importOnnx(unpool), { x: one('int64', 5), i: one('int64', 3) })['y'] as HostTensor).data as BigInt64Array)).toEqual([0n, 0n, 0n, 5n]);
    const conv = modelOf([node({ opType: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['y'] })],
      { inputs: [['x', FLOAT, [1, 1, 1, 1]], ['w', INT64, [1, 1, 1, 1]]], outputs: [['y', FLOAT, [1, 1, 1, 1]]] });
    expect(Array.from((interpret(importOnnx(conv), { x: one('float32', 2), w: one('int64', 3) })['y'] as HostTensor).data as Float64Array)).toEqual([6]);
  });

  it('MatMul with mismatched inner dims -> SHAPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'MatMul', name: 'mm', inputs: ['a', 'b'], outputs: ['y'] })],
      { inputs: [['a', FLOAT, [2, 3]], ['b', FLOAT, [4, 5]]], outputs: [['y', FLOAT, [2, 5]]] });
    expectCompileError(importing(bytes), { code: 'SHAPE_ERROR', node: 'mm', op: 'MatMul', reason: /3.*4|4.*3/ });
  });

  it('Reshape to a target with a different element count -> SHAPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'] })],
      { inputs: [['x', FLOAT, [2, 3]]], outputs: [['y', FLOAT, [4]]], initializers: [i64('s', [4])] });
    expectCompileError(importing(bytes), { code: 'SHAPE_ERROR', node: 'r', op: 'Reshape', reason: /6|\[2, 3\]/ });
  });

  it('Reshape with two -1 dims -> SHAPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'] })],
      { inputs: [['x', FLOAT, [2, 3]]], outputs: [['y', FLOAT, [3, 2]]], initializers: [i64('s', [-1, -1])] });
    expectCompileError(importing(bytes), { code: 'SHAPE_ERROR', node: 'r', op: 'Reshape', reason: /-1/ });
  });

  it('an initializer with a negative dim -> INVALID_MODEL', () => {
    const bytes = modelOf([node({ opType: 'Relu', name: 'relu', inputs: ['w'], outputs: ['y'] })],
      { outputs: [['y', FLOAT, [2]]], initializers: [tensor({ name: 'w', dims: [-2], dataType: FLOAT, floatData: [1, 2] })] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', reason: /tensor "w" has an invalid dim -2/ });
  });

  it('a negative pinned input dim -> SHAPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] })], { inputs: [['x', FLOAT, ['N', 3]]], outputs: [['y', FLOAT, ['N', 3]]] });
    expectCompileError(importing(bytes, { inputShapes: { x: [-4, 3] } }), { code: 'SHAPE_ERROR', reason: /graph input "x" has an invalid dim -4/ });
  });

  it('a BatchNormalization scale that is not 1-D -> SHAPE_ERROR', () => {
    const bytes = modelOf([node({ opType: 'BatchNormalization', name: 'bn', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'] })], {
      inputs: [['x', FLOAT, [1, 2, 2]]], outputs: [['y', FLOAT, [1, 2, 2]]],
      initializers: [f32('s', [1], []), f32('b', [0, 0]), f32('m', [0, 0]), f32('v', [1, 1])],
    });
    expectCompileError(importing(bytes), { code: 'SHAPE_ERROR', node: 'bn', op: 'BatchNormalization', reason: /per-channel inputs must be 1-D/ });
  });

  it('Scan with num_scan_inputs larger than its inputs -> INVALID_MODEL', () => {
    const body = graph({ inputs: [valueInfo('xi', tensorType(FLOAT, [2]))], outputs: [valueInfo('yi', tensorType(FLOAT, [2]))], nodes: [node({ opType: 'Relu', inputs: ['xi'], outputs: ['yi'] })] });
    const bytes = modelOf([node({ opType: 'Scan', name: 'scan', inputs: ['x'], outputs: ['y'], attrs: [attr.graph('body', body), attr.int('num_scan_inputs', 2n ** 62n)] })],
      { inputs: [['x', FLOAT, [3, 2]]], outputs: [['y', FLOAT, [3, 2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', node: 'scan', op: 'Scan', reason: /num_scan_inputs/ });
  });
});

describe('malformed values that decide shapes', () => {
  const cases: [string, string, Uint8Array, [string, number[]][], Uint8Array[], ErrorCode, RegExp][] = [
    ['Resize with a NaN scale', 'Resize', node({ opType: 'Resize', name: 'n', inputs: ['x', '', 'sc'], outputs: ['y'] }), [['x', [1, 1, 2, 2]]], [f32('sc', [1, 1, NaN, 2])], 'SHAPE_ERROR', /Resize output has an invalid dim NaN/],
    ['Resize with a negative scale', 'Resize', node({ opType: 'Resize', name: 'n', inputs: ['x', '', 'sc'], outputs: ['y'] }), [['x', [1, 1, 2, 2]]], [f32('sc', [1, 1, -2, 2])], 'SHAPE_ERROR', /Resize output has an invalid dim -4/],
    ['Resize with one scale for four axes', 'Resize', node({ opType: 'Resize', name: 'n', inputs: ['x', '', 'sc'], outputs: ['y'] }), [['x', [1, 1, 2, 2]]], [f32('sc', [2])], 'SHAPE_ERROR', /scales has 1 entries for 4 axes/],
    ['Range with an empty start', 'Range', node({ opType: 'Range', name: 'n', inputs: ['a', 'b', 'c'], outputs: ['y'] }), [], [i64('a', []), i64('b', [5], []), i64('c', [1], [])], 'SHAPE_ERROR', /must each hold one value/],
    ['Range with delta 0', 'Range', node({ opType: 'Range', name: 'n', inputs: ['a', 'b', 'c'], outputs: ['y'] }), [], [i64('a', [0], []), i64('b', [5], []), i64('c', [0], [])], 'SHAPE_ERROR', /size Infinity that is not a non-negative integer/],
    ['OneHot with an empty depth', 'OneHot', node({ opType: 'OneHot', name: 'n', inputs: ['i', 'd', 'v'], outputs: ['y'] }), [], [i64('i', [0]), i64('d', []), f32('v', [0, 1])], 'SHAPE_ERROR', /depth must hold one value/],
    ['Split into 2^33 outputs', 'Split', node({ opType: 'Split', name: 'n', inputs: ['x'], outputs: ['y'], attrs: [attr.int('num_outputs', 2 ** 33)] }), [['x', [4]]], [], 'INVALID_MODEL', /num_outputs is 8589934592 but the node has 1 outputs/],
    ['AveragePool with stride -2', 'AveragePool', node({ opType: 'AveragePool', name: 'n', inputs: ['x'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [2]), attr.ints('strides', [-2])] }), [['x', [1, 1, 5]]], [], 'INVALID_MODEL', /attribute strides must hold 1 positive integers, got \[-2\]/],
    ['MaxPool with a negative pad', 'MaxPool', node({ opType: 'MaxPool', name: 'n', inputs: ['x'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [2]), attr.ints('pads', [-1, 0])] }), [['x', [1, 1, 5]]], [], 'INVALID_MODEL', /attribute pads must hold 2 non-negative integers/],
    ['Conv whose kernel_shape contradicts its weight', 'Conv', node({ opType: 'Conv', name: 'n', inputs: ['x', 'w'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [3])] }), [['x', [1, 1, 5]], ['w', [1, 1, 2]]], [], 'SHAPE_ERROR', /kernel_shape \[3\] differs from the weight's \[2\]/],
    ['ConvTranspose with stride 0', 'ConvTranspose', node({ opType: 'ConvTranspose', name: 'n', inputs: ['x', 'w'], outputs: ['y'], attrs: [attr.ints('strides', [0])] }), [['x', [1, 1, 5]], ['w', [1, 1, 2]]], [], 'INVALID_MODEL', /attribute strides must hold 1 positive integers/],
    ['GlobalMaxPool of a 1-D tensor', 'GlobalMaxPool', node({ opType: 'GlobalMaxPool', name: 'n', inputs: ['x'], outputs: ['y'] }), [['x', [5]]], [], 'SHAPE_ERROR', /rank >= 2/],
    ['InstanceNormalization of a 1-D tensor', 'InstanceNormalization', node({ opType: 'InstanceNormalization', name: 'n', inputs: ['x', 's', 'b'], outputs: ['y'] }), [['x', [5]], ['s', [5]], ['b', [5]]], [], 'SHAPE_ERROR', /rank >= 2/],
    ['ScatterElements with scalar updates', 'ScatterElements', node({ opType: 'ScatterElements', name: 'n', inputs: ['x', 'i', 'u'], outputs: ['y'] }), [['x', [3]], ['u', []]], [i64('i', [0])], 'SHAPE_ERROR', /indices and updates must have the same shape/],
    ['Conv with a scalar bias', 'Conv', node({ opType: 'Conv', name: 'n', inputs: ['x', 'w', 'b'], outputs: ['y'] }), [['x', [1, 1, 5]], ['w', [1, 1, 2]], ['b', []]], [], 'SHAPE_ERROR', /bias must be 1-D/],
    ['Attention with a 2-D key', 'Attention', node({ opType: 'Attention', name: 'n', inputs: ['q', 'k', 'v'], outputs: ['y'] }), [['q', [1, 1, 2, 4]], ['k', [2, 4]], ['v', [1, 1, 2, 4]]], [], 'SHAPE_ERROR', /Q, K and V must have the same rank/],
    ['GroupNormalization with -1 groups', 'GroupNormalization', node({ opType: 'GroupNormalization', name: 'n', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: [attr.int('num_groups', -1)] }), [['x', [1, 2, 3]], ['s', [2]], ['b', [2]]], [], 'INVALID_MODEL', /num_groups must be positive/],
    ['LRN with size -1', 'LRN', node({ opType: 'LRN', name: 'n', inputs: ['x'], outputs: ['y'], attrs: [attr.int('size', -1)] }), [['x', [1, 2, 3]]], [], 'INVALID_MODEL', /size must be positive/],
    ['Slice with step 0', 'Slice', node({ opType: 'Slice', name: 'n', inputs: ['x', 's', 'e', 'a', 'st'], outputs: ['y'] }), [['x', [4]]], [i64('s', [0]), i64('e', [4]), i64('a', [0]), i64('st', [0])], 'INVALID_MODEL', /slice step is 0/],
  ];
  it.each(cases)('%s -> typed error', (_what, op, n, inputs, inits, code, reason) => {
    const bytes = model({
      opsets: [['', 23]],
      graph: graph({ nodes: [n], inputs: inputs.map(([name, s]) => valueInfo(name, tensorType(FLOAT, s))), outputs: [valueInfo('y', tensorType(FLOAT, null as never))], initializers: inits }),
    });
    expectCompileError(importing(bytes), { code, node: 'n', op, reason });
  });
});

describe('graph structure: cycles and missing values', () => {
  it('a cycle -> INVALID_MODEL naming the first node of the cycle', () => {
    const bytes = modelOf([
      node({ opType: 'Relu', name: 'a', inputs: ['vb'], outputs: ['va'] }),
      node({ opType: 'Neg', name: 'b', inputs: ['va'], outputs: ['vb'] }),
    ], { outputs: [['vb', FLOAT, [2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', node: 'a', op: 'Relu', reason: /input "vb" is not defined before this node: node "b" \(Neg\) produces it later \(a graph cycle/ });
  });

  it('a node reading a value nothing defines -> INVALID_MODEL naming the value', () => {
    const bytes = modelOf([node({ opType: 'Add', name: 'add', inputs: ['x', 'ghost'], outputs: ['y'] })], { inputs: [['x', FLOAT, [2]]], outputs: [['y', FLOAT, [2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', node: 'add', op: 'Add', reason: /input "ghost" is not defined before this node \(missing input: no graph input, initializer or node produces it\)/ });
  });

  it('a required input left empty -> INVALID_MODEL', () => {
    const bytes = modelOf([node({ opType: 'Gemm', name: 'gemm', inputs: ['x', ''], outputs: ['y'] })], { inputs: [['x', FLOAT, [2, 2]]], outputs: [['y', FLOAT, [2, 2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', node: 'gemm', op: 'Gemm', reason: /required input 1 is missing/ });
  });

  it('a graph output nothing produces -> INVALID_MODEL', () => {
    const bytes = modelOf([node({ opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] })], { inputs: [['x', FLOAT, [2]]], outputs: [['z', FLOAT, [2]]] });
    expectCompileError(importing(bytes), { code: 'INVALID_MODEL', reason: /graph output "z" is never produced/ });
  });

  it('a node without op_type -> INVALID_MODEL', () => {
    const g = msg(f.bytes(1, msg(f.str(1, 'x'), f.str(2, 'y'), f.str(3, 'nameless'))), f.str(2, 'g'));
    expectCompileError(importing(model({ graph: g })), { code: 'INVALID_MODEL', reason: /node 0 \("nameless"\) has no op_type/ });
  });
});

describe('ten billion elements and other sizes that must be refused before any work', () => {
  it('a graph input of 100000 x 100000 -> LIMIT_EXCEEDED', () => {
    const bytes = modelOf([node({ opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] })], { inputs: [['x', FLOAT, [100_000, 100_000]]], outputs: [['y', FLOAT, [100_000, 100_000]]] });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', reason: /graph input "x" would have 10000000000 elements/ });
  });

  it('an initializer declaring 10^10 elements -> LIMIT_EXCEEDED', () => {
    const bytes = modelOf([node({ opType: 'Relu', name: 'relu', inputs: ['w'], outputs: ['y'] })],
      { outputs: [['y', FLOAT, [TEN_BILLION]]], initializers: [tensor({ name: 'w', dims: [TEN_BILLION], dataType: FLOAT })] });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', reason: /tensor "w" \[10000000000\] has more than 2\^31 elements/ });
  });

  const huge: [string, Uint8Array[], Uint8Array[]][] = [
    ['ConstantOfShape', [node({ opType: 'ConstantOfShape', name: 'big', inputs: ['s'], outputs: ['y'] })], [i64('s', [100_000, 100_000])]],
    ['Expand', [node({ opType: 'Expand', name: 'big', inputs: ['x', 's'], outputs: ['y'] })], [i64('s', [100_000, 100_000])]],
    ['Tile', [node({ opType: 'Tile', name: 'big', inputs: ['x', 's'], outputs: ['y'] })], [i64('s', [TEN_BILLION])]],
    ['Range', [node({ opType: 'Range', name: 'big', inputs: ['a', 'b', 'c'], outputs: ['y'] })], [i64('a', [0], []), i64('b', [TEN_BILLION], []), i64('c', [1], [])]],
    ['Pad', [node({ opType: 'Pad', name: 'big', inputs: ['x', 'p'], outputs: ['y'] })], [i64('p', [0, TEN_BILLION])]],
    ['OneHot', [node({ opType: 'OneHot', name: 'big', inputs: ['i', 'd', 'v'], outputs: ['y'] })], [i64('i', [0]), i64('d', [TEN_BILLION], []), f32('v', [0, 1])]],
    ['Resize', [node({ opType: 'Resize', name: 'big', inputs: ['x4', '', 'sc'], outputs: ['y'] })], [f32('sc', [1, 1, 100_000, 100_000])]],
    ['Upsample', [node({ opType: 'Upsample', name: 'big', inputs: ['x4', 'sc'], outputs: ['y'] })], [f32('sc', [1, 1, 100_000, 100_000])]],
  ];
  it.each(huge)('%s to ten billion elements -> LIMIT_EXCEEDED naming the node, without allocating', (op, nodes, inits) => {
    const bytes = model({
      opsets: [['', op === 'Upsample' ? 9 : 18]],
      graph: graph({
        nodes,
        inputs: [valueInfo('x', tensorType(FLOAT, [1])), valueInfo('x4', tensorType(FLOAT, [1, 1, 2, 2]))],
        outputs: [valueInfo('y', tensorType(FLOAT, null as never))],
        initializers: inits,
      }),
    });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', node: 'big', op, reason: /elements/ });
  });

  // Converters that build tables at compile time (weights, divisors, masks, grids) must refuse before building.
  const BIG = 2 ** 33;
  const tables: [string, number, Uint8Array, [string, number[]][], Uint8Array[], RegExp][] = [
    ['Resize', 18, node({ opType: 'Resize', name: 'n', inputs: ['x', '', 'sc'], outputs: ['y'] }), [['x', [1, 1, 2, 2]]], [f32('sc', [1, 1, 1e9, 1e9])], /Resize output .* elements/],
    ['RoiAlign', 16, node({ opType: 'RoiAlign', name: 'n', inputs: ['x', 'rois', 'b'], outputs: ['y'], attrs: [attr.int('output_height', BIG), attr.int('sampling_ratio', 2)] }), [['x', [1, 1, 4, 4]], ['rois', [1, 4]]], [i64('b', [0])], /RoiAlign sample grid .* elements/],
    ['AffineGrid', 20, node({ opType: 'AffineGrid', name: 'n', inputs: ['th', 's'], outputs: ['y'] }), [['th', [1, 2, 3]]], [i64('s', [1, 1, 2 ** 17, 2 ** 17])], /AffineGrid size .* elements/],
    ['Attention', 23, node({ opType: 'Attention', name: 'n', inputs: ['q', 'k', 'v'], outputs: ['y'], attrs: [attr.int('is_causal', 1)] }), [['q', [1, 1, 2 ** 17, 1]], ['k', [1, 1, 2 ** 17, 1]], ['v', [1, 1, 2 ** 17, 1]]], [], /causal mask would need a table of 17179869184 entries/],
    ['AveragePool', 18, node({ opType: 'AveragePool', name: 'n', inputs: ['x'], outputs: ['y'], attrs: [attr.ints('kernel_shape', [1, 1]), attr.ints('pads', [2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20])] }), [['x', [1, 1, 2, 2]]], [], /AveragePool output window .* elements/],
  ];
  it.each(tables)('%s with a huge size attribute or input -> LIMIT_EXCEEDED before building its compile-time table', (op, opset, n, inputs, inits, reason) => {
    const bytes = model({
      opsets: [['', opset]],
      graph: graph({ nodes: [n], inputs: inputs.map(([name, s]) => valueInfo(name, tensorType(FLOAT, s))), outputs: [valueInfo('y', tensorType(FLOAT, null as never))], initializers: inits }),
    });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', node: 'n', op, reason });
  });

  it('a GRU over 65535 time steps (unrolled at import) -> LIMIT_EXCEEDED at once, not minutes of unrolling', () => {
    const bytes = modelOf([node({ opType: 'GRU', name: 'gru', inputs: ['x', 'w', 'r'], outputs: ['y'], attrs: [attr.int('hidden_size', 4), attr.string('direction', 'bidirectional')] })],
      { inputs: [['x', FLOAT, [65_535, 1, 3]], ['w', FLOAT, [2, 12, 3]], ['r', FLOAT, [2, 12, 4]]], outputs: [['y', FLOAT, [65_535, 2, 1, 4]]] }, 14);
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', node: 'gru', op: 'GRU', reason: /sequence length 65535 x 2 direction\(s\) is more than the 16384 steps/ }, 2_000);
  });

  it('a Loop with a constant trip count of 10^10 and a scan output -> LIMIT_EXCEEDED', () => {
    const body = graph({
      inputs: [valueInfo('i', tensorType(INT64, [])), valueInfo('c', tensorType(BOOL, []))],
      outputs: [valueInfo('c2', tensorType(BOOL, [])), valueInfo('s', tensorType(INT64, []))],
      nodes: [node({ opType: 'Identity', inputs: ['c'], outputs: ['c2'] }), node({ opType: 'Identity', inputs: ['i'], outputs: ['s'] })],
    });
    const bytes = modelOf([node({ opType: 'Loop', name: 'loop', inputs: ['n', ''], outputs: ['ys'], attrs: [attr.graph('body', body)] })],
      { outputs: [['ys', INT64, [null]]], initializers: [i64('n', [TEN_BILLION], [])] });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', node: 'loop', op: 'Loop', reason: /elements/ });
  });

  it('a Loop with a trip count of 10^12 whose result feeds a shape is not run at import time', () => {
    const body = graph({
      inputs: [valueInfo('i', tensorType(INT64, [])), valueInfo('c', tensorType(BOOL, [])), valueInfo('acc', tensorType(INT64, [1]))],
      outputs: [valueInfo('c2', tensorType(BOOL, [])), valueInfo('acc2', tensorType(INT64, [1]))],
      nodes: [node({ opType: 'Identity', inputs: ['c'], outputs: ['c2'] }), node({ opType: 'Add', inputs: ['acc', 'one'], outputs: ['acc2'] })],
    });
    const bytes = modelOf([
      node({ opType: 'Loop', name: 'loop', inputs: ['n', '', 'start'], outputs: ['count'], attrs: [attr.graph('body', body)] }),
      node({ opType: 'ConstantOfShape', name: 'fill', inputs: ['count'], outputs: ['y'] }),
    ], { outputs: [['y', FLOAT, [null]]], initializers: [i64('n', [1e12], []), i64('start', [0]), i64('one', [1])] }, 18);
    expectCompileError(importing(bytes), { code: 'UNSUPPORTED_ATTRIBUTE', node: 'fill', op: 'ConstantOfShape', reason: /shape .* must be known at compile time/ }, 3_000);
  });

  it('a convolution of a constant input with a large kernel is not folded at import (2.4e8 operations)', () => {
    // The result is small enough to fold (65536 elements) but would take the interpreter many seconds.
    const x = tensor({ name: 'x', dims: [1, 16, 64, 64], dataType: FLOAT, raw: le(new Float32Array(65_536).fill(1)) });
    const w = tensor({ name: 'w', dims: [16, 16, 15, 15], dataType: FLOAT, raw: le(new Float32Array(57_600).fill(0.5)) });
    const bytes = modelOf([node({ opType: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [attr.ints('pads', [7, 7, 7, 7])] })],
      { outputs: [['y', FLOAT, [1, 16, 64, 64]]], initializers: [x, w] });
    const t0 = performance.now();
    const g = importOnnx(bytes);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(g.nodes.some((n) => n.op.kind === 'contract')).toBe(true);
  });

  it('an LRN window of 2^33 channels runs as a window over all channels', () => {
    const lrn = (size: number) => modelOf([node({ opType: 'LRN', name: 'lrn', inputs: ['x'], outputs: ['y'], attrs: [attr.int('size', size)] })],
      { inputs: [['x', FLOAT, [1, 3, 1]]], outputs: [['y', FLOAT, [1, 3, 1]]] });
    const x: HostTensor = { dtype: 'float32', shape: [1, 3, 1], data: Float64Array.of(1, 2, 3) };
    const y = (size: number) => Array.from((interpret(importOnnx(lrn(size)), { x })['y'] as HostTensor).data as Float64Array);
    // Same window sums as size 7 (= 2C+1); the alpha/size scale keeps the declared size.
    const big = y(2 ** 33);
    expect(big.every(Number.isFinite)).toBe(true);
    expect(big).not.toEqual(y(7));
    expect(big.map((v, i) => v / [1, 2, 3][i]!)).toEqual([1, 1, 1].map(() => expect.closeTo(1 / (1 + (1e-4 / 2 ** 33) * 14) ** 0.75, 12)));
  });

  it('the interpreter refuses a result over its element limit before allocating it', () => {
    // 2^30 elements: importable (types only), but 8 GiB as float64 in the interpreter.
    const bytes = modelOf([node({ opType: 'ConstantOfShape', name: 'fill', inputs: ['s'], outputs: ['y'] })],
      { outputs: [['y', FLOAT, [32_768, 32_768]]], initializers: [i64('s', [32_768, 32_768])] });
    const g = importOnnx(bytes);
    expectCompileError(() => interpret(g, {}), { code: 'LIMIT_EXCEEDED', node: 'fill', op: 'ConstantOfShape', reason: /1073741824 elements/ });
  });
});

describe('nesting and recursion limits', () => {
  /** An If whose then-branch holds another If, `depth` levels deep (else-branches are flat). */
  function nestedIf(depth: number): Uint8Array {
    const leaf = (out: string) => graph({ outputs: [valueInfo(out, tensorType(FLOAT, [1]))], nodes: [node({ opType: 'Identity', inputs: ['x'], outputs: [out] })] });
    let inner = leaf('r0');
    for (let d = 1; d <= depth; d++) {
      const out = `r${d}`;
      inner = graph({
        outputs: [valueInfo(out, tensorType(FLOAT, [1]))],
        nodes: [node({ opType: 'If', name: `if${d}`, inputs: ['cond'], outputs: [out], attrs: [attr.graph('then_branch', inner), attr.graph('else_branch', leaf(out))] })],
      });
    }
    return inner;
  }

  it('subgraphs nested 100 deep -> LIMIT_EXCEEDED (no stack overflow)', () => {
    const top = nestedIf(100);
    const m = model({
      opsets: [['', 18]],
      graph: graph({
        nodes: [node({ opType: 'If', name: 'top', inputs: ['cond'], outputs: ['y'], attrs: [attr.graph('then_branch', top), attr.graph('else_branch', top)] })],
        inputs: [valueInfo('cond', tensorType(BOOL, [])), valueInfo('x', tensorType(FLOAT, [1]))],
        outputs: [valueInfo('y', tensorType(FLOAT, [1]))],
      }),
    });
    expectCompileError(importing(m), { code: 'LIMIT_EXCEEDED', reason: /nested deeper than 64 levels/ });
  });

  it('local functions each nesting 60 levels of subgraphs and calling each other -> LIMIT_EXCEEDED once inlined', () => {
    // Every function body is within the decoder's limit on its own; inlined into one another they nest 1900 deep.
    const leaf = (out: string) => graph({ outputs: [valueInfo(out, tensorType(FLOAT, [1]))], nodes: [node({ opType: 'Identity', inputs: ['a'], outputs: [out] })] });
    const functions = Array.from({ length: 32 }, (_, k) => {
      let inner: Uint8Array = k + 1 < 32
        ? graph({ outputs: [valueInfo('r0', tensorType(FLOAT, [1]))], nodes: [node({ opType: `F${k + 1}`, domain: 'local', inputs: ['a', 'c'], outputs: ['r0'] })] })
        : leaf('r0');
      for (let d = 1; d <= 60; d++) {
        inner = graph({ outputs: [valueInfo(`r${d}`, tensorType(FLOAT, [1]))], nodes: [node({ opType: 'If', inputs: ['c'], outputs: [`r${d}`], attrs: [attr.graph('then_branch', inner), attr.graph('else_branch', leaf(`r${d}`))] })] });
      }
      const body = node({ opType: 'If', inputs: ['c'], outputs: ['b'], attrs: [attr.graph('then_branch', inner), attr.graph('else_branch', leaf('b'))] });
      return functionProto({ name: `F${k}`, domain: 'local', inputs: ['a', 'c'], outputs: ['b'], nodes: [body] });
    });
    const bytes = model({
      opsets: [['', 18], ['local', 1]],
      functions,
      graph: graph({
        nodes: [node({ opType: 'F0', domain: 'local', name: 'call', inputs: ['x', 'c'], outputs: ['y'] })],
        inputs: [valueInfo('x', tensorType(FLOAT, [1])), valueInfo('c', tensorType(BOOL, []))],
        outputs: [valueInfo('y', tensorType(FLOAT, [1]))],
      }),
    });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', reason: /nested deeper than 64 levels once local functions are inlined/ });
  });

  it('value types nested 200 deep -> LIMIT_EXCEEDED', () => {
    let t = tensorType(FLOAT, [1]);
    for (let d = 0; d < 200; d++) t = sequenceType(t);
    const bytes = model({ graph: graph({ inputs: [valueInfo('x', t)], outputs: [valueInfo('x', t)] }) });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', reason: /nested deeper than 64 levels/ });
  });

  it('a local function that calls itself -> LIMIT_EXCEEDED naming the call', () => {
    const fn = functionProto({ name: 'Loopy', domain: 'local', inputs: ['a'], outputs: ['b'], nodes: [node({ opType: 'Loopy', domain: 'local', inputs: ['a'], outputs: ['b'] })] });
    const bytes = model({
      opsets: [['', 18], ['local', 1]],
      graph: graph({ nodes: [node({ opType: 'Loopy', domain: 'local', name: 'call', inputs: ['x'], outputs: ['y'] })], inputs: [valueInfo('x', tensorType(FLOAT, [1]))], outputs: [valueInfo('y', tensorType(FLOAT, [1]))] }),
      functions: [fn],
    });
    expectCompileError(importing(bytes), { code: 'LIMIT_EXCEEDED', reason: /recursive function "Loopy"/ });
  });

  it('a node with 100000 inputs and an attribute of 300000 ints ends quickly in a short typed error', () => {
    const w = protobuf.Writer.create();
    for (let i = 0; i < 100_000; i++) w.uint32((1 << 3) | 2).string('x');
    w.uint32((2 << 3) | 2).string('y').uint32((3 << 3) | 2).string('t').uint32((4 << 3) | 2).string('Transpose');
    w.uint32((5 << 3) | 2).bytes(attr.ints('perm', Array.from({ length: 300_000 }, (_, i) => i)));
    const bytes = modelOf([w.finish()], { inputs: [['x', FLOAT, [2, 3]]], outputs: [['y', FLOAT, [3, 2]]] });
    const e = expectCompileError(importing(bytes), { code: 'UNSUPPORTED_ATTRIBUTE', node: 't', op: 'Transpose', reason: /perm/ });
    expect(e.message.length).toBeLessThan(2_200);
    expect(e.message).toMatch(/more characters\)$/);
  });

  it('sub-messages nested 2000 deep in an unknown field are skipped without recursion', () => {
    // field 99 (unknown to ModelProto) holding 2000 nested length-delimited fields: skipped as opaque bytes.
    let inner: Uint8Array = new Uint8Array(0);
    for (let d = 0; d < 2000; d++) inner = msg(f.bytes(1, inner));
    const bytes = msg(f.bytes(99, inner), f.bytes(7, graph({ nodes: [node({ opType: 'Relu', inputs: ['x'], outputs: ['y'] })], inputs: [valueInfo('x', tensorType(FLOAT, [2]))], outputs: [valueInfo('y', tensorType(FLOAT, [2]))] })), sub(8, f.str(1, ''), f.int(2, 18)));
    expect(importOnnx(bytes).nodes.length).toBe(1);
  });
});
