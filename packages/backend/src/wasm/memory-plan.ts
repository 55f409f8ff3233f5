// Static memory planning: every buffer gets a fixed byte address. Layout: [0,16) unused, weights (constants,
// copied from weights.bin), inputs, outputs, then one arena where intermediates are placed by liveness
// (a buffer's space is reused once its last reader has run). Graph outputs are computed straight into their
// output region; outputs that are inputs, constants or aliases get a copy kernel first.

import {
  type CodedFloatDType, CompileError, type DType, type Graph, type HostTensor, type TensorType, type ValueId, arg, encodeFloat, intToCode, isCodedFloatDType,
} from '@tensorc/ir';
import type { Kernel, LoopNestKernel } from './kernel-plan.js';
import type { LowerResult } from './lower.js';

export const ALIGN = 16;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Bytes per element in memory: the runtime's storage (manifest.ts), one byte per code for the sub-byte types. */
export function elementBytes(d: DType): number {
  switch (d) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'int16': case 'uint16': case 'float16': case 'bfloat16': return 2;
    case 'bool': case 'int8': case 'uint8': case 'int4': case 'uint4': case 'int2': case 'uint2':
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0': case 'float4e2m1':
      return 1;
    default: throw new CompileError('UNSUPPORTED_OP', `backend: dtype ${d} is not supported yet`);
  }
}

const byteSize = (t: TensorType) => (t.shape as number[]).reduce((a, b) => a * b, 1) * elementBytes(t.dtype);

/** Bytes of a constant in memory layout (narrow floats as their codes, sub-byte ints as one code per byte). */
export function constantBytes(t: HostTensor): Uint8Array {
  const n = t.data.length;
  const values = t.data as Float64Array;
  switch (t.dtype) {
    case 'float32': return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64': return new Uint8Array(Float64Array.from(values).buffer);
    case 'int32': return new Uint8Array(Int32Array.from(values).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from(t.data as BigInt64Array).buffer);
    case 'uint64': return new Uint8Array(BigUint64Array.from(t.data as BigInt64Array, (v) => BigInt.asUintN(64, v)).buffer);
    case 'bool': case 'uint8': return Uint8Array.from(values);
    case 'int8': return new Uint8Array(Int8Array.from(values).buffer, 0, n);
    case 'int16': return new Uint8Array(Int16Array.from(values).buffer);
    case 'uint16': return new Uint8Array(Uint16Array.from(values).buffer);
    case 'uint32': return new Uint8Array(Uint32Array.from(values).buffer);
    case 'int4': case 'uint4': case 'int2': case 'uint2': return Uint8Array.from(values, (v) => intToCode(v, t.dtype));
    case 'float16': case 'bfloat16': return new Uint8Array(Uint16Array.from(values, (v) => encodeFloat(v, t.dtype as CodedFloatDType, false)).buffer);
    default:
      if (isCodedFloatDType(t.dtype)) return Uint8Array.from(values, (v) => encodeFloat(v, t.dtype as CodedFloatDType, false));
      throw new CompileError('UNSUPPORTED_OP', `backend: constant of ${t.dtype} is not supported yet`);
  }
}

export interface MemoryLayout {
  /** Byte address of every buffer (aliases resolved to their root). */
  readonly address: ReadonlyMap<ValueId, number>;
  readonly weights: Uint8Array;
  readonly weightsOffset: number;
  readonly weightEntries: { name: string; offset: number; byteLength: number; storage: string }[];
  readonly inputs: { name: string; value: ValueId; offset: number; byteLength: number; type: TensorType }[];
  readonly outputs: { name: string; value: ValueId; offset: number; byteLength: number; type: TensorType }[];
  readonly arena: { offset: number; byteLength: number };
  readonly peakBytes: number;
  readonly totalBytes: number;
  /** Kernels, with copies added for outputs that cannot be computed in place. */
  readonly kernels: readonly Kernel[];
  /** Kernels run once at session creation (KernelPlan.initKernels); what they write sits after the weights for good. */
  readonly initKernels: readonly Kernel[];
  /** Bytes of those session-long buffers. */
  readonly expandedBytes: number;
}

function rootOf(aliases: ReadonlyMap<ValueId, ValueId>, id: ValueId): ValueId {
  let r = id;
  while (aliases.has(r)) r = aliases.get(r)!;
  return r;
}

