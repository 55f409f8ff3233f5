// A hand-written threaded artifact for the thread-team tests, with knobs to make units slow on one thread and
// to trap on one thread. Steps: 0 "fill" (N units) t[i] = 2 x[i]; 1 "sum" (serial) s = t[0] + ... + t[N-1];
// 2 "mirror" (N units) y[i] = t[N-1-i] + s and who[i] = the thread that ran unit i. Step 1 reads every unit
// of step 0 and step 2 reads step 1, so a unit started before its predecessors finished shows in y.
// Input "knobs" (int32[4]): [spin, slowThread, slowSpin, trapThread]: every unit busy-loops `spin` times,
// plus `slowSpin` on thread slowThread; a unit of step 0 whose x is NaN traps when run on thread trapThread.
// With `failStart: k`, the threaded module's start function traps on its k-th instantiation on this memory
// (0: the caller's own, 1: the first worker's), to stand for a worker that cannot start.

import type { ArtifactManifest } from '../src/index.js';
import { buildWasm } from './tiny-artifact.js';

const align = (n: number) => Math.ceil(n / 16) * 16;

function layout(n: number) {
  const X = 16, KNOBS = align(X + 4 * n), T = align(KNOBS + 16), S = align(T + 4 * n), Y = align(S + 4), WHO = align(Y + 4 * n);
  const STARTS = align(WHO + 4 * n), END = STARTS + 4;
  return { X, KNOBS, T, S, Y, WHO, STARTS, pages: Math.max(1, Math.ceil(END / 65536)) };
}

function wat(n: number, shared: boolean, failStart?: number): string {
  const L = layout(n);
  const at = (base: number, i: string) => `(i32.add (i32.const ${base}) (i32.shl ${i} (i32.const 2)))`;
  const knob = (k: number) => `(i32.load (i32.const ${L.KNOBS + 4 * k}))`;
  return `(module
  (import "env" "memory" (memory ${L.pages} ${L.pages}${shared ? ' shared' : ''}))
  ${failStart === undefined ? '' : `(func $countStart
    (if (i32.eq (i32.atomic.rmw.add (i32.const ${L.STARTS}) (i32.const 1)) (i32.const ${failStart})) (then unreachable)))
  (start $countStart)`}
  (func $spin (param $w i32) (local $c i32)
    (local.set $c (i32.add ${knob(0)} (select ${knob(2)} (i32.const 0) (i32.eq (local.get $w) ${knob(1)}))))
    (block $out (loop $l (br_if $out (i32.le_s (local.get $c) (i32.const 0)))
      (local.set $c (i32.sub (local.get $c) (i32.const 1))) (br $l))))
  (func $range (export "run_range") (param $step i32) (param $b i32) (param $e i32) (param $w i32) (local $i i32) (local $s f32)
    (local.set $i (local.get $b))
    (block $done
      (br_if $done (i32.ge_u (local.get $i) (local.get $e)))
      (if (i32.eq (local.get $step) (i32.const 1)) (then
        (local.set $i (i32.const 0))
        (loop $l
          (local.set $s (f32.add (local.get $s) (f32.load ${at(L.T, '(local.get $i)')})))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${n}))))
        (f32.store (i32.const ${L.S}) (local.get $s))
        (br $done)))
      (loop $l
        (call $spin (local.get $w))
        (if (i32.eqz (local.get $step))
          (then
            (if (i32.and (f32.ne (f32.load ${at(L.X, '(local.get $i)')}) (f32.load ${at(L.X, '(local.get $i)')}))
                         (i32.eq (local.get $w) ${knob(3)}))
              (then unreachable))
            (f32.store ${at(L.T, '(local.get $i)')} (f32.mul (f32.load ${at(L.X, '(local.get $i)')}) (f32.const 2))))
          (else
            (f32.store ${at(L.Y, '(local.get $i)')} (f32.add
              (f32.load ${at(L.T, `(i32.sub (i32.const ${n - 1}) (local.get $i))`)}) (f32.load (i32.const ${L.S}))))
            (i32.store ${at(L.WHO, '(local.get $i)')} (local.get $w))))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $e))))))
  (func (export "run")
    (call $range (i32.const 0) (i32.const 0) (i32.const ${n}) (i32.const 0))
    (call $range (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0))
    (call $range (i32.const 2) (i32.const 0) (i32.const ${n}) (i32.const 0))))`;
}

export function teamArtifact(n: number, maxThreads = 8, o: { failStart?: number } = {}): { manifest: ArtifactManifest; wasmVariants: Record<string, Uint8Array> } {
  const L = layout(n);
  const manifest: ArtifactManifest = {
    format: 'tensorc-wasm',
    version: 1,
    producer: 'runtime tests (hand-written)',
    inputs: [
      { name: 'x', dtype: 'float32', shape: [n], offset: L.X, byteLength: 4 * n },
      { name: 'knobs', dtype: 'int32', shape: [4], offset: L.KNOBS, byteLength: 16 },
    ],
    outputs: [
      { name: 'y', dtype: 'float32', shape: [n], offset: L.Y, byteLength: 4 * n },
      { name: 'who', dtype: 'int32', shape: [n], offset: L.WHO, byteLength: 4 * n },
    ],
    memory: { pages: L.pages, arena: { offset: L.T, byteLength: L.Y - L.T }, peakBytes: 4 * n + 4 },
    weights: { byteLength: 0, offset: 16, alignment: 16, tensors: [] },
    variants: [{ file: 'model.mt.wasm', requires: ['simd128', 'threads'] }, { file: 'model.wasm', requires: ['simd128'] }],
    kernels: [{ name: 'fill' }, { name: 'sum' }, { name: 'mirror' }],
    parallel: { steps: [{ iterations: n, kernel: 'fill' }, { iterations: 1, kernel: 'sum' }, { iterations: n, kernel: 'mirror' }], maxThreads },
  };
  return { manifest, wasmVariants: { 'model.mt.wasm': buildWasm(wat(n, true, o.failStart)), 'model.wasm': buildWasm(wat(n, false)) } };
}

/** What "y" should be for x. */
export function teamExpectedY(x: Float32Array): Float32Array {
  const t = x.map((v) => Math.fround(2 * v));
  let s = 0;
  for (const v of t) s = Math.fround(s + v);
  return t.map((_, i) => Math.fround(t[t.length - 1 - i]! + s));
}
