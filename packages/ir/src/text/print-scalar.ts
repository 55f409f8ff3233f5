// Printers for the small pieces of the IR text form: numbers, dims, value types, scalar expressions and
// affine index maps. Each spelling is canonical (one text per value), so printing is deterministic and the
// parser (token-stream.ts, parse-scalar.ts) can invert it exactly.

import type { AffineExpr, AffineMap } from '../affine.js';
import { DTYPE_INFO, type DType } from '../dtype.js';
import type { ScalarExpr } from '../scalar.js';
import type { Dim, ValueType } from '../types.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A double: the shortest decimal that reads back to the same bits, or nan / inf / -inf / -0. */
export function printNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** A JSON string literal; U+2028/U+2029 escaped too so the text never holds a line break but \n. */
export const quote = (s: string): string => JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

export const dtypeShort = (d: DType): string => DTYPE_INFO[d].short;

/** A dim inside a type: a number, a bare identifier symbol (`N`), or a quoted dim expression (`"2*N"`). */
export const printDim = (d: Dim): string => (typeof d === 'number' ? String(d) : IDENT.test(d) ? d : quote(d));

export function printType(t: ValueType): string {
  switch (t.kind) {
    case 'tensor': return `${dtypeShort(t.dtype)}[${t.shape.map(printDim).join(',')}]`;
    case 'sequence': return `seq<${printType(t.elem)}>`;
    case 'optional': return `opt<${printType(t.elem)}>`;
    default: {
      const never: never = t;
      throw new Error(`unknown value type ${JSON.stringify(never)}`);
    }
  }
}

/** Literals are `value:dtype` (`1.5:f32`, `-9223372036854775808:i64`); args `a0`, the accumulator `acc`. */
export function printScalar(e: ScalarExpr): string {
  switch (e.k) {
    case 'arg': return `a${e.i}`;
    case 'acc': return 'acc';
    case 'lit': return `${typeof e.v === 'bigint' ? e.v.toString() : printNumber(e.v)}:${dtypeShort(e.dtype)}`;
    case 'un': return `${e.op}(${printScalar(e.a)})`;
    case 'bin': return `${e.op}(${printScalar(e.a)}, ${printScalar(e.b)})`;
    case 'select': return `select(${printScalar(e.c)}, ${printScalar(e.a)}, ${printScalar(e.b)})`;
    case 'cast': return `cast<${dtypeShort(e.to)}${e.saturate ? ',sat' : ''}>(${printScalar(e.a)})`;
    default: {
      const never: never = e;
      throw new Error(`unknown scalar expression ${JSON.stringify(never)}`);
    }
  }
}

/** `d0*2+d3-1`: terms in their (canonical, sorted) order, then the offset; `0` for the zero expression. */
export function printAffine(e: AffineExpr): string {
  let s = '';
  for (const t of e.terms) {
    const mag = Math.abs(t.coeff);
    const body = mag === 1 ? `d${t.idx}` : `d${t.idx}*${printNumber(mag)}`;
    s += t.coeff < 0 ? `-${body}` : s === '' ? body : `+${body}`;
  }
  const negative = e.offset < 0 || Object.is(e.offset, -0);
  if (e.offset !== 0 || s === '' || negative) s += negative || s === '' ? printNumber(e.offset) : `+${printNumber(e.offset)}`;
  return s;
}

/** One expression per operand dim: `(d0, d2)`. */
export const printMap = (m: AffineMap): string => `(${m.map(printAffine).join(', ')})`;
