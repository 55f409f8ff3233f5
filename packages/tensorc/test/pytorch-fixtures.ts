// The PyTorch-exported fixtures (packages/frontend/test/fixtures/pytorch) for tensorc's tests: their manifest,
// and how far an artifact's outputs are from PyTorch's on a model's first case.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import type { compile } from '../src/compile.js';
import { readNpy } from '../src/npy.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixtures = path.join(root, 'packages/frontend/test/fixtures/pytorch');

export interface FixtureModel { file: string; inputs: string[]; outputs: string[]; cases: { dir: string; inputs: number[][] }[] }
export const manifest = JSON.parse(fs.readFileSync(path.join(fixtures, 'manifest.json'), 'utf8')) as { rtol: number; atol: number; models: FixtureModel[] };

/** Runs an artifact on a fixture's first case; returns the largest error in units of PyTorch's tolerance. */
export async function worstError(a: Awaited<ReturnType<typeof compile>>, m: FixtureModel): Promise<number> {
  const c = m.cases[0]!;
  const npy = (f: string) => readNpy(new Uint8Array(fs.readFileSync(path.join(fixtures, c.dir, f))));
  const feeds = Object.fromEntries(m.inputs.map((n, i) => { const t = npy(`input_${i}.npy`); return [n, new Tensor(t.type as never, t.data as never, [...t.dims])]; }));
  const s = await InferenceSession.create({ manifest: a.manifest, wasm: a.wasm, weights: a.weights });
  try {
    const out = await s.run(feeds);
    let worst = 0;
    m.outputs.forEach((name, i) => {
      const want = npy(`output_${i}.npy`).data as Float32Array;
      const got = out[name]!.data as Float32Array;
      expect(got.length).toBe(want.length);
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!) / (manifest.atol + manifest.rtol * Math.abs(want[k]!)));
    });
    return worst;
  } finally {
    await s.release();
  }
}
