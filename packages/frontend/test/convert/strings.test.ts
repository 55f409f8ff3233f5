// The string converters beyond the conformance cases: StringNormalizer's stop words (case-insensitive,
// [1, C] inputs, everything dropped, empty input), locales, StringSplit's attributes and run-time width,
// RegexFullMatch's refusals, and the typed errors that name the node.

import { describe, expect, it } from 'vitest';
import { CompileError, type HostTensor, interpret } from '@tensorc/ir';
import type { AttrValue } from '../../src/convert/attributes.js';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel } from '../../src/lowering-model.js';

function model(opType: string, inputs: { name: string; shape: number[]; dtype?: 'string' | 'float32' }[], outputs: string[], attrs: Record<string, AttrValue> = {}, opset = 20): LoweringModel {
  return {
    irVersion: 9, producer: 'test', opsets: new Map([['', opset]]),
    graph: {
      name: 'g', initializers: [], valueInfo: new Map(),
      inputs: inputs.map((i) => ({ name: i.name, type: { kind: 'tensor', dtype: i.dtype ?? 'string', shape: i.shape } })),
      outputs: outputs.map((name) => ({ name, type: { kind: 'unknown' } })),
      nodes: [{ opType, domain: '', name: 'n1', inputs: inputs.map((i) => i.name), outputs, attributes: new Map(Object.entries(attrs)) }],
    },
  };
}

const str = (shape: number[], v: string[]): HostTensor => ({ dtype: 'string', shape, data: v });

function compileError(m: LoweringModel): CompileError {
  try {
    lowerModel(m);
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('expected a CompileError');
}

describe('StringNormalizer', () => {
  const normalize = (x: HostTensor, attrs: Record<string, AttrValue>): HostTensor =>
    interpret(lowerModel(model('StringNormalizer', [{ name: 'x', shape: x.shape }], ['y'], attrs, 10)), { x })['y'] as HostTensor;
  const stop = (...w: string[]): AttrValue => ({ kind: 'strings', value: w });

  it('drops stop words case-insensitively by default, then changes case', () => {
    const y = normalize(str([5], ['The', 'cat', 'THE', 'hat', 'a']), { stopwords: stop('the', 'A'), case_change_action: { kind: 'string', value: 'LOWER' } });
    expect(y.data).toEqual(['cat', 'hat']);
  });

  it('compares exactly when case sensitive', () => {
    const y = normalize(str([3], ['The', 'the', 'x']), { stopwords: stop('the'), is_case_sensitive: { kind: 'int', value: 1 } });
    expect(y.data).toEqual(['The', 'x']);
  });

  it('keeps [1, C] inputs two-dimensional, and gives [1, 1] [""] when every word is dropped', () => {
    const y = normalize(str([1, 3], ['a', 'b', 'c']), { stopwords: stop('b'), case_change_action: { kind: 'string', value: 'UPPER' } });
    expect([y.shape, y.data]).toEqual([[1, 2], ['A', 'C']]);
    const none = normalize(str([1, 2], ['b', 'B']), { stopwords: stop('b') });
    expect([none.shape, none.data]).toEqual([[1, 1], ['']]);
    const empty = normalize(str([0], []), { stopwords: stop('b') });
    expect([empty.shape, empty.data]).toEqual([[1], ['']]);
  });

  it('changes case by the locale given', () => {
    const y = normalize(str([1], ['istanbul']), { case_change_action: { kind: 'string', value: 'UPPER' }, locale: { kind: 'string', value: 'tr_TR.UTF-8' } });
    expect(y.data).toEqual(['İSTANBUL']);
  });

  it('refuses bad attributes and shapes with typed errors naming the node', () => {
    const bad = (shape: number[], attrs: Record<string, AttrValue>) => compileError(model('StringNormalizer', [{ name: 'x', shape }], ['y'], attrs, 10));
    const e = bad([2], { case_change_action: { kind: 'string', value: 'TITLE' } });
    expect([e.code, e.node, e.opType]).toEqual(['UNSUPPORTED_ATTRIBUTE', 'n1', 'StringNormalizer']);
    expect(bad([2], { locale: { kind: 'string', value: '!!' } }).code).toBe('UNSUPPORTED_ATTRIBUTE');
    expect(bad([2, 2], {}).code).toBe('SHAPE_ERROR');
  });
});

describe('StringSplit', () => {
  it('honours delimiter and maxsplit, with a run-time token width', () => {
    const g = lowerModel(model('StringSplit', [{ name: 'x', shape: [3] }], ['y', 'z'], { delimiter: { kind: 'string', value: '-' }, maxsplit: { kind: 'int', value: 1 } }));
    const yType = g.outputs[0]!.value;
    expect(g.nodes.some((n) => n.outputs.some((o) => o.id === yType && o.type.kind === 'tensor' && typeof o.type.shape[1] === 'string'))).toBe(true);
    const out = interpret(g, { x: str([3], ['a-b-c', '', 'x']) });
    expect((out['y'] as HostTensor).data).toEqual(['a', 'b-c', '', '', 'x', '']);
    expect(Array.from((out['z'] as HostTensor).data as BigInt64Array)).toEqual([2n, 1n, 1n]);
  });

  it('refuses non-string inputs', () => {
    expect(compileError(model('StringSplit', [{ name: 'x', shape: [3], dtype: 'float32' }], ['y', 'z'])).code).toBe('TYPE_ERROR');
  });
});

describe('RegexFullMatch and StringConcat', () => {
  it('matches whole strings', () => {
    const g = lowerModel(model('RegexFullMatch', [{ name: 'x', shape: [3] }], ['y'], { pattern: { kind: 'string', value: '[a-c]+\\d?' } }));
    expect(Array.from((interpret(g, { x: str([3], ['abc1', 'abcd', 'cab']) })['y'] as HostTensor).data as Float64Array)).toEqual([1, 0, 1]);
  });

  it('refuses RE2 syntax it cannot mirror, naming the node and the construct', () => {
    const e = compileError(model('RegexFullMatch', [{ name: 'x', shape: [1] }], ['y'], { pattern: { kind: 'string', value: '(?U)a+' } }));
    expect([e.code, e.node, e.opType]).toEqual(['UNSUPPORTED_ATTRIBUTE', 'n1', 'RegexFullMatch']);
    expect(e.message).toMatch(/flag "U"/);
  });

  it('concatenates with broadcasting and refuses numbers', () => {
    const g = lowerModel(model('StringConcat', [{ name: 'a', shape: [2] }, { name: 'b', shape: [] }], ['y']));
    expect((interpret(g, { a: str([2], ['x', 'y']), b: str([], ['!']) })['y'] as HostTensor).data).toEqual(['x!', 'y!']);
    expect(compileError(model('StringConcat', [{ name: 'a', shape: [2] }, { name: 'b', shape: [2], dtype: 'float32' }], ['y'])).code).toBe('TYPE_ERROR');
  });
});
