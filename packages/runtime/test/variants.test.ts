// Variant selection: the relaxed-SIMD module when the engine has relaxed SIMD (and the caller allows it), the
// baseline otherwise. Node 20 ships relaxed SIMD behind a flag; the last test turns the flag on in this
// test file's own process, so it stays at the end of this file.
import v8 from 'node:v8';
import { describe, expect, test } from 'vitest';
import { detectHostFeatures, InferenceSession, Tensor } from '../src/index.js';
import { expectedY, tinyArtifact } from './tiny-artifact.js';

const N = 16;
const x = Float32Array.from({ length: N }, (_, i) => i * 1.25 - 4);
const run = async (s: InferenceSession) => (await s.run({ x: new Tensor('float32', x, [N]), 'k.1': new Tensor('int64', [0n], []) })).y!.data;

describe('wasm variant selection', () => {
  test('falls back to the baseline when the engine lacks relaxed SIMD', async () => {
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'relaxed']));
    expect(s.variant).toBe(detectHostFeatures().relaxedSimd ? 'model.relaxed.wasm' : 'model.wasm');
    expect(await run(s)).toEqual(expectedY(x));
  });

  test('relaxedSimd: false keeps the baseline', async () => {
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'relaxed']), { relaxedSimd: false });
    expect(s.variant).toBe('model.wasm');
  });

  test('an in-memory artifact without the relaxed bytes skips that variant', async () => {
    const a = tinyArtifact(N, ['baseline', 'relaxed']);
    const s = await InferenceSession.create({ ...a, wasmVariants: {}, wasm: a.wasmVariants['model.wasm'] });
    expect(s.variant).toBe('model.wasm');
  });

  test('picks the relaxed-SIMD variant once the engine supports it', async () => {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // a no-op on engines that ship it
    expect(detectHostFeatures().relaxedSimd).toBe(true);
    const s = await InferenceSession.create(tinyArtifact(N, ['baseline', 'relaxed']));
    expect(s.variant).toBe('model.relaxed.wasm');
    expect(await run(s)).toEqual(expectedY(x));
    const off = await InferenceSession.create(tinyArtifact(N, ['baseline', 'relaxed']), { relaxedSimd: false });
    expect(off.variant).toBe('model.wasm');
  });
});
