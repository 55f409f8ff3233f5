// Hand-built models through toLoweringModel: names, domains, opsets, every attribute kind (typed and the old
// untyped form), subgraphs, value types, and clean INVALID_MODEL errors for bytes that are not a model.
import { describe, expect, it } from 'vitest';
import { CompileError } from '@tensorc/ir';
import type { LoweringGraph } from '../lowering-model.js';
import { toLoweringModel } from './index.js';
import {
  attr, f, functionProto, graph, le, mapType, model, msg, node, optionalType, sequenceType, sub, tensor, tensorType, valueInfo,
} from './__tests__/proto-writer.js';

function expectError(fn: () => unknown, code: string, re?: RegExp): CompileError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    expect(e.code).toBe(code);
    if (re) expect(e.message).toMatch(re);
    return e;
  }
  throw new Error('expected a CompileError');
}

const simpleGraph = (nodes: Uint8Array[], extra: Parameters<typeof graph>[0] = {}): Uint8Array =>
  graph({ inputs: [valueInfo('x', tensorType(1, [2]))], outputs: [valueInfo('y', tensorType(1, [2]))], nodes, ...extra });

describe('model header and nodes', () => {
  it('reads ir_version, producer, opsets (ai.onnx -> "")', () => {
    const m = toLoweringModel(model({
      irVersion: 9, producer: 'me', opsets: [['ai.onnx', 18], ['com.example', 2]],
      graph: simpleGraph([node({ opType: 'Relu', inputs: ['x'], outputs: ['y'] })]),
    }));
    expect(m.irVersion).toBe(9);
    expect(m.producer).toBe('me');
    expect([...m.opsets]).toEqual([['', 18], ['com.example', 2]]);
  });

  it('names unnamed nodes <opType>_<index> and normalizes the domain', () => {
    const m = toLoweringModel(model({
      graph: simpleGraph([
        node({ opType: 'Relu', inputs: ['x'], outputs: ['a'] }),
        node({ opType: 'Neg', inputs: ['a'], outputs: ['b'], name: 'neg', domain: 'ai.onnx' }),
        node({ opType: 'Custom', inputs: ['b', '', 'x'], outputs: ['y', ''], domain: 'com.example' }),
      ]),
    }));
    expect(m.graph.nodes.map((n) => [n.name, n.domain, n.inputs, n.outputs])).toEqual([
      ['Relu_0', '', ['x'], ['a']],
      ['neg', '', ['a'], ['b']],
      ['Custom_2', 'com.example', ['b', '', 'x'], ['y', '']],
    ]);
  });

  it('keeps initializers listed as inputs (IR < 4) and reads initializers', () => {
    const w = tensor({ name: 'w', dims: [2], dataType: 1, raw: le(new Float32Array([1, 2])) });
    const m = toLoweringModel(model({
      irVersion: 3,
      graph: graph({
        inputs: [valueInfo('x', tensorType(1, [2])), valueInfo('w', tensorType(1, [2]))],
        outputs: [valueInfo('y', tensorType(1, [2]))],
        initializers: [w],
        nodes: [node({ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] })],
      }),
    }));
    expect(m.graph.inputs.map((i) => i.name)).toEqual(['x', 'w']);
    expect(m.graph.initializers.map((i) => [i.name, Array.from(i.value.data as Float64Array)])).toEqual([['w', [1, 2]]]);
  });

  it('reads value types: symbolic/unknown dims, no shape, sequence, optional, map, untyped', () => {
    const m = toLoweringModel(model({
      graph: graph({
        inputs: [
          valueInfo('a', tensorType(7, ['N', null, 3, -1 as unknown as number])),
          valueInfo('b', tensorType(1)),
          valueInfo('c', sequenceType(tensorType(10, [2]))),
          valueInfo('d', optionalType(sequenceType(tensorType(9, [])))),
          valueInfo('e', mapType()),
          valueInfo('f'),
          valueInfo('g', tensorType(14, [1])),
          valueInfo('h', msg(sub(4))),
        ],
        outputs: [valueInfo('y', tensorType(22, [4]))],
        valueInfo: [valueInfo('mid', tensorType(16, [1, 'B']))],
      }),
    }));
    expect(m.graph.inputs.map((i) => i.type)).toEqual([
      { kind: 'tensor', dtype: 'int64', shape: ['N', null, 3, null] },
      { kind: 'tensor', dtype: 'float32', shape: null },
      { kind: 'sequence', elem: { kind: 'tensor', dtype: 'float16', shape: [2] } },
      { kind: 'optional', elem: { kind: 'sequence', elem: { kind: 'tensor', dtype: 'bool', shape: [] } } },
      { kind: 'unknown' },
      { kind: 'unknown' },
      { kind: 'unknown' },
      { kind: 'sequence', elem: null },
    ]);
    expect(m.graph.outputs[0]!.type).toEqual({ kind: 'tensor', dtype: 'int4', shape: [4] });
    expect([...m.graph.valueInfo]).toEqual([['mid', { kind: 'tensor', dtype: 'bfloat16', shape: [1, 'B'] }]]);
  });
});