/** Buffers a kernel writes (top-k writes values and indices). */
export function kernelWrites(k: Kernel): ValueId[] {
  if (k.kind === 'topk') return [k.out, k.indicesOut];
  if (k.kind === 'gemm' && k.bScratch !== undefined) return [k.out, k.bScratch];
  if (k.kind === 'attention') return [k.out.buffer, k.scratch];
  // Control ops write their regions' values too: all are placed at the op, live for the whole of it.
  if (k.kind === 'if' || k.kind === 'loop') return [...k.slots, ...k.regions.flat().flatMap(kernelWrites)];
  if (k.kind === 'nest' && k.extraOuts) return [k.out, ...k.extraOuts.map((x) => x.buffer)].filter((_, r) => !k.unstored?.includes(r));
  return [k.out];
}

export function kernelReads(k: Kernel): ValueId[] {
  switch (k.kind) {
    case 'nest': return k.operands.map((o) => o.buffer);
    case 'softmax': return [k.input];
    case 'layernorm': return [k.input, k.gamma, k.beta];
    case 'gather': case 'gather_elements': return [k.input, k.indices];
    case 'argreduce': case 'topk': return [k.input];
    case 'cumulative': return [k.input];
    case 'scatter': return [k.data, k.indices, k.updates];
    case 'gather_nd': return [k.input, k.indices];
    case 'gemm': return [k.a, k.b, ...(k.bImplicit ? [k.bImplicit.table] : []), ...k.epilogueOperands.map((o) => o.buffer)];
    case 'igemm': return [k.a, k.b, ...k.epilogueOperands.map((o) => o.buffer)];
    case 'depthwise': return [k.x, k.w, ...k.epilogueOperands.map((o) => o.buffer)];
    case 'bordered_copy': return [k.input];
    case 'attention': return [k.q.buffer, k.k.buffer, k.v.buffer, ...k.extras.map((o) => o.buffer)];
    case 'if': case 'loop': return [...k.reads, ...k.regions.flat().flatMap(kernelReads)];
  }
}

