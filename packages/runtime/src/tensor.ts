// Tensor: a host value with `type`, `dims`, `data` and `size`, shaped like onnxruntime-web's CPU tensor so
// code written against onnxruntime-web reads the same. Construction validates the data array against the type
// and the dims, so a bad feed fails here with a clear message instead of producing garbage inside the model.

import { ARRAY_CLASS, CODE_BITS, inferTensorType, isBigIntType, isTensorType, TENSOR_TYPES } from './dtypes.js';
import type { NumericTensorType, TensorData, TensorDataTypeMap, TensorType, TypedArray } from './dtypes.js';
import { TensorcRuntimeError } from './errors.js';

/** Plain JS arrays accepted in place of a typed array; converted (and range-checked) at construction. */
export type PlainTensorData = readonly (number | bigint | boolean)[] | readonly string[];

export class Tensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly dims: readonly number[];
  readonly data: TensorDataTypeMap[T];
  /** Number of elements: the product of dims (1 for a scalar). */
  readonly size: number;
  readonly location = 'cpu' as const;

  constructor(type: T, data: TensorDataTypeMap[T] | PlainTensorData, dims?: readonly number[]);
  constructor(data: TensorData | Uint8ClampedArray | PlainTensorData, dims?: readonly number[]);
  constructor(a: unknown, b?: unknown, c?: unknown) {
    const explicit = typeof a === 'string';
    const type = explicit ? a : inferTensorType(a);
    const rawData = explicit ? b : a;
    const rawDims = explicit ? c : b;
    if (!isTensorType(type)) {
      throw explicit
        ? new TensorcRuntimeError('TYPE_ERROR', `unknown tensor type '${String(a)}'; expected one of ${TENSOR_TYPES.join(', ')}`)
        : new TensorcRuntimeError('TYPE_ERROR', `cannot infer a tensor type from ${describe(a)}; pass the type explicitly`);
    }
    const data = normalizeData(type, rawData);
    const dims = normalizeDims(type, rawDims, data.length);
    this.type = type as T;
    this.data = data as TensorDataTypeMap[T];
    this.dims = dims;
    this.size = data.length;
  }

  /** onnxruntime-web compatibility: CPU data is available at once. */
  getData(): Promise<TensorDataTypeMap[T]> {
    return Promise.resolve(this.data);
  }

  /** onnxruntime-web compatibility: a CPU tensor holds nothing to free beyond its array. */
  dispose(): void {}

  /** A tensor sharing this one's data with other dims of the same element count. */
  reshape(dims: readonly number[]): Tensor<T> {
    return new Tensor(this.type, this.data, dims);
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return x.length === 0 ? 'an empty array' : `an array of ${typeof x[0]}`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}

function normalizeDims(type: TensorType, dims: unknown, length: number): readonly number[] {
  if (dims === undefined) return Object.freeze([length]);
  if (!Array.isArray(dims)) throw new TensorcRuntimeError('SHAPE_ERROR', `Tensor dims must be an array of integers, got ${describe(dims)}`);
  for (const d of dims) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new TensorcRuntimeError('SHAPE_ERROR', `Tensor dims must be non-negative integers, got [${dims.join(', ')}]`);
    }
  }
  const size = dims.reduce((p: number, d: number) => p * d, 1);
  if (size !== length) {
    throw new TensorcRuntimeError(
      'SHAPE_ERROR',
      `Tensor of type ${type} with dims [${dims.join(', ')}] needs ${size} elements, but its data has ${length}`,
    );
  }
  return Object.freeze([...dims]);
}

function normalizeData(type: TensorType, data: unknown): TensorData {
  if (type === 'string') {
    if (Array.isArray(data) && data.every((s) => typeof s === 'string')) return data as string[];
    throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type string needs a string[], got ${describe(data)}`);
  }
  const cls = ARRAY_CLASS[type];
  if (ArrayBuffer.isView(data)) {
    if (type === 'uint8' && data instanceof Uint8ClampedArray) return new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (!(data instanceof cls) || (cls === Uint8Array && data instanceof Uint8ClampedArray)) {
      const note = type === 'float16' || type === 'bfloat16' ? ' (raw 16-bit patterns)'
        : cls === Uint8Array && type !== 'uint8' && type !== 'bool' ? ' (one element code per byte)' : '';
      throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type ${type} needs a ${cls.name}${note}, got ${describe(data)}`);
    }
    checkCodes(type, data as TypedArray);
    return data as TypedArray;
  }
  if (Array.isArray(data)) return fromPlainArray(type, data);
  throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type ${type} needs a ${cls.name} or a plain array, got ${describe(data)}`);
}

/** Converts a plain array, refusing values the type cannot hold exactly instead of wrapping them silently. */
function fromPlainArray(type: NumericTensorType, data: readonly unknown[]): TypedArray {
  if (type === 'float16' || type === 'bfloat16') {
    throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type ${type} from a plain array is ambiguous; pass a Uint16Array of raw bit patterns`);
  }
  const bad = (i: number): never => {
    throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type ${type}: element ${i} (${String(data[i])}) is not a valid ${type} value`);
  };
  if (type === 'bool') {
    const out = new Uint8Array(data.length);
    data.forEach((v, i) => (typeof v === 'boolean' || v === 0 || v === 1 ? (out[i] = v ? 1 : 0) : bad(i)));
    return out;
  }
  if (isBigIntType(type)) {
    const out = type === 'int64' ? new BigInt64Array(data.length) : new BigUint64Array(data.length);
    data.forEach((v, i) => {
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : bad(i);
      out[i] = b;
      if (out[i] !== b) bad(i);
    });
    return out;
  }
  const out = new ARRAY_CLASS[type](data.length) as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
  const exact = type !== 'float32' && type !== 'float64';
  data.forEach((v, i) => {
    if (typeof v !== 'number') bad(i);
    out[i] = v as number;
    if (exact && out[i] !== v) bad(i);
  });
  checkCodes(type, out);
  return out;
}

/** Sub-byte types keep one code per byte: the high bits must be zero (int4 -1 is code 15, not 255). */
function checkCodes(type: NumericTensorType, data: TypedArray): void {
  const bits = CODE_BITS[type];
  if (bits === undefined) return;
  const u8 = data as Uint8Array;
  for (let i = 0; i < u8.length; i++) {
    if (u8[i]! >> bits !== 0) {
      throw new TensorcRuntimeError('TYPE_ERROR', `Tensor of type ${type}: element ${i} is ${u8[i]}, but codes of a ${bits}-bit type lie in 0..${(1 << bits) - 1}`);
    }
  }
}