describe('attributes', () => {
  const decodeAttrs = (attrs: Uint8Array[]) =>
    toLoweringModel(model({ graph: simpleGraph([node({ opType: 'Op', inputs: ['x'], outputs: ['y'], attrs })]) })).graph.nodes[0]!.attributes;

  it('decodes every kind by its type field', () => {
    const t = tensor({ dims: [2], dataType: 7, int64Data: [5, -6] });
    const body = graph({ name: 'body', nodes: [node({ opType: 'Identity', inputs: ['x'], outputs: ['z'] })], outputs: [valueInfo('z')] });
    const a = decodeAttrs([
      attr.int('i', 9223372036854775807n), attr.int('neg', -3), attr.float('f', 0.25), attr.string('s', 'héllo'),
      attr.ints('is', [1, -2]), attr.floats('fs', [0.5, 2]), attr.strings('ss', ['a', 'b']),
      attr.tensor('t', t), attr.graph('g', body), attr.graphs('gs', [body, body]),
    ]);
    expect(a.get('i')).toEqual({ kind: 'int', value: 9223372036854775807 });
    expect(a.get('neg')).toEqual({ kind: 'int', value: -3 });
    expect(a.get('f')).toEqual({ kind: 'float', value: 0.25 });
    expect(a.get('s')).toEqual({ kind: 'string', value: 'héllo' });
    expect(a.get('is')).toEqual({ kind: 'ints', value: [1, -2] });
    expect(a.get('fs')).toEqual({ kind: 'floats', value: [0.5, 2] });
    expect(a.get('ss')).toEqual({ kind: 'strings', value: ['a', 'b'] });
    const tv = a.get('t');
    expect(tv?.kind === 'tensor' && Array.from(tv.value.data as BigInt64Array)).toEqual([5n, -6n]);
    const g = a.get('g');
    expect(g?.kind).toBe('graph');
    const lg = g!.value as LoweringGraph;
    expect(lg.name).toBe('body');
    expect(lg.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).toEqual([['Identity_0', 'Identity', ['x'], ['z']]]);
    expect(lg.outputs.map((o) => o.name)).toEqual(['z']);
    const gs = a.get('gs');
    expect(gs?.kind === 'graphs' && gs.value.length).toBe(2);
  });

  it('infers the kind of untyped attributes (old models) and drops empty ones', () => {
    const a = decodeAttrs([
      msg(f.str(1, 'i'), f.int(3, 4)),
      msg(f.str(1, 'f'), f.float(2, 1.5)),
      msg(f.str(1, 's'), f.str(4, 'x')),
      msg(f.str(1, 'is'), f.int(8, 1), f.int(8, 2)), // unpacked repeated
      msg(f.str(1, 'fs'), f.float(7, 1), f.float(7, 2)),
      msg(f.str(1, 'empty')),
    ]);
    expect(Object.fromEntries(a)).toEqual({
      i: { kind: 'int', value: 4 },
      f: { kind: 'float', value: 1.5 },
      s: { kind: 'string', value: 'x' },
      is: { kind: 'ints', value: [1, 2] },
      fs: { kind: 'floats', value: [1, 2] },
    });
  });

  it('drops TYPE_PROTO attributes and typed empty lists are empty', () => {
    const a = decodeAttrs([msg(f.str(1, 'tp'), f.int(20, 13), f.bytes(14, tensorType(1))), msg(f.str(1, 'e'), f.int(20, 7))]);
    expect(Object.fromEntries(a)).toEqual({ e: { kind: 'ints', value: [] } });
  });

  it('refuses sparse tensors and tensor lists, naming the node', () => {
    const sparse = msg(f.str(1, 'sparse_value'), f.int(20, 11), f.bytes(22, msg()));
    const e = expectError(() => decodeAttrs([sparse]), 'UNSUPPORTED_ATTRIBUTE', /sparse/);
    expect(e.node).toBe('Op_0');
    expectError(() => decodeAttrs([msg(f.str(1, 'ts'), f.int(20, 9), f.bytes(10, tensor({ dims: [], dataType: 1, floatData: [1] })))]), 'UNSUPPORTED_ATTRIBUTE');
  });

  it('a TENSOR attribute without a tensor is INVALID_MODEL', () => {
    expectError(() => decodeAttrs([msg(f.str(1, 'value'), f.int(20, 4))]), 'INVALID_MODEL', /no tensor/);
  });
});

