// Model-local function inlining on hand-built models: binding of inputs/outputs, renaming of intermediates
// under the call's name, attribute references (call value, default, absent), nesting, subgraphs, recursion.
import { describe, expect, it } from 'vitest';
import { CompileError } from '@tensorc/ir';
import type { LoweringGraph, LoweringModel, LoweringNode } from '../lowering-model.js';
import { toLoweringModel } from './index.js';
import { attr, functionProto, graph, model, node, tensorType, valueInfo } from './__tests__/proto-writer.js';

const D = 'com.local';

/** AddScaled(A, B) = A + B * alpha, alpha from the call (default 2). */
const addScaled = functionProto({
  name: 'AddScaled', domain: D, inputs: ['A', 'B'], outputs: ['Out'], attributes: ['alpha'],
  defaults: [attr.float('alpha', 2)],
  nodes: [
    node({ opType: 'Constant', outputs: ['c'], attrs: [attr.ref('value_float', 'alpha', 1)] }),
    node({ opType: 'Mul', inputs: ['B', 'c'], outputs: ['tmp'] }),
    node({ opType: 'Add', inputs: ['A', 'tmp'], outputs: ['Out'] }),
  ],
});

/** Outer(X) = AddScaled(X, X) with alpha = the call's `scale`. */
const outer = functionProto({
  name: 'Outer', domain: D, inputs: ['X'], outputs: ['Y'], attributes: ['scale'],
  nodes: [node({ opType: 'AddScaled', domain: D, inputs: ['X', 'X'], outputs: ['Y'], attrs: [attr.ref('alpha', 'scale', 1)] })],
});

const io = { inputs: [valueInfo('x', tensorType(1, [2])), valueInfo('y', tensorType(1, [2]))] };

function decode(nodes: Uint8Array[], functions: Uint8Array[], outputs = ['z']): LoweringModel {
  return toLoweringModel(model({
    opsets: [['', 18], [D, 1]],
    graph: graph({ ...io, outputs: outputs.map((o) => valueInfo(o, tensorType(1, [2]))), nodes }),
    functions,
  }));
}

const row = (n: LoweringNode): unknown[] => [n.name, n.opType, n.inputs, n.outputs];
const floatAttr = (n: LoweringNode, name: string): unknown => n.attributes.get(name)?.value;

