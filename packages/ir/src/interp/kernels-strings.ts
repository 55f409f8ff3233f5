// Reference kernels of the string ops (ONNX StringConcat, RegexFullMatch, StringSplit and the case mapping
// StringNormalizer uses). Splitting follows Python's str.split, which ONNX's reference uses: with a delimiter
// every occurrence splits (empty tokens kept); without one, runs of whitespace split and ends are trimmed.

import { re2FullMatch } from '../regex-re2.js';
import type { HostTensor } from '../tensor.js';
import type { KernelTable } from './kernel-types.js';
import { broadcastStrides, runtimeError, sizeOf, tensorArg, unravel, withData } from './tensor-utils.js';

/** Python's str.isspace() characters (Unicode White_Space plus the ASCII separators U+001C..U+001F). */
const SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const SPACE_RUN = new RegExp(`${SPACE.source}+`, 'y');

const strings = (t: HostTensor): readonly string[] => t.data as readonly string[];

function broadcast2(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[i - r + a.length] ?? 1;
    const y = b[i - r + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) runtimeError(`cannot broadcast [${a.join(',')}] and [${b.join(',')}]`);
    return x === 1 ? y : x;
  });
}

/** str.split(delimiter, maxSplit) with Python's rules; maxSplit -1 means no limit. */
export function splitString(s: string, delimiter: string, maxSplit: number): string[] {
  const limit = maxSplit < 0 ? Infinity : maxSplit;
  const out: string[] = [];
  if (delimiter !== '') {
    let from = 0;
    for (let at = s.indexOf(delimiter); at >= 0 && out.length < limit; at = s.indexOf(delimiter, from)) {
      out.push(s.slice(from, at));
      from = at + delimiter.length;
    }
    out.push(s.slice(from));
    return out;
  }
  const skipSpaces = (i: number): number => {
    SPACE_RUN.lastIndex = i;
    return SPACE_RUN.test(s) ? SPACE_RUN.lastIndex : i;
  };
  let i = skipSpaces(0);
  while (i < s.length) {
    if (out.length === limit) {
      // The rest, trailing whitespace included, is the last token.
      out.push(s.slice(i));
      break;
    }
    let j = i;
    while (j < s.length && !SPACE.test(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = skipSpaces(j);
  }
  return out;
}

export const STRING_KERNELS: KernelTable<'string_concat' | 'string_case' | 'regex_match' | 'string_split'> = {
  string_concat: (_op, ins) => {
    const a = tensorArg(ins, 0);
    const b = tensorArg(ins, 1);
    const shape = broadcast2(a.shape, b.shape);
    const sa = broadcastStrides(a.shape, shape);
    const sb = broadcastStrides(b.shape, shape);
    const idx = new Array<number>(shape.length).fill(0);
    const out = Array.from({ length: sizeOf(shape) }, (_, o) => {
      unravel(o, shape, idx);
      let ia = 0;
      let ib = 0;
      idx.forEach((k, d) => { ia += k * sa[d]!; ib += k * sb[d]!; });
      return strings(a)[ia]! + strings(b)[ib]!;
    });
    return [withData('string', shape, out)];
  },

  string_case: (op, ins) => {
    const x = tensorArg(ins, 0);
    const locale = op.locale === '' ? undefined : op.locale;
    const map = op.upper ? (s: string) => s.toLocaleUpperCase(locale) : (s: string) => s.toLocaleLowerCase(locale);
    return [withData('string', x.shape, strings(x).map(map))];
  },

  regex_match: (op, ins) => {
    const x = tensorArg(ins, 0);
    const re = re2FullMatch(op.pattern);
    return [withData('bool', x.shape, Float64Array.from(strings(x), (s) => (re.test(s) ? 1 : 0)))];
  },

  string_split: (op, ins) => {
    const x = tensorArg(ins, 0);
    const parts = strings(x).map((s) => splitString(s, op.delimiter, op.maxSplit));
    const n = parts.reduce((m, p) => Math.max(m, p.length), 0);
    const tokens = parts.flatMap((p) => [...p, ...new Array<string>(n - p.length).fill('')]);
    const counts = BigInt64Array.from(parts, (p) => BigInt(p.length));
    return [withData('string', [...x.shape, n], tokens), withData('int64', x.shape, counts)];
  },
};
