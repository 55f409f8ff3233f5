// The parser's cursor over tokens, with readers for the shared small forms: numbers (validated against the
// spellings printNumber produces), integers, strings, dtypes, dims, value types and value definitions.
// Every reader throws a PARSE_ERROR naming line, column and what was expected.

import { type DType, dtypeFromShort, isDType } from '../dtype.js';
import type { Value, ValueId } from '../graph.js';
import type { Dim, TensorType, ValueType } from '../types.js';
import { type Token, parseError, tokenize } from './lexer.js';

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INTEGER = /^-?[0-9]+$/;

export class TokenStream {
  private i = 0;
  private readonly toks: Token[];
  constructor(text: string) { this.toks = tokenize(text); }

  peek(k = 0): Token { return this.toks[Math.min(this.i + k, this.toks.length - 1)]!; }
  next(): Token { const t = this.peek(); if (this.i < this.toks.length - 1) this.i++; return t; }
  isPunct(p: string, k = 0): boolean { const t = this.peek(k); return t.kind === 'punct' && t.text === p; }
  isIdent(s: string, k = 0): boolean { const t = this.peek(k); return t.kind === 'ident' && t.text === s; }
  fail(what: string, at: Token = this.peek()): never { return parseError(at, what); }

  expectPunct(p: string): void { if (!this.isPunct(p)) this.fail(`expected "${p}"`); this.next(); }
  expectIdent(s?: string): string {
    const t = this.peek();
    if (t.kind !== 'ident' || (s !== undefined && t.text !== s)) this.fail(s ? `expected "${s}"` : 'expected a name');
    return this.next().text;
  }
  expectEnd(what = 'expected end of input'): void { if (this.peek().kind !== 'eof') this.fail(what); }

  /** A comma-separated list between `open` and `close` (empty allowed). */
  list<T>(open: string, close: string, item: () => T): T[] {
    this.expectPunct(open);
    const out: T[] = [];
    if (this.isPunct(close)) { this.next(); return out; }
    for (;;) {
      out.push(item());
      if (this.isPunct(',')) { this.next(); continue; }
      if (!this.isPunct(close)) this.fail(`expected "," or "${close}"`);
      this.next();
      return out;
    }
  }

  /** A comma-separated sequence with no brackets, read while `more()` holds at its start. */
  bareList<T>(more: () => boolean, item: () => T): T[] {
    const out: T[] = [];
    if (!more()) return out;
    out.push(item());
    while (this.isPunct(',')) { this.next(); out.push(item()); }
    return out;
  }

  /** True when the next token starts a number (including the words nan and inf). */
  atNumber(): boolean { const t = this.peek(); return t.kind === 'number' || this.isIdent('nan') || this.isIdent('inf'); }

  /** Any double in printNumber's spelling. */
  number(what = 'expected a number'): number {
    const t = this.peek();
    if (!this.atNumber()) this.fail(what);
    this.next();
    return numberFromText(t.text) ?? this.fail('malformed number', t);
  }

  /** An integer-valued double (axes, counts, coefficients). */
  int(what = 'expected an integer'): number {
    const t = this.peek();
    const v = this.number(what);
    if (!Number.isInteger(v)) this.fail(what, t);
    return v;
  }

  /** An exact decimal integer as a bigint (int64/uint64 values). */
  bigint(what = 'expected an integer'): bigint {
    const t = this.peek();
    if (t.kind !== 'number' || !INTEGER.test(t.text)) this.fail(what);
    this.next();
    return BigInt(t.text);
  }

  string(what = 'expected a string'): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(what);
    this.next();
    try {
      return JSON.parse(t.text) as string;
    } catch {
      return this.fail('malformed string literal', t);
    }
  }

  valueRef(): ValueId {
    const t = this.peek();
    if (t.kind !== 'value') this.fail('expected a value like %3');
    this.next();
    return Number(t.text);
  }

  /** A dtype in its short spelling (`f32`); `"float32"` is accepted too (op fields print the long name). */
  dtype(): DType {
    const t = this.peek();
    const d = t.kind === 'ident' ? dtypeFromShort(t.text) : t.kind === 'string' ? longDType(t.text) : undefined;
    if (d === undefined) this.fail('expected a dtype like f32');
    this.next();
    return d;
  }

  /** A dim: integer, bare identifier symbol, or quoted dim expression. */
  dim(): Dim {
    const t = this.peek();
    if (t.kind === 'ident') return this.next().text; // even `nan` / `inf`: a dim is never a non-integer number
    if (t.kind === 'string') return this.string();
    return this.int('expected a dim (an integer, a symbol or a quoted dim expression)');
  }

  type(): ValueType {
    const at = this.peek();
    if (this.isIdent('seq') || this.isIdent('opt')) {
      const outer = this.next().text;
      this.expectPunct('<');
      const elem = this.type();
      this.expectPunct('>');
      if (outer === 'seq') {
        if (elem.kind !== 'tensor') this.fail('a sequence holds tensors', at);
        return { kind: 'sequence', elem };
      }
      if (elem.kind === 'optional') this.fail('an optional holds a tensor or a sequence', at);
      return { kind: 'optional', elem };
    }
    return this.tensorType();
  }

  tensorType(): TensorType {
    const dtype = this.dtype();
    return { kind: 'tensor', dtype, shape: this.list('[', ']', () => this.dim()) };
  }

  /** `%3: f32[2]` */
  valueDef(): Value {
    const id = this.valueRef();
    this.expectPunct(':');
    return { id, type: this.type() };
  }
}

/** Inverse of printNumber; undefined for text it never produces. */
export function numberFromText(text: string): number | undefined {
  switch (text) {
    case 'nan': return NaN;
    case 'inf': return Infinity;
    case '-inf': return -Infinity;
    default: return DECIMAL.test(text) ? Number(text) : undefined;
  }
}

function longDType(quoted: string): DType | undefined {
  const s = quoted.slice(1, -1);
  return isDType(s) ? s : undefined;
}
