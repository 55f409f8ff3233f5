// InferenceSession: onnxruntime-web's shape of API over a tensorc artifact. create() loads the artifact, picks
// the best wasm variant this host supports, owns the memory and (optionally) a worker pool; run() checks feeds,
// writes them, runs the model and returns outputs in fresh arrays; release() drops everything.

import { openArtifact } from './artifact-source.js';
import { TensorcRuntimeError } from './errors.js';
import { detectHostFeatures, hasFeature, isNode, nodeImport } from './features.js';
import type { HostFeatures } from './features.js';
import { checkFeeds, readOutput, resolveFetches, writeInput } from './io.js';
import type { Feeds, Fetches } from './io.js';
import type { ArtifactManifest, InMemoryArtifact } from './manifest.js';
import { callModel, compileVariant, createMemory, instantiate } from './module-link.js';
import type { LinkedModel } from './module-link.js';
import type { Tensor } from './tensor.js';
import { ThreadPool } from './thread-pool.js';
import { DEFAULT_IDLE_SPIN_MS } from './thread-team.js';

/** Longest idleSpinMs accepted: beyond a second, spinning is a busy core rather than a faster next run. */
const MAX_IDLE_SPIN_MS = 1000;

export interface SessionOptions {
  /**
   * Worker threads to run on (default 1: the calling thread). More than 1 needs a threaded variant in the
   * artifact and shared memory in the host (Node, or a cross-origin isolated page); otherwise the session
   * warns and runs single-threaded. 0 means one per hardware thread. create() does not wait for the workers to
   * start: runs begin at once on the threads that are up, and each worker joins as soon as it has started (even
   * mid-run). A worker that cannot start is left out with a warning.
   */
  readonly numThreads?: number;
  /** Use a relaxed-SIMD variant when the engine supports it (default true). false keeps results bit-exact across machines. */
  readonly relaxedSimd?: boolean;
  /**
   * With threads: how long (ms) the workers keep spinning after a run before they sleep (default 30, about what
   * onnxruntime-web's workers do). Spinning keeps each worker on its own core, so a model run again within
   * that time starts at full speed; a worker that slept may share a core with the caller for its first
   * milliseconds. Lower it to save CPU time when runs are far apart (0: sleep at once).
   */
  readonly idleSpinMs?: number;
  /** Receives warnings such as the single-threaded fallback (default console.warn). */
  readonly onWarning?: (message: string) => void;
}

export type InferenceSessionOutputs = Record<string, Tensor>;

interface Live {
  readonly model: LinkedModel;
  readonly pool: ThreadPool | undefined;
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** File of the wasm variant in use, e.g. "model.wasm" or "model.relaxed.wasm". */
  readonly variant: string;
  readonly manifest: ArtifactManifest;
  private live: Live | undefined;
  /** numThreads once released (the pool is dropped then). */
  private threadsAtRelease = 1;
  private queue: Promise<void> = Promise.resolve();

  private constructor(manifest: ArtifactManifest, variant: string, live: Live) {
    this.manifest = manifest;
    this.inputNames = Object.freeze(manifest.inputs.map((s) => s.name));
    this.outputNames = Object.freeze(manifest.outputs.map((s) => s.name));
    this.variant = variant;
    this.live = live;
  }

  /**
   * Threads running the model: the caller plus its workers, those still starting included; fewer once a worker
   * could not start (1 after a fallback).
   */
  get numThreads(): number {
    return this.live ? (this.live.pool?.threadsRunning ?? 1) : this.threadsAtRelease;
  }

