// One vitest config, one project per package. Workspace packages resolve to their TypeScript
// sources so tests never need a prior `npm run build`.
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { RELAXED_SIMD_PROBE } from './packages/runtime/src/features.js';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const alias = {
  '@tensorc/ir': src('ir'),
  '@tensorc/frontend': src('frontend'),
  '@tensorc/backend': src('backend'),
  '@tensorc/runtime': src('runtime'),
  tensorc: src('tensorc'),
};
// Node 20 runs relaxed SIMD only behind a flag; the backend's tests run every variant, so they get it where
// the engine needs it (later engines have relaxed SIMD on by default and no longer know the flag).
const relaxedFlag = WebAssembly.validate(RELAXED_SIMD_PROBE) ? [] : ['--experimental-wasm-relaxed-simd'];
const project = (name: string, testTimeout = 60_000, execArgv: string[] = []) => ({
  resolve: { alias },
  test: { name, include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`], testTimeout, execArgv },
});

/**
 * Files that run for minutes start first. vitest's own order (project by project; without recorded timings,
 * as in CI, larger files first) reached the small conformance file only after the backend and most frontend
 * files, so the suite ended waiting on it while the other worker idled.
 */
const START_FIRST = ['packages/frontend/test/conformance/conformance.test.ts'];

class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = START_FIRST.findIndex((p) => f.moduleId.replace(/\\/g, '/').endsWith(p));
      return i < 0 ? START_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    projects: [project('ir'), project('frontend', 600_000), project('backend', 300_000, relaxedFlag), project('runtime'), project('tensorc', 300_000)],
    passWithNoTests: true,
    // vitest's default is one worker fewer than the CPUs, so a 2-core CI machine ran every file on one
    // worker while the other core idled; the long conformance file then serialized the whole suite.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    sequence: { sequencer: LongFilesFirst },
  },
});
