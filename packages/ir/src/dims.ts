// Symbolic dim arithmetic. A symbolic dim is a string holding a polynomial with integer coefficients over
// atoms: identifiers ("N", "seq") or opaque floor divisions ("(N+1)//2"). Results are printed in one
// canonical form, so equal polynomials are equal strings and dims compare with ===; a polynomial that
// reduces to a constant becomes a number again.

type Poly = Map<string, number>; // monomial key (atoms sorted, joined by SEP; '' = constant) -> coefficient
const SEP = '\u0001'; // atoms may contain '*' inside parentheses, so keys use a separator no dim text can hold

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isSymbolicDim(d: number | string): d is string {
  return typeof d === 'string';
}

function addTo(p: Poly, key: string, c: number): void {
  const v = (p.get(key) ?? 0) + c;
  if (v === 0) p.delete(key);
  else p.set(key, v);
}

function mulKeys(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return [...a.split(SEP), ...b.split(SEP)].sort().join(SEP);
}

function polyMul(a: Poly, b: Poly): Poly {
  const r: Poly = new Map();
  for (const [ka, ca] of a) for (const [kb, cb] of b) addTo(r, mulKeys(ka, kb), ca * cb);
  return r;
}

function polyAdd(a: Poly, b: Poly, sign = 1): Poly {
  const r: Poly = new Map(a);
  for (const [k, c] of b) addTo(r, k, sign * c);
  return r;
}

const constPoly = (n: number): Poly => (n === 0 ? new Map() : new Map([['', n]]));

/** Canonical text: monomials by descending degree then name, constant last, e.g. "2*N*S+N-3". */
function printPoly(p: Poly): number | string {
  const entries = [...p.entries()].filter(([, c]) => c !== 0);
  if (entries.length === 0) return 0;
  if (entries.length === 1 && entries[0]![0] === '') return entries[0]![1];
  const degree = (k: string) => (k === '' ? 0 : k.split(SEP).length);
  entries.sort((x, y) => degree(y[0]) - degree(x[0]) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let s = '';
  for (const [k, c] of entries) {
    const mag = Math.abs(c);
    const term = k.split(SEP).join('*');
    const body = k === '' ? String(mag) : mag === 1 ? term : `${mag}*${term}`;
    s += s === '' ? (c < 0 ? `-${body}` : body) : c < 0 ? `-${body}` : `+${body}`;
  }
  return s;
}

/** Parses a dim string (canonical or hand-written: + - * integers, identifiers, parentheses, //). */
function parsePoly(src: string): Poly {
  let i = 0;
  const peek = () => src[i];
  const skip = () => { while (src[i] === ' ') i++; };
  const fail = (): never => { throw new Error(`invalid symbolic dim "${src}"`); };
  function primary(): Poly {
    skip();
    const c = peek();
    if (c === '(') {
      const start = i;
      i++;
      const inner = sum();
      skip();
      if (peek() !== ')') fail();
      i++;
      skip();
      if (src.startsWith('//', i)) {
        i += 2;
        const d = primary();
        const dv = printPoly(d);
        if (typeof dv !== 'number' || dv <= 0) fail();
        return floorDivPoly(inner, dv as number);
      }
      void start;
      return inner;
    }
    if (c !== undefined && /[0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[0-9]/.test(src[j]!)) j++;
      const n = Number(src.slice(i, j));
      i = j;
      return constPoly(n);
    }
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const name = src.slice(i, j);
      i = j;
      return new Map([[name, 1]]);
    }
    return fail();
  }
  function product(): Poly {
    let p = primary();
    for (;;) {
      skip();
      if (peek() === '*') { i++; p = polyMul(p, primary()); } else return p;
    }
  }
  function sum(): Poly {
    skip();
    let sign = 1;
    if (peek() === '-') { sign = -1; i++; }
    let p = polyMul(constPoly(sign), product());
    for (;;) {
      skip();
      const c = peek();
      if (c === '+') { i++; p = polyAdd(p, product()); } else if (c === '-') { i++; p = polyAdd(p, product(), -1); } else return p;
    }
  }
  const p = sum();
  skip();
  if (i !== src.length) fail();
  return p;
}

