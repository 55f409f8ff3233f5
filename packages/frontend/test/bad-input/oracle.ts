// The bad-input oracle: what must hold for ANY bytes handed to importOnnx. Either the import succeeds, the
// IR verifier accepts the graph and (for small loop-free graphs) the reference interpreter runs it on
// deterministic inputs or stops with a typed error; or the import stops with a CompileError that has a code
// and a message. Anything else — a TypeError, a RangeError, a protobuf error, a stack overflow, an INTERNAL
// CompileError (a converter or kernel that crashed), a VERIFY_ERROR on freshly imported IR — is a bug.

import {
  CompileError, allocData, interpret, isStaticShape, numElements, regionsOf, verify, writeScalar,
  type Graph, type HostTensor, type Node, type RuntimeValue, type ValueType,
} from '@tensorc/ir';
import { importOnnx, type ImportOptions } from '../../src/import-onnx.js';

/** Thrown by the oracle when the input exposed a bug; the message says at which stage and what was thrown. */
export class BadInputBug extends Error {}

function describeThrown(e: unknown): string {
  if (e instanceof CompileError) return `CompileError ${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`;
  return `non-Error value ${String(e)}`;
}

/** A rejection is acceptable only as a CompileError with a code, a message and not INTERNAL. */
export function checkRejection(e: unknown, stage: string, allowed: (code: string) => boolean): string {
  if (!(e instanceof CompileError) || !e.code || !e.message || e.code === 'INTERNAL' || !allowed(e.code)) {
    throw new BadInputBug(`${stage} threw ${describeThrown(e)}`);
  }
  return e.code;
}

/** Largest static tensor (elements) a graph may declare and still be interpreted by the property. */
const INTERPRET_MAX_ELEMENTS = 1 << 16;
/** Loops are interpreted only with a constant trip count up to this (a mutated count could spin for minutes). */
const INTERPRET_MAX_TRIPS = 64;

function smallType(t: ValueType): boolean {
  if (t.kind !== 'tensor') return smallType(t.elem);
  return !isStaticShape(t.shape) || numElements(t.shape) <= INTERPRET_MAX_ELEMENTS;
}

/** Whether every node is cheap to interpret: small declared results, loops with a small constant trip count. */
function cheapNodes(nodes: readonly Node[], constants: Map<number, HostTensor>): boolean {
  for (const n of nodes) {
    if (n.op.kind === 'constant') for (const o of n.outputs) constants.set(o.id, n.op.value);
    if (!n.outputs.every((o) => smallType(o.type))) return false;
    if (n.op.kind === 'loop') {
      const trips = n.op.hasMaxTrip ? constants.get(n.inputs[0]!) : undefined;
      if (trips === undefined || trips.data.length !== 1 || !(Number(trips.data[0]) <= INTERPRET_MAX_TRIPS)) return false;
    }
    if (!regionsOf(n.op).every((r) => cheapNodes(r.nodes, constants))) return false;
  }
  return true;
}

/** Deterministic feeds (small values, exact in every dtype) for a graph whose inputs are small static tensors. */
function makeFeeds(g: Graph, seed: number): Record<string, RuntimeValue> | undefined {
  const feeds: Record<string, RuntimeValue> = {};
  let s = seed >>> 0;
  for (const input of g.inputs) {
    const t = input.value.type;
    if (t.kind !== 'tensor' || !isStaticShape(t.shape) || numElements(t.shape) > 4096) return undefined;
    const shape = t.shape as number[];
    const value: HostTensor = { dtype: t.dtype, shape, data: allocData(t.dtype, numElements(shape)) };
    for (let i = 0; i < value.data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const small = (s >>> 16) % 3; // 0, 1 or 2
      if (t.dtype === 'string') (value.data as string[])[i] = String(small);
      else writeScalar(value, i, t.dtype === 'float8e8m0' ? 2 ** small : t.dtype === 'bool' ? small & 1 : small);
    }
    feeds[input.name] = value;
  }
  return feeds;
}

export interface OracleResult {
  /** 'imported' or the code of the CompileError that rejected the input. */
  readonly imported: string;
  /** 'ok', 'skipped' or the code of the CompileError that stopped the interpreter. */
  readonly interpreted: string;
  /** The message of the CompileError that ended the run, if any. */
  readonly message?: string;
}

/** Runs `bytes` through importOnnx, verify and (when cheap) interpret; throws BadInputBug on a bug. */
export function checkBadInput(bytes: Uint8Array, opts: ImportOptions, seed: number): OracleResult {
  let g: Graph;
  try {
    g = importOnnx(bytes, opts);
  } catch (e) {
    return { imported: checkRejection(e, 'importOnnx', (c) => c !== 'VERIFY_ERROR'), interpreted: 'skipped', message: (e as Error).message };
  }
  try {
    verify(g);
  } catch (e) {
    throw new BadInputBug(`importOnnx succeeded but verify threw ${describeThrown(e)}`);
  }
  const feeds = cheapNodes(g.nodes, new Map()) ? makeFeeds(g, seed) : undefined;
  if (!feeds) return { imported: 'imported', interpreted: 'skipped' };
  try {
    interpret(g, feeds);
    return { imported: 'imported', interpreted: 'ok' };
  } catch (e) {
    // The feeds follow the declared input types, so INVALID_INPUT would be the importer's fault too.
    const code = checkRejection(e, 'interpret', (c) => c !== 'VERIFY_ERROR' && c !== 'INVALID_INPUT');
    return { imported: 'imported', interpreted: code, message: (e as Error).message };
  }
}
