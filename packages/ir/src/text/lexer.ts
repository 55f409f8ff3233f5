// Tokens of the IR text form, each with its line and column so parse errors can point at the spot.
// `%12` is one value token; numbers include `-` and exponents (`-1.5e-7`, `-inf`); strings are JSON string
// literals kept verbatim (decoded by the parser); `#` starts a comment that runs to the end of the line.

import { CompileError } from '../errors.js';

export type TokenKind = 'value' | 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', '<', '>', ',', ':', '=', '^', '*', '+', '-']);
const DIGIT = /[0-9]/;
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER_PART = /[0-9A-Za-z_.]/;

/** Throws the PARSE_ERROR for `what` was expected at token `t`. */
export function parseError(t: Token, what: string): never {
  const found = t.kind === 'eof' ? 'end of input' : JSON.stringify(t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text);
  throw new CompileError('PARSE_ERROR', `line ${t.line} col ${t.col}: ${what}, found ${found}`);
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (start: number, kind: TokenKind, text: string): Token => ({ kind, text, line, col: start - lineStart + 1 });
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') { i++; line++; lineStart = i; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const start = i;
    if (c === '%') {
      i++;
      while (i < src.length && DIGIT.test(src[i]!)) i++;
      if (i === start + 1) parseError(here(start, 'punct', c), 'expected a value number after %');
      out.push(here(start, 'value', src.slice(start + 1, i)));
      continue;
    }
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"' && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      if (src[i] !== '"') parseError(here(start, 'string', src.slice(start, i)), 'unterminated string');
      i++;
      out.push(here(start, 'string', src.slice(start, i)));
      continue;
    }
    const negative = c === '-' && (DIGIT.test(src[i + 1] ?? '') || src.startsWith('-inf', i) || src.startsWith('-nan', i));
    if (DIGIT.test(c) || negative) {
      // Greedy over digits, letters and '.', plus a sign right after an exponent 'e'; the parser validates the text.
      i++;
      while (i < src.length && (NUMBER_PART.test(src[i]!) || ((src[i] === '+' || src[i] === '-') && /[eE]/.test(src[i - 1]!) && DIGIT.test(src[start + (negative ? 1 : 0)]!)))) i++;
      out.push(here(start, 'number', src.slice(start, i)));
      continue;
    }
    if (IDENT_START.test(c)) {
      while (i < src.length && IDENT_PART.test(src[i]!)) i++;
      out.push(here(start, 'ident', src.slice(start, i)));
      continue;
    }
    if (PUNCT.has(c)) { i++; out.push(here(start, 'punct', c)); continue; }
    parseError(here(start, 'punct', c), 'unexpected character');
  }
  out.push(here(i, 'eof', ''));
  return out;
}
