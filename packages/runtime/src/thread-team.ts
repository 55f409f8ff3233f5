// What every thread of a threaded run does, the main thread and the workers alike, over one shared control
// block (no messages during a run). The units of all parallel steps are numbered in one sequence (step 0's,
// then step 1's, ...); threads claim them in order from a shared counter and count them done on another. A
// unit of step k starts once every unit of the steps before it is done, so a thread waits only for work that
// is really in flight: a worker that is asleep or descheduled holds nothing up (the others take its share),
// which a barrier of all threads per step would not allow. A trap records the step, units, thread and message
// in the block and raises the abort flag; the remaining units are then counted done without running.
// Because nothing is assigned to a thread in advance, a thread may join the team at any time, even in the
// middle of a run: its first claim is simply a unit of the run under way (or none, between runs).
// `threadTeam` is stringified into the worker script (worker-source.ts), so it must be self-contained: it
// may use only its parameters and globals.

/** Size of the shared control block; the bytes past the control words hold the text of a trap. */
export const CONTROL_BYTES = 1024;

/**
 * How long a worker keeps spinning after a run before it sleeps, by default. A thread woken from sleep tends to
 * be placed on its waker's core (on a virtual machine the kernel often passes over a vCPU that went idle), and
 * then two threads share one core for some milliseconds until the scheduler moves one. A worker that spins
 * keeps its core. Measured on the project's 2-vCPU machine, matmul_256 on 2 threads, 4 runs after a 50 ms
 * pause and one untimed run: with a 2 ms spin 2.0-3.5, 1.5, 1.2, 1.1 ms; with 30 ms 1.1, 1.05, 1.0, 1.0 ms.
 * onnxruntime-web's workers spin for about as long. Sessions may choose (idleSpinMs).
 */
export const DEFAULT_IDLE_SPIN_MS = 30;

export type RunRange = (step: number, begin: number, end: number, worker: number) => void;

export interface TeamOptions {
  /** This thread's index: 0 is the main thread; it is also the `worker` argument of run_range. */
  readonly index: number;
  readonly count: number;
  /** Iteration count of each parallel step, in order. */
  readonly steps: readonly number[];
  readonly runRange: RunRange;
  /** Whether Atomics.wait may block this thread (not on a browser's main thread). */
  readonly canWait: boolean;
  /** How long a worker spins after a run before it sleeps (DEFAULT_IDLE_SPIN_MS unless the session says). */
  readonly idleSpinMs: number;
}

export interface TrapRecord {
  readonly step: number;
  readonly message: string;
}

export interface ThreadTeam {
  /** Main thread: clears the abort flag and the trap record and starts the workers on a new run. */
  beginRun(): void;
  /**
   * Claims and runs units until none are left; true then. False when `budgetMs` passed while a claimed unit
   * waited for earlier steps (call again to go on).
   */
  work(budgetMs: number): boolean;
  /** Waits until every unit of the run is done; false when `budgetMs` passed first. */
  waitDone(budgetMs: number): boolean;
  /** The first trap of the run that just finished, if any. */
  trap(): TrapRecord | undefined;
  /** Workers: serves runs until quit() (the worker's whole life after it is ready). */
  serve(): void;
  /** Main thread: asks the workers to leave serve() (they are terminated anyway). */
  quit(): void;
}

