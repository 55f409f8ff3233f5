// tensorc: the public API. compile() turns an ONNX model into a WebAssembly artifact; run it with
// InferenceSession from @tensorc/runtime (re-exported here for convenience).
export { compile, type CompileOptions, type CompileResult } from './compile.js';
export type { Artifact } from '@tensorc/backend';
export { CompileError } from '@tensorc/ir';
export { InferenceSession, Tensor } from '@tensorc/runtime';
export { readNpy, writeNpy, NpyError } from './npy.js';
