// @tensorc/runtime: loads a tensorc artifact (model.wasm + manifest.json + weights.bin) and runs it in Node 20
// and browsers behind an onnxruntime-web-shaped API. Depends on nothing: safe to load alone in a page.
export { Tensor } from './tensor.js';
export type { PlainTensorData } from './tensor.js';
export { InferenceSession } from './session.js';
export type { InferenceSessionOutputs, SessionOptions } from './session.js';
export type { Feeds, Fetches, TensorLike } from './io.js';
export { TensorcRuntimeError } from './errors.js';
export type { RuntimeErrorCode } from './errors.js';
export { TENSOR_TYPES, elementBytes, isTensorType } from './dtypes.js';
export type { TensorType, TensorDataTypeMap, TensorData, NumericTensorType, TypedArray } from './dtypes.js';
export * from './manifest.js';
export { parseManifest } from './validate-manifest.js';
export { detectHostFeatures, SIMD_PROBE, RELAXED_SIMD_PROBE } from './features.js';
// for tools that instantiate a variant themselves (tensorc profile)
export { hostMathImports } from './host-math.js';
export type { HostFeatures } from './features.js';
