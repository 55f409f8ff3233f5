// InferenceSession over the hand-written tiny artifact: results, directory vs in-memory loading, feed and
// fetch validation, output ownership, traps, release, and artifact errors that name what is wrong.
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { InferenceSession, Tensor, TensorcRuntimeError } from '../src/index.js';
import type { Feeds } from '../src/index.js';
import { buildWasm, expectedY, tinyArtifact, tinyLayout, writeArtifactDir } from './tiny-artifact.js';

const N = 8;
const xs = (offset = 0) => Float32Array.from({ length: N }, (_, i) => i + offset);
const feeds = (x = xs(), k = 41n): Feeds => ({ x: new Tensor('float32', x, [N]), 'k.1': new Tensor('int64', [k], []) });

async function rejection(p: Promise<unknown>): Promise<TensorcRuntimeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(TensorcRuntimeError);
  return e as TensorcRuntimeError;
}

describe('InferenceSession with an in-memory artifact', () => {
  test('runs the model and reports its names', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    expect(s.inputNames).toEqual(['x', 'k.1']);
    expect(s.outputNames).toEqual(['y', 'k:out']);
    expect(s.variant).toBe('model.wasm');
    expect(s.numThreads).toBe(1);
    const out = await s.run(feeds());
    expect(out.y!.type).toBe('float32');
    expect(out.y!.dims).toEqual([N]);
    expect(out.y!.data).toEqual(expectedY(xs())); // also proves init() ran after the weights were copied
    expect(out['k:out']!.data).toEqual(new BigInt64Array([42n]));
    expect(out['k:out']!.dims).toEqual([]);
    await s.release();
  });

  test('fetches limit the outputs returned', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    expect(Object.keys(await s.run(feeds(), ['k:out']))).toEqual(['k:out']);
    expect(Object.keys(await s.run(feeds(), { y: null }))).toEqual(['y']);
    const e = await rejection(s.run(feeds(), ['z']));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/unknown output "z"; the model's outputs are "y", "k:out"/);
  });

  test('outputs are fresh arrays owned by the caller', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    const first = await s.run(feeds(xs(0)));
    const firstY = first.y!.data as Float32Array;
    firstY[0] = 1234; // mutating an output must not reach the model's memory ...
    const second = await s.run(feeds(xs(100)));
    expect(second.y!.data).toEqual(expectedY(xs(100)));
    expect(firstY[0]).toBe(1234); // ... and the next run must not change an earlier output
    expect(firstY.subarray(1)).toEqual(expectedY(xs(0)).subarray(1));
    expect((second.y!.data as Float32Array).buffer).not.toBe(firstY.buffer);
  });

  test('concurrent runs are serialised and each gets its own result', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    const results = await Promise.all([0, 1, 2, 3, 4].map((k) => s.run(feeds(xs(k * 10), BigInt(k)))));
    results.forEach((r, k) => {
      expect(r.y!.data).toEqual(expectedY(xs(k * 10)));
      expect(r['k:out']!.data[0]).toBe(BigInt(k + 1));
    });
  });

  test('accepts onnxruntime-web tensors as feeds', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    const out = await s.run({ x: new OrtTensor('float32', xs(), [N]), 'k.1': new OrtTensor('int64', new BigInt64Array([1n]), []) });
    expect(out.y!.data).toEqual(expectedY(xs()));
  });
});

describe('feed validation names the input', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown name', { ...feeds(), z: new Tensor('float32', [1]) }, /unknown input "z"; the model's inputs are "x", "k.1"/],
    ['missing input', { x: feeds().x }, /missing input "k.1" \(int64\[\]\)/],
    ['wrong dtype', { ...feeds(), x: new Tensor('float64', new Float64Array(N)) }, /input "x" has type float64, but the model expects float32\[8\]/],
    ['wrong dims', { ...feeds(), x: new Tensor('float32', new Float32Array(N), [2, 4]) }, /input "x" has dims \[2, 4\], but the model expects float32\[8\]/],
    ['not a tensor', { ...feeds(), x: new Float32Array(N) }, /input "x" must be a Tensor/],
    ['null', { ...feeds(), x: null }, /input "x" must be a Tensor, got null/],
    ['lying data', { ...feeds(), x: { type: 'float32', dims: [N], data: new Float32Array(2) } }, /input "x": data must be a Float32Array of 8 elements/],
  ];
  test.each(cases)('%s', async (_, bad, message) => {
    const s = await InferenceSession.create(tinyArtifact(N));
    const e = await rejection(s.run(bad as Feeds));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(message);
    expect((await s.run(feeds())).y!.data).toEqual(expectedY(xs())); // the session is still fine
  });
});

