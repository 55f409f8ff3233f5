// Runs a graph in every code variant of its artifact (baseline SIMD128, relaxed SIMD, and both on 2 worker
// threads) and compares each with the reference interpreter; every GEMM of two or more units gets a
// parallel step, however small, so the unit splitting and per-worker scratch are exercised.

import { expect } from 'vitest';
import { type Graph, type HostTensor, interpret } from '@tensorc/ir';
import { InferenceSession } from '@tensorc/runtime';
import { toTensor } from './feeds.js';
import { detectHostFeatures } from '../../runtime/src/features.js';
import { compileGraph } from '../src/index.js';

export const relaxedAvailable = detectHostFeatures().relaxedSimd;

const FLAVOURS = [
  { name: 'baseline', opts: { relaxedSimd: false }, file: 'model.wasm' },
  { name: 'relaxed', opts: { relaxedSimd: true }, file: 'model.relaxed.wasm' },
  { name: 'baseline, 2 threads', opts: { relaxedSimd: false, numThreads: 2 }, file: 'model.mt.wasm' },
  { name: 'relaxed, 2 threads', opts: { relaxedSimd: true, numThreads: 2 }, file: 'model.relaxed.mt.wasm' },
] as const;

/** Every variant's outputs within `tol * (1 + |want|)` of the interpreter's; returns the artifact's kernel names. */
export async function expectAllFlavoursAgree(g: Graph, feeds: Record<string, HostTensor>, tol: number, exactMath = false): Promise<string[]> {
  const want = interpret(g, feeds);
  const art = compileGraph(g, { parallelMinMacs: 0, exactMath });
  const parallel = (art.manifest.parallel?.maxThreads ?? 1) > 1;
  for (const f of FLAVOURS) {
    const s = await InferenceSession.create(art, { ...f.opts, onWarning: () => {} });
    await s.threadsReady(); // the 2-thread variants must run on both threads, not on the caller alone while a worker starts
    try {
      // The variant actually run must be the one asked for: relaxed only where the engine has it, threads
      // only where the model has a parallel step (else the runtime rightly stays on one thread).
      let file: string = f.file;
      if (!relaxedAvailable) file = file.replace('.relaxed', '');
      if (!parallel) file = file.replace('.mt', '');
      expect(s.variant).toBe(file);
      const got = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTensor(v)])));
      for (const [name, w] of Object.entries(want)) {
        const t = w as HostTensor;
        const o = got[name]!;
        expect([...o.dims]).toEqual([...t.shape]);
        for (let i = 0; i < t.data.length; i++) {
          const x = Number(o.data[i]);
          const y = Number(t.data[i]);
          if (Number.isNaN(y)) expect(Number.isNaN(x), `${f.name} ${name}[${i}]`).toBe(true);
          else if (!Number.isFinite(y)) expect(x, `${f.name} ${name}[${i}]`).toBe(y);
          else expect(Math.abs(x - y), `${f.name} ${name}[${i}]: ${x} vs ${y}`).toBeLessThanOrEqual(tol * (1 + Math.abs(y)));
        }
      }
    } finally {
      await s.release();
    }
  }
  return art.manifest.kernels.map((k) => k.name);
}
