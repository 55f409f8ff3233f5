// The artifact contract's load-time checks, the feature probes and the host math imports.
import binaryen from 'binaryen';
import { describe, expect, test } from 'vitest';
import { hostMathImports } from '../src/host-math.js';
import { parseManifest, RELAXED_SIMD_PROBE, SIMD_PROBE, TensorcRuntimeError } from '../src/index.js';
import type { ArtifactManifest } from '../src/index.js';
import { tinyManifest } from './tiny-artifact.js';

/** A copy of the tiny manifest with one edit applied. */
// `any` because edits reach into arbitrary fields, including ones the type forbids.
const edited = (edit: (m: any) => void): unknown => {
  const m = structuredClone(tinyManifest(8, ['baseline', 'relaxed', 'threaded']));
  edit(m);
  return m;
};
const rejects = (m: unknown, code: string, message: RegExp) => {
  let err: unknown;
  try {
    parseManifest(m);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TensorcRuntimeError);
  expect((err as TensorcRuntimeError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
};

describe('parseManifest', () => {
  test('accepts a valid manifest, as an object or as JSON text', () => {
    const m: ArtifactManifest = tinyManifest(8, ['baseline', 'relaxed', 'threaded']);
    expect(parseManifest(m)).toBe(m);
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
  });

  test('names the field and the rule it breaks', () => {
    rejects('{not json', 'INVALID_ARTIFACT', /manifest.json: is not valid JSON/);
    rejects(edited((m) => (m.format = 'onnx')), 'INVALID_ARTIFACT', /manifest.format: must be "tensorc-wasm"/);
    rejects(edited((m) => (m.version = 2)), 'UNSUPPORTED', /version 2 is not supported by this runtime \(it reads version 1\)/);
    rejects(edited((m) => (m.inputs[0].offset += 4)), 'INVALID_ARTIFACT', /manifest.inputs\[0\] \("x"\).offset: must be a multiple of 16/);
    rejects(edited((m) => (m.outputs[0].byteLength = 12)), 'INVALID_ARTIFACT', /\("y"\).byteLength: must be 32 for float32\[8\], got 12/);
    rejects(edited((m) => (m.outputs[0].offset = m.inputs[0].offset)), 'INVALID_ARTIFACT', /overlaps manifest.inputs\[0\] \("x"\)/);
    rejects(edited((m) => (m.weights.offset = 65536 - 16)), 'INVALID_ARTIFACT', /manifest.weights: region .* lies beyond memory of 1 pages/);
    rejects(edited((m) => (m.weights.alignment = 8)), 'INVALID_ARTIFACT', /manifest.weights.alignment: must be 16/);
    rejects(edited((m) => (m.memory.peakBytes = 1e9)), 'INVALID_ARTIFACT', /manifest.memory.peakBytes/);
    rejects(edited((m) => m.inputs.push({ ...m.inputs[0], offset: 4096 })), 'INVALID_ARTIFACT', /duplicate name "x"/);
    rejects(edited((m) => (m.inputs[0].dtype = 'complex64')), 'INVALID_ARTIFACT', /unknown dtype "complex64"/);
    rejects(edited((m) => (m.inputs[0].dtype = 'string')), 'UNSUPPORTED', /string tensors cannot cross the wasm boundary/);
    rejects(edited((m) => (m.variants = [])), 'INVALID_ARTIFACT', /at least the baseline/);
    rejects(edited((m) => m.variants.reverse()), 'INVALID_ARTIFACT', /the last variant is the baseline and may require only simd128/);
    rejects(edited((m) => (m.variants[0].requires = ['gc'])), 'INVALID_ARTIFACT', /unknown feature "gc"/);
    rejects(edited((m) => (m.variants[0].file = '../evil.wasm')), 'INVALID_ARTIFACT', /plain file name/);
    rejects(edited((m) => delete m.parallel), 'INVALID_ARTIFACT', /manifest.parallel: must be an object/);
    rejects(edited((m) => (m.parallel.steps[0].iterations = 0)), 'INVALID_ARTIFACT', /steps\[0\].iterations/);
    rejects(edited((m) => (m.weights.tensors[0].byteLength = 1000)), 'INVALID_ARTIFACT', /tensors\[0\]: lies beyond weights.bin/);
  });

  test('symbolic dims parse (the session refuses them later, with its own error)', () => {
    expect(() => parseManifest(edited((m) => (m.inputs[0].shape = ['N'])))).not.toThrow();
  });
});

describe('feature probes', () => {
  test('the SIMD probe is valid wasm in Node 20', () => {
    expect(WebAssembly.validate(SIMD_PROBE)).toBe(true);
  });

  test('the relaxed-SIMD probe is a valid module that needs exactly relaxed SIMD', () => {
    const mod = binaryen.readBinary(RELAXED_SIMD_PROBE);
    try {
      mod.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
      expect(mod.validate()).toBeTruthy();
      expect(mod.emitText()).toContain('i32x4.relaxed_trunc_f32x4_s');
    } finally {
      mod.dispose();
    }
  });
});

describe('host math imports', () => {
  test('erf is accurate across its range', () => {
    const { erf } = hostMathImports();
    const known: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108], [2, 0.9953222650189527], [2.6, 0.9997639655834707], [3, 0.9999779095030014], [5, 0.9999999999984626], [10, 1]];
    for (const [x, want] of known) expect(Math.abs(erf(x) - want)).toBeLessThan(1e-13);
    expect(erf(NaN)).toBeNaN();
  });

  test('the import table is self-contained (workers rebuild it from source)', () => {
    const rebuilt = new Function(`return (${hostMathImports.toString()})()`)() as ReturnType<typeof hostMathImports>;
    expect(rebuilt.tanh(0.5)).toBe(Math.tanh(0.5));
    expect(rebuilt.fmod(7, 3)).toBe(1);
  });
});
