// The artifact contract between the wasm backend (producer) and this runtime (consumer): the manifest.json
// schema plus the rules a model.wasm must follow. It is the single source of truth for both sides; the backend
// targets exactly what is written here, and validate-manifest.ts enforces the checkable parts at load time.
//
// ═══ ARTIFACT CONTRACT, format "tensorc-wasm", version 1 ═══════════════════════════════════════════════════
//
// FILES (a directory, a URL base, or the same three things in memory, see InMemoryArtifact)
//   manifest.json   this ArtifactManifest as UTF-8 JSON.
//   model.wasm      the baseline module (the last entry of `variants`); more variants sit beside it, named by
//                   `variants[i].file` (convention: model.relaxed.wasm, model.mt.wasm, model.relaxed.mt.wasm).
//   weights.bin     raw bytes copied verbatim into memory; may be empty (then the file may be absent).
//
// MEMORY (one linear memory, owned by the runtime, never grown)
//   The runtime creates `new WebAssembly.Memory({ initial: P, maximum: P, shared })` with P = memory.pages and
//   passes it as the import `env.memory`. shared === true exactly for variants that require 'threads'. The
//   module declares that import with min = max = P (binaryen: addMemoryImport + setMemory(P, P, ..., shared)),
//   and never executes memory.grow: every address is fixed at compile time.
//   Regions, each [offset, offset + byteLength): every input, every output, the weights and the arena. Each
//   offset is a multiple of MEMORY_ALIGN (16), all regions lie inside P * 65536 bytes and are pairwise
//   disjoint. Anything else the module needs (constant tables in data segments) lies outside those regions.
//   Recommended order: [0, 16) left unused, data segments, weights, inputs, outputs, arena.
//   Fresh memory is zero. Between runs the runtime clears nothing: it writes every byte of every input region
//   before each run and reads output regions after it, so a module must write every byte of every output on
//   every run and must not assume zeroed arena memory after the first run.
//
// ENDIANNESS AND ELEMENT STORAGE (input and output regions; the same bytes as the host Tensor's data array)
//   Little-endian (wasm's). Dense row-major (C order), no padding, elementBytes(dtype) bytes per element:
//   float32 f32 | float64 f64 | float16, bfloat16: raw 16-bit patterns (u16) | int8, uint8: 1 byte |
//   bool: 1 byte, 0 or 1 (the runtime writes inputs normalised to 0/1; outputs must be 0/1) | int16, uint16: 2 |
//   int32, uint32: 4 | int64, uint64: 8, two's complement | int4, uint4, int2, uint2, float8e4m3fn,
//   float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float8e8m0, float4e2m1: ONE BYTE PER ELEMENT holding the
//   element's bit code in its low bits (int4 -1 is 0x0f), high bits zero; a backend that prefers packed
//   nibbles unpacks/packs inside the module. dtype 'string' cannot cross the wasm boundary in version 1.
//   Weights are the backend's own business inside weights.bin (they may be packed, prepacked, quantized);
//   keeping each tensor 16-byte aligned within the file keeps its address aligned, as weights.offset is.
//
// LIFECYCLE AND ENTRY POINTS (exports)
//   1. compile the chosen variant; create the memory; instantiate with imports { env: { memory }, math? };
//   2. copy weights.bin to weights.offset;  3. call `init()` once if exported;  4. per run: write inputs,
//   call `run()` (or the parallel schedule below), read outputs.
//   `run(): void`        required in every variant: the whole graph on the calling thread, no params/results.
//   `init(): void`       optional: one-time setup after weights are in place (e.g. prepacking into the arena).
//   `run_range(step: i32, begin: i32, end: i32, worker: i32): void`   required in variants requiring
//                        'threads': runs iterations [begin, end) of parallel.steps[step] as worker `worker`
//                        (0 <= worker < the pool size <= parallel.maxThreads). Calling run_range(k, 0,
//                        steps[k].iterations, 0) for k = 0, 1, ... in order on one thread must equal run().
//                        A module may declare only the first three parameters (JS drops the extra one).
//   A trap (unreachable, out-of-bounds) is reported as a RUNTIME_ERROR; memory stays usable for later runs.
//   No start function (it would run again in every worker's instance). Mutable globals are per instance, so
//   per-thread state and a linear-memory shadow stack are not allowed in threaded variants.
//
// THREADS (variants that require 'threads')
//   Each worker instantiates the same module on the same shared memory (re-applying active data segments is
//   harmless because they hold constants the module never writes). For a run the runtime executes
//   parallel.steps in order: the threads claim ranges of a step's iterations [0, iterations) as they get free
//   (one thread may run several ranges of a step), and all ranges of step k finish before any range of step
//   k+1 starts. A serial step is simply `iterations: 1`. The iterations of one step must write disjoint
//   memory and must not depend on which thread runs them. The calling thread is worker 0 (it uses its own
//   instance). Per-worker scratch memory is indexed by the `worker` argument; a module that
//   needs it sets parallel.maxThreads to the number of scratch slots it has, and the runtime never starts
//   more workers than that.
//
// IMPORTS
//   `env.memory` (required) and, optionally, host math functions `math.<name>` from HOST_MATH_IMPORTS, each
//   taking and returning f64 (wasm has no exp/log/tanh instructions). Any other import is rejected.
//
// VARIANTS AND FEATURE DETECTION
//   `variants` is ordered best first; the runtime picks the first whose `requires` are all available, so the
//   last entry is the baseline: file "model.wasm", requires at most ['simd128']. Detection: simd128 and
//   relaxed-simd by WebAssembly.validate of tiny probe modules (features.ts); threads when SharedArrayBuffer
//   exists, the page is cross-origin isolated (browsers), a shared WebAssembly.Memory can be created, workers
//   exist, the caller asked for numThreads > 1 and `parallel` is present. All variants share everything else
//   in the manifest (regions, memory size, weights); they differ only in code.

