// Parser of the IR text form, the exact inverse of print.ts: parse(print(g)) deep-equals g and
// print(parse(text)) === text for printed text. Op fields are read by their kind from op-fields.ts, so every
// field must be present exactly once and unknown fields, bad enum values and malformed numbers are
// PARSE_ERRORs with line and column. Types are not checked here: that is the verifier's job.

import type { Graph, Node, Origin, Region, Value, ValueId } from '../graph.js';
import { OP_KINDS, type Op, type OpKind, type QuantScheme } from '../ops.js';
import type { Token } from './lexer.js';
import { FIELD_ORDER, type FieldKind, fieldKind } from './op-fields.js';
import { readMap, readScalar } from './parse-scalar.js';
import { readTensor } from './tensor-text.js';
import { TokenStream } from './token-stream.js';

const KINDS: ReadonlySet<string> = new Set(OP_KINDS);

const readBool = (s: TokenStream): boolean => {
  if (s.isIdent('true') || s.isIdent('false')) return s.next().text === 'true';
  return s.fail('expected true or false');
};
const readNullable = (s: TokenStream, item: () => number): number | null => (s.isIdent('_') ? (s.next(), null) : item());

function readScheme(s: TokenStream): QuantScheme {
  const at = s.peek();
  const got = new Map<string, unknown>();
  s.list('{', '}', () => {
    const t = s.peek();
    const name = s.expectIdent();
    if (name !== 'axis' && name !== 'blockSize' && name !== 'saturate') s.fail('expected axis, blockSize or saturate', t);
    if (got.has(name)) s.fail(`duplicate field ${name}`, t);
    s.expectPunct('=');
    got.set(name, name === 'saturate' ? readBool(s) : readNullable(s, () => s.int()));
  });
  if (got.size !== 3) s.fail('a quantization scheme needs axis, blockSize and saturate', at);
  return { axis: got.get('axis') as number | null, blockSize: got.get('blockSize') as number | null, saturate: got.get('saturate') as boolean };
}

function readField(s: TokenStream, kind: FieldKind): unknown {
  if (typeof kind === 'object') {
    const t = s.peek();
    const v = s.string(`expected one of ${Object.keys(kind.oneOf).map((k) => JSON.stringify(k)).join(', ')}`);
    return Object.prototype.hasOwnProperty.call(kind.oneOf, v) ? v : s.fail(`expected one of ${Object.keys(kind.oneOf).join(', ')}`, t);
  }
  switch (kind) {
    case 'int': return s.int();
    case 'number': return s.number();
    case 'bool': return readBool(s);
    case 'dim': return s.dim();
    case 'dims': return s.list('[', ']', () => s.dim());
    case 'ints': return s.list('[', ']', () => s.int());
    case 'bools': return s.list('[', ']', () => readBool(s));
    case 'dtype': return s.dtype();
    case 'text': return s.string('expected a string');
    case 'scalar': return readScalar(s);
    case 'scalar?': return s.isIdent('_') ? (s.next(), null) : readScalar(s);
    case 'scalars': return s.list('[', ']', () => readScalar(s));
    case 'maps': return s.list('[', ']', () => readMap(s));
    case 'padValues': return s.list('[', ']', () => readNullable(s, () => s.number()));
    case 'region': return readRegion(s);
    case 'tensor': return readTensor(s);
    case 'scheme': return readScheme(s);
    default: {
      const never: never = kind;
      throw new Error(`unknown field kind ${String(never)}`);
    }
  }
}

/** `{name=value, ...}` after an op of `kind`; every field of the kind exactly once. */
function readOp(s: TokenStream, kind: OpKind, kindToken: Token): Op {
  const op: Record<string, unknown> = { kind };
  const names = FIELD_ORDER[kind];
  if (s.isPunct('{')) {
    s.list('{', '}', () => {
      const t = s.peek();
      const name = s.expectIdent();
      const fk = fieldKind(kind, name);
      if (fk === undefined) s.fail(`${kind} has no field ${name}${names.length ? ` (fields: ${names.join(', ')})` : ''}`, t);
      if (Object.prototype.hasOwnProperty.call(op, name)) s.fail(`duplicate field ${name}`, t);
      s.expectPunct('=');
      op[name] = readField(s, fk);
    });
  }
  const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(op, n));
  if (missing.length) s.fail(`${kind} is missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, kindToken);
  return op as unknown as Op;
}

function readOrigin(s: TokenStream): Origin {
  s.expectIdent('loc');
  s.expectPunct('(');
  const opType = s.string();
  s.expectPunct(',');
  const node = s.string();
  s.expectPunct(')');
  return { opType, node };
}

/** `%3: f32[2], %4: i64[2] = topk(%0) {...} loc("TopK", "t")`; a node without results starts at its kind. */
function readNode(s: TokenStream): Node {
  const outputs: Value[] = s.bareList(() => s.peek().kind === 'value', () => s.valueDef());
  if (outputs.length) s.expectPunct('=');
  const kt = s.peek();
  if (kt.kind !== 'ident' || !KINDS.has(kt.text)) s.fail(outputs.length ? 'expected an op kind' : 'expected a node (%id: type = op(...))');
  s.next();
  const kind = kt.text as OpKind;
  const inputs = s.list('(', ')', () => s.valueRef());
  const op = readOp(s, kind, kt);
  return s.isIdent('loc') ? { op, inputs, outputs, origin: readOrigin(s) } : { op, inputs, outputs };
}

/** Nodes up to the keyword `end` (yield / return), then the comma-separated values after it. */
function readBody(s: TokenStream, end: string, result: () => void): Node[] {
  const nodes: Node[] = [];
  while (!s.isIdent(end)) {
    if (s.isPunct('}') || s.peek().kind === 'eof') s.fail(`expected a node or "${end}"`);
    nodes.push(readNode(s));
  }
  s.next();
  s.bareList(() => s.peek().kind === 'value', result);
  return nodes;
}

/** `^(%4: f32[t,4]) { ...nodes... yield %7 }` */
function readRegion(s: TokenStream): Region {
  s.expectPunct('^');
  const params = s.list('(', ')', () => s.valueDef());
  s.expectPunct('{');
  const results: ValueId[] = [];
  const nodes = readBody(s, 'yield', () => { results.push(s.valueRef()); });
  s.expectPunct('}');
  return { params, nodes, results };
}

export function parseGraph(text: string): Graph {
  const s = new TokenStream(text);
  s.expectIdent('graph');
  const inputs = s.list('(', ')', () => {
    const value = s.valueDef();
    return { name: s.string('expected the input name as a string'), value };
  });
  s.expectPunct('{');
  const outputs: { name: string; value: ValueId }[] = [];
  const nodes = readBody(s, 'return', () => {
    const value = s.valueRef();
    outputs.push({ name: s.string('expected the output name as a string'), value });
  });
  s.expectPunct('}');
  s.expectEnd();
  return { inputs, nodes, outputs };
}
