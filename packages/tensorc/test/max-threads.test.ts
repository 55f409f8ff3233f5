// The thread cap through the public API and the CLI: compile({ maxThreads }) and `--max-threads N` set the
// manifest's parallel.maxThreads (the scratch slots each convolution reserves), `threads` N >= 2 sets the same
// cap, contradictory values and non-integers fail with one clear reason.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'packages/tensorc/bin/tensorc.js');
const model = path.join(root, 'examples/cnn/model.onnx');
const inputShapes = { image: [1, 3, 32, 32] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-max-threads-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('thread cap', () => {
  it('maxThreads, or threads >= 2, is the manifest cap; the default is 8', async () => {
    const cap = async (o: object) => (await compile(model, { inputShapes, ...o })).manifest.parallel?.maxThreads;
    expect(await cap({ maxThreads: 3 })).toBe(3);
    expect(await cap({ threads: 4 })).toBe(4);
    expect(await cap({ threads: 2, maxThreads: 2 })).toBe(2);
    expect(await cap({})).toBe(8);
    expect(await cap({ threads: 1 })).toBeUndefined();
  }, 120_000);

  it('contradictory or invalid caps are refused', async () => {
    await expect(compile(model, { inputShapes, threads: 4, maxThreads: 3 })).rejects.toThrow(/threads 4 and maxThreads 3 disagree/);
    await expect(compile(model, { inputShapes, threads: 1, maxThreads: 3 })).rejects.toThrow(/threads 1 leaves out the threaded code/);
    await expect(compile(model, { inputShapes, maxThreads: 0 })).rejects.toThrow(/maxThreads must be a positive integer/);
  }, 60_000);

  it('the CLI takes --max-threads and reports the cap; a bad value is a one-line error', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'compile', model, '--input-shape', 'image=1,3,32,32', '-o', path.join(tmp, 'out'), ...args], { encoding: 'utf8', timeout: 240_000 });
    const ok = run('--max-threads', '3', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).maxThreads).toBe(3);
    const bad = run('--max-threads', 'many');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tensorc: .*--max-threads "many" must be a positive integer/)]);
    expect(spawnSync(process.execPath, [cli, 'compile', '--help'], { encoding: 'utf8' }).stdout).toMatch(/--max-threads <n>/);
  }, 240_000);
});
