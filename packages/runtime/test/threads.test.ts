// Worker-thread execution over shared memory, and the single-threaded fallback with its warning.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { InferenceSession, Tensor, TensorcRuntimeError } from '../src/index.js';
import { expectedY, tinyArtifact } from './tiny-artifact.js';

const N = 4096;
const xs = (seed: number) => Float32Array.from({ length: N }, (_, i) => ((i * 7919 + seed) % 1000) / 8);
const feeds = (x: Float32Array) => ({ x: new Tensor('float32', x, [N]), 'k.1': new Tensor('int64', [5n], []) });

afterEach(() => vi.unstubAllGlobals());

describe('threads', () => {
  test('numThreads 3 runs the threaded variant on the caller and 2 workers, steps in order', async () => {
    const warnings: string[] = [];
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'threaded']), { numThreads: 3, onWarning: (m) => warnings.push(m) });
    try {
      expect(warnings).toEqual([]);
      expect(s.variant).toBe('model.mt.wasm');
      expect(s.numThreads).toBe(3);
      expect(await s.threadsReady()).toBe(3); // (runs before that are covered by thread-startup.test.ts)
      // Step 1 reads what other threads wrote in step 0 (reversed indices): wrong if it started early.
      for (let seed = 0; seed < 5; seed++) {
        const out = await s.run(feeds(xs(seed)));
        expect(out.y!.data).toEqual(expectedY(xs(seed)));
        expect(out['k:out']!.data[0]).toBe(6n);
      }
      const bad = xs(0);
      bad[0] = NaN;
      const err = await s.run(feeds(bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TensorcRuntimeError);
      expect((err as TensorcRuntimeError).code).toBe('RUNTIME_ERROR');
      expect((err as Error).message).toMatch(/trapped during run \(threaded\): step 0/);
      expect((await s.run(feeds(xs(9)))).y!.data).toEqual(expectedY(xs(9))); // still usable
    } finally {
      await s.release();
    }
    expect((await s.run(feeds(xs(0))).catch((e: TensorcRuntimeError) => e.code))).toBe('INVALID_STATE');
  });

  test('release while a threaded run is queued rejects it with INVALID_STATE', async () => {
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'threaded']), { numThreads: 2 });
    const pending = s.run(feeds(xs(0)));
    await s.release();
    expect(await pending.catch((e: TensorcRuntimeError) => e.code)).toBe('INVALID_STATE');
  });

  test('numThreads 1 (the default) uses a single-threaded variant', async () => {
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'threaded']));
    expect(s.variant).toBe('model.wasm');
    expect(s.numThreads).toBe(1);
  });

  test('parallel.maxThreads caps the worker count', async () => {
    const a = tinyArtifact(N, ['baseline', 'threaded']);
    const manifest = { ...a.manifest, parallel: { ...a.manifest.parallel!, maxThreads: 2 } };
    const s = await InferenceSession.create({ ...a, manifest }, { numThreads: 4 });
    expect(s.numThreads).toBe(2);
    expect((await s.run(feeds(xs(1)))).y!.data).toEqual(expectedY(xs(1)));
    await s.release();
  });

  test('without a threaded variant: a warning, then single-threaded', async () => {
    const warnings: string[] = [];
    const s = await InferenceSession.create(tinyArtifact(N), { numThreads: 4, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(['numThreads=4 was requested, but the artifact has no threaded variant (compile with --threads); running single-threaded']);
    expect(s.numThreads).toBe(1);
    expect((await s.run(feeds(xs(2)))).y!.data).toEqual(expectedY(xs(2)));
  });

  test('without SharedArrayBuffer: a warning, then the baseline', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'threaded']), { numThreads: 2 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^tensorc: numThreads=2 was requested, but SharedArrayBuffer is unavailable.*running single-threaded$/));
    warn.mockRestore();
    expect(s.variant).toBe('model.wasm');
    expect((await s.run(feeds(xs(3)))).y!.data).toEqual(expectedY(xs(3)));
  });

  test('idleSpinMs: workers spin that long after a run, then sleep', async () => {
    // CPU time of this process (all its threads) while the caller sleeps after a run: the worker's spin is
    // the only thing running. Loose bounds: a spinning worker may get only part of a busy machine's core.
    const idleCpuMs = async (idleSpinMs: number): Promise<number> => {
      const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'threaded']), { numThreads: 2, idleSpinMs });
      try {
        await s.threadsReady();
        await s.run(feeds(xs(3)));
        await new Promise((r) => setTimeout(r, 400)); // past the spin, and past V8 compiling the module in the background
        expect((await s.run(feeds(xs(4)))).y!.data).toEqual(expectedY(xs(4)));
        const before = process.cpuUsage();
        await new Promise((r) => setTimeout(r, 300));
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1000;
      } finally {
        await s.release();
      }
    };
    const spun = await idleCpuMs(250), slept = await idleCpuMs(0);
    expect(spun).toBeGreaterThan(60);
    expect(slept).toBeLessThan(60);
  });

  test('a bad idleSpinMs is refused', async () => {
    for (const idleSpinMs of [-1, NaN, 5000, '5' as unknown as number]) {
      const e = await InferenceSession.create(tinyArtifact(8), { idleSpinMs }).then(() => undefined, (err: TensorcRuntimeError) => err);
      expect(e?.code).toBe('INVALID_INPUT');
      expect(e?.message).toMatch(/idleSpinMs must be a number of milliseconds from 0 to 1000, got/);
    }
  });

  test('a bad numThreads is refused', async () => {
    const e = await InferenceSession.create(tinyArtifact(8), { numThreads: -1 }).then(() => undefined, (err: TensorcRuntimeError) => err);
    expect(e?.message).toMatch(/numThreads must be a non-negative integer, got -1/);
  });
});
