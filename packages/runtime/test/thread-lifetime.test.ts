// Threads and the life of the process and its memory: an idle pool must not keep Node alive, a run in flight
// must, and created-then-released threaded sessions must not pile up workers or shared memories. The process
// tests run the built runtime (dist/) in a child Node, as an application would.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { teamArtifact, teamExpectedY } from './team-artifact.js';

const runtimeDist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

async function artifactDir(n: number): Promise<string> {
  const a = teamArtifact(n);
  const dir = await mkdtemp(join(tmpdir(), 'tensorc-threads-'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(a.manifest));
  for (const [file, bytes] of Object.entries(a.wasmVariants)) await writeFile(join(dir, file), bytes);
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(0));
  return dir;
}

/** Runs an ES module in a fresh Node process with the runtime's dist as `R` and `dir` the artifact. */
function node(dir: string, body: string) {
  if (!existsSync(runtimeDist)) throw new Error(`${runtimeDist} is missing: build first (npx tsc -b)`);
  const code = `const R = await import(${JSON.stringify(runtimeDist)}); const dir = ${JSON.stringify(dir)};
    const feeds = (knobs) => ({ x: new R.Tensor('float32', new Float32Array(64).fill(1), [64]), knobs: new R.Tensor('int32', Int32Array.from(knobs), [4]) });
    ${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
}

test('an idle thread pool does not keep the process alive; a run in flight does', async () => {
  const dir = await artifactDir(64);
  // Not released: the workers idle in Atomics.wait, unref'd, and the process ends on its own.
  const idle = node(dir, `const s = await R.InferenceSession.create(dir, { numThreads: 3 });
    await s.run(feeds([0, -1, 0, -1])); console.log('ran on', s.numThreads);`);
  expect(idle.signal).toBeNull(); // not killed by the timeout
  expect(idle.stderr).toBe('');
  expect(idle.stdout).toBe('ran on 3\n');
  // The run is not awaited: only the run in flight holds the process open (thread 1, up before the run starts,
  // takes about half a second per unit, so the main thread waits for it, yielding to its event loop now and then).
  const busy = node(dir, `const s = await R.InferenceSession.create(dir, { numThreads: 2 });
    await s.threadsReady();
    s.run(feeds([5000000, 1, 1000000000, -1])).then((o) => console.log('y[0] =', o.y.data[0], 'thread 1 ran units:', o.who.data.includes(1)));`);
  expect(busy.signal).toBeNull();
  expect(busy.stderr).toBe('');
  expect(busy.stdout).toBe('y[0] = 130 thread 1 ran units: true\n'); // 2 + (64 * 2)
}, 120_000);

test('release right after create (workers still starting), or no release at all, lets the process exit', async () => {
  const dir = await artifactDir(64);
  const released = node(dir, `for (let i = 0; i < 5; i++) {
      const s = await R.InferenceSession.create(dir, { numThreads: 4 });
      await s.release();
    }
    const s = await R.InferenceSession.create(dir, { numThreads: 2 });
    const y = (await s.run(feeds([0, -1, 0, -1]))).y.data[0];
    await s.release();
    console.log('released', s.numThreads, y);`);
  expect(released.signal).toBeNull();
  expect(released.stderr).toBe('');
  expect(released.stdout).toBe('released 2 130\n');
  expect(released.status).toBe(0);
  const abandoned = node(dir, `const s = await R.InferenceSession.create(dir, { numThreads: 3 }); console.log('created', s.numThreads);`);
  expect(abandoned.signal).toBeNull();
  expect(abandoned.stderr).toBe('');
  expect(abandoned.stdout).toBe('created 3\n');
  expect(abandoned.status).toBe(0);
  // Awaiting the workers' start holds the process open until they are up (else top-level await would be cut short).
  const awaited = node(dir, `const s = await R.InferenceSession.create(dir, { numThreads: 3 }); console.log('ready', await s.threadsReady());`);
  expect(awaited.signal).toBeNull();
  expect(awaited.stderr).toBe('');
  expect(awaited.stdout).toBe('ready 3\n');
  expect(awaited.status).toBe(0);
}, 120_000);

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Without a run, release always meets workers still starting; with one, usually too (create does not wait).
test.each([['run', true], ['no run', false]] as const)('100 threaded create/%s/release cycles do not keep workers or memories', async (_, withRun) => {
  const N = 1 << 18; // 4 MiB of shared memory per session, all of it touched by a run
  const artifact = teamArtifact(N);
  const x = Float32Array.from({ length: N }, (_, i) => (i % 13) - 6);
  const feeds = { x: new Tensor('float32', x, [N]), knobs: new Tensor('int32', new Int32Array([0, -1, 0, -1]), [4]) };
  const want = teamExpectedY(x);
  const released: InferenceSession[] = [];
  const cycle = async () => {
    const s = await InferenceSession.create(artifact, { numThreads: 2 });
    expect(s.numThreads).toBe(2);
    if (withRun) {
      const y = (await s.run(feeds)).y!.data as Float32Array;
      if (y.some((v, i) => v !== want[i])) throw new Error('wrong output'); // (toEqual on 256K floats is slow)
    }
    await s.release();
    released.push(s); // a caller holding on to a released session must not hold its memory or workers
  };
  // Shared wasm memories are not counted in process.memoryUsage().external: watch the resident set instead.
  const rss = async () => {
    for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
    return process.memoryUsage().rss;
  };
  for (let i = 0; i < 10; i++) await cycle();
  const before = await rss();
  for (let i = 0; i < 100; i++) await cycle();
  const after = await rss();
  expect(released).toHaveLength(110);
  // A leaked session keeps its memory (its live worker holds it) and a worker isolate: over 400 MiB in all.
  expect(after - before).toBeLessThan(128 * 2 ** 20);
}, 300_000);
