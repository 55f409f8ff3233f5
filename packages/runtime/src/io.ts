// Moving tensors across the wasm boundary: checking feeds and fetches against the manifest (every error names
// the input or output), writing inputs into their memory regions, and copying outputs into fresh arrays the
// caller owns. Byte layouts are the contract's (manifest.ts): the host array's bytes, little-endian.

import { ARRAY_CLASS, elementBytes } from './dtypes.js';
import type { TypedArray } from './dtypes.js';
import { TensorcRuntimeError } from './errors.js';
import type { IoSlot } from './manifest.js';
import { Tensor } from './tensor.js';

/** Anything shaped like a tensor: ours, or onnxruntime-web's (so code moving between the two keeps working). */
export interface TensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

export type Feeds = Readonly<Record<string, TensorLike>>;
export type Fetches = readonly string[] | Readonly<Record<string, unknown>>;

const quoteAll = (slots: readonly IoSlot[]): string => slots.map((s) => `"${s.name}"`).join(', ') || '(none)';
const sig = (s: IoSlot): string => `${s.dtype}[${s.shape.join(', ')}]`;
const invalid = (message: string): never => {
  throw new TensorcRuntimeError('INVALID_INPUT', message);
};

/** Checks every feed against its slot; returns the typed arrays to write, in slot order. */
export function checkFeeds(feeds: unknown, inputs: readonly IoSlot[]): TypedArray[] {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) invalid(`run() needs feeds as an object { [inputName]: Tensor }`);
  const record = feeds as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!inputs.some((s) => s.name === name)) invalid(`unknown input "${name}"; the model's inputs are ${quoteAll(inputs)}`);
  }
  return inputs.map((slot) => {
    if (!Object.hasOwn(record, slot.name)) invalid(`missing input "${slot.name}" (${sig(slot)}); the model's inputs are ${quoteAll(inputs)}`);
    const t = record[slot.name] as Partial<TensorLike> | null | undefined;
    if (typeof t !== 'object' || t === null || typeof t.type !== 'string' || !Array.isArray(t.dims)) {
      return invalid(`input "${slot.name}" must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    }
    if (t.type !== slot.dtype) invalid(`input "${slot.name}" has type ${t.type}, but the model expects ${sig(slot)}`);
    const sameDims = t.dims.length === slot.shape.length && t.dims.every((d, i) => d === slot.shape[i]);
    if (!sameDims) invalid(`input "${slot.name}" has dims [${t.dims.join(', ')}], but the model expects ${sig(slot)}`);
    const cls = ARRAY_CLASS[slot.dtype];
    const data = t.data as TypedArray;
    if (!(data instanceof cls) || data.byteLength !== slot.byteLength) {
      invalid(`input "${slot.name}": data must be a ${cls.name} of ${slot.byteLength / elementBytes(slot.dtype)} elements for ${sig(slot)}`);
    }
    return data;
  });
}

/** The output slots to read, in the order asked: all outputs by default, or the names given. */
export function resolveFetches(fetches: Fetches | undefined, outputs: readonly IoSlot[]): IoSlot[] {
  if (fetches === undefined) return [...outputs];
  const names = Array.isArray(fetches) ? (fetches as readonly unknown[]) : typeof fetches === 'object' && fetches !== null ? Object.keys(fetches) : invalid('run() fetches must be an array of output names or an object keyed by them');
  return names.map((name) => outputs.find((s) => s.name === name) ?? invalid(`unknown output "${String(name)}"; the model's outputs are ${quoteAll(outputs)}`));
}

/** Writes one input's bytes into its region; bool is normalised to 0/1 as the contract promises the module. */
export function writeInput(memory: WebAssembly.Memory, slot: IoSlot, data: TypedArray): void {
  const dst = new Uint8Array(memory.buffer, slot.offset, slot.byteLength);
  if (slot.dtype === 'bool') {
    const src = data as Uint8Array;
    for (let i = 0; i < src.length; i++) dst[i] = src[i] ? 1 : 0;
  } else {
    dst.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
}

/** Copies one output out of memory into a new array (never a view: the next run must not change it). */
export function readOutput(memory: WebAssembly.Memory, slot: IoSlot): Tensor {
  const cls = ARRAY_CLASS[slot.dtype];
  const length = slot.byteLength / cls.BYTES_PER_ELEMENT;
  const out = new cls(length);
  new Uint8Array(out.buffer, 0, slot.byteLength).set(new Uint8Array(memory.buffer, slot.offset, slot.byteLength));
  return new Tensor(slot.dtype, out, slot.shape as readonly number[]);
}
