// Builder entry points.
export { GraphBuilder } from './graph-builder.js';
export { type ContractOptions, einsum, defaultAcc, productCombiner } from './einsum.js';
export { type ConvSpec, conv, convOutDim, matmul } from './linalg.js';
