// Named bad inputs, sizes and nesting: tensors of ten billion elements, compile-time tables and unrolling that
// would take minutes or exhaust memory, the interpreter's element limit, subgraphs and types nested too deep,
// recursive local functions and giant repeated fields. Each ends quickly in a typed CompileError.

import { type HostTensor, interpret } from '@tensorc/ir';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/import-onnx.js';
import {
  attr, f, functionProto, graph, le, model, msg, node, sequenceType, sub, tensor, tensorType, valueInfo,
} from '../src/onnx/__tests__/proto-writer.js';
import { BOOL, FLOAT, INT64, TEN_BILLION, expectCompileError, f32, i64, importing, modelOf } from './bad-input/expect-error.js';

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
