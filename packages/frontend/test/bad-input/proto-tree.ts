// A schema-less protobuf tree for structure-aware mutation: every length-delimited payload that parses as a
// message is kept as its fields, everything else as bytes. Re-serializing recomputes every length prefix,
// so an edit deep inside (a dim, a dtype, a node's input name) leaves the framing around it intact and the
// mutated model reaches the importer's semantic checks instead of dying in the wire reader.

export interface PField {
  readonly no: number;
  readonly wire: number;
  /** wire 0: the varint value. */
  readonly value: bigint;
  /** wire 1/5: the fixed bytes; wire 2: the payload bytes (also kept when it parsed as a message). */
  readonly raw: Uint8Array;
  /** wire 2 payloads that parse as a message. */
  readonly children: readonly PField[] | undefined;
}

function readVarint(b: Uint8Array, pos: number, end: number): { value: bigint; end: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    const byte = b[pos + i]!;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value, end: pos + i + 1 };
  }
  return undefined;
}

/** Parses b[start, end) as a message, or undefined when it is not one. */
function parseRange(b: Uint8Array, start: number, end: number, depth: number): PField[] | undefined {
  const out: PField[] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(b, pos, end);
    if (!tag) return undefined;
    const no = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (no === 0 || no > 536_870_911) return undefined;
    pos = tag.end;
    if (wire === 0) {
      const v = readVarint(b, pos, end);
      if (!v) return undefined;
      out.push({ no, wire, value: v.value, raw: new Uint8Array(0), children: undefined });
      pos = v.end;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > end) return undefined;
      out.push({ no, wire, value: 0n, raw: b.subarray(pos, pos + n), children: undefined });
      pos += n;
    } else if (wire === 2) {
      const len = readVarint(b, pos, end);
      if (!len || len.value > BigInt(end - len.end)) return undefined;
      const s = len.end;
      const e = s + Number(len.value);
      const children = depth < 40 && e > s ? parseRange(b, s, e, depth + 1) : undefined;
      out.push({ no, wire, value: 0n, raw: b.subarray(s, e), children });
      pos = e;
    } else {
      return undefined;
    }
  }
  return out;
}

export function parseTree(b: Uint8Array): PField[] | undefined {
  return parseRange(b, 0, b.length, 0);
}

export function encodeVarint(value: bigint): Uint8Array {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

/** Serializes `fields`; a field found in `replace` is written as its replacement list instead (edits). */
export function serializeTree(fields: readonly PField[], replace: ReadonlyMap<PField, readonly PField[]> = new Map()): Uint8Array {
  const parts: Uint8Array[] = [];
  const put = (f: PField): void => {
    parts.push(encodeVarint(BigInt(f.no) * 8n + BigInt(f.wire)));
    if (f.wire === 0) parts.push(encodeVarint(f.value));
    else if (f.wire === 2) {
      const payload = f.children !== undefined ? serializeTree(f.children, replace) : f.raw;
      parts.push(encodeVarint(BigInt(payload.length)), payload);
    } else parts.push(f.raw);
  };
  for (const f of fields) {
    const r = replace.get(f);
    if (r) r.forEach(put);
    else put(f);
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every field in preorder with the list it sits in. */
export function flatten(fields: readonly PField[]): { field: PField; siblings: readonly PField[] }[] {
  const out: { field: PField; siblings: readonly PField[] }[] = [];
  const walk = (list: readonly PField[]): void => {
    for (const f of list) {
      out.push({ field: f, siblings: list });
      if (f.children) walk(f.children);
    }
  };
  walk(fields);
  return out;
}
