// The measuring machinery shared by `npm run bench` (bench.ts) and `tensorc bench` (cli-bench.ts): compile a
// model, open it in tensorc and (when installed) onnxruntime-web with the wasm EP, the same thread count and
// graphOptimizationLevel 'all', feed both the same deterministic random inputs, compare the outputs, and time
// interleaved runs (tensorc, ort, tensorc, ...) so drift on a shared machine hits both alike.

import { InferenceSession, type Tensor, type TensorType } from '@tensorc/runtime';
import { randomTensor } from './cli-run.js';
import { type CompileOptions, compile } from './compile.js';

export type Ort = typeof import('onnxruntime-web');

export interface BenchOptions {
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  readonly threads: number;
  /** Keep measuring until at least this long has passed (and at least 10 runs each); at most maxRuns. */
  readonly minMs: number;
  readonly maxRuns?: number;
  /** onnxruntime-web, or undefined to time tensorc alone. */
  readonly ort: Ort | undefined;
  readonly onStage?: CompileOptions['onStage'];
  /** Runtime warnings (e.g. a requested thread count the artifact cannot use). */
  readonly onWarning?: (message: string) => void;
}

export interface BenchResult {
  readonly inputs: { name: string; dtype: string; shape: number[] }[];
  readonly wasmBytes: number;
  readonly createMs: number;
  /** Threads tensorc actually ran on (1 when the artifact has no threaded variant). */
  readonly tensorcThreads: number;
  /** The wasm variant tensorc picked for this host, e.g. model.wasm or model.mt.wasm. */
  readonly variant: string;
  readonly tensorcMs: number;
  readonly runs: number;
  readonly ortMs?: number;
  /** Largest |tensorc - ort| over all outputs, relative to each output's largest |ort| value. */
  readonly maxRelDiff?: number;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** onnxruntime-web if it can be imported here (a dev dependency of the repository), else undefined. */
export async function tryLoadOrt(): Promise<Ort | undefined> {
  try {
    return await import('onnxruntime-web');
  } catch {
    return undefined;
  }
}

/** Largest elementwise difference relative to the scale of the reference (ort) output; NaN matching NaN is equal. */
export function maxRelativeDiff(got: Record<string, Tensor>, want: Record<string, { data: unknown; dims?: readonly number[] }>): number {
  let worst = 0;
  for (const [name, v] of Object.entries(got)) {
    const ref = want[name];
    if (!ref) throw new Error(`onnxruntime-web returned no output "${name}"`);
    const x = Array.from(v.data as ArrayLike<number | bigint>, Number);
    const y = Array.from(ref.data as ArrayLike<number | bigint>, Number);
    if (x.length !== y.length) return Infinity;
    let scale = 1e-6;
    for (let i = 0; i < Math.min(y.length, 1e5); i++) if (Number.isFinite(y[i]!)) scale = Math.max(scale, Math.abs(y[i]!));
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i]!) && Number.isNaN(y[i]!)) continue;
      if (x[i] === y[i]) continue; // also equal infinities
      worst = Math.max(worst, Number.isNaN(x[i]! - y[i]!) ? Infinity : Math.abs(x[i]! - y[i]!) / scale);
    }
  }
  return worst;
}

export async function benchModel(file: string, o: BenchOptions): Promise<BenchResult> {
  const art = await compile(file, { ...(o.inputShapes ? { inputShapes: o.inputShapes } : {}), ...(o.onStage ? { onStage: o.onStage } : {}) });
  let t = performance.now();
  const tc = await InferenceSession.create({ manifest: art.manifest, wasm: art.wasm, wasmVariants: art.wasmVariants, weights: art.weights }, {
    numThreads: o.threads, ...(o.onWarning ? { onWarning: o.onWarning } : {}),
  });
  const createMs = performance.now() - t;
  const ort = o.ort;
  if (ort) ort.env.wasm.numThreads = o.threads;
  const os = ort ? await ort.InferenceSession.create(file, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }) : undefined;
  try {
    const feeds = Object.fromEntries(art.manifest.inputs.map((i, k) => [i.name, randomTensor(i.dtype as TensorType, i.shape as number[], k + 7)]));
    const ortFeeds = ort ? Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type as 'float32', v.data as Float32Array, [...v.dims])])) : {};
    let a: Record<string, Tensor> = {};
    let b: Record<string, { data: unknown }> = {};
    for (let w = 0; w < 3; w++) {
      a = (await tc.run(feeds)) as Record<string, Tensor>;
      if (os) b = await os.run(ortFeeds);
    }
    const ta: number[] = [];
    const tb: number[] = [];
    const maxRuns = o.maxRuns ?? 200;
    const start = performance.now();
    while ((ta.length < 10 || performance.now() - start < o.minMs) && ta.length < maxRuns) {
      t = performance.now(); await tc.run(feeds); ta.push(performance.now() - t);
      if (os) { t = performance.now(); await os.run(ortFeeds); tb.push(performance.now() - t); }
    }
    return {
      inputs: art.manifest.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] as number[] })),
      wasmBytes: art.wasm.length,
      createMs,
      tensorcThreads: tc.numThreads,
      variant: tc.variant,
      tensorcMs: median(ta),
      runs: ta.length,
      ...(os ? { ortMs: median(tb), maxRelDiff: maxRelativeDiff(a, b) } : {}),
    };
  } finally {
    await tc.release();
    await os?.release();
  }
}
