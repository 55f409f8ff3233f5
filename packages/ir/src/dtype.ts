// Element types: one table with every dtype tensorc knows, its ONNX code, bit width and numeric kind.
// Names are onnxruntime-web's; `short` is the spelling used in the IR text form.

export const DTYPES = [
  'float32', 'float64', 'float16', 'bfloat16',
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'bool', 'string', 'int4', 'uint4', 'int2', 'uint2',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
] as const;

export type DType = (typeof DTYPES)[number];

export type DTypeKind = 'float' | 'int' | 'uint' | 'bool' | 'string';

export interface DTypeInfo {
  readonly name: DType;
  /** Spelling in the IR text form. */
  readonly short: string;
  /** ONNX TensorProto.DataType code. */
  readonly onnx: number;
  /** Storage bits per element (0 for string). */
  readonly bits: number;
  readonly kind: DTypeKind;
}

const info = (name: DType, short: string, onnx: number, bits: number, kind: DTypeKind): DTypeInfo => ({ name, short, onnx, bits, kind });

export const DTYPE_INFO: { readonly [K in DType]: DTypeInfo } = {
  float32: info('float32', 'f32', 1, 32, 'float'),
  float64: info('float64', 'f64', 11, 64, 'float'),
  float16: info('float16', 'f16', 10, 16, 'float'),
  bfloat16: info('bfloat16', 'bf16', 16, 16, 'float'),
  int8: info('int8', 'i8', 3, 8, 'int'),
  int16: info('int16', 'i16', 5, 16, 'int'),
  int32: info('int32', 'i32', 6, 32, 'int'),
  int64: info('int64', 'i64', 7, 64, 'int'),
  uint8: info('uint8', 'u8', 2, 8, 'uint'),
  uint16: info('uint16', 'u16', 4, 16, 'uint'),
  uint32: info('uint32', 'u32', 12, 32, 'uint'),
  uint64: info('uint64', 'u64', 13, 64, 'uint'),
  bool: info('bool', 'bool', 9, 8, 'bool'),
  string: info('string', 'str', 8, 0, 'string'),
  int4: info('int4', 'i4', 22, 4, 'int'),
  uint4: info('uint4', 'u4', 21, 4, 'uint'),
  int2: info('int2', 'i2', 26, 2, 'int'),
  uint2: info('uint2', 'u2', 25, 2, 'uint'),
  float8e4m3fn: info('float8e4m3fn', 'f8e4m3fn', 17, 8, 'float'),
  float8e4m3fnuz: info('float8e4m3fnuz', 'f8e4m3fnuz', 18, 8, 'float'),
  float8e5m2: info('float8e5m2', 'f8e5m2', 19, 8, 'float'),
  float8e5m2fnuz: info('float8e5m2fnuz', 'f8e5m2fnuz', 20, 8, 'float'),
  float8e8m0: info('float8e8m0', 'f8e8m0', 24, 8, 'float'),
  float4e2m1: info('float4e2m1', 'f4e2m1', 23, 4, 'float'),
};

const BY_SHORT = new Map<string, DType>(DTYPES.map((d) => [DTYPE_INFO[d].short, d]));
const BY_ONNX = new Map<number, DType>(DTYPES.map((d) => [DTYPE_INFO[d].onnx, d]));

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}
export function dtypeFromShort(s: string): DType | undefined {
  return BY_SHORT.get(s);
}
export function dtypeFromOnnx(code: number): DType | undefined {
  return BY_ONNX.get(code);
}

export const isFloat = (d: DType): boolean => DTYPE_INFO[d].kind === 'float';
export const isInteger = (d: DType): boolean => DTYPE_INFO[d].kind === 'int' || DTYPE_INFO[d].kind === 'uint';
export const isSigned = (d: DType): boolean => DTYPE_INFO[d].kind === 'int' || DTYPE_INFO[d].kind === 'float';
/** 64-bit integers are carried as bigint in host tensors and scalar evaluation; everything else numeric as number. */
export const isBigIntDType = (d: DType): boolean => d === 'int64' || d === 'uint64';
