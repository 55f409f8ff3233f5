// The runtime's own dtype table: how each tensor type is held on the host (array class) and stored in wasm
// memory (bytes per element). Kept separate from @tensorc/ir's table so the runtime loads alone; the names
// are the same (onnxruntime-web's), and a test checks the two tables agree on names.

export const TENSOR_TYPES = [
  'float32', 'float64', 'float16', 'bfloat16',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'bool', 'string', 'int4', 'uint4', 'int2', 'uint2',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
] as const;

export type TensorType = (typeof TENSOR_TYPES)[number];

/** Host data array per tensor type (onnxruntime-web's choices; sub-byte and fp8/fp4 types hold one code per byte). */
export interface TensorDataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: string[];
  int4: Uint8Array;
  uint4: Uint8Array;
  int2: Uint8Array;
  uint2: Uint8Array;
  float8e4m3fn: Uint8Array;
  float8e4m3fnuz: Uint8Array;
  float8e5m2: Uint8Array;
  float8e5m2fnuz: Uint8Array;
  float8e8m0: Uint8Array;
  float4e2m1: Uint8Array;
}

export type TensorData = TensorDataTypeMap[TensorType];
export type NumericTensorType = Exclude<TensorType, 'string'>;
export type TypedArray = TensorDataTypeMap[NumericTensorType];

export interface TypedArrayCtor {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly name: string;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed-array class holding a numeric type on the host; also the element view used in wasm memory. */
export const ARRAY_CLASS: { readonly [K in NumericTensorType]: TypedArrayCtor } = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  bool: Uint8Array, int4: Uint8Array, uint4: Uint8Array, int2: Uint8Array, uint2: Uint8Array,
  float8e4m3fn: Uint8Array, float8e4m3fnuz: Uint8Array, float8e5m2: Uint8Array, float8e5m2fnuz: Uint8Array,
  float8e8m0: Uint8Array, float4e2m1: Uint8Array,
};

/** Bytes per element in wasm memory and on the host: the array class's element size (one byte per sub-byte code). */
export const elementBytes = (t: NumericTensorType): number => ARRAY_CLASS[t].BYTES_PER_ELEMENT;

/** Types whose elements are codes narrower than a byte: the number of meaningful low bits of each byte. */
export const CODE_BITS: { readonly [K in TensorType]?: number } = { int4: 4, uint4: 4, int2: 2, uint2: 2, float4e2m1: 4 };

export const isTensorType = (s: unknown): s is TensorType => typeof s === 'string' && (TENSOR_TYPES as readonly string[]).includes(s);
export const isBigIntType = (t: TensorType): t is 'int64' | 'uint64' => t === 'int64' || t === 'uint64';

/** The type a data array implies when none is given (`new Tensor(data, dims)`), as onnxruntime-web infers it. */
export function inferTensorType(data: unknown): TensorType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  if (Array.isArray(data)) {
    if (data.length === 0 || typeof data[0] === 'number') return 'float32';
    if (typeof data[0] === 'string') return 'string';
    if (typeof data[0] === 'boolean') return 'bool';
    if (typeof data[0] === 'bigint') return 'int64';
  }
  return undefined;
}
