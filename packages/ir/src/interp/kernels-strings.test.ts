// String kernels through the interpreter: concat with broadcasting, case mapping (default and locale rules),
// RE2 full match, and split against Python's str.split results (the ONNX reference uses it); plus type-rule
// errors for non-string inputs, bad locales and unsupported patterns.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import { CompileError } from '../errors.js';
import type { Op } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import { type ValueType, tensorType } from '../types.js';
import { interpret } from './interpret.js';
import { splitString } from './kernels-strings.js';

const str = (shape: number[], v: string[]): HostTensor => ({ dtype: 'string', shape, data: v });

function run(op: Op, ins: HostTensor[], declared?: ValueType[]): HostTensor[] {
  const b = new GraphBuilder();
  const ids = ins.map((t, i) => b.input(`x${i}`, tensorType(t.dtype, t.shape)));
  const outs = b.add(op, ids, declared);
  outs.forEach((o, i) => b.output(`y${i}`, o));
  const r = interpret(b.build(), Object.fromEntries(ins.map((t, i) => [`x${i}`, t])));
  return outs.map((_, i) => r[`y${i}`] as HostTensor);
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.code;
    throw e;
  }
  throw new Error('expected a CompileError');
}

describe('string_concat', () => {
  it('concatenates elementwise with numpy broadcasting', () => {
    const [y] = run({ kind: 'string_concat' }, [str([2, 1], ['a', 'b']), str([3], ['1', '', 'é'])]);
    expect(y!.shape).toEqual([2, 3]);
    expect(y!.data).toEqual(['a1', 'a', 'aé', 'b1', 'b', 'bé']);
  });

  it('rejects non-string inputs when the node is built', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('float32', [2]));
    expect(codeOf(() => b.add({ kind: 'string_concat' }, [x, x]))).toBe('TYPE_ERROR');
  });
});

describe('string_case', () => {
  it('upper- and lower-cases with Unicode default rules', () => {
    const x = str([3], ['Straße', 'ÉCOLE', 'mIxEd 1']);
    expect(run({ kind: 'string_case', upper: true, locale: '' }, [x])[0]!.data).toEqual(['STRASSE', 'ÉCOLE', 'MIXED 1']);
    expect(run({ kind: 'string_case', upper: false, locale: '' }, [x])[0]!.data).toEqual(['straße', 'école', 'mixed 1']);
  });

  it('follows a locale when one is given (Turkish dotted i)', () => {
    expect(run({ kind: 'string_case', upper: true, locale: 'tr-TR' }, [str([1], ['istanbul'])])[0]!.data).toEqual(['İSTANBUL']);
  });

  it('rejects a malformed locale', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('string', [1]));
    expect(codeOf(() => b.add({ kind: 'string_case', upper: true, locale: 'en_US' }, [x]))).toBe('TYPE_ERROR');
  });
});

describe('regex_match', () => {
  it('matches whole strings only', () => {
    const [y] = run({ kind: 'regex_match', pattern: 'www\\.[\\w.-]+\\.\\bcom\\b' }, [str([3], ['www.google.com', 'www.facebook.com', 'www.bbc.co.uk'])]);
    expect(y!.dtype).toBe('bool');
    expect(Array.from(y!.data as Float64Array)).toEqual([1, 1, 0]);
    const [z] = run({ kind: 'regex_match', pattern: 'ab' }, [str([3], ['ab', 'xab', 'abx'])]);
    expect(Array.from(z!.data as Float64Array)).toEqual([1, 0, 0]);
  });

  it('keeps an empty input empty', () => {
    const [y] = run({ kind: 'regex_match', pattern: 'a*' }, [str([2, 0], [])]);
    expect(y!.shape).toEqual([2, 0]);
  });

  it('fails with UNSUPPORTED_ATTRIBUTE for syntax outside the supported subset', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('string', [1]));
    expect(codeOf(() => b.add({ kind: 'regex_match', pattern: 'a\\Cb' }, [x]))).toBe('UNSUPPORTED_ATTRIBUTE');
  });
});

describe('string_split', () => {
  const split = (x: HostTensor, delimiter: string, maxSplit: number) =>
    run({ kind: 'string_split', delimiter, maxSplit }, [x], [tensorType('string', [...x.shape, 'n']), tensorType('int64', x.shape)]);

  it('pads every row to the longest split and counts the tokens', () => {
    const [tokens, counts] = split(str([2], ['a,b,,c', 'x']), ',', -1);
    expect(tokens!.shape).toEqual([2, 4]);
    expect(tokens!.data).toEqual(['a', 'b', '', 'c', 'x', '', '', '']);
    expect(Array.from(counts!.data as BigInt64Array)).toEqual([4n, 1n]);
  });

  it('gives width 0 for an empty input', () => {
    const [tokens, counts] = split(str([0], []), '', -1);
    expect(tokens!.shape).toEqual([0, 0]);
    expect(counts!.shape).toEqual([0]);
  });

  it('agrees with Python str.split', () => {
    // Each row: the string, delimiter ('' = None), maxsplit, and Python's result.
    const cases: [string, string, number, string[]][] = [
      ['a,b,,c', ',', -1, ['a', 'b', '', 'c']],
      ['', ',', -1, ['']],
      ['', '', -1, []],
      ['   ', '', -1, []],
      ['  a  b c ', '', -1, ['a', 'b', 'c']],
      ['  a  b c ', '', 1, ['a', 'b c ']],
      ['  a b ', '', 0, ['a b ']],
      ['a,b,c', ',', 1, ['a', 'b,c']],
      ['a,b,c', ',', 0, ['a,b,c']],
      ['a::b::', '::', -1, ['a', 'b', '']],
      ['a\u3000b\x1fc\ufeffd', '', -1, ['a', 'b', 'c\ufeffd']],
    ];
    for (const [s, d, m, want] of cases) expect(splitString(s, d, m), JSON.stringify([s, d, m])).toEqual(want);
  });

  it('needs declared result types', () => {
    const b = new GraphBuilder();
    const x = b.input('x', tensorType('string', [2]));
    expect(codeOf(() => b.add({ kind: 'string_split', delimiter: '', maxSplit: -1 }, [x]))).toBe('TYPE_ERROR');
    expect(codeOf(() => b.add({ kind: 'string_split', delimiter: '', maxSplit: -2 }, [x], [tensorType('string', [2, 'n']), tensorType('int64', [2])]))).toBe('TYPE_ERROR');
  });
});
