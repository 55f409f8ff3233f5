// Named bad inputs: each must end in a typed CompileError with the right code whose message names the node,
// the op and the reason — never an uncaught exception, a hang or an out-of-memory. This file: bytes that are
// not (or no longer) a model, unknown ops and domains, unsupported attribute values, dtype and shape errors,
// malformed shape-deciding values, cycles and missing values. Sizes and nesting: bad-input-limits.test.ts.

import { type ErrorCode, type HostTensor, interpret } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/import-onnx.js';
import { attr, f, graph, model, msg, node, tensor, tensorType, valueInfo } from '../src/onnx/__tests__/proto-writer.js';
import { FLOAT, INT64, MLP, expectCompileError, f32, i64, importing, modelOf } from './bad-input/expect-error.js';

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
