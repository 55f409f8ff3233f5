// Converters for the string ops: StringConcat, RegexFullMatch (RE2 patterns, the subset the IR translates),
// StringSplit, and StringNormalizer as IR string ops plus the NonZero/Compress pattern: stop words are found
// by comparing against a constant list, survivors gathered, so the output length is a run-time dim.

import { type ValueId, arg, bin, tensorType, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

function stringInput(ctx: ConvertContext, i: number): ValueId {
  const x = ctx.input(i);
  const dt = ctx.tensorTypeOf(x).dtype;
  if (dt !== 'string') ctx.fail('TYPE_ERROR', `input ${i} must be a string tensor, got ${dt}`);
  return x;
}

/** ONNX locales are POSIX-style ("en_US", "tr_TR.UTF-8"); the IR takes a BCP 47 tag, '' for the default rules. */
function bcp47Locale(ctx: ConvertContext, locale: string): string {
  const base = locale.split(/[.@]/)[0]!;
  if (base === '' || base === 'C' || base === 'POSIX') return '';
  try {
    return Intl.getCanonicalLocales(base.replace(/_/g, '-'))[0]!;
  } catch {
    return ctx.attrs.unsupported('locale', `"${locale}" (not a recognizable language tag)`);
  }
}

function lowerCase(s: string, locale: string): string {
  return locale === '' ? s.toLowerCase() : s.toLocaleLowerCase(locale);
}

/**
 * Drops the elements of x (1-D) found in `stopwords`; compared after lower-casing both sides when not case
 * sensitive. When nothing survives the result is [""] (ONNX's rule), done by offering a trailing "" that is
 * kept only then. `cased` is x after the case change, the values gathered.
 */
function dropStopwords(ctx: ConvertContext, x: ValueId, cased: ValueId, stopwords: readonly string[], caseSensitive: boolean, locale: string): ValueId {
  const n = ctx.shapeOf(x)[0]!;
  const key = caseSensitive ? x : ctx.emit1({ kind: 'string_case', upper: false, locale }, [x]);
  const stops = caseSensitive ? stopwords : stopwords.map((w) => lowerCase(w, locale));
  const stopConst = ctx.emit1({ kind: 'constant', value: { dtype: 'string', shape: [stops.length], data: [...stops] } }, []);
  const hits = ctx.emit1({ kind: 'map', expr: bin('eq', arg(0), arg(1)) }, [reshapeTo(ctx, key, [n, 1]), stopConst]);
  const isStop = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [1], keepDims: false }, [hits]);
  const keep = ctx.emit1({ kind: 'map', expr: un('not', arg(0)) }, [isStop]);
  const anyKept = ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [0], keepDims: true }, [keep]);
  const noneKept = ctx.emit1({ kind: 'map', expr: un('not', arg(0)) }, [anyKept]);
  const empty = ctx.emit1({ kind: 'constant', value: { dtype: 'string', shape: [1], data: [''] } }, []);
  const values = ctx.emit1({ kind: 'concat', axis: 0 }, [cased, empty]);
  const mask = ctx.emit1({ kind: 'concat', axis: 0 }, [keep, noneKept]);
  const count = ctx.freshDim();
  const where = ctx.emit1({ kind: 'nonzero' }, [mask], [tensorType('int64', [1, count])]);
  return ctx.emit1({ kind: 'gather', axis: 0 }, [values, reshapeTo(ctx, where, [count])]);
}

export const STRINGS: ConverterTable = {
  StringConcat: {
    since: 20,
    convert: (ctx) => [ctx.emit1({ kind: 'string_concat' }, [stringInput(ctx, 0), stringInput(ctx, 1)])],
  },

  RegexFullMatch: {
    since: 20,
    convert: (ctx) => {
      const x = stringInput(ctx, 0);
      const pattern = ctx.attrs.string('pattern') ?? ctx.fail('INVALID_MODEL', 'RegexFullMatch needs a pattern');
      return [ctx.emit1({ kind: 'regex_match', pattern }, [x])];
    },
  },

  StringSplit: {
    since: 20,
    convert: (ctx) => {
      const x = stringInput(ctx, 0);
      const shape = ctx.shapeOf(x);
      const delimiter = ctx.attrs.string('delimiter', '');
      const maxSplit = ctx.attrs.int('maxsplit', -1);
      // The widest split decides the token axis: known only at run time.
      return ctx.emit({ kind: 'string_split', delimiter, maxSplit: maxSplit < 0 ? -1 : maxSplit }, [x], [
        tensorType('string', [...shape, ctx.freshDim()]), tensorType('int64', shape),
      ]);
    },
  },

  StringNormalizer: {
    since: 10,
    convert: (ctx) => {
      const x = stringInput(ctx, 0);
      const shape = ctx.shapeOf(x);
      if (!(shape.length === 1 || (shape.length === 2 && shape[0] === 1))) ctx.fail('SHAPE_ERROR', `StringNormalizer takes [C] or [1, C], got [${shape.join(',')}]`);
      const action = ctx.attrs.string('case_change_action', 'NONE');
      if (action !== 'NONE' && action !== 'LOWER' && action !== 'UPPER') return ctx.attrs.unsupported('case_change_action', `"${action}"`);
      const caseSensitive = ctx.attrs.int('is_case_sensitive', 0) !== 0;
      const locale = bcp47Locale(ctx, ctx.attrs.string('locale', ''));
      const stopwords = ctx.attrs.strings('stopwords') ?? [];
      const flat = shape.length === 2 ? reshapeTo(ctx, x, [shape[1]!]) : x;
      const cased = action === 'NONE' ? flat : ctx.emit1({ kind: 'string_case', upper: action === 'UPPER', locale }, [flat]);
      if (stopwords.length === 0) return [shape.length === 2 ? reshapeTo(ctx, cased, shape) : cased];
      const kept = dropStopwords(ctx, flat, cased, stopwords, caseSensitive, locale);
      return [shape.length === 2 ? reshapeTo(ctx, kept, [1, ctx.shapeOf(kept)[0]!]) : kept];
    },
  },
};
