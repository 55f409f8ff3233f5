// The attribute fields of every op kind and how each is spelled in the text form. The table's type is derived
// from the Op union, so adding an op kind or a field (or changing a field's type) stops compilation here until
// the printer and parser know about it. Field kinds map one-to-one to syntax (see print.ts and parse.ts).

import type { AffineMap } from '../affine.js';
import type { DType } from '../dtype.js';
import type { Region } from '../graph.js';
import type { OpKind, OpOf, QuantScheme } from '../ops.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { Dim } from '../types.js';

/** A string-valued field: the set of values it may take (a record, so a missing value is a type error). */
export interface EnumField { readonly oneOf: Readonly<Record<string, true>> }

export type FieldKind =
  | 'int' // integer-valued number: `3`, `-1`
  | 'number' // any double: `0.5`, `nan`, `-inf`, `-0`
  | 'bool' // `true` / `false`
  | 'dim' // `4` or `"N"`
  | 'dims' // `[0, "N"]`
  | 'ints' // `[0, 2]`
  | 'bools' // `[true, false]`
  | 'dtype' // `"float32"` (long name)
  | 'text' // any string, as a JSON string literal: `"a\\.b"`
  | 'scalar' // `mul(a0, a1)`
  | 'scalar?' // a scalar expression or `_`
  | 'scalars' // `[add(a0, a1), exp(a2)]`
  | 'maps' // `[(d0, d2), (d2, d1)]`
  | 'padValues' // `[_, 0]`
  | 'region' // `^(%4: f32[2]) { ... yield %5 }`
  | 'tensor' // `tensor<f32[2]>[1, 2]`
  | 'scheme' // `{axis=_, blockSize=32, saturate=true}`
  | EnumField; // `"add"`

/** The one field kind that matches a field's TypeScript type. */
type KindFor<T> =
  [T] extends [boolean] ? 'bool'
  : [T] extends [Region] ? 'region'
  : [T] extends [HostTensor] ? 'tensor'
  : [T] extends [ScalarExpr] ? 'scalar'
  : [T] extends [ScalarExpr | null] ? 'scalar?'
  : [T] extends [QuantScheme] ? 'scheme'
  : [T] extends [number] ? 'int' | 'number'
  : [T] extends [DType] ? ([DType] extends [T] ? 'dtype' : { readonly oneOf: { readonly [V in T]: true } })
  : [T] extends [string] ? ([string] extends [T] ? 'text' : { readonly oneOf: { readonly [V in T]: true } })
  : [T] extends [Dim] ? 'dim'
  : [T] extends [readonly number[]] ? 'ints'
  : [T] extends [readonly boolean[]] ? 'bools'
  : [T] extends [readonly Dim[]] ? 'dims'
  : [T] extends [readonly (number | null)[]] ? 'padValues'
  : [T] extends [readonly AffineMap[]] ? 'maps'
  : [T] extends [readonly ScalarExpr[]] ? 'scalars'
  : never;

type FieldsOf<K extends OpKind> = { readonly [F in Exclude<keyof OpOf<K>, 'kind'>]-?: KindFor<OpOf<K>[F]> };
export type OpFieldTable = { readonly [K in OpKind]: FieldsOf<K> };

const reducer = { oneOf: { add: true, mul: true, max: true, min: true } } as const;
const reduction = { oneOf: { none: true, add: true, mul: true, max: true, min: true } } as const;

export const OP_FIELDS: OpFieldTable = {
  constant: { value: 'tensor' },
  contract: {
    reductionExtents: 'dims', maps: 'maps', padValues: 'padValues', combiner: 'scalar', reducer, accDtype: 'dtype', epilogue: 'scalar?',
  },
  map: { expr: 'scalar' },
  multimap: { exprs: 'scalars' },
  reduce: { reducer, axes: 'ints', keepDims: 'bool' },
  argreduce: { mode: { oneOf: { max: true, min: true } }, axis: 'int', keepDims: 'bool', selectLast: 'bool' },
  softmax: { axis: 'int', log: 'bool' },
  attention: { keyExtent: 'dim', qkExtent: 'dim', valueAxis: 'int', maps: 'maps', scoreEpilogue: 'scalar?' },
  cumulative: { reducer, axis: 'int', exclusive: 'bool', reverse: 'bool' },
  reshape: {},
  transpose: { perm: 'ints' },
  slice: { starts: 'dims', steps: 'ints' },
  pad: {
    mode: { oneOf: { constant: true, reflect: true, edge: true, wrap: true } }, low: 'dims', high: 'dims', interior: 'ints', value: 'number',
  },
  concat: { axis: 'int' },
  expand: {},
  gather: { axis: 'int' },
  gather_elements: { axis: 'int' },
  gather_nd: { batchDims: 'int' },
  scatter_elements: { axis: 'int', reduction },
  scatter_nd: { reduction },
  iota: { axis: 'int' },
  shape_of: { start: 'int', end: 'int' },
  topk: { axis: 'int', k: 'dim', largest: 'bool', sorted: 'bool' },
  nonzero: {},
  bitcast: {},
  string_concat: {},
  string_case: { upper: 'bool', locale: 'text' },
  regex_match: { pattern: 'text' },
  string_split: { delimiter: 'text', maxSplit: 'int' },
  quantize: { scheme: 'scheme' },
  dequantize: { scheme: 'scheme' },
  experts: { numExperts: 'int', topK: 'int', gate: { oneOf: { softmax_topk: true, topk_softmax: true, topk: true } }, body: 'region' },
  if: { thenBranch: 'region', elseBranch: 'region' },
  loop: { hasMaxTrip: 'bool', hasCond: 'bool', body: 'region' },
  scan: {
    numScanInputs: 'int', scanInputAxes: 'ints', scanInputReverse: 'bools', scanOutputAxes: 'ints', scanOutputReverse: 'bools',
    body: 'region',
  },
  sequence: {
    fn: { oneOf: { construct: true, empty: true, at: true, insert: true, erase: true, length: true, split: true, concat: true, stack: true } },
    axis: 'int', keepDims: 'bool',
  },
  optional: { fn: { oneOf: { wrap: true, none: true, has: true, get: true } } },
};

/** Each kind's fields in printing order (sorted by name, so equal ops print equally). */
export const FIELD_ORDER: { readonly [K in OpKind]: readonly string[] } = Object.fromEntries(
  Object.entries(OP_FIELDS).map(([k, fields]) => [k, Object.keys(fields).sort()]),
) as unknown as { readonly [K in OpKind]: readonly string[] };

/** The kind of field `name` of op `kind`, undefined when the op has no such field. */
export function fieldKind(kind: OpKind, name: string): FieldKind | undefined {
  const fields = OP_FIELDS[kind] as Readonly<Record<string, FieldKind>>;
  return Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
}

/** QuantScheme's fields: nullable integers and a flag. */
export const SCHEME_FIELDS = ['axis', 'blockSize', 'saturate'] as const;