describe('malformed input', () => {
  it('random text, empty input, no graph', () => {
    expectError(() => toLoweringModel(new TextEncoder().encode('hello, this is certainly not an ONNX model\n')), 'INVALID_MODEL');
    expectError(() => toLoweringModel(new Uint8Array(0)), 'INVALID_MODEL', /empty/);
    expectError(() => toLoweringModel(model({})), 'INVALID_MODEL', /not an ONNX model/);
  });
  it('a field that claims more bytes than remain', () => {
    const good = model({ graph: simpleGraph([]) });
    // ModelProto.graph (field 7) claiming 1000 bytes
    expectError(() => toLoweringModel(msg(f.int(1, 8), (w) => void w.uint32((7 << 3) | 2).uint32(1000).uint32(1))), 'INVALID_MODEL', /claims 1000 bytes/);
    expect(() => toLoweringModel(good)).not.toThrow();
  });
  it('a known field with the wrong wire type', () => {
    expectError(() => toLoweringModel(msg(f.int(7, 3))), 'INVALID_MODEL', /wire type 0/);
  });
  it('deeply nested groups and subgraphs end in CompileError', () => {
    const groups = new Uint8Array(200000).fill((99 << 3) | 3); // start-group tags, never closed
    expectError(() => toLoweringModel(groups), 'INVALID_MODEL');
    let g = simpleGraph([]);
    for (let i = 0; i < 80; i++) g = graph({ nodes: [node({ opType: 'If', inputs: ['c'], outputs: ['y'], attrs: [attr.graph('then_branch', g)] })] });
    expectError(() => toLoweringModel(model({ graph: g })), 'LIMIT_EXCEEDED', /nested/);
  });
  it('a node without op_type', () => {
    expectError(() => toLoweringModel(model({ graph: graph({ nodes: [msg(f.str(1, 'x'))] }) })), 'INVALID_MODEL', /op_type/);
  });
});

describe('fuzz: only CompileError, never a crash', () => {
  let seed = 987654321;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const attempt = (bytes: Uint8Array, what: string): void => {
    try {
      toLoweringModel(bytes);
    } catch (e) {
      if (!(e instanceof CompileError)) throw new Error(`${what}: ${String(e)}`);
    }
  };

  it('random byte strings', () => {
    for (let trial = 0; trial < 3000; trial++) {
      attempt(Uint8Array.from({ length: 1 + rand(300) }, () => rand(256)), `random trial ${trial}`);
    }
  });

  it('mutations and truncations of a model using every feature', () => {
    const body = graph({ nodes: [node({ opType: 'Identity', inputs: ['x'], outputs: ['z'] })], outputs: [valueInfo('z', sequenceType(tensorType(1, ['N'])))] });
    const rich = model({
      opsets: [['', 18], ['com.local', 1]],
      graph: graph({
        inputs: [valueInfo('x', tensorType(10, ['N', 3])), valueInfo('o', optionalType(tensorType(7, [])))],
        outputs: [valueInfo('y', tensorType(10, ['N', 3]))],
        initializers: [
          tensor({ name: 'a', dims: [2], dataType: 22, int32Data: [0x7f] }),
          tensor({ name: 'b', dims: [2], dataType: 7, int64Data: [1, -1] }),
          tensor({ name: 'c', dims: [2], dataType: 8, stringData: ['p', 'q'] }),
          tensor({ name: 'd', dims: [1, 2], dataType: 1, raw: le(new Float32Array([1, 2])) }),
        ],
        nodes: [
          node({ opType: 'If', inputs: ['x'], outputs: ['t'], attrs: [attr.graph('then_branch', body), attr.graphs('gs', [body])] }),
          node({ opType: 'F', domain: 'com.local', inputs: ['t'], outputs: ['y'], attrs: [attr.ints('is', [1, 2]), attr.strings('ss', ['s']), attr.tensor('t', tensor({ dims: [], dataType: 16, int32Data: [0x3f80] }))] }),
        ],
      }),
      functions: [functionProto({ name: 'F', domain: 'com.local', inputs: ['A'], outputs: ['B'], attributes: ['is'], defaults: [attr.float('k', 1)], nodes: [node({ opType: 'Neg', inputs: ['A'], outputs: ['B'], attrs: [attr.ref('perm', 'is', 7)] })] })],
    });
    expect(() => toLoweringModel(rich)).not.toThrow();
    for (let cut = 0; cut < rich.length; cut++) attempt(rich.subarray(0, cut), `cut ${cut}`);
    for (let trial = 0; trial < 3000; trial++) {
      const b = Uint8Array.from(rich);
      for (let k = 0; k < 1 + rand(3); k++) b[rand(b.length)] = rand(256);
      attempt(b, `mutation trial ${trial}`);
    }
  });
});
