// The runtime must load alone in a browser page: bundle src/index.ts for the browser (rolldown, which vite
// brings along) and run a session from an in-memory artifact inside a bare VM context with no `process`,
// `require` or Node built-ins. Skips with a notice if the bundler is not installed.
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { expectedY, tinyArtifact } from './tiny-artifact.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

test('a browser bundle of the runtime runs without Node APIs', async () => {
  let rolldown: typeof import('rolldown').rolldown;
  try {
    ({ rolldown } = await import('rolldown'));
  } catch {
    console.log('rolldown is not installed; skipping the browser-bundle check');
    return;
  }
  const bundle = await rolldown({ input: entry, platform: 'browser', logLevel: 'silent' });
  const { output } = await bundle.generate({ format: 'iife', name: 'tensorcRuntime' });
  await bundle.close();
  const code = output[0].code;
  expect(code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:(fs|path|os)/); // Node built-ins only behind dynamic import()

  const a = tinyArtifact(8);
  const context = {
    console, URL, TextDecoder, // web APIs every browser has; everything else is the bare JS realm
    artifactJson: JSON.stringify({ manifest: a.manifest, wasm: [...a.wasmVariants['model.wasm']!], weights: [...a.weights!] }),
  };
  const script = `${code}
    (async () => {
      const { InferenceSession, Tensor } = tensorcRuntime;
      const a = JSON.parse(artifactJson);
      const session = await InferenceSession.create({ manifest: a.manifest, wasm: new Uint8Array(a.wasm), weights: new Uint8Array(a.weights) });
      const x = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
      const out = await session.run({ x: new Tensor('float32', x, [8]), 'k.1': new Tensor('int64', [1n], []) });
      await session.release();
      return { hasProcess: typeof process !== 'undefined', y: Array.from(out.y.data), k: String(out['k:out'].data[0]) };
    })()`;
  const result = (await runInNewContext(script, context)) as { hasProcess: boolean; y: number[]; k: string };
  expect(result.hasProcess).toBe(false);
  expect(result.y).toEqual([...expectedY(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]))]);
  expect(result.k).toBe('2');
});
