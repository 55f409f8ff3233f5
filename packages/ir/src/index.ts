// @tensorc/ir: the tensor-contraction IR, its verifier, text form, reference interpreter and passes.
export * from './dtype.js';
export * from './types.js';
export * from './scalar.js';
export * from './affine.js';
export * from './ops.js';
export * from './graph.js';
export * from './tensor.js';
export * from './errors.js';
export * from './numeric/index.js';
export * from './dims.js';
export { re2FullMatch } from './regex-re2.js';
export * from './infer/index.js';
export * from './builder/index.js';
export * from './verify/index.js';
export * from './interp/index.js';
export * from './passes/index.js';
export * from './text/index.js';
