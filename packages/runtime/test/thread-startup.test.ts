// Threaded sessions while their workers start: create() returns before any worker is up, so the first runs go
// on the calling thread alone and each worker joins when it is ready, even in the middle of a run. Results must
// not depend on who ran what; release while workers start must not hang; a worker that cannot start is left
// out with a warning. (Process exit and memory after such releases: thread-lifetime.test.ts.)
import { describe, expect, test, vi } from 'vitest';
import { InferenceSession, Tensor, TensorcRuntimeError } from '../src/index.js';
import { teamArtifact, teamExpectedY } from './team-artifact.js';
import { poolOf } from './pool-of.js';

const N = 64;
const artifact = teamArtifact(N);
const xs = (seed: number) => Float32Array.from({ length: N }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 16 - 20);
type Knobs = [spin: number, slowThread: number, slowSpin: number, trapThread: number];
const feeds = (x: Float32Array, knobs: Knobs = [0, -1, 0, -1]) =>
  ({ x: new Tensor('float32', x, [N]), knobs: new Tensor('int32', Int32Array.from(knobs), [4]) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A spin of 5M takes about 2 ms: with this on thread 0, a run on the calling thread alone takes about 2.5 s. */
const SLOW_THREAD_0: Knobs = [0, 0, 100_000_000, -1];

async function runBoth(s: InferenceSession, one: InferenceSession, seed: number, knobs?: Knobs): Promise<Int32Array> {
  const x = xs(seed);
  const got = await s.run(feeds(x, knobs));
  const want = await one.run(feeds(x));
  expect(got.y!.data).toEqual(want.y!.data);
  expect(got.y!.data).toEqual(teamExpectedY(x));
  return got.who!.data as Int32Array;
}

describe('threaded sessions while workers start', () => {
  test.each([2, 4])('%i threads: runs right after create match a 1-thread session, before and after the workers join', async (threads) => {
    const one = await InferenceSession.create(artifact);
    expect(one.variant).toBe('model.wasm');
    const s = await InferenceSession.create(artifact, { numThreads: threads, onWarning: (m) => { throw new Error(m); } });
    try {
      expect(s.variant).toBe('model.mt.wasm');
      expect(s.numThreads).toBe(threads);
      expect(poolOf(s).joinedWorkers).toBe(0); // create did not wait for them
      let before = 0, after = 0;
      const who = new Set<number>();
      const t0 = performance.now();
      // Keep running while the workers come up, and for 30 runs after they all joined.
      while (after < 30) {
        const joined = poolOf(s).joinedWorkers === threads - 1;
        for (const w of await runBoth(s, one, before + after, [100_000, -1, 0, -1])) who.add(w);
        if (joined) after++;
        else before++;
        if (performance.now() - t0 > 30_000) throw new Error(`workers joined: ${poolOf(s).joinedWorkers} of ${threads - 1} after 30 s`);
        await sleep(1);
      }
      expect(before).toBeGreaterThan(0);
      expect(who.has(0)).toBe(true);
      expect([...who].some((w) => w > 0)).toBe(true); // workers took part once they joined
    } finally {
      await s.release();
    }
  });

  test('a worker that becomes ready mid-run joins that run and takes over the slow thread\'s share', async () => {
    const one = await InferenceSession.create(artifact);
    const s = await InferenceSession.create(artifact, { numThreads: 2 });
    try {
      expect(poolOf(s).joinedWorkers).toBe(0);
      const who = await runBoth(s, one, 7, SLOW_THREAD_0);
      // Thread 0 takes ~40 ms per unit; the worker joined within the run and ran most units.
      expect(who.filter((w) => w === 1).length).toBeGreaterThan(N / 2);
      expect(poolOf(s).joinedWorkers).toBe(1);
    } finally {
      await s.release();
    }
  });

  test('threadsReady() resolves once every worker has joined; at once when single-threaded or released', async () => {
    const s = await InferenceSession.create(artifact, { numThreads: 3 });
    const ready = s.threadsReady();
    expect(poolOf(s).joinedWorkers).toBe(0);
    expect(await ready).toBe(3);
    expect(poolOf(s).joinedWorkers).toBe(2);
    expect(await s.threadsReady()).toBe(3);
    await s.release();
    expect(await s.threadsReady()).toBe(3);
    expect(await (await InferenceSession.create(artifact)).threadsReady()).toBe(1);
    // Released while workers start: a pending wait ends too.
    const t = await InferenceSession.create(artifact, { numThreads: 2 });
    const pending = t.threadsReady();
    await t.release();
    expect(await pending).toBe(2);
  });

  test('release right after create (and right after a first run) resolves and stops the session', async () => {
    for (let i = 0; i < 10; i++) {
      const s = await InferenceSession.create(artifact, { numThreads: 4 });
      if (i % 2 === 1) expect((await s.run(feeds(xs(i)))).y!.data).toEqual(teamExpectedY(xs(i)));
      expect(poolOf(s).joinedWorkers).toBeLessThan(3);
      await s.release();
      expect(s.numThreads).toBe(4);
      const err = await s.run(feeds(xs(0))).catch((e: unknown) => e);
      expect((err as TensorcRuntimeError).code).toBe('INVALID_STATE');
    }
  });
});

describe('a worker that cannot start', () => {
  // The threaded module's start function traps on its second instantiation: the first worker's.
  const failing = teamArtifact(N, 8, { failStart: 1 });

  test('is left out with a warning; the session runs single-threaded with the same numbers', async () => {
    const one = await InferenceSession.create(artifact);
    const warnings: string[] = [];
    const s = await InferenceSession.create(failing, { numThreads: 2, onWarning: (m) => warnings.push(m) });
    try {
      expect(s.numThreads).toBe(2); // not known yet
      await runBoth(s, one, 1);
      await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 30_000 });
      expect(warnings[0]).toBe('worker thread 1 of 1 could not start (its instance of the model failed: unreachable); running single-threaded');
      expect(s.numThreads).toBe(1);
      expect(await s.threadsReady()).toBe(1);
      for (let r = 0; r < 20; r++) expect([...await runBoth(s, one, r, [100_000, -1, 0, -1])].every((w) => w === 0)).toBe(true);
    } finally {
      await s.release();
    }
    expect(s.numThreads).toBe(1);
  });

  test('one of two workers failing leaves the other working', async () => {
    const one = await InferenceSession.create(artifact);
    const warnings: string[] = [];
    const s = await InferenceSession.create(failing, { numThreads: 3, onWarning: (m) => warnings.push(m) });
    try {
      await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 30_000 });
      expect(warnings[0]).toMatch(/^worker thread [12] of 2 could not start \(its instance of the model failed: unreachable\); running on 2 threads$/);
      expect(s.numThreads).toBe(2);
      expect(await s.threadsReady()).toBe(2);
      expect(poolOf(s).joinedWorkers).toBe(1);
      const survivor = warnings[0]!.startsWith('worker thread 1') ? 2 : 1;
      const who = new Set<number>();
      for (let r = 0; r < 20; r++) for (const w of await runBoth(s, one, r, [100_000, -1, 0, -1])) who.add(w);
      expect([...who].every((w) => w === 0 || w === survivor)).toBe(true);
      expect(who.has(survivor)).toBe(true);
    } finally {
      await s.release();
    }
  });

  test('failing while a run is in flight does not disturb that run', async () => {
    const one = await InferenceSession.create(artifact);
    const warnings: string[] = [];
    const s = await InferenceSession.create(failing, { numThreads: 2, onWarning: (m) => warnings.push(m) });
    try {
      // About a second on the calling thread alone: the worker fails meanwhile, having claimed nothing.
      const who = await runBoth(s, one, 3, [0, 0, 15_000_000, -1]);
      expect(who.every((w) => w === 0)).toBe(true);
      await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 30_000 });
      expect(s.numThreads).toBe(1);
      await runBoth(s, one, 4);
    } finally {
      await s.release();
    }
  });
});
