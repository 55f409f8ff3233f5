// Reference interpreter entry points.
export { interpret } from './interpret.js';
export { evalCost, FOLD_WORK_LIMIT } from './eval-cost.js';
export { compileScalar, type Scalar, type ScalarFn } from './scalar-eval.js';
export type { InterpContext, Kernel } from './kernel-types.js';
