// The measuring machinery shared by `npm run bench` (bench.ts) and `tensorc bench` (cli-bench.ts): compile a
// model, open it in tensorc and (when installed) onnxruntime-web with the wasm EP, the same thread count and
// graphOptimizationLevel 'all', feed both the same deterministic random inputs, compare the outputs, and time
// interleaved runs (tensorc, ort, tensorc, ...) so drift on a shared machine hits both alike; with threads,
// interleaved blocks of runs, each after a pause that lets the other runtime's spinning pool go idle.

import { InferenceSession, type Tensor, type TensorType } from '@tensorc/runtime';
import { randomTensor } from './cli-run.js';
import { type CompileOptions, compile } from './compile.js';

export type Ort = typeof import('onnxruntime-web');

/** Threaded timing: the pause that lets the other runtime's spinning workers go idle, and the runs per block. */
const SETTLE_MS = 50;
const BLOCK_RUNS = 4;

export interface BenchOptions {
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  readonly threads: number;
  /** Keep measuring until at least this long has passed (and at least 10 runs each); at most maxRuns. */
  readonly minMs: number;
  readonly maxRuns?: number;
  /** onnxruntime-web, or undefined to time tensorc alone. */
  readonly ort: Ort | undefined;
  readonly onStage?: CompileOptions['onStage'];
  /** tensorc configurations to measure side by side; default one, the runtime's defaults. The first is `tensorcMs`. */
  readonly flavours?: readonly BenchFlavour[];
  /** Runtime warnings (e.g. a requested thread count the artifact cannot use). */
  readonly onWarning?: (message: string) => void;
}

/** One way of running tensorc, measured interleaved with the others and with onnxruntime-web. */
export interface BenchFlavour {
  readonly label: string;
  /** Let the runtime pick a relaxed-SIMD variant where the engine has one (default true, as the runtime). */
  readonly relaxedSimd?: boolean;
  /** Compile with the fusion passes (default true); false measures the simplified but unfused graph. */
  readonly fuse?: boolean;
  /**
   * Threads for this flavour's session (default BenchOptions.threads). A one-thread flavour in a threaded run
   * measures thread scaling interleaved, so drift of a shared machine hits both thread counts alike.
   */
  readonly threads?: number;
}

export interface FlavourResult {
  readonly ms: number;
  readonly variant: string;
  readonly threads: number;
  readonly wasmBytes: number;
  readonly kernels: number;
  readonly createMs: number;
  /** Size of weights.bin. */
  readonly weightsBytes: number;
  readonly maxRelDiff?: number;
}

export interface BenchResult {
  /** Per flavour label (BenchOptions.flavours), when flavours were given. */
  readonly flavours: Readonly<Record<string, FlavourResult>>;
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
  /** The model quantizes values at run time (QuantizeLinear, QLinear* ops): two correct runtimes may differ by code steps. */
  readonly quantized: boolean;
}

