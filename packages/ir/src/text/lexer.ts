// Tokens of the IR text form, with line/column for error messages.

import { CompileError } from '../errors.js';

export type TokenKind = 'value' | 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', '<', '>', ',', ':', '=', '^', '*', '+', '-']);

export function parseError(t: Token, what: string): never {
  throw new CompileError('PARSE_ERROR', `line ${t.line} col ${t.col}: ${what}, found ${t.kind === 'eof' ? 'end of input' : JSON.stringify(t.text)}`);
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (kind: TokenKind, start: number, text: string) => out.push({ kind, text, line, col: start - lineStart + 1 });
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') { i++; line++; lineStart = i; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const start = i;
    if (c === '%') {
      i++;
      while (i < src.length && /[0-9]/.test(src[i]!)) i++;
      if (i === start + 1) parseError({ kind: 'punct', text: c, line, col: start - lineStart + 1 }, 'expected a value number after %');
      at('value', start, src.slice(start + 1, i));
      continue;
    }
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\') i++;
        if (src[i] === '\n') break;
        i++;
      }
      if (src[i] !== '"') parseError({ kind: 'string', text: src.slice(start, i), line, col: start - lineStart + 1 }, 'unterminated string');
      i++;
      at('string', start, src.slice(start, i));
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && (/[0-9]/.test(src[i + 1] ?? '') || src.startsWith('-inf', i) || src.startsWith('-nan', i)))) {
      i++;
      while (i < src.length && /[0-9A-Za-z_.+-]/.test(src[i]!) && !(/[+-]/.test(src[i]!) && !/[eE]/.test(src[i - 1]!))) i++;
      at('number', start, src.slice(start, i));
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      at('ident', start, src.slice(start, i));
      continue;
    }
    if (PUNCT.has(c)) { i++; at('punct', start, c); continue; }
    parseError({ kind: 'punct', text: c, line, col: start - lineStart + 1 }, 'unexpected character');
  }
  out.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return out;
}