  /** Loads an artifact from a directory path (Node), a URL base (fetched), or memory. */
  static async create(source: string | URL | InMemoryArtifact, options: SessionOptions = {}): Promise<InferenceSession> {
    const warn = options.onWarning ?? ((m: string) => console.warn(`tensorc: ${m}`));
    const artifact = await openArtifact(source);
    const { manifest } = artifact;
    for (const slot of [...manifest.inputs, ...manifest.outputs]) {
      const sym = slot.shape.find((d) => typeof d === 'string');
      if (sym !== undefined) {
        throw new TensorcRuntimeError('UNSUPPORTED', `"${slot.name}" has the symbolic dim "${sym}"; this runtime runs static shapes only (compile with inputShapes to pin it)`);
      }
    }
    const idleSpinMs = options.idleSpinMs ?? DEFAULT_IDLE_SPIN_MS;
    if (typeof idleSpinMs !== 'number' || !(idleSpinMs >= 0 && idleSpinMs <= MAX_IDLE_SPIN_MS)) throw new TensorcRuntimeError('INVALID_INPUT', `idleSpinMs must be a number of milliseconds from 0 to ${MAX_IDLE_SPIN_MS}, got ${options.idleSpinMs}`);
    const host = detectHostFeatures();
    const requested = requestedThreads(options.numThreads, manifest, options.numThreads === 0 ? await hardwareThreads() : 1);
    if (options.numThreads !== undefined && options.numThreads > requested && requested > 1) {
      warn(`numThreads=${options.numThreads} was requested, but this artifact runs on at most ${requested} threads (its compile-time thread cap, --max-threads, or the work units of its largest parallel step); running ${requested}`);
    }
    const threadsBlocked = requested > 1 ? whyNoThreads(host, manifest) : undefined;
    const allow = { relaxedSimd: options.relaxedSimd ?? true, threads: requested > 1 && threadsBlocked === undefined };
    // Variants are listed best first: take the first this host (and the caller's choices) can run.
    const variant = manifest.variants.find((v) => artifact.has(v.file) && v.requires.every((f) => hasFeature(f, host, allow)));
    if (variant === undefined) {
      const base = manifest.variants[manifest.variants.length - 1]!;
      throw new TensorcRuntimeError('UNSUPPORTED', `this engine cannot run ${base.file}: it lacks ${base.requires.join(', ')}`);
    }
    const threaded = variant.requires.includes('threads');
    if (requested > 1 && !threaded) {
      warn(`numThreads=${requested} was requested, but ${threadsBlocked ?? 'no threaded variant could be used'}; running single-threaded`);
    }

    // weights.bin is read straight into the model's memory while the module compiles
    const memory = createMemory(manifest, threaded);
    const [module] = await Promise.all([
      artifact.read(variant.file).then((bytes) => compileVariant(bytes, variant.file, threaded)),
      artifact.readWeightsInto(new Uint8Array(memory.buffer, manifest.weights.offset, manifest.weights.byteLength)),
    ]);
    const model = await instantiate(module, memory, variant.file);
    if (model.exports.init) callModel('init()', model.exports.init);

    let pool: ThreadPool | undefined;
    if (threaded) {
      try {
        pool = await ThreadPool.create({ host: host.workers!, module, memory, runRange: model.exports.run_range!, threads: requested, steps: manifest.parallel!.steps, onWarning: warn, idleSpinMs });
      } catch (e) {
        warn(`could not start ${requested} worker threads (${(e as Error).message}); running single-threaded`);
      }
    }
    return new InferenceSession(manifest, variant.file, { model, pool });
  }

  /**
   * Runs the model. `feeds` maps every input name to a Tensor of exactly the declared type and dims;
   * `fetches` (output names, or an object keyed by them) limits which outputs are returned (default: all).
   * The returned tensors own fresh arrays: later runs never change them. Runs on one session are serialised.
   */
  run(feeds: Feeds, fetches?: Fetches): Promise<InferenceSessionOutputs> {
    const result = this.queue.then(() => this.runNow(feeds, fetches));
    // The queue keeps only ordering, never the outputs (a released session must not hold them).
    this.queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /**
   * Resolves with numThreads once every worker has started, or failed to start and been left out. Runs never
   * need this (they go ahead on the threads that are up); it is for callers that want every thread from their
   * first run, e.g. to time steady-state runs. Resolves at once for a single-threaded or released session.
   */
  async threadsReady(): Promise<number> {
    await this.live?.pool?.settled();
    return this.numThreads;
  }

  /** Frees the memory and stops the workers; the session cannot run afterwards. Safe to call twice. */
  async release(): Promise<void> {
    const live = this.live;
    if (live) this.threadsAtRelease = this.numThreads;
    this.live = undefined;
    await live?.pool?.terminate();
  }

  private async runNow(feeds: Feeds, fetches: Fetches | undefined): Promise<InferenceSessionOutputs> {
    const live = this.live;
    if (!live) throw new TensorcRuntimeError('INVALID_STATE', 'run() on a released InferenceSession');
    const { inputs, outputs } = this.manifest;
    const data = checkFeeds(feeds, inputs);
    const wanted = resolveFetches(fetches, outputs);
    const { memory, exports } = live.model;
    inputs.forEach((slot, i) => writeInput(memory, slot, data[i]!));
    if (live.pool) await live.pool.run();
    else callModel('run()', exports.run);
    const result: InferenceSessionOutputs = {};
    for (const slot of wanted) result[slot.name] = readOutput(memory, slot);
    return result;
  }
}

async function hardwareThreads(): Promise<number> {
  if (isNode()) return (await nodeImport<{ availableParallelism(): number }>('node:os')).availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

function requestedThreads(n: number | undefined, manifest: ArtifactManifest, hardware: number): number {
  if (n === undefined) return 1;
  if (!Number.isInteger(n) || n < 0) throw new TensorcRuntimeError('INVALID_INPUT', `numThreads must be a non-negative integer, got ${n}`);
  const want = n === 0 ? hardware : n;
  return Math.max(1, Math.min(want, manifest.parallel?.maxThreads ?? want));
}

function whyNoThreads(host: HostFeatures, manifest: ArtifactManifest): string | undefined {
  if (host.threadsUnavailableBecause !== undefined) return host.threadsUnavailableBecause;
  if (!manifest.variants.some((v) => v.requires.includes('threads'))) return 'the artifact has no threaded variant (compile with --threads)';
  return undefined;
}

