// The IR's canonical text form.
export { INLINE_TENSOR_LIMIT, printAffine, printDim, printGraph, printMap, printNode, printNumber, printScalar, printTensor, printType } from './print.js';
export { parseGraph, parseScalar } from './parse.js';
