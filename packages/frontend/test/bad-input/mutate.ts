// Mutations of serialized ONNX models for the bad-input property. Byte-level ones (truncation, bit flips,
// overwritten bytes, inserted varints) test the wire reader; tree-level ones edit the parsed protobuf tree
// (set a varint, drop / duplicate / reorder a field, copy one payload over another, set a float) and
// re-serialize with correct lengths, so dims, dtypes, attribute values, node order and value names change
// while the framing stays valid and the importer's semantic checks are reached.

import { encodeVarint, flatten, parseTree, serializeTree, type PField } from './proto-tree.js';

/** One mutation; positions and field choices are taken modulo what exists, so any generated value is usable. */
export type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'overwrite'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'insert-varint'; readonly at: number; readonly value: bigint }
  | { readonly kind: 'set-varint'; readonly target: number; readonly value: bigint }
  | { readonly kind: 'set-fixed'; readonly target: number; readonly value: number }
  | { readonly kind: 'drop'; readonly target: number }
  | { readonly kind: 'duplicate'; readonly target: number; readonly times: number }
  | { readonly kind: 'move'; readonly target: number; readonly by: number }
  | { readonly kind: 'copy-payload'; readonly target: number; readonly source: number };

function splice(b: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - (end - start) + insert.length);
  out.set(b.subarray(0, start), 0);
  out.set(insert, start);
  out.set(b.subarray(end), start + insert.length);
  return out;
}

const trees = new WeakMap<Uint8Array, PField[] | null>();

function treeOf(b: Uint8Array): PField[] | undefined {
  let t = trees.get(b);
  if (t === undefined) {
    t = parseTree(b) ?? null;
    trees.set(b, t);
  }
  return t ?? undefined;
}

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

function label(f: PField): string {
  return `field ${f.no} (wire ${f.wire}${f.wire === 0 ? `, value ${f.value}` : f.wire === 2 ? `, ${f.raw.length} bytes` : ''})`;
}

function fixedBytes(wire: number, v: number): Uint8Array {
  const out = new Uint8Array(wire === 1 ? 8 : 4);
  const dv = new DataView(out.buffer);
  if (wire === 1) dv.setFloat64(0, v, true);
  else dv.setFloat32(0, v, true);
  return out;
}

/** A tree-level edit of `b`; returns undefined when `b` does not parse or has no field of the needed kind. */
function editTree(b: Uint8Array, m: Extract<Mutation, { target: number }>): { bytes: Uint8Array; what: string } | undefined {
  const tree = treeOf(b);
  if (!tree) return undefined;
  const all = flatten(tree);
  const of = (ok: (f: PField) => boolean) => all.filter((e) => ok(e.field));
  const replace = new Map<PField, PField[]>();
  let what: string;
  switch (m.kind) {
    case 'set-varint': {
      const e = pick(of((f) => f.wire === 0), m.target);
      if (!e) return undefined;
      replace.set(e.field, [{ ...e.field, value: m.value }]);
      what = `set ${label(e.field)} to ${m.value}`;
      break;
    }
    case 'set-fixed': {
      const e = pick(of((f) => f.wire === 1 || f.wire === 5), m.target);
      if (!e) return undefined;
      replace.set(e.field, [{ ...e.field, raw: fixedBytes(e.field.wire, m.value) }]);
      what = `set ${label(e.field)} to float ${m.value}`;
      break;
    }
    case 'drop': {
      const e = pick(all, m.target);
      if (!e) return undefined;
      replace.set(e.field, []);
      what = `drop ${label(e.field)}`;
      break;
    }
    case 'duplicate': {
      const e = pick(all, m.target);
      if (!e) return undefined;
      // Giant repeats, but at most a few MB of copies: the property must stay fast.
      const times = Math.max(1, Math.min(m.times, Math.floor(4_000_000 / (e.field.raw.length + 2))));
      replace.set(e.field, Array.from({ length: times + 1 }, () => e.field));
      what = `repeat ${label(e.field)} ${times} more times`;
      break;
    }
    case 'move': {
      const e = pick(all, m.target);
      if (!e || e.siblings.length < 2) return undefined;
      const from = e.siblings.indexOf(e.field);
      const to = (from + 1 + (m.by % (e.siblings.length - 1))) % e.siblings.length;
      const other = e.siblings[to]!;
      replace.set(e.field, []);
      replace.set(other, to > from ? [other, e.field] : [e.field, other]);
      what = `move ${label(e.field)} from position ${from} to ${to} among its siblings`;
      break;
    }
    case 'copy-payload': {
      const lens = of((f) => f.wire === 2);
      const t = pick(lens, m.target);
      const s = pick(lens, m.source);
      if (!t || !s) return undefined;
      // The source's bytes as they are now (it may enclose the target: a graph then nests in itself once).
      replace.set(t.field, [{ ...t.field, raw: s.field.raw, children: undefined }]);
      what = `replace the payload of ${label(t.field)} with that of ${label(s.field)}`;
      break;
    }
  }
  return { bytes: serializeTree(tree, replace), what };
}

/** Applies one mutation and says what it did (with effective positions). */
export function applyMutation(b: Uint8Array, m: Mutation): { bytes: Uint8Array; what: string } {
  if (b.length === 0) return { bytes: b, what: 'nothing (empty input)' };
  switch (m.kind) {
    case 'truncate': {
      const at = m.at % b.length;
      return { bytes: b.slice(0, at), what: `truncate to ${at} bytes` };
    }
    case 'flip': {
      const at = m.at % b.length;
      const out = b.slice();
      out[at]! ^= 1 << (m.bit & 7);
      return { bytes: out, what: `flip bit ${m.bit & 7} of byte ${at}` };
    }
    case 'overwrite': {
      const at = m.at % b.length;
      const out = b.slice();
      m.bytes.forEach((v, i) => {
        out[(at + i) % b.length] = v & 0xff;
      });
      return { bytes: out, what: `overwrite bytes from ${at} with [${m.bytes.join(', ')}]` };
    }
    case 'insert-varint': {
      const at = m.at % (b.length + 1);
      return { bytes: splice(b, at, at, encodeVarint(m.value)), what: `insert varint ${m.value} at byte ${at}` };
    }
    default:
      return editTree(b, m) ?? { bytes: b, what: `nothing (${m.kind}: no such field)` };
  }
}
