// Readers for scalar expressions and affine index maps: the inverses of printScalar and printAffine.
// Literals keep the number/bigint split of the IR: int64/uint64 literals read as bigint, all others as number.

import { type AffineExpr, type AffineMap, type AffineTerm, affine } from '../affine.js';
import { isBigIntDType } from '../dtype.js';
import { BINARY_OPS, type BinaryOp, type ScalarExpr, UNARY_OPS, type UnaryOp } from '../scalar.js';
import { TokenStream, numberFromText } from './token-stream.js';

const UNARY: ReadonlySet<string> = new Set(UNARY_OPS);
const BINARY: ReadonlySet<string> = new Set(BINARY_OPS);
const ARG = /^a[0-9]+$/;
const LOOP_INDEX = /^d[0-9]+$/;

export function readScalar(s: TokenStream): ScalarExpr {
  const t = s.peek();
  if (s.atNumber()) {
    s.next();
    s.expectPunct(':');
    const dtype = s.dtype();
    if (isBigIntDType(dtype)) {
      if (!/^-?[0-9]+$/.test(t.text)) s.fail(`expected an integer literal for ${dtype}`, t);
      return { k: 'lit', v: BigInt(t.text), dtype };
    }
    const v = numberFromText(t.text) ?? s.fail('malformed number', t);
    return { k: 'lit', v, dtype };
  }
  if (t.kind !== 'ident') s.fail('expected a scalar expression (a0, acc, 1:f32, op(...))');
  const name = s.next().text;
  if (name === 'acc') return { k: 'acc' };
  if (ARG.test(name)) return { k: 'arg', i: Number(name.slice(1)) };
  if (name === 'cast') {
    s.expectPunct('<');
    const to = s.dtype();
    let saturate = false;
    if (s.isPunct(',')) { s.next(); s.expectIdent('sat'); saturate = true; }
    s.expectPunct('>');
    s.expectPunct('(');
    const a = readScalar(s);
    s.expectPunct(')');
    return { k: 'cast', to, a, saturate };
  }
  const arity = name === 'select' ? 3 : UNARY.has(name) ? 1 : BINARY.has(name) ? 2 : 0;
  if (arity === 0) s.fail('expected a scalar expression (a0, acc, 1:f32, op(...))', t);
  const args = s.list('(', ')', () => readScalar(s));
  if (args.length !== arity) s.fail(`${name} takes ${arity} operand${arity === 1 ? '' : 's'}, got ${args.length}`, t);
  const [a, b, c] = args as [ScalarExpr, ScalarExpr, ScalarExpr];
  if (arity === 3) return { k: 'select', c: a, a: b, b: c };
  if (arity === 1) return { k: 'un', op: name as UnaryOp, a };
  return { k: 'bin', op: name as BinaryOp, a, b };
}

/** `d0*2+d3-1`, `-d1`, `5`: signed terms `dI` or `dI*C` and integer offsets, in any order. */
export function readAffineExpr(s: TokenStream): AffineExpr {
  const terms: AffineTerm[] = [];
  let offset: number | undefined;
  for (let first = true; ; first = false) {
    let sign = 1;
    const t = s.peek();
    if (s.isPunct('+') && !first) s.next();
    else if (s.isPunct('-')) { s.next(); sign = -1; } else if (!first && !(t.kind === 'number' && t.text.startsWith('-'))) break;
    const u = s.peek();
    if (u.kind === 'ident' && LOOP_INDEX.test(u.text)) {
      s.next();
      let coeff = 1;
      if (s.isPunct('*')) { s.next(); coeff = s.int('expected an integer coefficient'); }
      terms.push({ idx: Number(u.text.slice(1)), coeff: sign * coeff });
    } else if (u.kind === 'number') {
      const v = sign * s.int('expected an integer offset');
      offset = offset === undefined ? v : offset + v; // keeps a lone -0 offset exact
    } else {
      s.fail('expected a loop index like d0 or an integer');
    }
  }
  return affine(terms, offset ?? 0);
}

/** `(d0, d2)` */
export const readMap = (s: TokenStream): AffineMap => s.list('(', ')', () => readAffineExpr(s));

/** Parses the text of one scalar expression, as printScalar prints it. */
export function parseScalar(text: string): ScalarExpr {
  const s = new TokenStream(text);
  const e = readScalar(s);
  s.expectEnd('expected end of the expression');
  return e;
}
