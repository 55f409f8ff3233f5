// Compiling a variant, checking its imports and exports against the contract (manifest.ts), creating the
// runtime-owned memory and instantiating. Mismatches become INVALID_ARTIFACT errors that name the file and
// the import or export at fault, instead of a bare LinkError.

import { TensorcRuntimeError, messageOf } from './errors.js';
import { hostMathImports } from './host-math.js';
import { HOST_MATH_IMPORTS } from './manifest.js';
import type { ArtifactManifest } from './manifest.js';

export interface ModelExports {
  readonly run: () => void;
  readonly init?: () => void;
  readonly run_range?: (step: number, begin: number, end: number, worker: number) => void;
}

export interface LinkedModel {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: ModelExports;
}

export async function compileVariant(bytes: Uint8Array, file: string, threaded: boolean): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file} does not compile: ${messageOf(e)}`, { cause: e });
  }
  checkInterface(module, file, threaded);
  return module;
}

function checkInterface(module: WebAssembly.Module, file: string, threaded: boolean): void {
  let hasMemory = false;
  for (const imp of WebAssembly.Module.imports(module)) {
    const name = `${imp.module}.${imp.name}`;
    if (imp.module === 'env' && imp.name === 'memory' && imp.kind === 'memory') hasMemory = true;
    else if (imp.module === 'math' && imp.kind === 'function' && Object.hasOwn(HOST_MATH_IMPORTS, imp.name)) continue;
    else throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file} imports ${imp.kind} "${name}", which the runtime does not provide (it provides env.memory and math.{${Object.keys(HOST_MATH_IMPORTS).join(',')}})`);
  }
  if (!hasMemory) throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file} must import its memory as "env.memory" (the runtime owns the memory)`);
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const need = threaded ? ['run', 'run_range'] : ['run'];
  for (const name of need) {
    if (exports.get(name) !== 'function') throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file} must export a function "${name}"`);
  }
  if (exports.has('init') && exports.get('init') !== 'function') throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file}: export "init" must be a function`);
}

/** A fresh runtime-owned memory of exactly the planned size (never grown). */
export function createMemory(manifest: ArtifactManifest, shared: boolean): WebAssembly.Memory {
  const pages = manifest.memory.pages;
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  } catch (e) {
    throw new TensorcRuntimeError('UNSUPPORTED', `cannot allocate ${pages} wasm pages (${pages * 64} KiB) of ${shared ? 'shared ' : ''}memory: ${messageOf(e)}`, { cause: e });
  }
}

export async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory, file: string): Promise<LinkedModel> {
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory }, math: hostMathImports() });
  } catch (e) {
    const hint = e instanceof WebAssembly.LinkError
      ? ' (its env.memory import must declare min = max = manifest.memory.pages, shared exactly when the variant requires threads)' : '';
    throw new TensorcRuntimeError('INVALID_ARTIFACT', `${file} cannot be instantiated: ${messageOf(e)}${hint}`, { cause: e });
  }
  return { module, memory, exports: instance.exports as unknown as ModelExports };
}

/** Calls into the module, turning a trap into a RUNTIME_ERROR that says what was being done. */
export function callModel(what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    throw new TensorcRuntimeError('RUNTIME_ERROR', `the model trapped during ${what}: ${messageOf(e)}`, { cause: e });
  }
}