import type { TensorType } from './dtypes.js';

export const MANIFEST_FORMAT = 'tensorc-wasm';
export const MANIFEST_VERSION = 1;
export const MEMORY_ALIGN = 16;
export const WASM_PAGE_BYTES = 65536;
export const ARTIFACT_FILES = { manifest: 'manifest.json', wasm: 'model.wasm', weights: 'weights.bin' } as const;

export type WasmFeature = 'simd128' | 'relaxed-simd' | 'threads';
export const WASM_FEATURES: readonly WasmFeature[] = ['simd128', 'relaxed-simd', 'threads'];

/** Host functions a module may import as `math.<name>`: unary are (f64) -> f64, binary (f64, f64) -> f64. */
export const HOST_MATH_IMPORTS = {
  exp: 1, expm1: 1, log: 1, log1p: 1, log2: 1, log10: 1, sqrt: 1, cbrt: 1,
  sin: 1, cos: 1, tan: 1, asin: 1, acos: 1, atan: 1, sinh: 1, cosh: 1, tanh: 1, asinh: 1, acosh: 1, atanh: 1,
  erf: 1, pow: 2, atan2: 2, fmod: 2,
} as const;
export type HostMathName = keyof typeof HOST_MATH_IMPORTS;

/** A dim: a number, or a symbol name for dims fixed only at run time (version 1 runtimes refuse those in I/O). */
export type ManifestDim = number | string;

/** Where one graph input or output lives in memory. */
export interface IoSlot {
  /** The user's name, any string ("input:0", "x.1", ...), unique among inputs and among outputs. */
  readonly name: string;
  /** Any tensor type except 'string'. */
  readonly dtype: Exclude<TensorType, 'string'>;
  readonly shape: readonly ManifestDim[];
  /** Byte address in memory; a multiple of MEMORY_ALIGN. */
  readonly offset: number;
  /** product(shape) * elementBytes(dtype). */
  readonly byteLength: number;
}

export interface MemoryPlan {
  /** Memory size in 64 KiB wasm pages; initial = maximum = pages. */
  readonly pages: number;
  /** Where intermediates live; the planner reuses this space across values. */
  readonly arena: { readonly offset: number; readonly byteLength: number };
  /** The planner's peak of simultaneously live intermediate bytes (<= arena.byteLength); for reporting. */
  readonly peakBytes: number;
  /** Bytes of the buffers the init kernels fill (weights widened at session creation); for reporting. */
  readonly expandedBytes?: number;
}

/** One tensor inside weights.bin, for tools (inspect, diffing); the runtime copies the file as a whole. */
export interface WeightEntry {
  readonly name: string;
  /** Byte offset inside weights.bin (the address is weights.offset + offset). */
  readonly offset: number;
  readonly byteLength: number;
  /** Storage form chosen by the backend, e.g. "float32", "int8", "int4-packed". */
  readonly storage: string;
}

export interface WeightsPlacement {
  /** Exact size of weights.bin. */
  readonly byteLength: number;
  /** Address the file is copied to; a multiple of alignment. */
  readonly offset: number;
  readonly alignment: typeof MEMORY_ALIGN;
  readonly tensors?: readonly WeightEntry[];
}

export interface WasmVariant {
  /** File name beside manifest.json; the last (baseline) variant is "model.wasm". */
  readonly file: string;
  readonly requires: readonly WasmFeature[];
}

export interface KernelInfo {
  readonly name: string;
  /** Names of the model nodes fused into this kernel, for reporting. */
  readonly nodes?: readonly string[];
}

export interface ParallelStep {
  /** Iteration count of the step (>= 1); 1 makes it a serial step. */
  readonly iterations: number;
  /** The kernel this step runs, for reporting and profiling. */
  readonly kernel?: string;
}

export interface ParallelPlan {
  readonly steps: readonly ParallelStep[];
  /** Threads beyond this bring nothing (e.g. the largest step's iteration count); optional cap. */
  readonly maxThreads?: number;
}

export interface ArtifactManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: typeof MANIFEST_VERSION;
  /** Who wrote it, e.g. "tensorc 0.1.0"; informational. */
  readonly producer?: string;
  /** The source model's graph name; informational. */
  readonly modelName?: string;
  readonly inputs: readonly IoSlot[];
  readonly outputs: readonly IoSlot[];
  readonly memory: MemoryPlan;
  readonly weights: WeightsPlacement;
  readonly variants: readonly WasmVariant[];
  readonly kernels: readonly KernelInfo[];
  /**
   * Kernels the module's `init` export runs once when a session is created (int8 weights widened to float32
   * into buffers that stay for the session); absent when there are none.
   */
  readonly initKernels?: readonly KernelInfo[];
  /** Required when any variant requires 'threads'. */
  readonly parallel?: ParallelPlan;
}

/**
 * An artifact held in memory, e.g. straight from compile() without touching the disk. `manifest` may be the
 * parsed object or the manifest.json text. `wasm` is the baseline module's bytes; `wasmVariants` maps variant
 * file names to bytes, and variants whose bytes are absent are skipped (the baseline's are required).
 */
export interface InMemoryArtifact {
  readonly manifest: ArtifactManifest | string;
  readonly wasm?: Uint8Array;
  readonly wasmVariants?: Readonly<Record<string, Uint8Array>>;
  readonly weights?: Uint8Array;
}