/** floor(p / n) for n > 0: exact when every coefficient divides, else an opaque atom. */
function floorDivPoly(p: Poly, n: number): Poly {
  if (n === 1) return p;
  const c = printPoly(p);
  if (typeof c === 'number') return constPoly(Math.floor(c / n));
  if ([...p.values()].every((v) => v % n === 0)) return new Map([...p].map(([k, v]) => [k, v / n]));
  return new Map([[`(${c})//${n}`, 1]]);
}

const toPoly = (d: number | string): Poly => (typeof d === 'number' ? constPoly(d) : parsePoly(d));

/** Normalizes a dim to canonical form (e.g. "N + N" -> "2*N", "3-3+N" -> "N", "2*2" -> 4). */
export function canonicalDim(d: number | string): number | string {
  return typeof d === 'number' ? d : printPoly(parsePoly(d));
}
export function dimAdd(a: number | string, b: number | string): number | string {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  return printPoly(polyAdd(toPoly(a), toPoly(b)));
}
export function dimSub(a: number | string, b: number | string): number | string {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return printPoly(polyAdd(toPoly(a), toPoly(b), -1));
}
export function dimMul(a: number | string, b: number | string): number | string {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  return printPoly(polyMul(toPoly(a), toPoly(b)));
}
/** floor(a / n) for a positive integer n. */
export function dimFloorDiv(a: number | string, n: number): number | string {
  if (typeof a === 'number') return Math.floor(a / n);
  return printPoly(floorDivPoly(toPoly(a), n));
}
/** a / b when it is exact (a polynomial divided by an integer or by one of its common monomial factors), else undefined. */
export function dimDivExact(a: number | string, b: number | string): number | string | undefined {
  if (typeof b === 'number') {
    if (b === 0) return undefined;
    if (typeof a === 'number') return a % b === 0 ? a / b : undefined;
    const p = toPoly(a);
    return [...p.values()].every((v) => v % b === 0) ? printPoly(new Map([...p].map(([k, v]) => [k, v / b]))) : undefined;
  }
  const pb = toPoly(b);
  if (pb.size !== 1) return dimEquals(a, b) ? 1 : undefined;
  const [[kb, cb]] = [...pb.entries()] as [[string, number]];
  const atomsB = kb === '' ? [] : kb.split(SEP);
  const r: Poly = new Map();
  for (const [k, c] of toPoly(a)) {
    const atoms = k === '' ? [] : k.split(SEP);
    for (const atom of atomsB) {
      const at = atoms.indexOf(atom);
      if (at < 0) return undefined;
      atoms.splice(at, 1);
    }
    if (c % cb !== 0) return undefined;
    addTo(r, atoms.join(SEP), c / cb);
  }
  return printPoly(r);
}
export function dimEquals(a: number | string, b: number | string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return printPoly(polyAdd(toPoly(a), toPoly(b), -1)) === 0;
}
/** The identifiers a dim mentions. */
export function dimSymbols(d: number | string): string[] {
  if (typeof d === 'number') return [];
  return [...new Set(d.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])];
}
/** Value of a dim given values for its symbols; undefined when one is unbound. */
export function evalDim(d: number | string, env: ReadonlyMap<string, number>): number | undefined {
  if (typeof d === 'number') return d;
  if (IDENT.test(d)) return env.get(d);
  let bound = true;
  const text = d.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) => {
    const v = env.get(name);
    if (v === undefined) bound = false;
    return String(v ?? 0);
  });
  if (!bound) return undefined;
  const v = printPoly(parsePoly(text));
  return typeof v === 'number' ? v : undefined;
}
