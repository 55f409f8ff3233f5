// Releasing must free what a session holds: 1000 create/run/release cycles, with every released session object
// still referenced, must not grow external memory (where wasm memories are counted). Uses a real GC via
// --expose-gc set at run time, and waits a tick because V8 frees wasm backing stores after the collection.
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { expect, test } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { tinyArtifact, tinyLayout } from './tiny-artifact.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function externalAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
  return process.memoryUsage().external;
}

test('1000 create/release cycles do not grow memory', async () => {
  const N = 16384;
  const sessionBytes = tinyLayout(N).pages * 65536;
  const artifact = tinyArtifact(N);
  const feeds = { x: new Tensor('float32', new Float32Array(N), [N]), 'k.1': new Tensor('int64', [0n], []) };
  const released: InferenceSession[] = [];
  const cycle = async () => {
    const s = await InferenceSession.create(artifact);
    await s.run(feeds);
    await s.release();
    released.push(s); // a caller holding on to a released session must not hold its memory
  };
  for (let i = 0; i < 20; i++) await cycle(); // warm up compilers and caches
  const before = await externalAfterGc();
  for (let i = 0; i < 1000; i++) await cycle();
  const after = await externalAfterGc();
  expect(released).toHaveLength(1020);
  // A leak of the wasm memory alone would be 1000 * sessionBytes (about 450 MB); allow a few sessions' worth of noise.
  expect(after - before).toBeLessThan(8 * sessionBytes);
});
