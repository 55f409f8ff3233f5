// ai.onnx.ml converters on hand-built models: domain dispatch and its errors, Binarizer on integers,
// ArrayFeatureExtractor's 1-D and string cases, LabelEncoder's versions (1: classes_strings both ways;
// 2: lists, repeated keys, NaN keys, double inputs; 4: tensors) and its errors.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { attr, tensor } from '../../src/onnx/__tests__/proto-writer.js';
import { ONNX, errorOf, oneNode } from './one-node-model.js';

const ML = 'ai.onnx.ml';
const out = (g: ReturnType<typeof oneNode>, feeds: Record<string, HostTensor>, name = 'y') => interpret(g, feeds)[name] as HostTensor;
const values = (t: HostTensor) => Array.from(t.data as ArrayLike<unknown>);

describe('domain dispatch', () => {
  const io = { inputs: [{ name: 'x', type: ONNX.FLOAT, shape: [2] }], outputs: [{ name: 'y', type: ONNX.FLOAT, shape: [2] }] };

  it('an unknown domain fails naming node, op and domain', () => {
    const e = errorOf(() => oneNode({ ...io, opType: 'Frob', domain: 'com.example' }));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.node).toBe('n');
    expect(e.opType).toBe('com.example:Frob');
    expect(e.message).toContain('domain "com.example" is not supported');
  });

  it('an unknown op of a known domain names the domain', () => {
    const e = errorOf(() => oneNode({ ...io, opType: 'Frob', domain: ML }));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toContain('operator Frob of domain "ai.onnx.ml" is not supported');
  });

  it("checks the op's own domain opset: TreeEnsemble needs ai.onnx.ml 5", () => {
    const e = errorOf(() => oneNode({ ...io, opType: 'TreeEnsemble', domain: ML, opsets: [['', 21], [ML, 4]] }));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toContain('needs "ai.onnx.ml" opset 5, the model imports 4');
  });

  it('a node whose domain the model does not import is invalid', () => {
    const e = errorOf(() => oneNode({ ...io, opType: 'Binarizer', domain: ML, opsets: [['', 21]] }));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain('imports no "ai.onnx.ml" opset');
  });
});

describe('Binarizer and ArrayFeatureExtractor', () => {
  it('Binarizer keeps integer dtypes and compares against the float threshold', () => {
    const g = oneNode({ opType: 'Binarizer', domain: ML, attrs: [attr.float('threshold', 1.5)],
      inputs: [{ name: 'x', type: ONNX.INT64, shape: [4] }], outputs: [{ name: 'y', type: ONNX.INT64, shape: [4] }] });
    const y = out(g, { x: { dtype: 'int64', shape: [4], data: BigInt64Array.of(-3n, 1n, 2n, 7n) } });
    expect(y.dtype).toBe('int64');
    expect(values(y)).toEqual([0n, 0n, 1n, 1n]);
  });

  it('Binarizer maps NaN to 0', () => {
    const g = oneNode({ opType: 'Binarizer', domain: ML,
      inputs: [{ name: 'x', type: ONNX.FLOAT, shape: [3] }], outputs: [{ name: 'y', type: ONNX.FLOAT, shape: [3] }] });
    expect(values(out(g, { x: { dtype: 'float32', shape: [3], data: Float64Array.of(NaN, 0, 0.5) } }))).toEqual([0, 0, 1]);
  });

  it('ArrayFeatureExtractor on a 1-D input gives [1, n]; indices are flattened', () => {
    const g = oneNode({ opType: 'ArrayFeatureExtractor', domain: ML,
      inputs: [{ name: 'x', type: ONNX.STRING, shape: [4] }, { name: 'i', type: ONNX.INT64, shape: [1, 3] }],
      outputs: [{ name: 'y', type: ONNX.STRING, shape: [1, 3] }] });
    const y = out(g, { x: { dtype: 'string', shape: [4], data: ['a', 'b', 'c', 'd'] }, i: { dtype: 'int64', shape: [1, 3], data: BigInt64Array.of(3n, 0n, 3n) } });
    expect(y.shape).toEqual([1, 3]);
    expect(values(y)).toEqual(['d', 'a', 'd']);
  });

  it('ArrayFeatureExtractor selects along the last axis of a 3-D input', () => {
    const g = oneNode({ opType: 'ArrayFeatureExtractor', domain: ML,
      inputs: [{ name: 'x', type: ONNX.INT32, shape: [2, 1, 3] }, { name: 'i', type: ONNX.INT64, shape: [2] }],
      outputs: [{ name: 'y', type: ONNX.INT32, shape: [2, 1, 2] }] });
    const y = out(g, { x: { dtype: 'int32', shape: [2, 1, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) }, i: { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 0n) } });
    expect(y.shape).toEqual([2, 1, 2]);
    expect(values(y)).toEqual([3, 1, 6, 4]);
  });
});

