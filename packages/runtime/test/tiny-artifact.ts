// A hand-written artifact for the runtime's tests, built with binaryen from WebAssembly text per the contract
// in src/manifest.ts. The model: y[i] = 2 * x[N-1-i] + w[i] (float32, w from weights.bin, prepacked by
// init() into the arena) and "k:out" = "k.1" + 1 (int64). run() traps when x[0] is NaN, to test traps.
// Variants: baseline (scalar), relaxed (f32x4.relaxed_madd), threaded (two parallel steps over shared memory).

import binaryen from 'binaryen';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactManifest, InMemoryArtifact, WasmVariant } from '../src/index.js';

export type TinyVariant = 'baseline' | 'relaxed' | 'threaded';
const FILES: Record<TinyVariant, WasmVariant> = {
  threaded: { file: 'model.mt.wasm', requires: ['simd128', 'threads'] },
  relaxed: { file: 'model.relaxed.wasm', requires: ['simd128', 'relaxed-simd'] },
  baseline: { file: 'model.wasm', requires: ['simd128'] },
};

const align = (n: number) => Math.ceil(n / 16) * 16;

export function tinyLayout(n: number) {
  const W = 16, X = align(W + 4 * n), K = align(X + 4 * n), Y = align(K + 8), KOUT = align(Y + 4 * n);
  const T = align(KOUT + 8), PW = align(T + 4 * n), END = PW + 4 * n;
  return { W, X, K, Y, KOUT, T, PW, END, pages: Math.max(1, Math.ceil(END / 65536)) };
}

function wat(n: number, variant: TinyVariant): string {
  const L = tinyLayout(n);
  const shared = variant === 'threaded' ? ' shared' : '';
  // init: copy w into the arena (PW); the runtime must call it after copying weights.
  const common = `
  (import "env" "memory" (memory ${L.pages} ${L.pages}${shared}))
  (func (export "init") (memory.copy (i32.const ${L.PW}) (i32.const ${L.W}) (i32.const ${4 * n})))
  (func $guard (if (f32.ne (f32.load (i32.const ${L.X})) (f32.load (i32.const ${L.X}))) (then unreachable)))
  (func $kplus1 (i64.store (i32.const ${L.KOUT}) (i64.add (i64.load (i32.const ${L.K})) (i64.const 1))))
  ;; address of x[N-1-i]
  (func $xrev (param $i i32) (result i32) (i32.add (i32.const ${L.X}) (i32.shl (i32.sub (i32.const ${n - 1}) (local.get $i)) (i32.const 2))))`;
  const at = (base: number) => `(i32.add (i32.const ${base}) (i32.shl (local.get $i) (i32.const 2)))`;
  if (variant === 'baseline') {
    return `(module ${common}
  (func (export "run") (local $i i32)
    (call $guard) (call $kplus1)
    (loop $l
      (f32.store ${at(L.Y)} (f32.add (f32.mul (f32.load (call $xrev (local.get $i))) (f32.const 2)) (f32.load ${at(L.PW)})))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${n}))))))`;
  }
  if (variant === 'relaxed') {
    // Four lanes at a time: reverse the lanes of x[N-4-i .. N-1-i], then fused multiply-add.
    return `(module ${common}
  (func (export "run") (local $i i32)
    (call $guard) (call $kplus1)
    (loop $l
      (v128.store ${at(L.Y)} (f32x4.relaxed_madd
        (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3
          (v128.load (i32.sub (call $xrev (local.get $i)) (i32.const 12))) (v128.const i32x4 0 0 0 0))
        (f32x4.splat (f32.const 2)) (v128.load ${at(L.PW)})))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const ${n}))))))`;
  }
  // Threaded: step 0 t[i] = 2 x[i]; step 1 y[i] = t[N-1-i] + pw[i] (needs the barrier between the steps).
  return `(module ${common}
  (func $range (export "run_range") (param $step i32) (param $b i32) (param $e i32) (local $i i32)
    (local.set $i (local.get $b))
    (if (i32.eqz (local.get $step))
      (then
        (if (i32.eqz (local.get $b)) (then (call $guard) (call $kplus1)))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $e)))
          (f32.store ${at(L.T)} (f32.mul (f32.load ${at(L.X)}) (f32.const 2)))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))))
      (else
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $e)))
          (f32.store ${at(L.Y)} (f32.add
            (f32.load (i32.add (i32.const ${L.T}) (i32.shl (i32.sub (i32.const ${n - 1}) (local.get $i)) (i32.const 2))))
            (f32.load ${at(L.PW)})))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))))))
  (func (export "run") (call $range (i32.const 0) (i32.const 0) (i32.const ${n})) (call $range (i32.const 1) (i32.const 0) (i32.const ${n}))))`;
}