export function threadTeam(control: Int32Array, o: TeamOptions): ThreadTeam {
  // Word indices. Words written often by different threads sit on different 64-byte cache lines.
  const RUN = 0, QUIT = 1, NEXT = 16, DONE = 32, ABORT = 48, TRAP_STEP = 49, TRAP_LENGTH = 50, TEXT = 64;
  // Spin this long before sleeping on a unit of an earlier step: a futex wake costs tens of microseconds, but
  // when other processes leave this one a single core, a spinning thread takes it from the one it waits for.
  const SPIN_MS = 0.03;
  // Between runs a worker spins o.idleSpinMs before it sleeps (see DEFAULT_IDLE_SPIN_MS).
  const text = new Uint16Array(control.buffer, control.byteOffset + TEXT * 4, (control.length - TEXT) * 2);
  const { index, count, steps, runRange, canWait, idleSpinMs } = o;
  // start[k]: number of the first unit of step k; start[steps.length]: units in all.
  const start = [0];
  for (const n of steps) start.push(start[start.length - 1]! + n);
  const total = start[steps.length]!;
  // Units claimed at a time: one, unless a step has so many (small) units that claiming each would cost; near
  // the end of a step claims shrink to one unit, so the threads finish a step close together.
  const chunks = steps.map((n) => Math.max(1, Math.floor(n / (count * 32))));
  const tailDivisor = 4 * count;
  const now = () => performance.now();
  // The unit this thread claimed but could not start yet (its step's predecessors are still running).
  let held = -1, heldEnd = 0, step = 0;
  // The run generation last served (serve() reads it again before each claim, so a late joiner is not behind).
  let seen = Atomics.load(control, RUN);
  if (index === 0) Atomics.store(control, NEXT, total); // nothing to claim before the first run

  /** Waits until control[word] >= target (the counters only grow within a run); false after budgetMs. */
  const waitAtLeast = (word: number, target: number, budgetMs: number): boolean => {
    let value = Atomics.load(control, word);
    if (value >= target) return true;
    const t0 = now();
    for (;;) {
      for (let i = 0; i < 256; i++) if ((value = Atomics.load(control, word)) >= target) return true;
      const waited = now() - t0;
      if (waited >= budgetMs) return false;
      if (waited >= SPIN_MS && canWait) Atomics.wait(control, word, value, Math.min(budgetMs - waited, 1000));
    }
  };

  const record = (k: number, begin: number, end: number, e: unknown): void => {
    if (Atomics.compareExchange(control, TRAP_STEP, -1, k) === -1) {
      const what = `units [${begin}, ${end}) on thread ${index}: ${e instanceof Error ? e.message : String(e)}`.slice(0, text.length);
      for (let i = 0; i < what.length; i++) text[i] = what.charCodeAt(i);
      Atomics.store(control, TRAP_LENGTH, what.length);
    }
    Atomics.store(control, ABORT, 1);
  };

  /** Claims the next units (within one step) into held/heldEnd; false when the run has none left. */
  const claim = (): boolean => {
    for (;;) {
      const u = Atomics.load(control, NEXT);
      if (u >= total) return false;
      if (u < start[step]!) step = 0;
      while (u >= start[step + 1]!) step++;
      const left = start[step + 1]! - u;
      const end = u + Math.max(1, Math.min(chunks[step]!, Math.ceil(left / tailDivisor)));
      if (Atomics.compareExchange(control, NEXT, u, end) === u) {
        held = u;
        heldEnd = end;
        return true;
      }
    }
  };

  const work = (budgetMs: number): boolean => {
    for (;;) {
      if (held < 0 && !claim()) return true;
      if (!waitAtLeast(DONE, start[step]!, budgetMs)) return false;
      const begin = held - start[step]!, end = heldEnd - start[step]!;
      if (Atomics.load(control, ABORT) === 0) {
        try {
          runRange(step, begin, end, index);
        } catch (e) {
          record(step, begin, end, e);
        }
      }
      const n = heldEnd - held;
      held = -1;
      // The unit that completes a step wakes whoever sleeps on a unit of the next one (or on the run's end).
      if (Atomics.add(control, DONE, n) + n === start[step + 1]) Atomics.notify(control, DONE);
    }
  };

  const idle = (): void => {
    const t0 = now();
    spin: while (Atomics.load(control, RUN) === seen) {
      for (let i = 0; i < 256; i++) if (Atomics.load(control, RUN) !== seen) break spin;
      if (now() - t0 > idleSpinMs) Atomics.wait(control, RUN, seen);
    }
  };

  return {
    beginRun() {
      held = -1; // a run that was abandoned (its pool broke) may have left a claim behind
      Atomics.store(control, ABORT, 0);
      Atomics.store(control, TRAP_STEP, -1);
      Atomics.store(control, TRAP_LENGTH, 0);
      Atomics.store(control, DONE, 0);
      Atomics.store(control, NEXT, 0); // last: from here on, claims are units of this run
      Atomics.add(control, RUN, 1);
      Atomics.notify(control, RUN);
    },
    work,
    waitDone: (budgetMs) => waitAtLeast(DONE, total, budgetMs),
    trap() {
      const k = Atomics.load(control, TRAP_STEP);
      if (k < 0) return undefined;
      return { step: k, message: String.fromCharCode(...text.subarray(0, Atomics.load(control, TRAP_LENGTH))) };
    },
    serve() {
      while (Atomics.load(control, QUIT) === 0) {
        // A claim that finds the run over (or no run yet) returns at once: then sleep until the next run.
        seen = Atomics.load(control, RUN);
        work(Infinity);
        idle();
      }
    },
    quit() {
      Atomics.store(control, QUIT, 1);
      Atomics.store(control, ABORT, 1);
      Atomics.add(control, RUN, 1);
      Atomics.notify(control, RUN);
    },
  };
}
