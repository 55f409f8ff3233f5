// The thread team under stress: many runs with results checked, more threads than this machine has cores, a
// trap on a worker and on the main thread, a worker that dies mid-run, release during and after runs.
// No timings are asserted; a hang fails by the test timeout.
import { describe, expect, test } from 'vitest';
import { InferenceSession, Tensor, TensorcRuntimeError } from '../src/index.js';
import { teamArtifact, teamExpectedY } from './team-artifact.js';

const N = 64;
const artifact = teamArtifact(N);
const xs = (seed: number) => Float32Array.from({ length: N }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 16 - 20);
/** knobs: [spin per unit, slow thread, extra spin on it, thread on which NaN inputs trap] */
const feeds = (x: Float32Array, knobs: [number, number, number, number] = [0, -1, 0, -1]) =>
  ({ x: new Tensor('float32', x, [N]), knobs: new Tensor('int32', Int32Array.from(knobs), [4]) });
/**
 * Every unit takes about 2 ms, so thread 1 surely wakes and claims one before the others are through; units
 * on thread 1 take about a second. The main thread yields to its event loop only once it waits for thread 1.
 */
const SLOW_THREAD_1: [number, number, number, number] = [5_000_000, 1, 2_000_000_000, -1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function session(numThreads: number): Promise<InferenceSession> {
  const s = await InferenceSession.create(artifact, { numThreads, onWarning: (m) => { throw new Error(m); } });
  expect(s.variant).toBe('model.mt.wasm');
  expect(s.numThreads).toBe(numThreads);
  expect(await s.threadsReady()).toBe(numThreads); // these tests are about a whole team (thread-startup.test.ts: runs before)
  return s;
}

/** Runs and checks y; returns the set of threads that ran units of the last step. */
async function runChecked(s: InferenceSession, seed: number, knobs?: [number, number, number, number]): Promise<Set<number>> {
  const x = xs(seed);
  const out = await s.run(feeds(x, knobs));
  expect(out.y!.data).toEqual(teamExpectedY(x));
  const who = new Set(out.who!.data as Int32Array);
  for (const w of who) expect(w >= 0 && w < s.numThreads).toBe(true); // run_range's worker is a thread index
  return who;
}

describe('thread team', () => {
  test('500 consecutive runs on 2 threads, each checked, with pauses that let the workers fall asleep', async () => {
    const s = await session(2);
    try {
      const seen = new Set<number>();
      for (let r = 0; r < 500; r++) {
        for (const w of await runChecked(s, r, [r % 7 === 0 ? 20000 : 0, -1, 0, -1])) seen.add(w);
        if (r % 50 === 0) await sleep(5); // idle workers go from spinning to Atomics.wait
      }
      expect(seen).toEqual(new Set([0, 1])); // both threads took part
    } finally {
      await s.release();
    }
  });

  test.each([3, 4, 6])('%i threads on this machine still compute the right numbers', async (threads) => {
    const s = await session(threads);
    try {
      for (let r = 0; r < 40; r++) await runChecked(s, r, [r % 2 === 0 ? 5000 : 0, -1, 0, -1]);
    } finally {
      await s.release();
    }
  });

  test('a slow thread does not change the result, and the others take over its share', async () => {
    const s = await session(2);
    try {
      // thread 1 spins ten million times per unit: thread 0 runs the units it does not get to
      const x = xs(3);
      const out = await s.run(feeds(x, [10_000, 1, 10_000_000, -1]));
      expect(out.y!.data).toEqual(teamExpectedY(x));
      const byThread1 = (out.who!.data as Int32Array).filter((w) => w === 1).length;
      expect(byThread1).toBeLessThan(N / 2); // a static split would give it exactly half
    } finally {
      await s.release();
    }
  });

  for (const [label, trapThread, slowThread] of [['a worker', 1, 0], ['the main thread', 0, 1]] as const) {
    test(`a trap on ${label} rejects the run with the step and message; the session stays usable`, async () => {
      const s = await session(2);
      try {
        await runChecked(s, 1);
        const x = new Float32Array(N).fill(NaN);
        // The other thread is slow, so the trapping one surely claims a unit of step 0.
        const err = await s.run(feeds(x, [0, slowThread, 2_000_000, trapThread])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TensorcRuntimeError);
        expect((err as TensorcRuntimeError).code).toBe('RUNTIME_ERROR');
        expect((err as Error).message).toMatch(new RegExp(`^the model trapped during run \\(threaded\\): step 0 \\(fill\\) units \\[\\d+, \\d+\\) on thread ${trapThread}: unreachable`));
        for (let r = 0; r < 20; r++) await runChecked(s, r); // the next runs are whole again
      } finally {
        await s.release();
      }
    });
  }

  test('a worker that dies mid-run: the run rejects (no hang), later runs say the pool is broken', async () => {
    const s = await session(3);
    await runChecked(s, 0);
    // Thread 1 takes seconds per unit, so the run is in flight when we kill it (as a crash would end it).
    const running = s.run(feeds(xs(1), SLOW_THREAD_1));
    await sleep(100);
    const workers = (s as unknown as { live: { pool: { workers: Map<number, { terminate(): Promise<void> }> } } }).live.pool.workers;
    await workers.get(1)!.terminate(); // thread 1, which holds a unit
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorcRuntimeError);
    expect((err as Error).message).toMatch(/^the thread pool is broken \(a worker died: worker exited with code 1\)/);
    const again = await s.run(feeds(xs(2))).catch((e: unknown) => e);
    expect((again as TensorcRuntimeError).code).toBe('RUNTIME_ERROR');
    expect((again as Error).message).toMatch(/thread pool is broken.*create a new session/);
    await s.release();
  });

  test('release during a run rejects it with INVALID_STATE and stops the workers', async () => {
    const s = await session(2);
    await runChecked(s, 0);
    const running = s.run(feeds(xs(1), SLOW_THREAD_1));
    await sleep(100); // the main thread has run its share and waits for thread 1, yielding now and then
    await s.release(); // resolves once the workers (one of them mid-unit) have exited
    expect(await running.catch((e: TensorcRuntimeError) => e.code)).toBe('INVALID_STATE');
    expect(await s.run(feeds(xs(2))).catch((e: TensorcRuntimeError) => e.code)).toBe('INVALID_STATE');
  });

  test('release of idle sessions whose workers sleep in Atomics.wait', async () => {
    for (let i = 0; i < 10; i++) {
      const s = await session(4);
      await runChecked(s, i);
      await sleep(10); // past the idle spin: the workers are blocked in Atomics.wait
      await s.release();
      await s.release(); // twice is fine
    }
  });
});
