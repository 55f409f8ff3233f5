// Load-time checks of manifest.json against the contract in manifest.ts. Every failure names the field path
// ("manifest.inputs[1].offset") and the rule, so a backend bug shows up as one readable line, not as garbage
// outputs. Also usable by the backend's own tests to check the manifests it writes.

import { elementBytes, isTensorType } from './dtypes.js';
import { TensorcRuntimeError } from './errors.js';
import {
  MANIFEST_FORMAT, MANIFEST_VERSION, MEMORY_ALIGN, WASM_FEATURES, WASM_PAGE_BYTES,
} from './manifest.js';
import type { ArtifactManifest, IoSlot, ManifestDim, WasmFeature } from './manifest.js';

type Obj = Record<string, unknown>;

const fail = (path: string, rule: string): never => {
  throw new TensorcRuntimeError('INVALID_ARTIFACT', `${path}: ${rule}`);
};
const obj = (v: unknown, path: string): Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : fail(path, `must be an object, got ${JSON.stringify(v)}`);
const arr = (v: unknown, path: string): readonly unknown[] => (Array.isArray(v) ? v : fail(path, 'must be an array'));
const str = (v: unknown, path: string): string => (typeof v === 'string' ? v : fail(path, `must be a string, got ${JSON.stringify(v)}`));
function int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v as number;
}
const aligned = (v: unknown, path: string): number => {
  const n = int(v, path);
  return n % MEMORY_ALIGN === 0 ? n : fail(path, `must be a multiple of ${MEMORY_ALIGN}, got ${n}`);
};