describe('local function inlining', () => {
  it('binds inputs/outputs, renames intermediates under the call name, takes attributes from the call', () => {
    const m = decode([node({ opType: 'AddScaled', domain: D, name: 'call1', inputs: ['x', 'y'], outputs: ['z'], attrs: [attr.float('alpha', 3)] })], [addScaled]);
    expect(m.graph.nodes.map(row)).toEqual([
      ['call1/Constant_0', 'Constant', [], ['call1/c']],
      ['call1/Mul_1', 'Mul', ['y', 'call1/c'], ['call1/tmp']],
      ['call1/Add_2', 'Add', ['x', 'call1/tmp'], ['z']],
    ]);
    expect(floatAttr(m.graph.nodes[0]!, 'value_float')).toBe(3);
  });

  it('uses the default when the call omits the attribute; drops a reference with neither', () => {
    const m = decode([node({ opType: 'AddScaled', domain: D, inputs: ['x', 'y'], outputs: ['z'] })], [addScaled]);
    expect(m.graph.nodes[0]!.name).toBe('AddScaled_0/Constant_0');
    expect(floatAttr(m.graph.nodes[0]!, 'value_float')).toBe(2);
    const noDefault = functionProto({
      name: 'F', domain: D, inputs: ['A'], outputs: ['B'], attributes: ['k'],
      nodes: [node({ opType: 'Foo', inputs: ['A'], outputs: ['B'], attrs: [attr.ref('k', 'k', 2), attr.int('fixed', 1)] })],
    });
    const m2 = decode([node({ opType: 'F', domain: D, inputs: ['x'], outputs: ['z'] })], [noDefault]);
    expect([...m2.graph.nodes[0]!.attributes.keys()]).toEqual(['fixed']);
  });

  it('inlines nested calls, resolving references through both levels', () => {
    const m = decode([node({ opType: 'Outer', domain: D, name: 'o', inputs: ['x'], outputs: ['z'], attrs: [attr.float('scale', 5)] })], [addScaled, outer]);
    expect(m.graph.nodes.map(row)).toEqual([
      ['o/AddScaled_0/Constant_0', 'Constant', [], ['o/AddScaled_0/c']],
      ['o/AddScaled_0/Mul_1', 'Mul', ['x', 'o/AddScaled_0/c'], ['o/AddScaled_0/tmp']],
      ['o/AddScaled_0/Add_2', 'Add', ['x', 'o/AddScaled_0/tmp'], ['z']],
    ]);
    expect(floatAttr(m.graph.nodes[0]!, 'value_float')).toBe(5);
  });

  it("binds missing optional inputs to '' and gives omitted outputs private names", () => {
    const fn = functionProto({
      name: 'G', domain: D, inputs: ['A', 'B', 'C'], outputs: ['P', 'Q'],
      nodes: [
        node({ opType: 'Clip', inputs: ['A', 'B', 'C'], outputs: ['Q'] }),
        node({ opType: 'Neg', inputs: ['Q'], outputs: ['P'] }),
      ],
    });
    const m = decode([node({ opType: 'G', domain: D, name: 'g', inputs: ['x', ''], outputs: ['z'] })], [fn]);
    expect(m.graph.nodes.map(row)).toEqual([
      ['g/Clip_0', 'Clip', ['x', '', ''], ['g/Q']],
      ['g/Neg_1', 'Neg', ['g/Q'], ['z']],
    ]);
  });

  it('keeps call prefixes unique when call nodes share a name', () => {
    const call = node({ opType: 'AddScaled', domain: D, name: 'same', inputs: ['x', 'y'], outputs: ['z'] });
    const call2 = node({ opType: 'AddScaled', domain: D, name: 'same', inputs: ['z', 'y'], outputs: ['w'] });
    const m = decode([call, call2], [addScaled], ['w']);
    const outs = m.graph.nodes.flatMap((n) => n.outputs);
    expect(new Set(outs).size).toBe(outs.length);
    expect(m.graph.nodes[3]!.name).toBe('same#2/Constant_0');
  });

  it('inlines calls inside subgraphs, and substitutes references inside a body subgraph', () => {
    const withBranch = functionProto({
      name: 'H', domain: D, inputs: ['A'], outputs: ['B'], attributes: ['v'],
      nodes: [node({
        opType: 'If', inputs: ['A'], outputs: ['B'],
        attrs: [attr.graph('then_branch', graph({
          outputs: [valueInfo('k')],
          nodes: [node({ opType: 'Constant', outputs: ['k'], attrs: [attr.ref('value_float', 'v', 1)] })],
        }))],
      })],
    });
    const sub = graph({
      outputs: [valueInfo('s')],
      nodes: [node({ opType: 'AddScaled', domain: D, name: 'inner', inputs: ['x', 'y'], outputs: ['s'] })],
    });
    const m = decode([
      node({ opType: 'If', name: 'if', inputs: ['x'], outputs: ['z'], attrs: [attr.graph('then_branch', sub)] }),
      node({ opType: 'H', domain: D, name: 'h', inputs: ['x'], outputs: ['w'], attrs: [attr.float('v', 7)] }),
    ], [addScaled, withBranch], ['z', 'w']);
    const thenOf = (n: LoweringNode): LoweringGraph => n.attributes.get('then_branch')!.value as LoweringGraph;
    expect(thenOf(m.graph.nodes[0]!).nodes.map((n) => n.opType)).toEqual(['Constant', 'Mul', 'Add']);
    const h = m.graph.nodes[1]!;
    expect(row(h)).toEqual(['h/If_0', 'If', ['x'], ['w']]);
    const branch = thenOf(h);
    expect(branch.outputs.map((o) => o.name)).toEqual(['h/k']);
    expect(branch.nodes.map(row)).toEqual([['h/Constant_0', 'Constant', [], ['h/k']]]);
    expect(floatAttr(branch.nodes[0]!, 'value_float')).toBe(7);
  });

  it('refuses recursion with LIMIT_EXCEEDED and calls with too many inputs with INVALID_MODEL', () => {
    const rec = functionProto({ name: 'R', domain: D, inputs: ['A'], outputs: ['B'], nodes: [node({ opType: 'R', domain: D, inputs: ['A'], outputs: ['B'] })] });
    const e = (() => {
      try {
        decode([node({ opType: 'R', domain: D, inputs: ['x'], outputs: ['z'] })], [rec]);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).code).toBe('LIMIT_EXCEEDED');
    expect(() => decode([node({ opType: 'AddScaled', domain: D, inputs: ['x', 'y', 'x'], outputs: ['z'] })], [addScaled]))
      .toThrow(/3 inputs/);
  });

  it('leaves ops of other domains alone', () => {
    const m = decode([node({ opType: 'AddScaled', domain: 'com.other', inputs: ['x', 'y'], outputs: ['z'] })], [addScaled]);
    expect(m.graph.nodes.map(row)).toEqual([['AddScaled_0', 'AddScaled', ['x', 'y'], ['z']]]);
  });
});
