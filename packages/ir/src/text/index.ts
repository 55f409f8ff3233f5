// The IR's canonical text form: printGraph / parseGraph are exact inverses (see print.ts for the syntax).
export { printGraph, printNode, printOpFields } from './print.js';
export { printAffine, printDim, printMap, printNumber, printScalar, printType } from './print-scalar.js';
export { INLINE_TENSOR_LIMIT, printTensor } from './tensor-text.js';
export { parseGraph } from './parse.js';
export { parseScalar } from './parse-scalar.js';