/** Checks a parsed manifest.json (or its text) and returns it typed; throws INVALID_ARTIFACT or UNSUPPORTED. */
export function parseManifest(input: unknown): ArtifactManifest {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      fail('manifest.json', `is not valid JSON (${(e as Error).message})`);
    }
  }
  const m = obj(json, 'manifest');
  if (m.format !== MANIFEST_FORMAT) fail('manifest.format', `must be "${MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (m.version !== MANIFEST_VERSION) {
    throw new TensorcRuntimeError('UNSUPPORTED', `artifact format version ${JSON.stringify(m.version)} is not supported by this runtime (it reads version ${MANIFEST_VERSION})`);
  }
  const memory = obj(m.memory, 'manifest.memory');
  const pages = int(memory.pages, 'manifest.memory.pages', 1, 65536);
  const arena = obj(memory.arena, 'manifest.memory.arena');
  const regions: { path: string; offset: number; byteLength: number }[] = [];
  const region = (path: string, offset: number, byteLength: number) => {
    if (offset + byteLength > pages * WASM_PAGE_BYTES) fail(path, `region [${offset}, ${offset + byteLength}) lies beyond memory of ${pages} pages (${pages * WASM_PAGE_BYTES} bytes)`);
    if (byteLength > 0) regions.push({ path, offset, byteLength });
  };
  const arenaBytes = int(arena.byteLength, 'manifest.memory.arena.byteLength');
  region('manifest.memory.arena', aligned(arena.offset, 'manifest.memory.arena.offset'), arenaBytes);
  int(memory.peakBytes, 'manifest.memory.peakBytes', 0, arenaBytes);

  const weights = obj(m.weights, 'manifest.weights');
  if (weights.alignment !== MEMORY_ALIGN) fail('manifest.weights.alignment', `must be ${MEMORY_ALIGN}`);
  region('manifest.weights', aligned(weights.offset, 'manifest.weights.offset'), int(weights.byteLength, 'manifest.weights.byteLength'));
  if (weights.tensors !== undefined) {
    arr(weights.tensors, 'manifest.weights.tensors').forEach((t, i) => {
      const p = `manifest.weights.tensors[${i}]`;
      const e = obj(t, p);
      str(e.name, `${p}.name`);
      str(e.storage, `${p}.storage`);
      if (int(e.offset, `${p}.offset`) + int(e.byteLength, `${p}.byteLength`) > (weights.byteLength as number)) fail(p, 'lies beyond weights.bin');
    });
  }

  for (const side of ['inputs', 'outputs'] as const) {
    const names = new Set<string>();
    arr(m[side], `manifest.${side}`).forEach((s, i) => {
      const slot = checkSlot(s, `manifest.${side}[${i}]`);
      if (names.has(slot.name)) fail(`manifest.${side}[${i}].name`, `duplicate name "${slot.name}"`);
      names.add(slot.name);
      region(`manifest.${side}[${i}] ("${slot.name}")`, slot.offset, slot.byteLength);
    });
  }
  regions.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < regions.length; i++) {
    const [a, b] = [regions[i - 1]!, regions[i]!];
    if (a.offset + a.byteLength > b.offset) fail(b.path, `region [${b.offset}, ${b.offset + b.byteLength}) overlaps ${a.path} [${a.offset}, ${a.offset + a.byteLength})`);
  }

  const variants = arr(m.variants, 'manifest.variants');
  if (variants.length === 0) fail('manifest.variants', 'must list at least the baseline "model.wasm"');
  let threaded = false;
  variants.forEach((v, i) => {
    const p = `manifest.variants[${i}]`;
    const o = obj(v, p);
    const file = str(o.file, `${p}.file`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file)) fail(`${p}.file`, `must be a plain file name beside manifest.json, got "${file}"`);
    const req = arr(o.requires, `${p}.requires`).map((f, j) =>
      (WASM_FEATURES as readonly unknown[]).includes(f) ? (f as WasmFeature) : fail(`${p}.requires[${j}]`, `unknown feature ${JSON.stringify(f)}; known: ${WASM_FEATURES.join(', ')}`));
    threaded ||= req.includes('threads');
    if (i === variants.length - 1 && req.some((f) => f !== 'simd128')) fail(p, `the last variant is the baseline and may require only simd128, got [${req.join(', ')}]`);
  });
  arr(m.kernels, 'manifest.kernels').forEach((k, i) => str(obj(k, `manifest.kernels[${i}]`).name, `manifest.kernels[${i}].name`));
  if (m.initKernels !== undefined) arr(m.initKernels, 'manifest.initKernels').forEach((k, i) => str(obj(k, `manifest.initKernels[${i}]`).name, `manifest.initKernels[${i}].name`));
  if (memory.expandedBytes !== undefined) int(memory.expandedBytes, 'manifest.memory.expandedBytes', 0);

  if (m.parallel !== undefined || threaded) {
    const par = obj(m.parallel, 'manifest.parallel');
    arr(par.steps, 'manifest.parallel.steps').forEach((s, i) => int(obj(s, `manifest.parallel.steps[${i}]`).iterations, `manifest.parallel.steps[${i}].iterations`, 1, 0x7fffffff));
    if (par.maxThreads !== undefined) int(par.maxThreads, 'manifest.parallel.maxThreads', 1);
  }
  return json as ArtifactManifest;
}

function checkSlot(v: unknown, path: string): IoSlot {
  const s = obj(v, path);
  const name = str(s.name, `${path}.name`);
  const where = `${path} ("${name}")`;
  if (s.dtype === 'string') throw new TensorcRuntimeError('UNSUPPORTED', `${where}: string tensors cannot cross the wasm boundary in format version ${MANIFEST_VERSION}`);
  if (!isTensorType(s.dtype)) fail(`${where}.dtype`, `unknown dtype ${JSON.stringify(s.dtype)}`);
  const dtype = s.dtype as IoSlot['dtype'];
  const shape = arr(s.shape, `${where}.shape`).map((d, i): ManifestDim =>
    typeof d === 'string' && d.length > 0 ? d : int(d, `${where}.shape[${i}]`));
  const offset = aligned(s.offset, `${where}.offset`);
  const byteLength = int(s.byteLength, `${where}.byteLength`);
  if (shape.every((d) => typeof d === 'number')) {
    const want = (shape as number[]).reduce((a, b) => a * b, 1) * elementBytes(dtype);
    if (byteLength !== want) fail(`${where}.byteLength`, `must be ${want} for ${dtype}[${shape.join(', ')}], got ${byteLength}`);
  }
  return { name, dtype, shape, offset, byteLength };
}
