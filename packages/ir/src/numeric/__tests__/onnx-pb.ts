// Test-only reader for ONNX's backend test data (/work/shared/onnx-backend-tests, see its README): decodes
// TensorProto .pb files into user tensors ({ type, dims, data } with one code per element) and a model's first
// node, using protobufjs with the schema shipped next to the data. Not part of the package build.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { dtypeFromOnnx, type DType } from '../../dtype.js';
import { unpackSubByte, type UserTensor } from '../index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** The backend test folder (env ONNX_BACKEND_TESTS, default ../shared/onnx-backend-tests from the repo root), or undefined when absent. */
export function backendTestsDir(): string | undefined {
  const dir = process.env['ONNX_BACKEND_TESTS'] ?? path.resolve(REPO_ROOT, '../shared/onnx-backend-tests');
  return fs.existsSync(path.join(dir, 'schema/onnx/onnx.proto')) ? dir : undefined;
}

export interface OnnxReader {
  readTensor(file: string): UserTensor;
  readFirstNode(modelFile: string): { opType: string; attrs: Record<string, number | string> };
}

const toNum = (v: unknown): number => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));
const toBig = (v: unknown): bigint => (typeof v === 'object' && v !== null && 'toString' in v ? BigInt(String(v)) : BigInt(v as number));

function copyBytes(raw: Uint8Array): ArrayBuffer {
  const b = new ArrayBuffer(raw.length);
  new Uint8Array(b).set(raw);
  return b;
}

interface RawTensor {
  data_type: number;
  dims: unknown[];
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: unknown[];
  uint64_data?: unknown[];
  double_data?: number[];
  string_data?: Uint8Array[];
}

function tensorData(t: RawTensor, type: DType, n: number): UserTensor['data'] {
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const i32 = t.int32_data ?? [];
  const bytesFromInt32 = (): Uint8Array => Uint8Array.from(i32, (x) => x & 0xff);
  switch (type) {
    case 'string': return (t.string_data ?? []).map((b) => Buffer.from(b).toString('utf8'));
    case 'float32': return raw ? new Float32Array(copyBytes(raw)) : Float32Array.from(t.float_data ?? []);
    case 'float64': return raw ? new Float64Array(copyBytes(raw)) : Float64Array.from(t.double_data ?? []);
    case 'int64': return raw ? new BigInt64Array(copyBytes(raw)) : BigInt64Array.from((t.int64_data ?? []).map(toBig));
    case 'uint64': return raw ? new BigUint64Array(copyBytes(raw)) : BigUint64Array.from((t.uint64_data ?? []).map(toBig));
    case 'int32': return raw ? new Int32Array(copyBytes(raw)) : Int32Array.from(i32);
    case 'uint32': return raw ? new Uint32Array(copyBytes(raw)) : Uint32Array.from((t.uint64_data ?? []).map(toNum));
    case 'int16': return raw ? new Int16Array(copyBytes(raw)) : Int16Array.from(i32);
    case 'uint16': case 'float16': case 'bfloat16': return raw ? new Uint16Array(copyBytes(raw)) : Uint16Array.from(i32);
    case 'int8': return raw ? new Int8Array(copyBytes(raw)) : Int8Array.from(i32);
    case 'uint8': case 'bool': case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      return raw ? new Uint8Array(copyBytes(raw)) : Uint8Array.from(i32);
    case 'int4': case 'uint4': case 'float4e2m1': return unpackSubByte(raw ?? bytesFromInt32(), 4, n);
    case 'int2': case 'uint2': return unpackSubByte(raw ?? bytesFromInt32(), 2, n);
    default: {
      const never: never = type;
      throw new Error(`no reader for ${String(never)}`);
    }
  }
}

export function onnxReader(dir: string): OnnxReader {
  const root = new protobuf.Root().loadSync(path.join(dir, 'schema/onnx/onnx.proto'), { keepCase: true });
  const TensorProto = root.lookupType('onnx.TensorProto');
  const ModelProto = root.lookupType('onnx.ModelProto');
  return {
    readTensor(file) {
      const t = TensorProto.decode(fs.readFileSync(file)) as unknown as RawTensor;
      const type = dtypeFromOnnx(t.data_type);
      if (!type) throw new Error(`${file}: unknown data_type ${t.data_type}`);
      const dims = t.dims.map(toNum);
      const n = dims.reduce((a, b) => a * b, 1);
      return { type, dims, data: tensorData(t, type, n) };
    },
    readFirstNode(modelFile) {
      const m = ModelProto.decode(fs.readFileSync(modelFile)) as unknown as {
        graph: { node: { op_type: string; attribute: { name: string; i?: unknown; s?: Uint8Array }[] }[] };
      };
      const node = m.graph.node[0]!;
      const attrs: Record<string, number | string> = {};
      for (const a of node.attribute) {
        attrs[a.name] = a.s && a.s.length > 0 ? Buffer.from(a.s).toString('utf8') : toNum(a.i ?? 0);
      }
      return { opType: node.op_type, attrs };
    },
  };
}
