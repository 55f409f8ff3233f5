// Test-only: a tiny ONNX protobuf writer over protobufjs's Writer, so tests can build exactly the
// ModelProto/GraphProto/TensorProto bytes they need (including odd ones: old untyped attributes, unpacked
// repeated fields, wrong lengths). Field numbers follow onnx.proto.

import protobuf from 'protobufjs';

type Put = (w: protobuf.Writer) => void;

const tag = (w: protobuf.Writer, no: number, wire: number): protobuf.Writer => w.uint32((no << 3) | wire);

export const f = {
  int: (no: number, v: number | bigint): Put => (w) => void tag(w, no, 0).int64(v.toString() as unknown as number),
  uint64: (no: number, v: bigint): Put => (w) => void tag(w, no, 0).uint64(v.toString() as unknown as number),
  float: (no: number, v: number): Put => (w) => void tag(w, no, 5).float(v),
  double: (no: number, v: number): Put => (w) => void tag(w, no, 1).double(v),
  str: (no: number, s: string): Put => (w) => void tag(w, no, 2).string(s),
  bytes: (no: number, b: Uint8Array): Put => (w) => void tag(w, no, 2).bytes(b),
  packed: (no: number, each: (w: protobuf.Writer) => void): Put => (w) => {
    const inner = protobuf.Writer.create();
    each(inner);
    tag(w, no, 2).bytes(inner.finish());
  },
  packedInt64: (no: number, vs: readonly (number | bigint)[]): Put =>
    f.packed(no, (w) => vs.forEach((v) => w.int64(v.toString() as unknown as number))),
  packedInt32: (no: number, vs: readonly number[]): Put => f.packed(no, (w) => vs.forEach((v) => w.int32(v))),
  packedUint64: (no: number, vs: readonly bigint[]): Put =>
    f.packed(no, (w) => vs.forEach((v) => w.uint64(v.toString() as unknown as number))),
  packedFloat: (no: number, vs: readonly number[]): Put => f.packed(no, (w) => vs.forEach((v) => w.float(v))),
  packedDouble: (no: number, vs: readonly number[]): Put => f.packed(no, (w) => vs.forEach((v) => w.double(v))),
};

export function msg(...fields: Put[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const put of fields) put(w);
  return w.finish();
}

export const sub = (no: number, ...fields: Put[]): Put => f.bytes(no, msg(...fields));

// ---- ONNX messages ----

export interface TensorSpec {
  name?: string;
  dims: readonly (number | bigint)[];
  dataType: number;
  raw?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | bigint)[];
  uint64Data?: bigint[];
  doubleData?: number[];
  stringData?: string[];
  external?: Record<string, string>;
}

export function tensor(t: TensorSpec): Uint8Array {
  const p: Put[] = [f.packedInt64(1, t.dims), f.int(2, t.dataType)];
  if (t.name !== undefined) p.push(f.str(8, t.name));
  if (t.raw) p.push(f.bytes(9, t.raw));
  if (t.floatData) p.push(f.packedFloat(4, t.floatData));
  if (t.int32Data) p.push(f.packedInt32(5, t.int32Data));
  if (t.int64Data) p.push(f.packedInt64(7, t.int64Data));
  if (t.uint64Data) p.push(f.packedUint64(11, t.uint64Data));
  if (t.doubleData) p.push(f.packedDouble(10, t.doubleData));
  for (const s of t.stringData ?? []) p.push(f.str(6, s));
  if (t.external) {
    for (const [k, v] of Object.entries(t.external)) p.push(sub(13, f.str(1, k), f.str(2, v)));
    p.push(f.int(14, 1));
  }
  return msg(...p);
}

/** TypeProto for a tensor; dims: number = fixed, string = symbolic, null = unknown. shape undefined = no shape. */
export function tensorType(elemType: number, shape?: readonly (number | string | null)[]): Uint8Array {
  const t: Put[] = [f.int(1, elemType)];
  if (shape) {
    const dims = shape.map((d) => sub(1, ...(d === null ? [] : typeof d === 'number' ? [f.int(1, d)] : [f.str(2, d)])));
    t.push(sub(2, ...dims));
  }
  return msg(sub(1, ...t));
}

export const sequenceType = (elem: Uint8Array): Uint8Array => msg(sub(4, f.bytes(1, elem)));
export const optionalType = (elem: Uint8Array): Uint8Array => msg(sub(9, f.bytes(1, elem)));
export const mapType = (): Uint8Array => msg(sub(5, f.int(1, 8), f.bytes(2, tensorType(1))));