export function planMemory(g: Graph, plan: LowerResult, consts: ReadonlyMap<ValueId, HostTensor>): MemoryLayout {
  const root = (id: ValueId) => rootOf(plan.aliases, id);
  const typeOf = (id: ValueId) => plan.types.get(id) ?? (() => { throw new CompileError('INTERNAL', `backend: no type for %${id}`); })();
  const kernels: Kernel[] = [...plan.kernels];
  const inputIds = new Set(g.inputs.map((i) => i.value.id));
  const allConsts = new Map([...consts, ...plan.derived]);
  const produced = new Set(kernels.flatMap(kernelWrites));
  // Outputs: computed in place when a kernel produces that value once, or its buffer under a reshape or bitcast
  // alias (same bytes); otherwise copied.
  const outputs: MemoryLayout['outputs'] = [];
  const outBuffer = new Map<string, ValueId>();
  let fresh = 1 + Math.max(0, ...plan.types.keys());
  const usedAsOutput = new Set<ValueId>();
  let copies = 0;
  for (const o of g.outputs) {
    const r = root(o.value);
    const t = typeOf(o.value);
    if (produced.has(r) && !usedAsOutput.has(r) && byteSize(typeOf(r)) === byteSize(t)) {
      usedAsOutput.add(r);
      outBuffer.set(o.name, r);
      continue;
    }
    const copy = fresh++;
    const shape = t.shape as number[];
    const st = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const k: LoopNestKernel = {
      kind: 'nest', name: `copy_out_${copies++}`, out: copy, outDtype: t.dtype, outBase: 0, outStrides: st, extents: shape, numOutLoops: shape.length,
      operands: [{ buffer: o.value, dtype: t.dtype, base: 0, strides: st, pad: 0 }], combiner: arg(0), reducer: null, accDtype: t.dtype, epilogue: null,
    };
    kernels.push(k);
    (plan.types as Map<ValueId, TensorType>).set(copy, t);
    usedAsOutput.add(copy);
    outBuffer.set(o.name, copy);
  }

  const address = new Map<ValueId, number>();
  let cursor = ALIGN;
  // Weights: every constant a kernel reads.
  const weightEntries: MemoryLayout['weightEntries'] = [];
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  const weightsOffset = cursor;
  const readsConst = new Set<ValueId>();
  const initKernels = plan.initKernels ?? [];
  for (const k of [...initKernels, ...kernels]) for (const id of kernelReads(k)) if (allConsts.has(root(id))) readsConst.add(root(id));
  for (const id of readsConst) {
    const bytes = constantBytes(allConsts.get(id)!);
    address.set(id, cursor);
    chunks.push({ at: cursor - weightsOffset, bytes });
    weightEntries.push({ name: `%${id}`, offset: cursor - weightsOffset, byteLength: bytes.length, storage: allConsts.get(id)!.dtype });
    cursor = align(cursor + bytes.length);
  }
  const weights = new Uint8Array(cursor - weightsOffset);
  for (const c of chunks) weights.set(c.bytes, c.at);
  // What the init kernels write (weights widened once) stays for the session: never part of the arena.
  const expandedStart = cursor;
  for (const k of initKernels) for (const id of kernelWrites(k)) {
    address.set(id, cursor);
    cursor = align(cursor + Math.max(byteSize(typeOf(id)), 1));
  }
  const expandedBytes = cursor - expandedStart;
  const inputs: MemoryLayout['inputs'] = [];
  for (const i of g.inputs) {
    const t = i.value.type as TensorType;
    address.set(i.value.id, cursor);
    inputs.push({ name: i.name, value: i.value.id, offset: cursor, byteLength: byteSize(t), type: t });
    cursor = align(cursor + Math.max(byteSize(t), 1));
  }
  for (const o of g.outputs) {
    const id = outBuffer.get(o.name)!;
    const t = typeOf(o.value);
    address.set(id, cursor);
    outputs.push({ name: o.name, value: id, offset: cursor, byteLength: byteSize(t), type: t });
    cursor = align(cursor + Math.max(byteSize(t), 1));
  }
  // Arena: intermediates by liveness, first fit.
  const arenaStart = cursor;
  const lastUse = new Map<ValueId, number>();
  kernels.forEach((k, i) => { for (const id of kernelReads(k)) lastUse.set(root(id), i); });
  const live: { id: ValueId; start: number; end: number; last: number }[] = [];
  let peak = 0;
  let arenaEnd = arenaStart;
  kernels.forEach((k, i) => {
    for (let j = live.length - 1; j >= 0; j--) if (live[j]!.last < i) live.splice(j, 1);
    for (const id of kernelWrites(k)) {
    if (address.has(id) || inputIds.has(id)) continue;
    const size = align(Math.max(byteSize(typeOf(id)), 1));
    // In place: an elementwise nest may write over an operand that dies here and that it reads only at the
    // element it writes (same layout, same element size), since each point reads before it writes.
    const donor = k.kind === 'nest' ? inPlaceDonor(k, root, (r) => live.find((l) => l.id === r && l.last === i && l.end - l.start >= size)) : undefined;
    if (donor) {
      address.set(id, donor.start);
      donor.id = id;
      donor.last = lastUse.get(id) ?? i;
      continue;
    }
    live.sort((a, b) => a.start - b.start);
    let at = arenaStart;
    for (const l of live) {
      if (at + size <= l.start) break;
      at = Math.max(at, l.end);
    }
    address.set(id, at);
    live.push({ id, start: at, end: at + size, last: lastUse.get(id) ?? i });
    arenaEnd = Math.max(arenaEnd, at + size);
    peak = Math.max(peak, live.reduce((a, l) => a + (l.end - l.start), 0));
    }
  });
  for (const [a] of plan.aliases) if (!address.has(a) && address.has(root(a))) address.set(a, address.get(root(a))!);
  return {
    address, weights, weightsOffset, weightEntries, inputs, outputs, arena: { offset: arenaStart, byteLength: arenaEnd - arenaStart },
    peakBytes: peak, totalBytes: arenaEnd, kernels, initKernels, expandedBytes,
  };
}

/**
 * The arena slot of an operand that kernel `k` can overwrite with its output, if any: `k` has no reduction
 * and no padded reads, and every read of that buffer is at exactly the output's element (same base and
 * strides, same element size); `liveSlot` finds the buffer's slot when it dies at this kernel.
 */
function inPlaceDonor<T>(k: LoopNestKernel, root: (id: ValueId) => ValueId, liveSlot: (r: ValueId) => T | undefined): T | undefined {
  // A multi-output nest writes a result before later results read the operands at that point: none in place.
  if (k.reducer !== null || k.extents.length !== k.numOutLoops || (k.extraOuts?.length ?? 0) > 0) return undefined;
  const samePlace = (o: LoopNestKernel['operands'][number]) => o.bounds === undefined && o.base === k.outBase &&
    elementBytes(o.dtype) === elementBytes(k.outDtype) && o.strides.every((st, l) => st === k.outStrides[l] || k.extents[l] === 1);
  for (const o of k.operands) {
    const r = root(o.buffer);
    if (!k.operands.filter((p) => root(p.buffer) === r).every(samePlace)) continue;
    const slot = liveSlot(r);
    if (slot) return slot;
  }
  return undefined;
}
