// The built `tensorc` CLI as a user meets it (spawned from packages/tensorc/dist, built by `npm install`):
// failures are one line on stderr with exit 1 (stack only with --verbose), help lists the real flags, and the
// happy path compiles and runs the example MLP to PyTorch's output.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'packages/tensorc/bin/tensorc.js');
const mlp = path.join(root, 'examples/mlp');
let tmp = '';

function tensorc(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  // stderr is a pipe, not a terminal: progress lines must stay off.
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A failure as the CLI promises it: the given exit code and exactly one line on stderr, no stack. */
function expectOneLineFailure(r: ReturnType<typeof tensorc>, pattern: RegExp, code = 1): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tensorc: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: build first (npx tsc -b)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tensorc CLI errors', () => {
  it('a missing model file: one line naming the file, exit 1, for compile, inspect and bench', () => {
    const missing = path.join(tmp, 'no-such-model.onnx');
    for (const args of [['compile', missing, '-o', path.join(tmp, 'out')], ['inspect', missing], ['bench', missing]]) {
      expectOneLineFailure(tensorc(...args), /cannot read .*no-such-model\.onnx: no such file/);
    }
  });

  it('a corrupt model (random bytes, truncated, empty): one line saying it is not a valid model, exit 1, for compile and inspect', () => {
    const bytes = new Uint8Array(512).map((_, i) => (i * 7919 + 13) % 251);
    const good = fs.readFileSync(path.join(mlp, 'model.onnx'));
    const cases = { 'garbage.onnx': bytes, 'truncated.onnx': good.subarray(0, 4000), 'empty.onnx': new Uint8Array(0) };
    for (const [name, b] of Object.entries(cases)) {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, b);
      expectOneLineFailure(tensorc('compile', file, '-o', path.join(tmp, 'out')), /not an ONNX model/);
    }
    expectOneLineFailure(tensorc('inspect', path.join(tmp, 'garbage.onnx')), /not an ONNX model/);
  });

  it('--verbose adds the stack trace to the same first line', () => {
    const file = path.join(tmp, 'garbage2.onnx');
    fs.writeFileSync(file, 'this is not protobuf at all');
    const r = tensorc('compile', file, '-o', path.join(tmp, 'out'), '--verbose');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^tensorc: not an ONNX model/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('usage errors: unknown command or option, bad flag values, not an artifact folder', () => {
    expectOneLineFailure(tensorc('frobnicate'), /unknown command 'frobnicate'/);
    expectOneLineFailure(tensorc('inspect', path.join(mlp, 'model.onnx'), '--bogus'), /unknown option '--bogus'/);
    expectOneLineFailure(tensorc('compile', path.join(mlp, 'model.onnx'), '-o', tmp, '--input-shape', 'x=a,b'), /--input-shape "x=a,b" must look like/);
    expectOneLineFailure(tensorc('bench', path.join(mlp, 'model.onnx'), '--threads', 'two'), /--threads must be a positive integer/);
    expectOneLineFailure(tensorc('run', tmp, '--random'), /is not an artifact folder/);
    expectOneLineFailure(tensorc('profile', path.join(mlp, 'model.onnx'), '--runs', '0'), /--runs must be a positive integer, got "0"/);
    expectOneLineFailure(tensorc('profile', path.join(mlp, 'model.onnx')), /input "x" needs a static tensor shape; pin it/);
  });

  it('--help of every command lists its flags and the exit codes', () => {
    const top = tensorc('--help');
    expect(top.code).toBe(0);
    for (const cmd of ['compile', 'run', 'inspect', 'bench', 'profile']) expect(top.stdout).toContain(cmd);
    expect(top.stdout).toMatch(/Exit codes: 0 success; 1 user error.*2 internal error/);
    expect(tensorc('bench', '--help').stdout).toMatch(/--input-shape[\s\S]*--threads[\s\S]*--min-ms[\s\S]*--no-ort[\s\S]*--json/);
    expect(tensorc('run', '--help').stdout).toMatch(/--input [\s\S]*--random[\s\S]*--output-dir[\s\S]*--runs/);
    expect(tensorc('compile', '--help').stdout).toMatch(/--output[\s\S]*--input-shape[\s\S]*--verify-each/);
    expect(tensorc('profile', '--help').stdout).toMatch(/--input-shape[\s\S]*--runs[\s\S]*--no-relaxed-simd[\s\S]*--json/);
  });
});

