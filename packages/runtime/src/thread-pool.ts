// A team of threads over one shared WebAssembly.Memory: numThreads T is the calling thread plus T - 1
// workers, each with its own instance of the threaded variant. A run sends no messages: the caller bumps a
// generation word in a shared control block and works along (thread-team.ts). Node uses worker_threads,
// browsers Web Workers from a blob URL; both are created lazily so nothing is loaded unless threads are used.
// Starting a worker takes tens of milliseconds, so the pool does not wait for it: runs go ahead on the threads
// that are up (the caller alone can claim every unit), and each worker joins the team once it has started,
// even in the middle of a run. Which workers have joined is kept in shared memory, not messages (see `joined`).

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
  /** Node: hold the process open while someone awaits the workers' start; otherwise no worker does. */
  hold(on: boolean): void;
}
type Listener = (message: { type: string; message?: string }) => void;

/** A worker's word in `joined`: set by whichever side moves first, by compareExchange from STARTING. */
const STARTING = 0, JOINED = 1, LEFT_OUT = -1;

async function spawn(host: WorkerHost, script: string, onMessage: Listener, onFailure: (why: string) => void): Promise<WorkerHandle> {
  if (host === 'node') {
    const { Worker } = await nodeImport<typeof import('node:worker_threads')>('node:worker_threads');
    const w = new Worker(script, { eval: true });
    w.on('message', onMessage);
    w.on('error', (e) => onFailure(messageOf(e)));
    w.on('exit', (code) => onFailure(`worker exited with code ${code}`));
    w.unref(); // neither a starting nor an idle worker keeps the process alive; a run in flight does (it yields)
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
  /** Told when a worker could not start (the pool then runs without it). */
  readonly onWarning: (message: string) => void;
  /** How long workers spin after a run before they sleep (thread-team.ts). */
  readonly idleSpinMs: number;
}

export class ThreadPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  /**
   * joined[i] for worker i: STARTING, then JOINED (the worker, just before it first claims a unit) or LEFT_OUT
   * (this thread, when the worker failed before joining: it never held a unit, so the others need not stop).
   */
  private readonly joined: Int32Array;
  private readonly team: ThreadTeam;
  private readonly canBlock = canBlockHere();
  private workers = new Map<number, WorkerHandle>();
  private leftOut = 0;
  private failure: string | undefined;
  private stopped: Promise<void> | undefined;
  /** Callers of settled() still waiting. */
  private settledWaiters: (() => void)[] = [];

  private constructor(readonly threads: number, private readonly steps: ThreadPoolOptions['steps'], runRange: RunRange,
    private readonly warn: (message: string) => void, idleSpinMs: number) {
    this.joined = new Int32Array(new SharedArrayBuffer(4 * threads));
    this.joined[0] = JOINED; // the calling thread
    this.team = threadTeam(this.control, { index: 0, count: threads, steps: steps.map((s) => s.iterations), runRange, canWait: this.canBlock, idleSpinMs });
  }

  /** Spawns the workers and returns without waiting for them to start. Throws only if a worker cannot be created. */
  static async create(o: ThreadPoolOptions): Promise<ThreadPool> {
    // Units are numbered across all steps in int32 counters.
    if (o.steps.reduce((n, s) => n + s.iterations, 0) > 2 ** 30) throw new TensorcRuntimeError('UNSUPPORTED', 'the parallel steps have more than 2^30 iterations in all');
    const pool = new ThreadPool(o.threads, o.steps, o.runRange, o.onWarning, o.idleSpinMs);
    const script = workerScript(o.host);
    const steps = o.steps.map((s) => s.iterations);
    try {
      for (let i = 1; i < o.threads; i++) {
        const w = await spawn(o.host, script, (m) => pool.onMessage(i, m), (why) => pool.onFailure(i, why));
        pool.workers.set(i, w);
        w.post({ type: 'init', module: o.module, memory: o.memory, control: pool.control.buffer, joined: pool.joined.buffer, index: i, count: o.threads, steps, idleSpinMs: o.idleSpinMs });
      }
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    return pool;
  }

  /** Threads the model runs on: the caller and every worker that has joined or may still join. */
  get threadsRunning(): number {
    return this.threads - this.leftOut;
  }

  /** Workers that have joined the team so far (for tests and tools; runs never wait for this). */
  get joinedWorkers(): number {
    let n = 0;
    for (let i = 1; i < this.threads; i++) if (Atomics.load(this.joined, i) === JOINED) n++;
    return n;
  }

  /**
   * Resolves once no worker is still starting (each joined or was left out), or the pool stopped or broke.
   * Runs never wait for this; callers that want every thread from their first run do.
   */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    if (this.settledWaiters.length === 0) for (const w of this.workers.values()) w.hold(true);
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private isSettled(): boolean {
    if (this.stopped || this.failure !== undefined) return true;
    for (let i = 1; i < this.threads; i++) if (Atomics.load(this.joined, i) === STARTING) return false;
    return true;
  }

  private wakeIfSettled(): void {
    if (this.settledWaiters.length === 0 || !this.isSettled()) return;
    for (const w of this.workers.values()) w.hold(false);
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
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
    // Workers still starting are stopped too; one that joins before it is stopped sees the quit word at once.
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.stopped = Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
    this.wakeIfSettled();
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

  private onMessage(index: number, m: { type: string; message?: string }): void {
    if (m.type === 'joined') this.wakeIfSettled(); // (joined[] already says so: the message only wakes waiters)
    else if (m.type === 'error') this.onFailure(index, m.message ?? 'worker failed to start');
  }

  private onFailure(index: number, why: string): void {
    if (this.stopped || this.failure !== undefined || !this.workers.has(index)) return;
    if (Atomics.compareExchange(this.joined, index, STARTING, LEFT_OUT) === STARTING) {
      // It never claimed a unit (and now never will): the others go on without it.
      this.leftOut++;
      const w = this.workers.get(index)!;
      this.workers.delete(index);
      void w.terminate();
      const left = this.threadsRunning;
      this.warn(`worker thread ${index} of ${this.threads - 1} could not start (${why}); ${left === 1 ? 'running single-threaded' : `running on ${left} threads`}`);
      this.wakeIfSettled();
      return;
    }
    this.failure = why;
    // It may have died holding a unit that others wait for: stop them all. A run in flight sees `failure`
    // the next time it yields; later runs are refused.
    this.team.quit();
    for (const w of this.workers.values()) void w.terminate();
    this.workers.clear();
    this.wakeIfSettled();
  }
}