describe('traps and release', () => {
  test('a trap is a RUNTIME_ERROR and the session keeps working', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    const x = xs();
    x[0] = NaN;
    const e = await rejection(s.run(feeds(x)));
    expect(e.code).toBe('RUNTIME_ERROR');
    expect(e.message).toMatch(/the model trapped during run\(\): .*unreachable/);
    expect((await s.run(feeds())).y!.data).toEqual(expectedY(xs()));
  });

  test('run after release is an INVALID_STATE error; release twice is harmless', async () => {
    const s = await InferenceSession.create(tinyArtifact(N));
    await s.release();
    await s.release();
    expect((await rejection(s.run(feeds()))).code).toBe('INVALID_STATE');
  });
});

describe('loading from a directory', () => {
  test('a path and a file: URL give the same results as memory', async () => {
    const artifact = tinyArtifact(N, ['baseline', 'relaxed']);
    const dir = await writeArtifactDir(artifact);
    const want = await (await InferenceSession.create(artifact, { relaxedSimd: false })).run(feeds());
    for (const source of [dir, pathToFileURL(dir), `${pathToFileURL(dir).href}/`]) {
      const s = await InferenceSession.create(source, { relaxedSimd: false });
      expect(s.inputNames).toEqual(['x', 'k.1']);
      const got = await s.run(feeds());
      expect(got.y!.data).toEqual(want.y!.data);
      expect(got['k:out']!.data).toEqual(want['k:out']!.data);
      await s.release();
    }
    await rm(dir, { recursive: true });
  });

  test('a URL base over HTTP is fetched (the browser path)', async () => {
    const dir = await writeArtifactDir(tinyArtifact(N));
    const server = createServer((req, res) => {
      readFile(join(dir, req.url!.replace(/^\/model\//, ''))).then(
        (bytes) => res.end(bytes),
        () => res.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const s = await InferenceSession.create(`${base}/model`);
      expect((await s.run(feeds())).y!.data).toEqual(expectedY(xs()));
      const e = await rejection(InferenceSession.create(`${base}/nothing-here/`));
      expect(e.code).toBe('IO_ERROR');
      expect(e.message).toMatch(/cannot fetch http:.*\/nothing-here\/manifest.json: HTTP 404/);
    } finally {
      server.close();
      await rm(dir, { recursive: true });
    }
  });

  test('weights.bin goes straight into memory: in pieces over HTTP; a wrong size from a file or a URL is refused', async () => {
    const a = tinyArtifact(N);
    const dir = await writeArtifactDir(a);
    // /model/ serves the artifact, /short/ and /long/ the same with weights.bin cut or padded; weights.bin in three writes
    const server = createServer((req, res) => {
      const [, kind, file] = req.url!.split('/');
      readFile(join(dir, file!)).then(async (bytes) => {
        if (file !== 'weights.bin') return res.end(bytes);
        const body = kind === 'short' ? bytes.subarray(0, 20) : kind === 'long' ? Buffer.concat([bytes, Buffer.alloc(8)]) : bytes;
        for (let i = 0; i < 3; i++) {
          res.write(body.subarray(Math.floor((i * body.length) / 3), Math.floor(((i + 1) * body.length) / 3)));
          await new Promise((r) => setTimeout(r, 5));
        }
        res.end();
      }, () => res.writeHead(404, 'Not Found').end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const s = await InferenceSession.create(`${base}/model/`);
      expect((await s.run(feeds())).y!.data).toEqual(expectedY(xs()));
      await s.release();
      const short = await rejection(InferenceSession.create(`${base}/short/`));
      expect(short.code).toBe('INVALID_ARTIFACT');
      expect(short.message).toMatch(/weights.bin has 20 bytes, but manifest.weights.byteLength is 32/);
      const long = await rejection(InferenceSession.create(`${base}/long/`));
      expect(long.code).toBe('INVALID_ARTIFACT');
      expect(long.message).toMatch(/weights.bin has (at least )?\d+ bytes, but manifest.weights.byteLength is 32/);
      for (const [size, bytes] of [[3, new Uint8Array(3)], [40, new Uint8Array(40)]] as const) {
        await writeFile(join(dir, 'weights.bin'), bytes);
        const e = await rejection(InferenceSession.create(dir));
        expect(e.code).toBe('INVALID_ARTIFACT');
        expect(e.message).toMatch(new RegExp(`weights.bin has ${size} bytes, but manifest.weights.byteLength is 32`));
      }
    } finally {
      server.close();
      await rm(dir, { recursive: true });
    }
  });

  test('a missing directory is an IO_ERROR naming the file', async () => {
    const e = await rejection(InferenceSession.create('/nonexistent/tensorc-artifact'));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toMatch(/cannot read manifest.json from directory "\/nonexistent\/tensorc-artifact"/);
  });
});

describe('artifact errors', () => {
  const L = tinyLayout(N);
  const withBaseline = (wasm: Uint8Array) => ({ ...tinyArtifact(N), wasmVariants: { 'model.wasm': wasm } });

  test('missing baseline bytes, wrong weights size, symbolic dims', async () => {
    const a = tinyArtifact(N);
    expect((await rejection(InferenceSession.create({ manifest: a.manifest, weights: a.weights }))).message).toMatch(/baseline module "model.wasm" is missing/);
    const short = await rejection(InferenceSession.create({ ...a, weights: new Uint8Array(3) }));
    expect(short.message).toMatch(/weights.bin has 3 bytes, but manifest.weights.byteLength is 32/);
    const symbolic = { ...a.manifest, inputs: [{ ...a.manifest.inputs[0]!, shape: ['N'] }, a.manifest.inputs[1]!] };
    const sym = await rejection(InferenceSession.create({ ...a, manifest: symbolic }));
    expect(sym.code).toBe('UNSUPPORTED');
    expect(sym.message).toMatch(/"x" has the symbolic dim "N"/);
  });

  test('a module importing something the runtime does not provide', async () => {
    const wasm = buildWasm(`(module (import "env" "memory" (memory ${L.pages} ${L.pages})) (import "env" "abort" (func)) (func (export "run")))`);
    const e = await rejection(InferenceSession.create(withBaseline(wasm)));
    expect(e.code).toBe('INVALID_ARTIFACT');
    expect(e.message).toMatch(/model.wasm imports function "env.abort", which the runtime does not provide/);
  });

  test('a module with its own memory, without run(), or with the wrong memory size', async () => {
    const own = await rejection(InferenceSession.create(withBaseline(buildWasm('(module (memory 1) (func (export "run")))'))));
    expect(own.message).toMatch(/must import its memory as "env.memory"/);
    const noRun = await rejection(InferenceSession.create(withBaseline(buildWasm(`(module (import "env" "memory" (memory ${L.pages} ${L.pages})))`))));
    expect(noRun.message).toMatch(/must export a function "run"/);
    const big = await rejection(InferenceSession.create(withBaseline(buildWasm(`(module (import "env" "memory" (memory ${L.pages + 1} ${L.pages + 1})) (func (export "run")))`))));
    expect(big.message).toMatch(/model.wasm cannot be instantiated: .*min = max = manifest.memory.pages/);
    const junk = await rejection(InferenceSession.create(withBaseline(new Uint8Array([0, 97, 115, 109, 9]))));
    expect(junk.message).toMatch(/model.wasm does not compile/);
  });

  test('host math imports link', async () => {
    const wasm = buildWasm(`(module (import "env" "memory" (memory ${L.pages} ${L.pages}))
      (import "math" "exp" (func $exp (param f64) (result f64)))
      (func (export "run") (f32.store (i32.const ${L.Y}) (f32.demote_f64 (call $exp (f64.promote_f32 (f32.load (i32.const ${L.X}))))))))`);
    const s = await InferenceSession.create(withBaseline(wasm));
    const out = await s.run(feeds(xs(1)));
    expect(out.y!.data[0]).toBe(Math.fround(Math.exp(1)));
  });
});
