// The RE2 -> JavaScript translation: constructs whose meaning differs are mirrored exactly (checked on strings
// where a naive JavaScript RegExp would answer differently), RE2-invalid or unmirrorable syntax is refused.

import { describe, expect, it } from 'vitest';
import { CompileError } from './errors.js';
import { re2FullMatch } from './regex-re2.js';

const full = (pattern: string, s: string): boolean => re2FullMatch(pattern).test(s);

function refusal(pattern: string): string {
  try {
    re2FullMatch(pattern);
  } catch (e) {
    if (e instanceof CompileError && e.code === 'UNSUPPORTED_ATTRIBUTE') return e.message;
    throw e;
  }
  throw new Error(`${pattern} was accepted`);
}

describe('RE2 full match', () => {
  it('matches the whole string, across alternatives', () => {
    expect(full('a|ab', 'ab')).toBe(true);
    expect(full('a|b', 'ab')).toBe(false);
    expect(full('', '')).toBe(true);
    expect(full('(\\W|^)[\\w.\\-]{0,25}@(yahoo|gmail)\\.com(\\W|$)', 'account@gmail.com')).toBe(true);
    expect(full('(\\W|^)[\\w.\\-]{0,25}@(yahoo|gmail)\\.com(\\W|$)', 'account@hotmail.com')).toBe(false);
  });

  it('. excludes only \\n (not \\r or U+2028), and every character with a leading (?s)', () => {
    expect(full('a.b', 'a\rb')).toBe(true);
    expect(full('a.b', 'a\u2028b')).toBe(true);
    expect(full('a.b', 'a\nb')).toBe(false);
    expect(full('(?s)a.b', 'a\nb')).toBe(true);
    expect(full('.', '😀')).toBe(true); // one code point
  });

  it('\\s is ASCII whitespace without \\v', () => {
    expect(full('\\s', '\u00a0')).toBe(false);
    expect(full('\\s', '\v')).toBe(false);
    expect(full('\\s+', ' \t\n\f\r')).toBe(true);
    expect(full('\\S', '\u00a0')).toBe(true);
    expect(full('[\\sx]+', 'x x')).toBe(true);
  });

  it('reads escapes, classes and braces as RE2 does', () => {
    expect(full('\\Q.*+\\E', '.*+')).toBe(true);
    expect(full('\\Q.*+\\E', 'abc')).toBe(false);
    expect(full('(?P<word>\\w+)-\\d', 'ab-1')).toBe(true);
    expect(full('\\x{1F600}\\x41\\101\\0', '😀AA\0')).toBe(true);
    expect(full('[]a]+', ']a]')).toBe(true);
    expect(full('[[:alpha:][:digit:]_]+', 'aZ9_')).toBe(true);
    expect(full('[[:alpha:]]', '-')).toBe(false);
    expect(full('a{,2}', 'a{,2}')).toBe(true); // not a repetition in RE2: literal text
    expect(full('a{2,3}', 'aaa')).toBe(true);
    expect(full('\\-\\#\\}', '-#}')).toBe(true);
    expect(full('\\pL\\p{Greek}\\P{N}', 'aβ-')).toBe(true);
    expect(full('\\p{^Greek}', 'β')).toBe(false);
    expect(full('\\Aab\\z', 'ab')).toBe(true);
    expect(full('(?i)straße', 'STRASSE')).toBe(false); // simple case folding only, like RE2
    expect(full('(?i)abc', 'AbC')).toBe(true);
  });

  it('refuses what RE2 rejects or what cannot be mirrored, naming the construct', () => {
    expect(refusal('a\\Cb')).toMatch(/\\C/);
    expect(refusal('(a)\\1')).toMatch(/backreference/);
    expect(refusal('a(?=b)')).toMatch(/lookaround/);
    expect(refusal('a(?i)b')).toMatch(/leading \(\?i\)/);
    expect(refusal('(?m)^a$')).toMatch(/flag "m"/);
    expect(refusal('(?U)a*')).toMatch(/flag "U"/);
    expect(refusal('a{1001}')).toMatch(/1000/);
    expect(refusal('[[:^alpha:]]')).toMatch(/negated POSIX/);
    expect(refusal('\\e')).toMatch(/escape \\e/);
    expect(refusal('[a')).toMatch(/missing \]/);
    expect(refusal('a)')).toMatch(/not supported RE2 syntax/);
    expect(refusal('\\p{NoSuchScript}')).toMatch(/NoSuchScript/);
  });
});
