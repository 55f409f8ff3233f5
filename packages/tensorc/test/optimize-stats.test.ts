// compile() with and without the fusion passes on the PyTorch fixtures (transformers, CNN with BatchNorm, MoE,
// RNNs): both artifacts reproduce PyTorch, fusion never adds kernels and removes many; per-pass statistics
// reach the caller (onPass) and the CLI (--stats, --no-fuse, --print-after checked against the pipeline).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompileError, type PassReport } from '@tensorc/ir';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { fixtures, manifest, root, worstError } from './pytorch-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-stats-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MODELS = ['mlp_static', 'cnn_bn_static', 'dwsep_upsample_static', 'transformer_encoder_static', 'attention_block_static', 'tiny_gpt_static', 'lstm2_static', 'moe_dense_mask_static', 'moe_dense_gather_static'];

describe('compile() with and without fusion on the PyTorch fixtures', () => {
  for (const name of MODELS) {
    it(`${name}: both reproduce PyTorch; fusion removes kernels`, async () => {
      const m = manifest.models.find((x) => x.file === `${name}.onnx`)!;
      const opts = { inputShapes: Object.fromEntries(m.inputs.map((n, i) => [n, m.cases[0]!.inputs[i]!])), verifyEach: true };
      const seen: PassReport[] = [];
      const fused = await compile(path.join(fixtures, m.file), { ...opts, onPass: (r) => seen.push(r) });
      const plain = await compile(path.join(fixtures, m.file), { ...opts, fuse: false });
      expect(seen).toEqual(fused.passes);
      expect(plain.passes.map((p) => p.pass)).not.toContain('fuse-elementwise');
      // The backend runs the graph the first time through a GEMM accumulating in float32: a few PyTorch tolerances.
      expect(await worstError(fused, m)).toBeLessThan(5);
      expect(await worstError(plain, m)).toBeLessThan(5);
      expect(fused.manifest.kernels.length).toBeLessThanOrEqual(plain.manifest.kernels.length);
      console.log(`[optimize] ${name}: ${plain.manifest.kernels.length} kernels without fusion -> ${fused.manifest.kernels.length} with`);
    }, 120_000);
  }

  it('fusion does something on a transformer, and reports it per pass', async () => {
    const m = manifest.models.find((x) => x.file === 'tiny_gpt_static.onnx')!;
    const r = await compile(path.join(fixtures, m.file), { inputShapes: { ids: m.cases[0]!.inputs[0]! } });
    const by = (p: string) => r.passes.find((x) => x.pass === p)!;
    expect(by('fuse-elementwise').counters['fused']).toBeGreaterThan(10);
    expect(by('fuse-elementwise').nodesAfter).toBeLessThan(by('fuse-elementwise').nodesBefore);
    expect(by('fuse-reduction').counters['absorbed']).toBeGreaterThan(0);
    expect(by('fuse-epilogue').counters['fused']).toBeGreaterThan(0);
  }, 120_000);

  it('printAfter must name a pass of the pipeline', async () => {
    const err = await compile(path.join(fixtures, 'mlp_static.onnx'), { printAfter: ['fuse-elementwsie'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe('INVALID_INPUT');
    expect((err as CompileError).message).toMatch(/no pass named "fuse-elementwsie".*fuse-elementwise/);
  });
});

describe('tensorc compile flags', () => {
  const cli = path.join(root, 'packages/tensorc/dist/cli.js');
  const tensorc = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000 });
  const model = path.join(fixtures, 'attention_block_static.onnx');

  it('--stats prints every pass with nodes before -> after and what it did, then kernel kinds', () => {
    const r = tensorc('compile', model, '-o', path.join(tmp, 'a'), '--stats', '--verify-each');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass fuse-elementwise +\d+ -> \d+ +nodes +[\d.]+ ms +.*fused=\d+/);
    expect(r.stdout).toMatch(/pass fuse-epilogue +\d+ -> \d+ +nodes/);
    expect(r.stdout).toMatch(/ kernels: .*gemm \d+/);
  });

  it('--no-fuse --json leaves the fusion passes out and compiles more kernels', () => {
    const kinds = (args: string[]) => {
      const r = tensorc('compile', model, '-o', path.join(tmp, 'b'), '--json', ...args);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { kernels: number; passes: { pass: string }[] };
    };
    const plain = kinds(['--no-fuse']);
    const fused = kinds([]);
    expect(plain.passes.map((p) => p.pass)).not.toContain('fuse-epilogue');
    expect(fused.passes.map((p) => p.pass)).toContain('fuse-epilogue');
    expect(fused.kernels).toBeLessThan(plain.kernels);
  });

  it('--print-after with an unknown pass: one line naming it and the passes, exit 1', () => {
    const r = tensorc('compile', model, '-o', path.join(tmp, 'c'), '--print-after', 'nope');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tensorc: .*no pass named "nope".*canonicalize/);
  });

  it('--print-after fuse-reduction prints that IR', () => {
    const r = tensorc('compile', model, '-o', path.join(tmp, 'd'), '--print-after', 'fuse-reduction');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\/\/ ir after fuse-reduction\ngraph\(/);
  });
});
