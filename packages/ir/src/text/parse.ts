// Parser of the IR text form: the exact inverse of print.ts (parse(print(g)) deep-equals g). Errors are
// PARSE_ERRORs with line and column. Op fields are read generically (numbers, strings, booleans, `_` for
// null, lists, {k=v} records), except the fields with special syntax: scalar expressions, index maps,
// regions and constant tensors.

import { type AffineExpr, type AffineTerm, affine } from '../affine.js';
import { type DType, dtypeFromShort, isBigIntDType } from '../dtype.js';
import type { Graph, Node, Region, Value, ValueId } from '../graph.js';
import { OP_KINDS, type Op, type OpKind } from '../ops.js';
import { BINARY_OPS, type BinaryOp, type ScalarExpr, UNARY_OPS, type UnaryOp } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim, TensorType, ValueType } from '../types.js';
import { type Token, parseError, tokenize } from './lexer.js';

const SCALAR_FIELDS = new Set(['combiner', 'epilogue', 'expr']);
const REGION_FIELDS = new Set(['body', 'thenBranch', 'elseBranch']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  peek(k = 0): Token { return this.toks[Math.min(this.i + k, this.toks.length - 1)]!; }
  next(): Token { return this.toks[this.i++] ?? this.toks[this.toks.length - 1]!; }
  isPunct(p: string, k = 0): boolean { const t = this.peek(k); return t.kind === 'punct' && t.text === p; }
  isIdent(s: string): boolean { const t = this.peek(); return t.kind === 'ident' && t.text === s; }
  expectPunct(p: string): void { const t = this.next(); if (t.kind !== 'punct' || t.text !== p) parseError(t, `expected "${p}"`); }
  expectIdent(s?: string): string {
    const t = this.next();
    if (t.kind !== 'ident' || (s !== undefined && t.text !== s)) parseError(t, s ? `expected "${s}"` : 'expected a name');
    return t.text;
  }
  string(): string { const t = this.next(); if (t.kind !== 'string') parseError(t, 'expected a string'); return JSON.parse(t.text) as string; }
  valueRef(): ValueId { const t = this.next(); if (t.kind !== 'value') parseError(t, 'expected a value like %3'); return Number(t.text); }

  /** A comma-separated list between `open` and `close`. */
  list<T>(open: string, close: string, item: () => T): T[] {
    this.expectPunct(open);
    const out: T[] = [];
    if (this.isPunct(close)) { this.next(); return out; }
    for (;;) {
      out.push(item());
      if (this.isPunct(',')) { this.next(); continue; }
      this.expectPunct(close);
      return out;
    }
  }

  number(): number {
    const t = this.next();
    if (t.kind === 'ident' && (t.text === 'nan' || t.text === 'inf')) return t.text === 'nan' ? NaN : Infinity;
    if (t.kind !== 'number') return parseError(t, 'expected a number');
    if (t.text === '-inf') return -Infinity;
    if (t.text === '-nan') return NaN;
    const v = Number(t.text);
    if (Number.isNaN(v)) parseError(t, 'malformed number');
    return v;
  }

  dtype(): DType {
    const t = this.next();
    const d = t.kind === 'ident' ? dtypeFromShort(t.text) : undefined;
    return d ?? parseError(t, 'expected a dtype like f32');
  }

  dim(): Dim {
    const t = this.peek();
    if (t.kind === 'ident') { this.next(); return t.text; }
    if (t.kind === 'string') return this.string();
    return this.number();
  }

  type(): ValueType {
    if (this.isIdent('seq')) { this.next(); this.expectPunct('<'); const e = this.type(); this.expectPunct('>'); return { kind: 'sequence', elem: e as TensorType }; }
    if (this.isIdent('opt')) { this.next(); this.expectPunct('<'); const e = this.type(); this.expectPunct('>'); return { kind: 'optional', elem: e as TensorType }; }
    const dtype = this.dtype();
    return { kind: 'tensor', dtype, shape: this.list('[', ']', () => this.dim()) };
  }

  valueDef(): Value {
    const id = this.valueRef();
    this.expectPunct(':');
    return { id, type: this.type() };
  }

  scalar(): ScalarExpr {
    const t = this.peek();
    if (t.kind === 'number' || (t.kind === 'ident' && (t.text === 'nan' || t.text === 'inf'))) {
      const text = this.next().text;
      this.expectPunct(':');
      const dtype = this.dtype();
      const v = isBigIntDType(dtype) ? BigInt(text) : text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
      return { k: 'lit', v, dtype };
    }
    const name = this.expectIdent();
    if (name === 'acc') return { k: 'acc' };
    if (/^a[0-9]+$/.test(name)) return { k: 'arg', i: Number(name.slice(1)) };
    if (name === 'cast') {
      this.expectPunct('<');
      const to = this.dtype();
      let saturate = false;
      if (this.isPunct(',')) { this.next(); this.expectIdent('sat'); saturate = true; }
      this.expectPunct('>');
      this.expectPunct('(');
      const a = this.scalar();
      this.expectPunct(')');
      return { k: 'cast', to, a, saturate };
    }
    const args = this.list('(', ')', () => this.scalar());
    if (name === 'select' && args.length === 3) return { k: 'select', c: args[0]!, a: args[1]!, b: args[2]! };
    if ((UNARY_OPS as readonly string[]).includes(name) && args.length === 1) return { k: 'un', op: name as UnaryOp, a: args[0]! };
    if ((BINARY_OPS as readonly string[]).includes(name) && args.length === 2) return { k: 'bin', op: name as BinaryOp, a: args[0]!, b: args[1]! };
    return parseError(t, `unknown scalar operation ${name}/${args.length}`);
  }

  affineExpr(): AffineExpr {
    const terms: AffineTerm[] = [];
    let offset = 0;
    let first = true;
    for (;;) {
      let sign = 1;
      const t = this.peek();
      if (this.isPunct('+') && !first) { this.next(); } else if (this.isPunct('-')) { this.next(); sign = -1; } else if (!first && !(t.kind === 'number' && t.text.startsWith('-'))) break;
      const u = this.peek();
      if (u.kind === 'ident' && /^d[0-9]+$/.test(u.text)) {
        this.next();
        let coeff = 1;
        if (this.isPunct('*')) { this.next(); coeff = this.number(); }
        terms.push({ idx: Number(u.text.slice(1)), coeff: sign * coeff });
      } else if (u.kind === 'number') {
        offset += sign * this.number();
      } else return parseError(u, 'expected a loop index like d0 or an integer');
      first = false;
    }
    const e = affine(terms, offset);
    return e;
  }

  tensor(): HostTensor {
    this.expectIdent('tensor');
    this.expectPunct('<');
    const t = this.type();
    this.expectPunct('>');
    if (t.kind !== 'tensor') return parseError(this.peek(), 'expected a tensor type');
    const shape = t.shape.map((d) => (typeof d === 'number' ? d : parseError(this.peek(), 'constant shapes are static')));
    const n = shape.reduce((a, b) => a * b, 1);
    if (this.isIdent('hex')) {
      this.next();
      const hex = this.string();
      const bytes = new Uint8Array(hex.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      const data = t.dtype === 'int64' ? new BigInt64Array(bytes.buffer) : t.dtype === 'uint64' ? new BigUint64Array(bytes.buffer) : new Float64Array(bytes.buffer);
      if (data.length !== n) parseError(this.peek(), `tensor has ${data.length} elements for ${n}`);
      return { dtype: t.dtype, shape, data };
    }
    if (t.dtype === 'string') return { dtype: t.dtype, shape, data: this.list('[', ']', () => this.string()) };
    const start = this.peek();
    const items = this.list('[', ']', () => (isBigIntDType(t.dtype) ? BigInt(this.next().text) : this.number()));
    if (items.length !== n) parseError(start, `tensor has ${items.length} elements for shape [${shape.join(',')}]`);
    const data = t.dtype === 'int64' ? BigInt64Array.from(items as bigint[]) : t.dtype === 'uint64' ? BigUint64Array.from(items as bigint[]) : Float64Array.from(items as number[]);
    return { dtype: t.dtype, shape, data };
  }

  plain(): unknown {
    const t = this.peek();
    if (t.kind === 'string') return this.string();
    if (t.kind === 'punct' && t.text === '[') return this.list('[', ']', () => this.plain());
    if (t.kind === 'punct' && t.text === '{') {
      const o: Record<string, unknown> = {};
      this.list('{', '}', () => { const k = this.expectIdent(); this.expectPunct('='); o[k] = this.plain(); });
      return o;
    }
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) { this.next(); return t.text === 'true'; }
    if (t.kind === 'ident' && t.text === '_') { this.next(); return null; }
    return this.number();
  }

  field(key: string): unknown {
    if (this.isIdent('_')) { this.next(); return null; }
    if (SCALAR_FIELDS.has(key)) return this.scalar();
    if (key === 'maps') return this.list('[', ']', () => this.list('(', ')', () => this.affineExpr()));
    if (REGION_FIELDS.has(key)) return this.region();
    if (key === 'value' && this.isIdent('tensor')) return this.tensor();
    return this.plain();
  }

  region(): Region {
    this.expectPunct('^');
    const params = this.list('(', ')', () => this.valueDef());
    this.expectPunct('{');
    const nodes: Node[] = [];
    while (!this.isIdent('yield')) nodes.push(this.node());
    this.next();
    const results: ValueId[] = [];
    if (this.peek().kind === 'value') {
      results.push(this.valueRef());
      while (this.isPunct(',')) { this.next(); results.push(this.valueRef()); }
    }
    this.expectPunct('}');
    return { params, nodes, results };
  }

  node(): Node {
    const outputs: Value[] = [this.valueDef()];
    while (this.isPunct(',')) { this.next(); outputs.push(this.valueDef()); }
    this.expectPunct('=');
    const kt = this.next();
    if (kt.kind !== 'ident' || !(OP_KINDS as readonly string[]).includes(kt.text)) parseError(kt, 'expected an op kind');
    const inputs = this.list('(', ')', () => this.valueRef());
    const op: Record<string, unknown> = { kind: kt.text as OpKind };
    if (this.isPunct('{')) {
      this.list('{', '}', () => { const k = this.expectIdent(); this.expectPunct('='); op[k] = this.field(k); });
    }
    let origin: Node['origin'];
    if (this.isIdent('loc')) {
      this.next();
      this.expectPunct('(');
      const opType = this.string();
      this.expectPunct(',');
      const node = this.string();
      this.expectPunct(')');
      origin = { opType, node };
    }
    return origin ? { op: op as unknown as Op, inputs, outputs, origin } : { op: op as unknown as Op, inputs, outputs };
  }

  graph(): Graph {
    this.expectIdent('graph');
    const inputs = this.list('(', ')', () => { const value = this.valueDef(); return { name: this.string(), value }; });
    this.expectPunct('{');
    const nodes: Node[] = [];
    while (!this.isIdent('return')) nodes.push(this.node());
    this.next();
    const outputs: { name: string; value: ValueId }[] = [];
    if (this.peek().kind === 'value') {
      for (;;) {
        const value = this.valueRef();
        outputs.push({ name: this.string(), value });
        if (!this.isPunct(',')) break;
        this.next();
      }
    }
    this.expectPunct('}');
    const end = this.next();
    if (end.kind !== 'eof') parseError(end, 'expected end of input');
    return { inputs, nodes, outputs };
  }
}

export function parseGraph(text: string): Graph {
  return new Parser(tokenize(text)).graph();
}

export function parseScalar(text: string): ScalarExpr {
  const p = new Parser(tokenize(text));
  const e = p.scalar();
  if (p.peek().kind !== 'eof') parseError(p.peek(), 'expected end of expression');
  return e;
}
