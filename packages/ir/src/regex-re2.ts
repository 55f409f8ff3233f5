// RE2 patterns (ONNX RegexFullMatch) as JavaScript RegExps. The two agree on the common core: literals,
// classes, groups, alternation, repetition, \d \w \b. Where they differ this translates exactly: `.` excludes
// only \n, \s is ASCII, escaped punctuation, \Q..\E, (?P<name>..), octal and \x{..} escapes, \pN, POSIX
// classes. It rejects what it cannot mirror (\C, scoped or multi-line flags, U) and what RE2 itself rejects
// but JavaScript would accept (backreferences, lookaround, repetition counts above 1000).

import { CompileError } from './errors.js';

const RE2_MAX_REPEAT = 1000;
/** ASCII punctuation: RE2 lets a backslash make any of these literal. */
const PUNCT = /^[!-/:-@[-`{-~]$/;
/** Characters a unicode-mode JavaScript pattern reads as syntax (and may escape); inside a class also `-`. */
const JS_SYNTAX = /^[\^$\\.*+?()[\]{}|/]$/;
const HEX = /^[0-9A-Fa-f]$/;
const OCTAL = /^[0-7]$/;
/** RE2's \s: ASCII whitespace without \v (JavaScript's \s is wider). */
const RE2_SPACE = '\\t\\n\\f\\r ';
const GENERAL_CATEGORIES = new Set([
  'L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po',
  'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Cs', 'Co', 'Any',
]);
/** POSIX bracket classes as ASCII class contents. */
const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

class Unsupported extends Error {}

/** A literal character, escaped where JavaScript would read it as syntax. */
const literal = (c: string, inClass: boolean): string => (JS_SYNTAX.test(c) || (inClass && c === '-') ? `\\${c}` : c);
const codePoint = (cp: number): string => `\\u{${cp.toString(16)}}`;

class Translator {
  private i = 0;
  readonly flags = { ignoreCase: false, dotAll: false };
  constructor(private readonly src: string) {}

  private peek(k = 0): string | undefined {
    return this.src[this.i + k];
  }

  private fail(what: string): never {
    throw new Unsupported(`${what} (at offset ${this.i})`);
  }

  translate(): string {
    this.leadingFlags();
    let out = '';
    while (this.i < this.src.length) out += this.atom();
    return out;
  }

  /** `(?i)`, `(?s)` or `(?is)` at the very start apply to the whole pattern; other flag groups are refused. */
  private leadingFlags(): void {
    const m = /^\(\?([a-zA-Z-]+)\)/.exec(this.src);
    if (!m) return;
    for (const f of m[1]!) {
      if (f === 'i') this.flags.ignoreCase = true;
      else if (f === 's') this.flags.dotAll = true;
      else this.fail(`flag "${f}" is not supported (only a leading (?i) or (?s))`);
    }
    this.i = m[0].length;
  }

  private atom(): string {
    const c = this.src[this.i++]!;
    switch (c) {
      case '\\': return this.escape(false);
      case '[': return this.charClass();
      case '(': return this.group();
      case '.': return this.flags.dotAll ? '[^]' : '[^\\n]';
      case '{': return this.repeatOrLiteral();
      case '}': case ']': return `\\${c}`;
      default: return c; // ^ $ | * + ? ) and ordinary characters mean the same in both
    }
  }

  private group(): string {
    if (this.peek() !== '?') return '(';
    const rest = this.src.slice(this.i + 1);
    const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      this.i += 1 + named[0].length;
      return '(?:'; // a full match does not look at captures, so the name does not matter
    }
    if (rest.startsWith(':')) {
      this.i += 2;
      return '(?:';
    }
    if (/^(=|!|<=|<!)/.test(rest)) this.fail('lookaround assertions are not RE2 syntax');
    if (rest.startsWith('P=')) this.fail('backreferences are not RE2 syntax');
    return this.fail('of the (?...) groups only (?:...), (?P<name>...) and a leading (?i) or (?s) are supported');
  }

  /** `{n}`, `{n,}`, `{n,m}` repeat; any other `{` is a literal in RE2. */
  private repeatOrLiteral(): string {
    const m = /^(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
    if (!m) return '\\{';
    const lo = Number(m[1]);
    const hi = m[3] === undefined ? lo : m[3] === '' ? undefined : Number(m[3]);
    if (lo > RE2_MAX_REPEAT || (hi !== undefined && hi > RE2_MAX_REPEAT)) this.fail(`repetition count above ${RE2_MAX_REPEAT}`);
    if (hi !== undefined && hi < lo) this.fail(`repetition {${lo},${hi}} has max < min`);
    this.i += m[0].length;
    return `{${m[0]}`;
  }

  private charClass(): string {
    let out = '[';
    if (this.peek() === '^') { out += '^'; this.i++; }
    if (this.peek() === ']') { out += '\\]'; this.i++; } // a leading ] is a literal in RE2
    for (;;) {
      const c = this.src[this.i++];
      if (c === undefined) return this.fail('missing ] at the end of a character class');
      if (c === ']') return `${out}]`;
      if (c === '[' && this.peek() === ':') out += this.posixClass();
      else if (c === '\\') out += this.escape(true);
      else if (c === '-') out += '-';
      else out += literal(c, true);
    }
  }

  private posixClass(): string {
    const m = /^:(\^?)([a-z]+):\]/.exec(this.src.slice(this.i));
    if (!m) return '\\[';
    const body = POSIX[m[2]!];
    if (body === undefined) this.fail(`unknown POSIX class [:${m[2]}:]`);
    if (m[1]) this.fail(`negated POSIX class [:^${m[2]}:] is not supported`);
    this.i += m[0].length;
    return body!;
  }

  private escape(inClass: boolean): string {
    const e = this.src[this.i++];
    if (e === undefined) return this.fail('trailing backslash');
    switch (e) {
      case 'd': case 'D': case 'w': case 'W': return `\\${e}`;
      case 'b': case 'B': return inClass ? this.fail(`\\${e} inside a character class`) : `\\${e}`;
      case 's': return inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      case 'S': return inClass ? this.fail('\\S inside a character class is not supported') : `[^${RE2_SPACE}]`;
      case 'A': return inClass ? this.fail('\\A inside a character class') : '^';
      case 'z': return inClass ? this.fail('\\z inside a character class') : '$';
      case 'n': case 't': case 'r': case 'f': case 'v': return `\\${e}`;
      case 'a': return '\\x07';
      case 'x': return this.hexEscape();
      case 'p': case 'P': return this.unicodeClass(e === 'P');
      case 'Q': return this.quoted(inClass);
      case 'C': return this.fail('\\C (any byte) cannot be matched on Unicode text');
      case '8': case '9': return this.fail(`\\${e} (a backreference) is not RE2 syntax`);
      default:
        if (OCTAL.test(e)) return this.octal(e);
        if (PUNCT.test(e)) return literal(e, inClass);
        return this.fail(`escape \\${e} is not supported`);
    }
  }

  private hexEscape(): string {
    if (this.peek() === '{') {
      const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(this.src.slice(this.i));
      const cp = m ? parseInt(m[1]!, 16) : NaN;
      if (!m || cp > 0x10ffff) this.fail('malformed \\x{...} escape');
      this.i += m![0].length;
      return codePoint(cp);
    }
    const h = this.src.slice(this.i, this.i + 2);
    if (h.length !== 2 || !HEX.test(h[0]!) || !HEX.test(h[1]!)) this.fail('\\x needs two hex digits or {hex}');
    this.i += 2;
    return codePoint(parseInt(h, 16));
  }

  /** RE2: \0 or \1-\7 followed by another octal digit start an octal code (up to three digits); \1 alone is a backreference. */
  private octal(first: string): string {
    let digits = first;
    if (first !== '0' && !OCTAL.test(this.peek() ?? '')) this.fail(`\\${first} (a backreference) is not RE2 syntax`);
    while (digits.length < 3 && OCTAL.test(this.peek() ?? '')) digits += this.src[this.i++]!;
    return codePoint(parseInt(digits, 8));
  }

  /** \pL, \p{Greek}, \p{^Greek}, \PL: general categories stay, other names are scripts. */
  private unicodeClass(negated: boolean): string {
    let name: string;
    if (this.peek() === '{') {
      const end = this.src.indexOf('}', this.i);
      if (end < 0) this.fail('missing } in \\p{...}');
      name = this.src.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      name = this.src[this.i++] ?? this.fail('\\p needs a class name');
    }
    if (name.startsWith('^')) { negated = !negated; name = name.slice(1); }
    if (!/^[A-Za-z_]+$/.test(name)) this.fail(`malformed Unicode class name "${name}"`);
    const prop = GENERAL_CATEGORIES.has(name) ? name : `Script=${name}`;
    return `\\${negated ? 'P' : 'p'}{${prop}}`;
  }

  /** \Q...\E: everything between is literal (to the end of the pattern when \E is missing). */
  private quoted(inClass: boolean): string {
    const end = this.src.indexOf('\\E', this.i);
    const text = this.src.slice(this.i, end < 0 ? this.src.length : end);
    this.i = end < 0 ? this.src.length : end + 2;
    return Array.from(text, (c) => literal(c, inClass)).join('');
  }
}

/**
 * A RegExp that accepts exactly the strings the RE2 `pattern` matches in full. Throws an
 * UNSUPPORTED_ATTRIBUTE CompileError naming the construct when the pattern uses syntax outside the subset.
 */
export function re2FullMatch(pattern: string): RegExp {
  const t = new Translator(pattern);
  let body: string;
  try {
    body = t.translate();
    return new RegExp(`^(?:${body})$`, t.flags.ignoreCase ? 'iu' : 'u');
  } catch (e) {
    const why = e instanceof Unsupported || e instanceof SyntaxError ? e.message : String(e);
    throw new CompileError('UNSUPPORTED_ATTRIBUTE', `regex ${JSON.stringify(pattern)} is not supported RE2 syntax: ${why}`);
  }
}
