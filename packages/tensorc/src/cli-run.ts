// `tensorc run`: load an artifact folder, feed inputs from .npy / .pb files (or deterministic random values),
// run, and print per-output summaries and timing; optionally save outputs as .npy.

import fs from 'node:fs';
import path from 'node:path';
import { decodeTensorProto } from '@tensorc/frontend';
import { CompileError, fromHostTensor } from '@tensorc/ir';
import { InferenceSession, Tensor, type TensorType } from '@tensorc/runtime';
import { readNpy, writeNpy } from './npy.js';
import { progress } from './progress.js';

export interface RunFlags { input: string[]; random?: boolean; outputDir?: string; runs: string; quiet?: boolean }

function readTensorFile(file: string): Tensor {
  const bytes = new Uint8Array(fs.readFileSync(file));
  if (file.endsWith('.npy')) return readNpy(bytes);
  if (file.endsWith('.pb')) {
    const u = fromHostTensor(decodeTensorProto(bytes).value);
    return new Tensor(u.type as TensorType, u.data as never, u.dims);
  }
  throw new CompileError('INVALID_INPUT', `${file}: inputs must be .npy or ONNX TensorProto .pb files`);
}

/** Deterministic values in [-1, 1) (floats) or small integers, so runs are reproducible. */
export function randomTensor(type: TensorType, dims: readonly number[], seed = 1): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  switch (type) {
    case 'float32': return new Tensor('float32', Float32Array.from({ length: n }, () => next() * 2 - 1), dims);
    case 'float64': return new Tensor('float64', Float64Array.from({ length: n }, () => next() * 2 - 1), dims);
    case 'int32': return new Tensor('int32', Int32Array.from({ length: n }, () => Math.floor(next() * 8)), dims);
    case 'int64': return new Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(next() * 8))), dims);
    case 'bool': return new Tensor('bool', Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0)), dims);
    default: throw new CompileError('INVALID_INPUT', `--random cannot make ${type} inputs; give a file`);
  }
}

function summarize(name: string, t: Tensor): string {
  const vals = Array.from(t.data as ArrayLike<number | bigint>, Number);
  const finite = vals.filter(Number.isFinite);
  const min = finite.length ? Math.min(...finite.slice(0, 1e6)) : NaN;
  const max = finite.length ? Math.max(...finite.slice(0, 1e6)) : NaN;
  const mean = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
  const first = vals.slice(0, 6).map((v) => Number(v.toPrecision(6))).join(', ');
  return `${name}: ${t.type}[${t.dims.join(',')}] min ${min.toPrecision(5)} max ${max.toPrecision(5)} mean ${mean.toPrecision(5)} first [${first}${vals.length > 6 ? ', ...' : ''}]`;
}

export async function runCommand(dir: string, f: RunFlags): Promise<void> {
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw new CompileError('IO_ERROR', `${dir} is not an artifact folder (no manifest.json)`);
  const runs = Number(f.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new CompileError('INVALID_INPUT', `--runs must be a positive integer, got "${f.runs}"`);
  const t0 = performance.now();
  const session = await InferenceSession.create(dir);
  const createMs = performance.now() - t0;
  const tick = progress(f.quiet);
  tick('load', createMs);
  const given = new Map<string, Tensor>();
  for (const spec of f.input) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new CompileError('INVALID_INPUT', `--input "${spec}" must look like name=file.npy`);
    given.set(spec.slice(0, eq), readTensorFile(spec.slice(eq + 1)));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { inputs: { name: string; dtype: TensorType; shape: number[] }[] };
  const feeds: Record<string, Tensor> = {};
  manifest.inputs.forEach((i, k) => {
    const t = given.get(i.name) ?? (f.random ? randomTensor(i.dtype, i.shape, k + 1) : undefined);
    if (!t) throw new CompileError('INVALID_INPUT', `no value for input "${i.name}" (${i.dtype}[${i.shape.join(',')}]); pass --input ${i.name}=file.npy or --random`);
    feeds[i.name] = t;
  });
  for (const name of given.keys()) if (!manifest.inputs.some((i) => i.name === name)) throw new CompileError('INVALID_INPUT', `the model has no input "${name}"`);
  const times: number[] = [];
  let out: Record<string, Tensor> = {};
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    out = (await session.run(feeds)) as Record<string, Tensor>;
    times.push(performance.now() - s);
  }
  tick(`run x${runs}`, times.reduce((a, b) => a + b, 0));
  times.sort((a, b) => a - b);
  for (const [name, t] of Object.entries(out)) process.stdout.write(summarize(name, t) + '\n');
  process.stdout.write(`session created in ${createMs.toFixed(1)} ms; run median ${times[Math.floor(times.length / 2)]!.toFixed(3)} ms over ${runs} run(s)\n`);
  if (f.outputDir) {
    fs.mkdirSync(f.outputDir, { recursive: true });
    for (const [name, t] of Object.entries(out)) fs.writeFileSync(path.join(f.outputDir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`), writeNpy(t));
  }
  await session.release();
}