describe('LabelEncoder', () => {
  const enc = (opset: number, attrs: Uint8Array[], xType: number, yType: number, n = 4) =>
    oneNode({ opType: 'LabelEncoder', domain: ML, opsets: [[ML, opset]], attrs,
      inputs: [{ name: 'x', type: xType, shape: [n] }], outputs: [{ name: 'y', type: yType, shape: [n] }] });

  it('v2: int64 -> string; a repeated key maps to its last value; unknown keys get default_string', () => {
    const g = enc(2, [attr.ints('keys_int64s', [1, 2, 1]), attr.strings('values_strings', ['one', 'two', 'uno']), attr.string('default_string', '?')], ONNX.INT64, ONNX.STRING);
    expect(values(out(g, { x: { dtype: 'int64', shape: [4], data: BigInt64Array.of(1n, 2n, 3n, -1n) } }))).toEqual(['uno', 'two', '?', '?']);
  });

  it('v2: float keys (NaN matches NaN) serve a double input; default_float defaults to -0', () => {
    const g = enc(2, [attr.floats('keys_floats', [0.5, NaN]), attr.ints('values_int64s', [10, 20])], ONNX.DOUBLE, ONNX.INT64);
    const y = out(g, { x: { dtype: 'float64', shape: [4], data: Float64Array.of(0.5, NaN, 0.25, -Infinity) } });
    expect(values(y)).toEqual([10n, 20n, -1n, -1n]);
    const h = enc(2, [attr.ints('keys_int64s', [3]), attr.floats('values_floats', [2.5])], ONNX.INT64, ONNX.FLOAT, 2);
    const z = values(out(h, { x: { dtype: 'int64', shape: [2], data: BigInt64Array.of(3n, 4n) } })) as number[];
    expect(z[0]).toBe(2.5);
    expect(Object.is(z[1], -0)).toBe(true);
  });

  it('v1: classes_strings maps strings to indices and indices back to strings', () => {
    const classes = attr.strings('classes_strings', ['cat', 'dog']);
    const toIndex = enc(1, [classes, attr.int('default_int64', 99)], ONNX.STRING, ONNX.INT64, 3);
    expect(values(out(toIndex, { x: { dtype: 'string', shape: [3], data: ['dog', 'cow', 'cat'] } }))).toEqual([1n, 99n, 0n]);
    const toString = enc(1, [classes], ONNX.INT64, ONNX.STRING, 3);
    expect(values(out(toString, { x: { dtype: 'int64', shape: [3], data: BigInt64Array.of(0n, 1n, 2n) } }))).toEqual(['cat', 'dog', '_Unused']);
  });

  it('v4: tensor keys/values without default_tensor use the spec default (-1 for integers)', () => {
    const keys = tensor({ dims: [2], dataType: ONNX.INT32, int32Data: [7, 8] });
    const vals = tensor({ dims: [2], dataType: ONNX.INT16, int32Data: [70, 80] });
    const g = enc(4, [attr.tensor('keys_tensor', keys), attr.tensor('values_tensor', vals)], ONNX.INT32, ONNX.INT16, 3);
    const y = out(g, { x: { dtype: 'int32', shape: [3], data: Float64Array.of(8, 9, 7) } });
    expect(y.dtype).toBe('int16');
    expect(values(y)).toEqual([80, -1, 70]);
  });

  it('works on a scalar input and with no keys at all', () => {
    const g = oneNode({ opType: 'LabelEncoder', domain: ML, opsets: [[ML, 2]], attrs: [attr.strings('keys_strings', ['a']), attr.ints('values_int64s', [5])],
      inputs: [{ name: 'x', type: ONNX.STRING, shape: [] }], outputs: [{ name: 'y', type: ONNX.INT64, shape: [] }] });
    expect(values(out(g, { x: { dtype: 'string', shape: [], data: ['a'] } }))).toEqual([5n]);
    const none = enc(1, [attr.int('default_int64', 3)], ONNX.STRING, ONNX.INT64, 2);
    expect(values(out(none, { x: { dtype: 'string', shape: [2], data: ['a', 'b'] } }))).toEqual([3n, 3n]);
  });

  it('rejects ambiguous or mistyped tables', () => {
    const two = errorOf(() => enc(2, [attr.ints('keys_int64s', [1]), attr.strings('keys_strings', ['a']), attr.ints('values_int64s', [1])], ONNX.INT64, ONNX.INT64));
    expect(two.code).toBe('INVALID_MODEL');
    expect(two.message).toContain('exactly one keys_* attribute');
    const lengths = errorOf(() => enc(2, [attr.ints('keys_int64s', [1, 2]), attr.ints('values_int64s', [1])], ONNX.INT64, ONNX.INT64));
    expect(lengths.message).toContain('2 keys but 1 values');
    const mistyped = errorOf(() => enc(2, [attr.strings('keys_strings', ['a']), attr.ints('values_int64s', [1])], ONNX.INT64, ONNX.INT64));
    expect(mistyped.code).toBe('TYPE_ERROR');
    const narrow = errorOf(() => enc(2, [attr.ints('keys_int64s', [70000]), attr.ints('values_int64s', [1])], ONNX.INT16, ONNX.INT64));
    expect(narrow.message).toContain('70000 is not exactly representable as int16');
    const badDefault = errorOf(() => enc(4, [attr.ints('keys_int64s', [1]), attr.ints('values_int64s', [1]),
      attr.tensor('default_tensor', tensor({ dims: [1], dataType: ONNX.FLOAT, floatData: [0] }))], ONNX.INT64, ONNX.INT64));
    expect(badDefault.code).toBe('UNSUPPORTED_ATTRIBUTE');
  });
});