/** Whether a compiled model quantizes at run time: quantize ops the pipeline turned into maps, or kept as kernels. */
function quantizes(art: Awaited<ReturnType<typeof compile>>): boolean {
  const asMaps = art.passes.some((p) => p.pass === 'quant-as-map' && (p.counters['quantize'] ?? 0) > 0);
  return asMaps || art.manifest.kernels.some((k) => /(^|_)quantize$/.test(k.name));
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
  const flavours = o.flavours ?? [{ label: 'tensorc' }];
  const compileOpts = { ...(o.inputShapes ? { inputShapes: o.inputShapes } : {}), ...(o.onStage ? { onStage: o.onStage } : {}) };
  const fused = flavours.some((f) => f.fuse !== false) ? await compile(file, compileOpts) : undefined;
  const unfused = flavours.some((f) => f.fuse === false) ? await compile(file, { ...compileOpts, fuse: false }) : undefined;
  const ort = o.ort;
  if (ort) ort.env.wasm.numThreads = o.threads;
  const os = ort ? await ort.InferenceSession.create(file, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }) : undefined;
  const sessions: { f: BenchFlavour; s: InferenceSession; art: Awaited<ReturnType<typeof compile>>; createMs: number; times: number[]; out: Record<string, Tensor> }[] = [];
  try {
    for (const f of flavours) {
      const art = f.fuse === false ? unfused! : fused!;
      const options = { numThreads: f.threads ?? o.threads, relaxedSimd: f.relaxedSimd ?? true, ...(o.onWarning ? { onWarning: o.onWarning } : {}) };
      // session creation: the median of three create/release cycles (the first also pays for warming up)
      const creates: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        const probe = await InferenceSession.create(art, options);
        creates.push(performance.now() - t0);
        await probe.release();
      }
      // timed runs measure the steady state: every worker thread has joined (create does not wait for them)
      const s = await InferenceSession.create(art, options);
      await s.threadsReady();
      sessions.push({ f, s, art, createMs: median(creates), times: [], out: {} });
    }
    const first = sessions[0]!.art;
    const feeds = Object.fromEntries(first.manifest.inputs.map((i, k) => [i.name, randomTensor(i.dtype as TensorType, i.shape as number[], k + 7)]));
    const ortFeeds = ort ? Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type as 'float32', v.data as Float32Array, [...v.dims])])) : {};
    let b: Record<string, { data: unknown }> = {};
    for (let w = 0; w < 3; w++) {
      for (const x of sessions) x.out = (await x.s.run(feeds)) as Record<string, Tensor>;
      if (os) b = await os.run(ortFeeds);
    }
    const tb: number[] = [];
    const maxRuns = o.maxRuns ?? 200;
    const start = performance.now();
    const lead = sessions[0]!.times;
    // With threads, each runtime's idle pool keeps spinning for a while after a run (onnxruntime-web's for
    // ~30 ms, measured), which would slow whichever run comes next on a 2-core machine. So threaded runs are
    // timed in blocks: a pause for the other pool to go idle, one untimed run to wake this one's, then
    // back-to-back timed runs (the steady state of an application that runs a model repeatedly).
    const block = flavours.some((f) => (f.threads ?? o.threads) > 1) || o.threads > 1 ? BLOCK_RUNS : 1;
    const timeBlock = async (run: () => Promise<unknown>, times: number[]): Promise<void> => {
      if (block > 1) { await new Promise((r) => setTimeout(r, SETTLE_MS)); await run(); }
      for (let i = 0; i < block; i++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
    };
    while ((lead.length < 10 || performance.now() - start < o.minMs) && lead.length < maxRuns) {
      for (const x of sessions) await timeBlock(() => x.s.run(feeds), x.times);
      if (os) await timeBlock(() => os.run(ortFeeds), tb);
    }
    const results: Record<string, FlavourResult> = {};
    for (const x of sessions) {
      results[x.f.label] = {
        ms: median(x.times), variant: x.s.variant, threads: x.s.numThreads, wasmBytes: (x.art.wasmVariants[x.s.variant] ?? x.art.wasm).length,
        kernels: x.art.manifest.kernels.length, createMs: x.createMs, weightsBytes: x.art.weights.length, ...(os ? { maxRelDiff: maxRelativeDiff(x.out, b) } : {}),
      };
    }
    const lead0 = results[flavours[0]!.label]!;
    return {
      flavours: results,
      inputs: first.manifest.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] as number[] })),
      wasmBytes: lead0.wasmBytes,
      createMs: lead0.createMs,
      tensorcThreads: lead0.threads,
      variant: lead0.variant,
      tensorcMs: lead0.ms,
      runs: lead.length,
      quantized: quantizes(first),
      ...(os ? { ortMs: median(tb), maxRelDiff: Math.max(...Object.values(results).map((r) => r.maxRelDiff ?? 0)) } : {}),
    };
  } finally {
    for (const x of sessions) await x.s.release();
    await os?.release();
  }
}
