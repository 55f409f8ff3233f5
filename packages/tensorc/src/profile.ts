// Per-kernel times of a compiled model. The single-threaded variant is instantiated here with every kernel
// exported (compile's exportKernels); each run calls the kernels one by one in order, timing each. That is
// the work of the module's own `run` in its order (which calls large kernels in slices), so every kernel meets
// the caches a real run leaves it.

import { RELAXED_SIMD_PROBE, TensorcRuntimeError, type TensorType, hostMathImports } from '@tensorc/runtime';
import { median } from './bench-core.js';
import { randomTensor } from './cli-run.js';
import { type CompileOptions, type CompileResult, compile } from './compile.js';

export interface KernelTime {
  readonly name: string;
  /** Model nodes fused into the kernel, when the compiler recorded them. */
  readonly nodes: readonly string[];
  /** Median over the runs. */
  readonly ms: number;
}

export interface ProfileResult {
  /** The wasm variant timed: model.wasm, or model.relaxed.wasm where the engine has relaxed SIMD. */
  readonly variant: string;
  readonly runs: number;
  /** Median time of the module's whole `run`, timed separately from the kernels. */
  readonly runMs: number;
  readonly kernels: readonly KernelTime[];
}

export interface ProfileOptions {
  readonly inputShapes?: CompileOptions['inputShapes'];
  /** Time the relaxed-SIMD variant where the engine has relaxed SIMD (default true). */
  readonly relaxedSimd?: boolean;
  readonly runs: number;
  readonly onStage?: CompileOptions['onStage'];
}

export async function profileModel(file: string, o: ProfileOptions): Promise<ProfileResult> {
  const art = await compile(file, {
    threads: 1, exportKernels: true, ...(o.inputShapes ? { inputShapes: o.inputShapes } : {}), ...(o.onStage ? { onStage: o.onStage } : {}),
  });
  return profileArtifact(art, o);
}

/** Times an artifact compiled with exportKernels on deterministic random inputs. */
export async function profileArtifact(art: CompileResult, o: ProfileOptions): Promise<ProfileResult> {
  if (!Number.isSafeInteger(o.runs) || o.runs < 1) throw new TensorcRuntimeError('INVALID_INPUT', `runs must be a positive integer, got ${o.runs}`);
  const relaxed = (o.relaxedSimd ?? true) && WebAssembly.validate(RELAXED_SIMD_PROBE) && art.wasmVariants['model.relaxed.wasm'] !== undefined;
  const variant = relaxed ? 'model.relaxed.wasm' : 'model.wasm';
  const { manifest } = art;
  const memory = new WebAssembly.Memory({ initial: manifest.memory.pages, maximum: manifest.memory.pages });
  const { instance } = await WebAssembly.instantiate(art.wasmVariants[variant]! as Uint8Array<ArrayBuffer>, { env: { memory }, math: hostMathImports() });
  const exports = instance.exports as Record<string, (() => void) | undefined>;
  const fns = manifest.kernels.map((k) => exports[k.name] ?? missingExport(k.name));
  const call = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      throw new TensorcRuntimeError('RUNTIME_ERROR', `the model trapped during ${what} on random inputs: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  new Uint8Array(memory.buffer, manifest.weights.offset, art.weights.length).set(art.weights);
  if (exports['init']) call('init()', exports['init']);
  manifest.inputs.forEach((slot, i) => {
    const data = randomTensor(slot.dtype as TensorType, slot.shape as number[], i + 7).data as ArrayBufferView;
    new Uint8Array(memory.buffer, slot.offset, slot.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  const run = exports['run']!;
  for (let w = 0; w < 3; w++) call('run()', run);
  const runTimes: number[] = [];
  const kernelTimes = fns.map((): number[] => []);
  for (let r = 0; r < o.runs; r++) {
    const t0 = performance.now();
    call('run()', run);
    runTimes.push(performance.now() - t0);
    fns.forEach((f, i) => {
      const t = performance.now();
      call(`kernel ${manifest.kernels[i]!.name}`, f);
      kernelTimes[i]!.push(performance.now() - t);
    });
  }
  return {
    variant, runs: o.runs, runMs: median(runTimes),
    kernels: manifest.kernels.map((k, i) => ({ name: k.name, nodes: k.nodes ?? [], ms: median(kernelTimes[i]!) })),
  };
}

function missingExport(name: string): never {
  throw new TensorcRuntimeError('INVALID_ARTIFACT', `kernel ${name} is not exported: compile with exportKernels to profile`);
}
