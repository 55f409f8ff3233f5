// Where an artifact's bytes come from: a directory (Node, read with fs), a URL base (fetched; browsers, or
// http(s) in Node), or an in-memory artifact. Node modules are imported lazily through a variable specifier so
// a browser bundle of the runtime never pulls them in.

import { TensorcRuntimeError, messageOf } from './errors.js';
import { isNode, nodeImport } from './features.js';
import { ARTIFACT_FILES } from './manifest.js';
import type { ArtifactManifest, InMemoryArtifact } from './manifest.js';
import { parseManifest } from './validate-manifest.js';

export interface ArtifactSource {
  /** For messages: `directory "out/"`, `URL "https://…/"` or `in-memory artifact`. */
  readonly description: string;
  readonly manifest: ArtifactManifest;
  /** Whether a variant file can be read; false skips the variant (in-memory artifacts may omit variants). */
  has(file: string): boolean;
  read(file: string): Promise<Uint8Array>;
  /**
   * weights.bin into `target` (its length is manifest.weights.byteLength; a view of the model's memory), read
   * straight into it where the source allows: no second copy of a large file. A size mismatch is an error.
   */
  readWeightsInto(target: Uint8Array): Promise<void>;
}

type FileHandle = {
  stat(): Promise<{ size: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
};
type FsPromises = { readFile(path: string | URL): Promise<Uint8Array>; open(path: string | URL, flags: string): Promise<FileHandle> };
type NodePath = { join(...parts: string[]): string };

export async function openArtifact(source: string | URL | InMemoryArtifact): Promise<ArtifactSource> {
  if (typeof source === 'string' || (typeof URL === 'function' && source instanceof URL)) return openLocation(source);
  if (typeof source === 'object' && source !== null && 'manifest' in source) return openInMemory(source);
  throw new TensorcRuntimeError('INVALID_ARTIFACT', 'InferenceSession.create needs a directory path, a URL, or an in-memory artifact { manifest, wasm, weights }');
}

function openInMemory(a: InMemoryArtifact): ArtifactSource {
  const manifest = parseManifest(a.manifest);
  const baseline = manifest.variants[manifest.variants.length - 1]!.file;
  const bytesOf = (file: string): Uint8Array | undefined => a.wasmVariants?.[file] ?? (file === baseline ? a.wasm : undefined);
  if (!bytesOf(baseline)) throw new TensorcRuntimeError('INVALID_ARTIFACT', `in-memory artifact: the baseline module "${baseline}" is missing (give it as \`wasm\` or in \`wasmVariants\`)`);
  return {
    description: 'in-memory artifact',
    manifest,
    has: (file) => bytesOf(file) !== undefined,
    read: async (file) => bytesOf(file)!,
    readWeightsInto: async (target) => {
      const bytes = a.weights ?? new Uint8Array(0);
      checkWeightsSize(manifest, bytes.byteLength, 'in-memory artifact');
      target.set(bytes);
    },
  };
}

async function openLocation(location: string | URL): Promise<ArtifactSource> {
  const asUrl = location instanceof URL ? location : /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? new URL(location) : undefined;
  const useFs = isNode() && (asUrl === undefined || asUrl.protocol === 'file:');
  let read: (file: string) => Promise<Uint8Array>;
  let readInto: (file: string, target: Uint8Array) => Promise<void>;
  let description: string;
  if (useFs) {
    const fs = await nodeImport<FsPromises>('node:fs/promises');
    const path = await nodeImport<NodePath>('node:path');
    const where = (file: string): string | URL => (asUrl ? new URL(file, withSlash(asUrl.href)) : path.join(location as string, file));
    description = `directory "${String(location)}"`;
    read = async (file) => {
      try {
        const b = await fs.readFile(where(file));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        throw new TensorcRuntimeError('IO_ERROR', `cannot read ${file} from ${description}: ${messageOf(e)}`, { cause: e });
      }
    };
    readInto = async (file, target) => {
      let fh: FileHandle | undefined;
      try {
        fh = await fs.open(where(file), 'r');
        const { size } = await fh.stat();
        checkWeightsSize(manifest, size, description);
        for (let done = 0; done < target.byteLength;) {
          const { bytesRead } = await fh.read(target, done, target.byteLength - done, done);
          if (bytesRead === 0) throw new Error(`ends after ${done} bytes`);
          done += bytesRead;
        }
      } catch (e) {
        if (e instanceof TensorcRuntimeError) throw e;
        throw new TensorcRuntimeError('IO_ERROR', `cannot read ${file} from ${description}: ${messageOf(e)}`, { cause: e });
      } finally {
        await fh?.close();
      }
    };
  } else {
    const base = new URL(withSlash(String(location)), (globalThis as { location?: { href: string } }).location?.href);
    description = `URL "${base.href}"`;
    const fetchOk = async (file: string): Promise<Response> => {
      const url = new URL(file, base);
      let response: Response;
      try {
        response = await fetch(url);
      } catch (e) {
        throw new TensorcRuntimeError('IO_ERROR', `cannot fetch ${url.href}: ${messageOf(e)}`, { cause: e });
      }
      if (!response.ok) throw new TensorcRuntimeError('IO_ERROR', `cannot fetch ${url.href}: HTTP ${response.status} ${response.statusText}`);
      return response;
    };
    read = async (file) => new Uint8Array(await (await fetchOk(file)).arrayBuffer());
    // chunks copied into the target as they arrive: the whole file is never held twice
    readInto = async (file, target) => {
      const response = await fetchOk(file);
      const reader = response.body?.getReader();
      if (!reader) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        checkWeightsSize(manifest, bytes.byteLength, description);
        return target.set(bytes);
      }
      let done = 0;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        if (done + chunk.value.byteLength > target.byteLength) {
          await reader.cancel();
          checkWeightsSize(manifest, done + chunk.value.byteLength, description, 'at least ');
        }
        target.set(chunk.value, done);
        done += chunk.value.byteLength;
      }
      checkWeightsSize(manifest, done, description);
    };
  }
  const text = new TextDecoder().decode(await read(ARTIFACT_FILES.manifest));
  const manifest = parseManifest(text);
  return {
    description,
    manifest,
    has: () => true,
    read,
    readWeightsInto: async (target) => {
      if (manifest.weights.byteLength > 0) await readInto(ARTIFACT_FILES.weights, target);
    },
  };
}

const withSlash = (s: string): string => (s.endsWith('/') ? s : `${s}/`);

function checkWeightsSize(manifest: ArtifactManifest, bytes: number, where: string, qualifier = ''): void {
  if (bytes !== manifest.weights.byteLength) {
    throw new TensorcRuntimeError('INVALID_ARTIFACT', `${where}: weights.bin has ${qualifier}${bytes} bytes, but manifest.weights.byteLength is ${manifest.weights.byteLength}`);
  }
}