describe('tensorc CLI happy path', () => {
  it('compile + run reproduce PyTorch on the example MLP; no progress noise when stderr is not a terminal', () => {
    const out = path.join(tmp, 'mlp');
    const c = tensorc('compile', path.join(mlp, 'model.onnx'), '-o', out, '--input-shape', 'x=4,784');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toBe('');
    expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['manifest.json', 'model.wasm', 'weights.bin']));
    const res = path.join(tmp, 'mlp-out');
    const r = tensorc('run', out, '--input', `x=${path.join(mlp, 'input.npy')}`, '--output-dir', res, '--runs', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^logits: float32\[4,10\]/);
    const got = readNpy(new Uint8Array(fs.readFileSync(path.join(res, 'logits.npy')))).data as Float32Array;
    const want = readNpy(new Uint8Array(fs.readFileSync(path.join(mlp, 'expected.npy')))).data as Float32Array;
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-4);
  });

  it('profile times every kernel of a run, in order, named after its model node', () => {
    const model = path.join(root, 'examples/qdq/dynamic.onnx');
    const text = tensorc('profile', model, '--input-shape', 'x=8,256', '--runs', '3');
    expect(text.code, text.stderr).toBe(0);
    const [head, totals, columns, ...rows] = text.stdout.trimEnd().split('\n');
    const count = Number(/: (\d+) kernels, model(\.relaxed)?\.wasm, 1 thread, median of 3 runs$/.exec(head!)?.[1]);
    expect(totals).toMatch(/^ {2}run [\d.]+ ms; kernels timed one by one [\d.]+ ms$/);
    expect(columns).toMatch(/kernel\s+ms\s+share\s+nodes/);
    expect(rows).toHaveLength(count);
    for (const row of rows) expect(row).toMatch(/^ {2}k\d+_\w+\s+\d+\.\d{3}\s+\d+\.\d%  \S+$/);
    expect(rows.some((r) => /_igemm .*MatMulInteger_1$/.test(r))).toBe(true);
    const json = tensorc('profile', model, '--input-shape', 'x=8,256', '--runs', '2', '--json');
    expect(json.code, json.stderr).toBe(0);
    const j = JSON.parse(json.stdout) as { runs: number; runMs: number; kernels: { name: string; ms: number; nodes: string[] }[] };
    expect(j.runs).toBe(2);
    expect(j.kernels.map((k) => k.name)).toEqual(rows.map((r) => r.trim().split(/\s+/)[0]));
    expect(j.kernels.every((k) => k.ms >= 0 && k.nodes.length === 1)).toBe(true);
  });

  it('bench --json reports both runtimes agreeing, or tensorc alone with --no-ort', () => {
    const model = path.join(mlp, 'model.onnx');
    const both = tensorc('bench', model, '--input-shape', 'x=2,784', '--min-ms', '20', '--json');
    expect(both.code, both.stderr).toBe(0);
    const j = JSON.parse(both.stdout) as { tensorc: { medianMs: number }; onnxruntimeWeb: { medianMs: number } | null; agree: boolean | null; ratio: number | null; runs: number };
    expect(j.tensorc.medianMs).toBeGreaterThan(0);
    expect(j.runs).toBeGreaterThanOrEqual(10);
    expect(j.onnxruntimeWeb).not.toBeNull(); // onnxruntime-web is a dev dependency of this repository
    expect(j.agree).toBe(true);
    expect(j.ratio).toBeCloseTo(j.tensorc.medianMs / j.onnxruntimeWeb!.medianMs, 9);
    const alone = tensorc('bench', model, '--input-shape', 'x=2,784', '--min-ms', '20', '--no-ort');
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout).toMatch(/tensorc\s+[\d.]+ ms median of \d+ runs/);
    expect(alone.stdout).not.toMatch(/onnxruntime-web/);
    // The float32 MLP is held to the tight tolerance; a QDQ-quantized model to a few code steps, since
    // onnxruntime-web runs it on integer kernels that may round a code the other way.
    expect((j as unknown as { tolerance: number }).tolerance).toBe(1e-4);
    const qdq = tensorc('bench', path.join(root, 'examples/qdq/model.onnx'), '--input-shape', 'x=4,256', '--min-ms', '20', '--json');
    expect(qdq.code, qdq.stderr).toBe(0);
    const q = JSON.parse(qdq.stdout) as { agree: boolean; tolerance: number; maxRelDiff: number };
    expect(q).toMatchObject({ agree: true, tolerance: 0.03 });
    expect(q.maxRelDiff).toBeLessThan(0.03);
  });
});
