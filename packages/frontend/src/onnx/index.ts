// The ONNX decoder's public surface: model bytes -> LoweringModel, and a lone TensorProto -> HostTensor.
export { toLoweringModel, decodeTensorProto } from './decode-model.js';
export { MAX_TENSOR_ELEMENTS } from './decode-tensor.js';
export { MAX_INLINE_DEPTH, MAX_INLINED_NODES } from './inline-functions.js';
