// One vitest config, one project per package. Workspace packages resolve to their TypeScript
// sources so tests never need a prior `npm run build`.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const alias = {
  '@tensorc/ir': src('ir'),
  '@tensorc/frontend': src('frontend'),
  '@tensorc/backend': src('backend'),
  '@tensorc/runtime': src('runtime'),
  tensorc: src('tensorc'),
};
const project = (name: string, testTimeout = 60_000) => ({
  resolve: { alias },
  test: { name, include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`], testTimeout },
});

export default defineConfig({
  test: {
    projects: [project('ir'), project('frontend', 600_000), project('backend', 300_000), project('runtime'), project('tensorc', 300_000)],
    passWithNoTests: true,
  },
});
