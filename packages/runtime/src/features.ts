// Host feature detection for picking a wasm variant: SIMD and relaxed SIMD by validating tiny probe modules
// (hand-assembled bytes, so no dependency), threads by checking for shared memory and workers. Not cached:
// probes take microseconds, and engines can change flags at run time (tests do).

import type { WasmFeature } from './manifest.js';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// One function `() -> v128` (type section), declared (function section), with the body given.
const probe = (body: number[]): Uint8Array<ArrayBuffer> =>
  new Uint8Array([...header, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 3, 0x01, body.length + 1, 0x00, ...body]);

/** i32.const 0; i8x16.splat; i8x16.popcnt; end — needs simd128. */
export const SIMD_PROBE = probe([0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b]);
/** i32.const 0; i8x16.splat; i32x4.relaxed_trunc_f32x4_s (0xfd 0x101); end — needs relaxed-simd. */
export const RELAXED_SIMD_PROBE = probe([0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x81, 0x02, 0x0b]);

export type WorkerHost = 'node' | 'web';

export interface HostFeatures {
  readonly simd128: boolean;
  readonly relaxedSimd: boolean;
  /** Shared WebAssembly.Memory can be created (SharedArrayBuffer present; cross-origin isolated in browsers). */
  readonly sharedMemory: boolean;
  /** How workers are made here, if at all. */
  readonly workers: WorkerHost | undefined;
  /** When threads are impossible, why (for the fallback warning). */
  readonly threadsUnavailableBecause: string | undefined;
}

const validates = (bytes: Uint8Array<ArrayBuffer>): boolean => {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
};

/** Imports a Node built-in through a variable specifier, so browser bundlers leave it alone. */
export const nodeImport = <T>(specifier: string): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;

export const isNode = (): boolean =>
  typeof globalThis.process === 'object' && typeof globalThis.process?.versions?.node === 'string';

export function detectHostFeatures(): HostFeatures {
  const workers: WorkerHost | undefined = isNode() ? 'node' : typeof Worker === 'function' ? 'web' : undefined;
  let reason: string | undefined;
  let sharedMemory = false;
  if (typeof SharedArrayBuffer === 'undefined') {
    reason = workers === 'web'
      ? 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
      : 'SharedArrayBuffer is unavailable in this host';
  } else if (workers === 'web' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    reason = 'the page is not cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  } else {
    try {
      sharedMemory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      sharedMemory = false;
    }
    if (!sharedMemory) reason = 'this engine cannot create a shared WebAssembly.Memory';
  }
  if (reason === undefined && workers === undefined) reason = 'this host has no workers';
  return {
    simd128: validates(SIMD_PROBE),
    relaxedSimd: validates(RELAXED_SIMD_PROBE),
    sharedMemory,
    workers,
    threadsUnavailableBecause: reason,
  };
}

/** Whether a host (with the caller's choices applied) offers one feature a variant requires. */
export function hasFeature(f: WasmFeature, host: HostFeatures, allow: { relaxedSimd: boolean; threads: boolean }): boolean {
  switch (f) {
    case 'simd128':
      return host.simd128;
    case 'relaxed-simd':
      return host.relaxedSimd && allow.relaxedSimd;
    case 'threads':
      return host.threadsUnavailableBecause === undefined && allow.threads;
    default: {
      const never: never = f;
      return never;
    }
  }
}