export const valueInfo = (name: string, type?: Uint8Array): Uint8Array =>
  msg(f.str(1, name), ...(type ? [f.bytes(2, type)] : []));

export const attr = {
  int: (name: string, v: number | bigint): Uint8Array => msg(f.str(1, name), f.int(20, 2), f.int(3, v)),
  float: (name: string, v: number): Uint8Array => msg(f.str(1, name), f.int(20, 1), f.float(2, v)),
  string: (name: string, v: string): Uint8Array => msg(f.str(1, name), f.int(20, 3), f.str(4, v)),
  ints: (name: string, vs: (number | bigint)[]): Uint8Array => msg(f.str(1, name), f.int(20, 7), f.packedInt64(8, vs)),
  floats: (name: string, vs: number[]): Uint8Array => msg(f.str(1, name), f.int(20, 6), f.packedFloat(7, vs)),
  strings: (name: string, vs: string[]): Uint8Array => msg(f.str(1, name), f.int(20, 8), ...vs.map((s) => f.str(9, s))),
  tensor: (name: string, t: Uint8Array): Uint8Array => msg(f.str(1, name), f.int(20, 4), f.bytes(5, t)),
  graph: (name: string, g: Uint8Array): Uint8Array => msg(f.str(1, name), f.int(20, 5), f.bytes(6, g)),
  graphs: (name: string, gs: Uint8Array[]): Uint8Array => msg(f.str(1, name), f.int(20, 10), ...gs.map((g) => f.bytes(11, g))),
  ref: (name: string, refName: string, type: number): Uint8Array => msg(f.str(1, name), f.int(20, type), f.str(21, refName)),
};

export interface NodeSpec {
  opType: string;
  inputs?: string[];
  outputs?: string[];
  name?: string;
  domain?: string;
  attrs?: Uint8Array[];
}

export function node(n: NodeSpec): Uint8Array {
  return msg(
    ...(n.inputs ?? []).map((s) => f.str(1, s)),
    ...(n.outputs ?? []).map((s) => f.str(2, s)),
    ...(n.name !== undefined ? [f.str(3, n.name)] : []),
    f.str(4, n.opType),
    ...(n.domain !== undefined ? [f.str(7, n.domain)] : []),
    ...(n.attrs ?? []).map((a) => f.bytes(5, a)),
  );
}

export interface GraphSpec {
  name?: string;
  nodes?: Uint8Array[];
  initializers?: Uint8Array[];
  inputs?: Uint8Array[];
  outputs?: Uint8Array[];
  valueInfo?: Uint8Array[];
}

export function graph(g: GraphSpec): Uint8Array {
  return msg(
    ...(g.nodes ?? []).map((b) => f.bytes(1, b)),
    f.str(2, g.name ?? 'g'),
    ...(g.initializers ?? []).map((b) => f.bytes(5, b)),
    ...(g.inputs ?? []).map((b) => f.bytes(11, b)),
    ...(g.outputs ?? []).map((b) => f.bytes(12, b)),
    ...(g.valueInfo ?? []).map((b) => f.bytes(13, b)),
  );
}

export interface FunctionSpec {
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes?: string[];
  defaults?: Uint8Array[];
  nodes: Uint8Array[];
}

export function functionProto(fn: FunctionSpec): Uint8Array {
  return msg(
    f.str(1, fn.name),
    ...fn.inputs.map((s) => f.str(4, s)),
    ...fn.outputs.map((s) => f.str(5, s)),
    ...(fn.attributes ?? []).map((s) => f.str(6, s)),
    ...(fn.defaults ?? []).map((b) => f.bytes(11, b)),
    ...fn.nodes.map((b) => f.bytes(7, b)),
    f.str(10, fn.domain),
  );
}

export interface ModelSpec {
  irVersion?: number;
  producer?: string;
  opsets?: [string, number][];
  graph?: Uint8Array;
  functions?: Uint8Array[];
}

export function model(m: ModelSpec): Uint8Array {
  return msg(
    f.int(1, m.irVersion ?? 8),
    f.str(2, m.producer ?? 'test'),
    ...(m.opsets ?? [['', 17]]).map(([d, v]) => sub(8, f.str(1, d), f.int(2, v))),
    ...(m.graph ? [f.bytes(7, m.graph)] : []),
    ...(m.functions ?? []).map((b) => f.bytes(25, b)),
  );
}

/** The bytes of a little-endian typed array. */
export const le = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
