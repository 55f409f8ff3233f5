// The public compile() API: an ONNX model (path or bytes) -> a WebAssembly artifact. It imports with the
// frontend (pinning shapes), simplifies the IR, and emits code with the wasm backend, reporting each stage.

import path from 'node:path';
import { type Artifact, compileGraph } from '@tensorc/backend';
import { importOnnx } from '@tensorc/frontend';
import { CompileError, type Graph, NO_FUSE_PIPELINE, OPTIMIZE_PIPELINE, type PassReport, printGraph, runPipeline } from '@tensorc/ir';
import { readModelFile } from './read-model-file.js';

export interface CompileOptions {
  /** Concrete shapes for graph inputs by name (pins symbolic dims such as the batch size). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Run the graph optimizations (default true). */
  readonly optimize?: boolean;
  /** With optimize, also run the fusion passes (elementwise, reduction, epilogue, softmax, affine folding; default true). */
  readonly fuse?: boolean;
  /** Called after each optimization pass with its statistics (nodes before/after, counters such as fused, time). */
  readonly onPass?: (report: PassReport) => void;
  /** Verify the IR after every pass (slower; for debugging). */
  readonly verifyEach?: boolean;
  /** Pass names after which to report the IR text through onStage ('*' for all). */
  readonly printAfter?: readonly string[];
  /**
   * The most threads the artifact will run on (default: as many as the runtime is given). 1 leaves out the
   * threaded code variants (smaller artifact); >= 2 keeps them, and InferenceSession's numThreads picks.
   */
  readonly threads?: number;
  /**
   * The thread cap of the threaded variants (manifest parallel.maxThreads; default `threads` when that is
   * >= 2, else 8): convolution and attention kernels reserve one scratch slot per thread, so a lower cap
   * means less memory. The runtime never starts more threads than the cap.
   */
  readonly maxThreads?: number;
  /** Also emit relaxed-SIMD variants, used where the engine has relaxed SIMD (default true). */
  readonly relaxedSimd?: boolean;
  /** Called once per stage with its duration, and with IR text when printAfter asks for it. */
  readonly onStage?: (stage: string, ms: number, detail?: string) => void;
  /** Also export every kernel by name as a function of no arguments (what `tensorc profile` times). */
  readonly exportKernels?: boolean;
}

export interface CompileResult extends Artifact {
  /** The optimized IR the code was generated from. */
  readonly graph: Graph;
  readonly passes: readonly PassReport[];
}

/** Compiles an ONNX model to a WebAssembly artifact. Throws CompileError naming the node, op and reason. */
export async function compile(model: string | Uint8Array, opts: CompileOptions = {}): Promise<CompileResult> {
  const report = opts.onStage ?? (() => {});
  const pipeline = opts.fuse === false ? NO_FUSE_PIPELINE : OPTIMIZE_PIPELINE;
  const unknown = (opts.printAfter ?? []).filter((n) => n !== '*' && !pipeline.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new CompileError('INVALID_INPUT', `print-after: no pass named "${unknown[0]}" in the pipeline (passes: ${[...new Set(pipeline.map((p) => p.name))].join(', ')})`);
  }
  let t0 = performance.now();
  let bytes: Uint8Array;
  let baseDir: string | undefined;
  if (typeof model === 'string') {
    bytes = await readModelFile(model);
    baseDir = path.dirname(path.resolve(model));
  } else {
    bytes = model;
  }
  const imported = importOnnx(bytes, { ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}), ...(baseDir ? { baseDir } : {}) });
  report('import', performance.now() - t0, `${imported.nodes.length} IR nodes`);
  t0 = performance.now();
  const { graph, reports } = opts.optimize === false ? { graph: imported, reports: [] } : runPipeline(imported, pipeline, {
    verifyEach: opts.verifyEach ?? false,
    ...(opts.printAfter ? { printAfter: opts.printAfter } : {}),
    onPrint: (pass, g) => report(`ir after ${pass}`, 0, printGraph(g)),
    ...(opts.onPass ? { onReport: opts.onPass } : {}),
  });
  report('optimize', performance.now() - t0, `${graph.nodes.length} IR nodes`);
  t0 = performance.now();
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new CompileError('INVALID_INPUT', `threads must be a positive integer, got ${opts.threads}`);
  }
  const maxThreads = threadCap(opts.threads, opts.maxThreads);
  const artifact = compileGraph(graph, {
    simplify: false, threads: (opts.threads ?? 2) > 1, relaxedSimd: opts.relaxedSimd ?? true, ...(maxThreads !== undefined ? { maxThreads } : {}),
    ...(opts.exportKernels ? { exportKernels: true } : {}),
  });
  report('codegen', performance.now() - t0, `${artifact.manifest.kernels.length} kernels, ${artifact.wasm.length} bytes of wasm`);
  return { ...artifact, graph, passes: reports };
}

/** The thread cap from `threads` and `maxThreads`, which both bound the threads; contradictory values are an error. */
function threadCap(threads: number | undefined, maxThreads: number | undefined): number | undefined {
  if (maxThreads === undefined) return threads !== undefined && threads > 1 ? threads : undefined;
  if (!Number.isSafeInteger(maxThreads) || maxThreads < 1) throw new CompileError('INVALID_INPUT', `maxThreads must be a positive integer, got ${maxThreads}`);
  if (threads === 1 && maxThreads > 1) throw new CompileError('INVALID_INPUT', `threads 1 leaves out the threaded code, so maxThreads ${maxThreads} cannot apply`);
  if (threads !== undefined && threads > 1 && threads !== maxThreads) {
    throw new CompileError('INVALID_INPUT', `threads ${threads} and maxThreads ${maxThreads} disagree: both set the most threads the artifact runs on`);
  }
  return maxThreads;
}
