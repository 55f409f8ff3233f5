// A team of threads over one shared WebAssembly.Memory: numThreads T is the calling thread plus T - 1
// workers, each with its own instance of the threaded variant. A run sends no messages: the caller bumps a
// generation word in a shared control block and works along (thread-team.ts). Node uses worker_threads,
// browsers Web Workers from a blob URL; both are created lazily so nothing is loaded unless threads are used.

import { TensorcRuntimeError, messageOf } from './errors.js';
import { nodeImport } from './features.js';
import type { WorkerHost } from './features.js';
import { CONTROL_BYTES, threadTeam } from './thread-team.js';
import type { RunRange, ThreadTeam } from './thread-team.js';
import { workerScript } from './worker-source.js';
import type { ParallelStep } from './manifest.js';

/**
 * How long the caller waits for other threads before letting its event loop run once: long enough that a healthy
 * run never pays for it, short enough that a dead worker's 'error'/'exit' event is seen promptly.
 */
const YIELD_AFTER_MS = 50;

interface WorkerHandle {
  post(message: unknown): void;
  /** Resolves once the worker has stopped. */
  terminate(): Promise<void>;
  /** Node: hold the process open while the workers start; idle workers never do. */
  hold(on: boolean): void;
}
type Listener = (message: { type: string; message?: string }) => void;

async function spawn(host: WorkerHost, script: string, onMessage: Listener, onFailure: (why: string) => void): Promise<WorkerHandle> {
  if (host === 'node') {
    const { Worker } = await nodeImport<typeof import('node:worker_threads')>('node:worker_threads');
    const w = new Worker(script, { eval: true });
    w.on('message', onMessage);
    w.on('error', (e) => onFailure(messageOf(e)));
    w.on('exit', (code) => onFailure(`worker exited with code ${code}`));
    w.unref();
    return { post: (m) => w.postMessage(m), terminate: async () => void (await w.terminate()), hold: (on) => (on ? w.ref() : w.unref()) };
  }
  const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
  const w = new Worker(url);
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  w.onerror = (e: ErrorEvent) => onFailure(e.message || 'worker error');
  return { post: (m) => w.postMessage(m), terminate: async () => (w.terminate(), URL.revokeObjectURL(url)), hold: () => {} };
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not: it throws). */
function canBlockHere(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // returns 'not-equal' where allowed
    return true;
  } catch {
    return false;
  }
}

/** Lets the event loop run once (a macrotask, so worker 'error'/'exit' events get delivered). */
function nextMacrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => (channel.port1.close(), r());
    channel.port2.postMessage(undefined);
  });
}

export interface ThreadPoolOptions {
  readonly host: WorkerHost;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** The calling thread's own run_range (its instance of `module` on `memory`). */
  readonly runRange: RunRange;
  /** Threads in all, the caller included. */
  readonly threads: number;
  /** Each parallel step, in order: its iteration count and (for messages) its kernel. */
  readonly steps: readonly ParallelStep[];
}

export class ThreadPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  private readonly team: ThreadTeam;
  private readonly canBlock = canBlockHere();
  private workers: WorkerHandle[] = [];
  private failure: string | undefined;
  private ready: { count: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(readonly threads: number, private readonly steps: ThreadPoolOptions['steps'], runRange: RunRange) {
    this.team = threadTeam(this.control, { index: 0, count: threads, steps: steps.map((s) => s.iterations), runRange, canWait: this.canBlock });
  }

  static async create(o: ThreadPoolOptions): Promise<ThreadPool> {
    // Units are numbered across all steps in int32 counters.
    if (o.steps.reduce((n, s) => n + s.iterations, 0) > 2 ** 30) throw new TensorcRuntimeError('UNSUPPORTED', 'the parallel steps have more than 2^30 iterations in all');
    const pool = new ThreadPool(o.threads, o.steps, o.runRange);
    const script = workerScript(o.host);
    const allReady = new Promise<void>((resolve, reject) => (pool.ready = { count: 0, resolve, reject }));
    try {
      for (let i = 1; i < o.threads; i++) {
        pool.workers.push(await spawn(o.host, script, (m) => pool.onMessage(m), (why) => pool.onFailure(why)));
      }
      for (const w of pool.workers) w.hold(true);
      const steps = o.steps.map((s) => s.iterations);
      pool.workers.forEach((w, i) =>
        w.post({ type: 'init', module: o.module, memory: o.memory, control: pool.control.buffer, index: i + 1, count: o.threads, steps }));
      if (pool.workers.length > 0) await allReady;
      for (const w of pool.workers) w.hold(false);
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    return pool;
  }

  /**
   * Runs every parallel step once on all threads, the caller included. The caller computes and waits
   * synchronously; it only returns to its event loop when a wait takes longer than YIELD_AFTER_MS.
   */
  async run(): Promise<void> {
    this.check();
    const team = this.team;
    team.beginRun();
    while (!team.work(YIELD_AFTER_MS)) await this.yieldOnce();
    while (!team.waitDone(YIELD_AFTER_MS)) await this.yieldOnce();
    const trap = team.trap();
    if (trap) {
      const step = this.steps[trap.step]!;
      throw new TensorcRuntimeError('RUNTIME_ERROR', `the model trapped during run (threaded): step ${trap.step}${step.kernel ? ` (${step.kernel})` : ''} ${trap.message}`);
    }
  }

  /** Stops the workers, even those blocked in Atomics.wait; resolves once they have exited. Safe to call twice. */
  terminate(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.team.quit();
    const workers = this.workers;
    this.workers = [];
    this.failWaiters(new TensorcRuntimeError('INVALID_STATE', 'the session was released'));
    this.stopped = Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
    return this.stopped;
  }

  private async yieldOnce(): Promise<void> {
    await nextMacrotask();
    this.check();
  }

  private check(): void {
    if (this.stopped) throw new TensorcRuntimeError('INVALID_STATE', 'the session was released during a run');
    if (this.failure !== undefined) throw new TensorcRuntimeError('RUNTIME_ERROR', `the thread pool is broken (a worker died: ${this.failure}); create a new session`);
  }

  private onMessage(m: { type: string; message?: string }): void {
    if (m.type === 'ready' && this.ready) {
      if (++this.ready.count === this.workers.length) this.ready.resolve();
    } else if (m.type === 'error') {
      this.onFailure(m.message ?? 'worker failed to start');
    }
  }

  private onFailure(why: string): void {
    if (this.stopped || this.failure !== undefined) return;
    this.failure = why;
    this.failWaiters(new TensorcRuntimeError('RUNTIME_ERROR', `thread worker failed: ${why}`));
    // The others may wait for a unit the dead one held: stop them all. A run in flight sees `failure`
    // the next time it yields; later runs are refused.
    this.team.quit();
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }

  private failWaiters(error: TensorcRuntimeError): void {
    this.ready?.reject(error);
    this.ready = undefined;
  }
}
