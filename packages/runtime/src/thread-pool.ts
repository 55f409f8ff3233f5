// Worker threads over one shared WebAssembly.Memory: each worker instantiates the threaded variant and runs
// its share of every parallel step (protocol in worker-source.ts). Node uses worker_threads, browsers Web
// Workers from a blob URL; both are created lazily so nothing is loaded unless threads are actually used.

import { TensorcRuntimeError, messageOf } from './errors.js';
import { nodeImport } from './features.js';
import type { WorkerHost } from './features.js';
import { CONTROL_WORDS, workerScript } from './worker-source.js';

interface WorkerHandle {
  post(message: unknown): void;
  terminate(): void;
  /** Node: let the process exit while the pool idles, and hold it while a run is in flight. */
  hold(running: boolean): void;
}
type Listener = (message: { type: string; error?: string; message?: string }) => void;

async function spawn(host: WorkerHost, script: string, onMessage: Listener, onFailure: (why: string) => void): Promise<WorkerHandle> {
  if (host === 'node') {
    const { Worker } = await nodeImport<typeof import('node:worker_threads')>('node:worker_threads');
    const w = new Worker(script, { eval: true });
    w.on('message', onMessage);
    w.on('error', (e) => onFailure(messageOf(e)));
    w.on('exit', (code) => onFailure(`worker exited with code ${code}`));
    w.unref();
    return { post: (m) => w.postMessage(m), terminate: () => void w.terminate(), hold: (r) => (r ? w.ref() : w.unref()) };
  }
  const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
  const w = new Worker(url);
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  w.onerror = (e: ErrorEvent) => onFailure(e.message || 'worker error');
  return { post: (m) => w.postMessage(m), terminate: () => (w.terminate(), URL.revokeObjectURL(url)), hold: () => {} };
}

interface PendingRun {
  remaining: number;
  readonly errors: string[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface ThreadPoolOptions {
  readonly host: WorkerHost;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  /** Iteration count of each parallel step, in order. */
  readonly steps: readonly number[];
}

export class ThreadPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private workers: WorkerHandle[] = [];
  private pending: PendingRun | undefined;
  private failure: string | undefined;
  private ready: { count: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private terminated = false;

  private constructor(readonly threads: number) {}

  static async create(o: ThreadPoolOptions): Promise<ThreadPool> {
    const pool = new ThreadPool(o.threads);
    const script = workerScript(o.host);
    const allReady = new Promise<void>((resolve, reject) => (pool.ready = { count: 0, resolve, reject }));
    try {
      for (let i = 0; i < o.threads; i++) {
        pool.workers.push(await spawn(o.host, script, (m) => pool.onMessage(m), (why) => pool.onFailure(why)));
      }
      // Hold the process open while the workers start (they are unref'd while idle).
      for (const w of pool.workers) w.hold(true);
      pool.workers.forEach((w, index) =>
        w.post({ type: 'init', module: o.module, memory: o.memory, control: pool.control.buffer, index, count: o.threads, steps: o.steps }));
      await allReady;
      for (const w of pool.workers) w.hold(false);
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  /** Runs every parallel step once across the workers; resolves when all are done. */
  run(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(new TensorcRuntimeError('RUNTIME_ERROR', `thread pool is broken: ${this.failure}`));
    Atomics.store(this.control, 2, 0); // clear the abort flag
    return new Promise((resolve, reject) => {
      this.pending = { remaining: this.workers.length, errors: [], resolve, reject };
      for (const w of this.workers) w.hold(true);
      for (const w of this.workers) w.post({ type: 'run' });
    });
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.fail(new TensorcRuntimeError('INVALID_STATE', 'the session was released during a run'));
  }

  private onMessage(m: { type: string; error?: string; message?: string }): void {
    if (m.type === 'ready' && this.ready) {
      if (++this.ready.count === this.threads) this.ready.resolve();
    } else if (m.type === 'error') this.onFailure(m.message ?? 'worker failed to start');
    else if (m.type === 'done' && this.pending) {
      const p = this.pending;
      if (m.error !== undefined) p.errors.push(m.error);
      if (--p.remaining > 0) return;
      this.pending = undefined;
      for (const w of this.workers) w.hold(false);
      if (p.errors.length === 0) p.resolve();
      else p.reject(new TensorcRuntimeError('RUNTIME_ERROR', `the model trapped during run (threaded): ${p.errors.join('; ')}`));
    }
  }

  private onFailure(why: string): void {
    if (this.terminated) return;
    this.failure ??= why;
    this.fail(new TensorcRuntimeError('RUNTIME_ERROR', `thread worker failed: ${why}`));
    // The others may be waiting at a barrier for the one that died: stop them all.
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.terminated = true;
  }

  private fail(error: TensorcRuntimeError): void {
    this.ready?.reject(error);
    this.ready = undefined;
    this.pending?.reject(error);
    this.pending = undefined;
  }
}
