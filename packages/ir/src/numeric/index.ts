// The numeric layer: exact scalar conversions for every dtype (float formats bit-exact with ONNX, integer
// wrapping and saturation, ONNX Cast between all dtypes) and the host-tensor <-> user-tensor data boundary.
export {
  float16ToBits, bitsToFloat16, bfloat16ToBits, bitsToBfloat16, encodeFloat, decodeFloat, isNaNCode, roundToDType,
  maxFinite, isFloatDType, isCodedFloatDType, CODED_FLOAT_DTYPES, type CodedFloatDType, type FloatDType,
} from './floats.js';
export { encodeE8M0, decodeE8M0, type E8M0RoundMode } from './e8m0.js';
export {
  wrapInt, saturateInt, intRange, intToCode, codeToInt, isIntDType, INT_DTYPES, type IntDType, type IntRange,
} from './ints.js';
export { castScalar, floatToInt, bigintToNumberRoundOdd, type ScalarValue } from './cast.js';
export { formatFloat, formatScalar, parseNumber, type ParsedNumber } from './strings.js';
export {
  toHostTensor, fromHostTensor, packSubByte, unpackSubByte, userArrayName, type UserTensor, type UserTensorData,
} from './host-data.js';
export { allocData, readScalar, writeScalar, normalizeScalar, MAX_HOST_ELEMENTS } from './scalar-data.js';
export { erf } from './erf.js';
