// @tensorc/backend: IR graph -> WebAssembly SIMD artifact.
export { type Artifact, type BackendOptions, compileGraph } from './wasm/artifact.js';
export { lowerGraph } from './wasm/lower.js';