export function buildWasm(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD | binaryen.Features.Atomics | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
    if (!mod.validate()) throw new Error(`invalid test module:\n${text}`);
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

export function tinyManifest(n: number, variants: readonly TinyVariant[]): ArtifactManifest {
  const L = tinyLayout(n);
  const order: TinyVariant[] = (['threaded', 'relaxed', 'baseline'] as const).filter((v) => variants.includes(v) || v === 'baseline');
  return {
    format: 'tensorc-wasm',
    version: 1,
    producer: 'runtime tests (hand-written)',
    inputs: [
      { name: 'x', dtype: 'float32', shape: [n], offset: L.X, byteLength: 4 * n },
      { name: 'k.1', dtype: 'int64', shape: [], offset: L.K, byteLength: 8 },
    ],
    outputs: [
      { name: 'y', dtype: 'float32', shape: [n], offset: L.Y, byteLength: 4 * n },
      { name: 'k:out', dtype: 'int64', shape: [], offset: L.KOUT, byteLength: 8 },
    ],
    memory: { pages: L.pages, arena: { offset: L.T, byteLength: L.END - L.T }, peakBytes: 8 * n },
    weights: { byteLength: 4 * n, offset: L.W, alignment: 16, tensors: [{ name: 'w', offset: 0, byteLength: 4 * n, storage: 'float32' }] },
    variants: order.map((v) => FILES[v]),
    kernels: [{ name: 'reverse_scale_add', nodes: ['Mul_0', 'Add_1'] }],
    ...(variants.includes('threaded') ? { parallel: { steps: [{ iterations: n, kernel: 'scale' }, { iterations: n, kernel: 'reverse_add' }] } } : {}),
  };
}

export const tinyWeights = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);

/** What the model should output for x. */
export const expectedY = (x: Float32Array): Float32Array => {
  const w = tinyWeights(x.length);
  return x.map((_, i) => Math.fround(2 * x[x.length - 1 - i]!) + w[i]!);
};

export function tinyArtifact(n = 8, variants: readonly TinyVariant[] = ['baseline']): Omit<InMemoryArtifact, 'manifest'> & { manifest: ArtifactManifest; wasmVariants: Record<string, Uint8Array> } {
  if (n % 4 !== 0) throw new Error('n must be a multiple of 4');
  const manifest = tinyManifest(n, variants);
  const wasmVariants: Record<string, Uint8Array> = {};
  for (const v of new Set<TinyVariant>([...variants, 'baseline'])) wasmVariants[FILES[v].file] = buildWasm(wat(n, v));
  const w = tinyWeights(n);
  return { manifest, wasmVariants, weights: new Uint8Array(w.buffer) };
}

/** Writes an in-memory artifact to a fresh temporary directory, as artifact.save() would. */
export async function writeArtifactDir(a: ReturnType<typeof tinyArtifact>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tensorc-runtime-'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(a.manifest, null, 2));
  for (const [file, bytes] of Object.entries(a.wasmVariants)) await writeFile(join(dir, file), bytes);
  await writeFile(join(dir, 'weights.bin'), a.weights ?? new Uint8Array(0));
  return dir;
}
