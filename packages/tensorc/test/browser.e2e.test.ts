// End to end in a real browser: starts examples/browser/serve.mjs (which compiles the MLP example), opens the
// page in Debian's headless Chromium through playwright-core, and checks that the page — loading only
// @tensorc/runtime's dist — computes the same logits as the runtime does in Node on the same artifact (1e-5),
// single-threaded and with ?threads=2. Skips with a notice when /usr/bin/chromium is absent.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '@tensorc/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/npy.js';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser e2e test skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

interface PageResult {
  outputs: Record<string, { type: string; dims: number[]; data: number[] }>;
  variant: string;
  numThreads: number;
  medianMs: number;
  maxDiffTorch: number;
}

/** Starts the example server on a free port; resolves with its base URL once it prints it. */
function startServer(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [path.join(root, 'examples/browser/serve.mjs'), '--port', '0', '--rebuild'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${log}`)), 180_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(log);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1]! }); }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${log}`)); });
  });
}

describe.skipIf(!hasChromium)('browser example (headless Chromium)', () => {
  let server: { proc: ChildProcess; url: string } | undefined;
  let browser: import('playwright-core').Browser | undefined;

  beforeAll(async () => {
    server = await startServer();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    server?.proc.kill();
  });

  async function openPage(query: string): Promise<PageResult> {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(server!.url + query);
    await page.waitForFunction(() => document.body.dataset['status'] !== 'loading', null, { timeout: 120_000 });
    const status = await page.evaluate(() => ({ s: document.body.dataset['status'], e: (window as { tensorcError?: string }).tensorcError }));
    expect(status.e).toBeUndefined();
    expect(status.s).toBe('done');
    // Every request the page made was served: it needed nothing beyond the runtime's dist, the artifact and data.
    expect(problems).toEqual([]);
    const result = await page.evaluate(() => (window as unknown as { tensorcResult: PageResult }).tensorcResult);
    await page.close();
    return result;
  }

  async function nodeLogits(): Promise<{ dims: number[]; data: Float32Array }> {
    const input = readNpy(new Uint8Array(fs.readFileSync(path.join(root, 'examples/mlp/input.npy'))));
    const session = await InferenceSession.create(path.join(root, 'examples/browser/out/mlp'));
    const out = (await session.run({ [session.inputNames[0]!]: input }))[session.outputNames[0]!]!;
    await session.release();
    return { dims: [...out.dims], data: out.data as Float32Array };
  }

  for (const [label, query, threads] of [['one thread', '', 1], ['?threads=2', '?threads=2&runs=20', 2]] as const) {
    it(`computes the same logits as Node (${label})`, async () => {
      const page = await openPage(query);
      const want = await nodeLogits();
      const got = page.outputs['logits']!;
      expect(got.type).toBe('float32');
      expect(got.dims).toEqual(want.dims);
      let maxDiff = 0;
      for (let i = 0; i < want.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want.data[i]!));
      expect(maxDiff).toBeLessThan(1e-5);
      expect(page.maxDiffTorch).toBeLessThan(1e-4);
      expect(page.numThreads).toBe(threads);
      expect(page.medianMs).toBeGreaterThanOrEqual(0);
      console.log(`browser (${label}): variant ${page.variant}, ${page.numThreads} thread(s), median ${page.medianMs.toFixed(3)} ms, max |browser - node| ${maxDiff.toExponential(1)}`);
    }, 180_000);
  }
});
