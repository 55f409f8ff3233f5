// @tensorc/frontend: ONNX models -> tensorc IR.
export { importOnnx, lowerModel, type ImportOptions } from './import-onnx.js';
export { toLoweringModel, decodeTensorProto } from './onnx/index.js';
export type { LoweringModel, LoweringGraph, LoweringNode, LoweringType } from './lowering-model.js';
export { DEFAULT_DOMAIN_CONVERTERS, DOMAIN_CONVERTERS } from './convert/registry.js';
