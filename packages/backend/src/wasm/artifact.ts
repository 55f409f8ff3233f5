// The compiled artifact (model.wasm + manifest.json + weights.bin, format "tensorc-wasm" v1 as defined in
// @tensorc/runtime's manifest.ts) and the entry point that builds it from an IR graph.

import fs from 'node:fs';
import path from 'node:path';
import { CompileError, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, runPipeline, verify } from '@tensorc/ir';
import type { ArtifactManifest } from '@tensorc/runtime';
import { emitModule } from './emit-module.js';
import { lowerGraph } from './lower.js';
import { unrollScans } from './unroll-scan.js';
import { planMemory } from './memory-plan.js';
import { planSteps } from './parallel-plan.js';
import { DEFAULT_MAX_THREADS } from './scratch-slots.js';

export interface Artifact {
  readonly manifest: ArtifactManifest;
  /** The baseline module (model.wasm). */
  readonly wasm: Uint8Array;
  /** Every variant's bytes by file name, the baseline included (an InMemoryArtifact for the runtime). */
  readonly wasmVariants: Readonly<Record<string, Uint8Array>>;
  readonly weights: Uint8Array;
  /** Writes manifest.json, weights.bin and every variant's .wasm into `dir` (created if needed). */
  save(dir: string): Promise<void>;
}

export interface BackendOptions {
  /** Run the optimization pipeline (simplification and epilogue fusion) first (default true). */
  readonly simplify?: boolean;
  readonly modelName?: string;
  /** Also emit relaxed-SIMD variants, picked at load time where the engine has them (default true). */
  readonly relaxedSimd?: boolean;
  /** Also emit threaded variants (shared memory + run_range) for InferenceSession's numThreads (default true). */
  readonly threads?: boolean;
  /**
   * With threads: the most threads the artifact runs on (manifest parallel.maxThreads; default
   * DEFAULT_MAX_THREADS, 8). Convolution and attention kernels reserve one scratch slot per thread.
   */
  readonly maxThreads?: number;
  /** float64 transcendental functions that round exactly as the interpreter (see EmitOptions.exactMath). */
  readonly exactMath?: boolean;
  /** The smallest GEMM (multiply-adds) or loop nest (points) split across threads (defaults: parallel-plan.ts); tests pass 0. */
  readonly parallelMinMacs?: number;
  /** Also export every kernel by name as a function of no arguments, to time kernels one by one (profiling tools). */
  readonly exportKernels?: boolean;
}

interface VariantSpec { readonly file: string; readonly relaxed: boolean; readonly threaded: boolean }

/** Best first, as the runtime picks the first it can run; the baseline model.wasm is last. */
function variantSpecs(opts: BackendOptions): VariantSpec[] {
  const all: VariantSpec[] = [
    { file: 'model.relaxed.mt.wasm', relaxed: true, threaded: true },
    { file: 'model.mt.wasm', relaxed: false, threaded: true },
    { file: 'model.relaxed.wasm', relaxed: true, threaded: false },
    { file: 'model.wasm', relaxed: false, threaded: false },
  ];
  return all.filter((v) => (opts.relaxedSimd !== false || !v.relaxed) && (opts.threads !== false || !v.threaded));
}

export function compileGraph(graph: Graph, opts: BackendOptions = {}): Artifact {
  // Scans unroll before lowering (static sequence lengths); the unrolled graph is verified like any other.
  const g = unrollScans(opts.simplify === false ? graph : runPipeline(graph, OPTIMIZE_PIPELINE).graph);
  verify(g);
  if (opts.maxThreads !== undefined && (!Number.isSafeInteger(opts.maxThreads) || opts.maxThreads < 1)) {
    throw new CompileError('INVALID_INPUT', `maxThreads must be a positive integer, got ${opts.maxThreads}`);
  }
  const specs = variantSpecs(opts);
  // without threaded variants only worker 0 ever runs
  const cap = specs.some((v) => v.threaded) ? opts.maxThreads ?? DEFAULT_MAX_THREADS : 1;
  const plan = lowerGraph(g, { scratchSlots: cap });
  const consts = new Map<ValueId, HostTensor>();
  for (const n of g.nodes) if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
  const layout = planMemory(g, plan, consts);
  const wasmVariants: Record<string, Uint8Array> = {};
  let pages = 0;
  for (const v of specs) {
    const emitted = emitModule(layout, { relaxed: v.relaxed, threaded: v.threaded, exactMath: opts.exactMath ?? false, exportKernels: opts.exportKernels ?? false, ...(opts.parallelMinMacs !== undefined ? { parallelMinMacs: opts.parallelMinMacs } : {}) });
    wasmVariants[v.file] = emitted.wasm;
    pages = emitted.pages;
  }
  const wasm = wasmVariants['model.wasm']!;
  const kernelInfo = (k: { readonly name: string }) => {
    const node = plan.kernelNodes.get(k.name);
    return { name: k.name, ...(node !== undefined ? { nodes: [node] } : {}) };
  };
  const steps = planSteps(layout.kernels, opts.parallelMinMacs);
  const manifest: ArtifactManifest = {
    format: 'tensorc-wasm',
    version: 1,
    producer: 'tensorc 0.1.0',
    ...(opts.modelName ? { modelName: opts.modelName } : {}),
    inputs: layout.inputs.map((i) => ({ name: i.name, dtype: i.type.dtype as never, shape: i.type.shape as number[], offset: i.offset, byteLength: i.byteLength })),
    outputs: layout.outputs.map((o) => ({ name: o.name, dtype: o.type.dtype as never, shape: o.type.shape as number[], offset: o.offset, byteLength: o.byteLength })),
    memory: { pages, arena: layout.arena, peakBytes: layout.peakBytes, ...(layout.expandedBytes > 0 ? { expandedBytes: layout.expandedBytes } : {}) },
    weights: { byteLength: layout.weights.length, offset: layout.weightsOffset, alignment: 16, tensors: layout.weightEntries },
    variants: specs.map((v) => ({ file: v.file, requires: ['simd128', ...(v.relaxed ? ['relaxed-simd' as const] : []), ...(v.threaded ? ['threads' as const] : [])] })),
    kernels: layout.kernels.map(kernelInfo),
    ...(layout.initKernels.length > 0 ? { initKernels: layout.initKernels.map(kernelInfo) } : {}),
    ...(specs.some((v) => v.threaded) ? {
      parallel: {
        steps: steps.map((s) => ({ iterations: s.iterations, kernel: s.kernels.map((i) => layout.kernels[i]!.name).join('+') })),
        // convolutions and attention have one scratch slot per worker, `cap` of them
        maxThreads: Math.min(cap, Math.max(1, ...steps.map((s) => s.iterations))),
      },
    } : {}),
  };
  const weights = layout.weights;
  return {
    manifest,
    wasm,
    wasmVariants,
    weights,
    async save(dir: string) {
      await fs.promises.mkdir(dir, { recursive: true });
      for (const [file, bytes] of Object.entries(wasmVariants)) await fs.promises.writeFile(path.join(dir, file), bytes);
      await fs.promises.writeFile(path.join(dir, 'weights.bin'), weights);
      await fs.promises.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
    },
  };
}
