// Protobuf wire-level reading for the ONNX decoder: walk a message's fields with protobufjs's low-level
// Reader and read scalars, strings, sub-messages and packed/unpacked repeated fields. Every length is checked
// against the bytes that remain before anything is allocated, and any malformed input ends in
// CompileError('INVALID_MODEL') naming the message being read (never a bare RangeError).

import protobuf from 'protobufjs';
import { CompileError } from '@tensorc/ir';

export type Reader = protobuf.Reader;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder('utf-8');

export function invalid(what: string, why: string): CompileError {
  return new CompileError('INVALID_MODEL', `malformed ${what}: ${why}`);
}

/**
 * Calls `visit` for every field of the message in `bytes`. `visit` reads the field's value and returns true,
 * or returns false to have the field skipped (unknown or ignored fields).
 */
export function walkMessage(bytes: Uint8Array, what: string, visit: (field: number, wire: number, r: Reader) => boolean): void {
  const r = protobuf.Reader.create(bytes);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) throw invalid(what, `field number 0 at offset ${r.pos}`);
      if (!visit(field, wire, r)) skipField(r, wire, what);
    }
  } catch (e) {
    if (e instanceof CompileError) throw e;
    // protobufjs signals reads past the end as RangeError("index out of range: ..."): say it plainly.
    const truncated = e instanceof RangeError && /index out of range/.test(e.message);
    throw invalid(what, truncated ? `a value runs past the end of its ${r.len} bytes (truncated or corrupt input)` : e instanceof Error ? e.message : String(e));
  }
}

/**
 * Skips an unknown field. Not protobufjs's skipType: that reads lengths as 32 bits and skips groups by
 * recursion, so crafted input could misframe the rest or overflow the stack. ONNX has no groups.
 */
function skipField(r: Reader, wire: number, what: string): void {
  switch (wire) {
    case WIRE_VARINT: r.uint64(); return;
    case WIRE_FIXED64: r.skip(8); return;
    case WIRE_LEN: r.skip(readLength(r, what)); return;
    case WIRE_FIXED32: r.skip(4); return;
    default: throw invalid(what, `wire type ${wire} at offset ${r.pos} (ONNX uses no groups)`);
  }
}

function expectWire(wire: number, expected: number, what: string): void {
  if (wire !== expected) throw invalid(what, `wire type ${wire} where ${expected} was expected`);
}

/**
 * A length prefix, read as the full 64-bit varint: protobufjs's uint32() keeps only the low 32 bits, so a
 * length of 2^32 + 3 would frame 3 bytes and the rest of the input would be misread as fields.
 */
function readLength(r: Reader, what: string): number {
  const len = longToBigInt(r.uint64(), true);
  if (len > BigInt(r.len - r.pos)) throw invalid(what, `a field claims ${len} bytes but only ${r.len - r.pos} remain`);
  return Number(len);
}

/** A length-delimited field's bytes, as a view into the input (no copy). */
export function readBytes(r: Reader, wire: number, what: string): Uint8Array {
  expectWire(wire, WIRE_LEN, what);
  const len = readLength(r, what);
  const out = r.buf.subarray(r.pos, r.pos + len);
  r.pos += len;
  return out;
}

export function readString(r: Reader, wire: number, what: string): string {
  return utf8.decode(readBytes(r, wire, what));
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

function longToBigInt(v: protobuf.Long | number, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v); // protobufjs without `long`: already a (possibly rounded) number
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? big : BigInt.asIntN(64, big);
}

export function readInt64(r: Reader, wire: number, what: string): bigint {
  expectWire(wire, WIRE_VARINT, what);
  return longToBigInt(r.int64(), false);
}

export function readInt32(r: Reader, wire: number, what: string): number {
  expectWire(wire, WIRE_VARINT, what);
  return r.int32();
}

export function readFloat32(r: Reader, wire: number, what: string): number {
  expectWire(wire, WIRE_FIXED32, what);
  return r.float();
}

/** An int64 that must be a safe JS integer (versions, counts). */
export function readSafeInt(r: Reader, wire: number, what: string): number {
  const v = readInt64(r, wire, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw invalid(what, `integer ${v} is out of range`);
  return Number(v);
}

/**
 * Reads one occurrence of a repeated scalar field, packed (one length-delimited run) or not (one element).
 * `unpackedWire` is the element's own wire type; `readOne` reads one element from a reader positioned on it.
 */
function readRepeated<T>(r: Reader, wire: number, what: string, unpackedWire: number, out: T[], readOne: (rr: Reader) => T): void {
  if (wire === unpackedWire) {
    out.push(readOne(r));
    return;
  }
  const run = readBytes(r, wire, what);
  const sub = protobuf.Reader.create(run);
  while (sub.pos < sub.len) out.push(readOne(sub));
}

export function readRepeatedInt64(r: Reader, wire: number, what: string, out: bigint[]): void {
  readRepeated(r, wire, what, WIRE_VARINT, out, (rr) => longToBigInt(rr.int64(), false));
}

export function readRepeatedUint64(r: Reader, wire: number, what: string, out: bigint[]): void {
  readRepeated(r, wire, what, WIRE_VARINT, out, (rr) => longToBigInt(rr.uint64(), true));
}

export function readRepeatedInt32(r: Reader, wire: number, what: string, out: number[]): void {
  readRepeated(r, wire, what, WIRE_VARINT, out, (rr) => rr.int32());
}

export function readRepeatedFloat32(r: Reader, wire: number, what: string, out: number[]): void {
  if (wire === WIRE_LEN) checkFixedRun(r, 4, what);
  readRepeated(r, wire, what, WIRE_FIXED32, out, (rr) => rr.float());
}

export function readRepeatedFloat64(r: Reader, wire: number, what: string, out: number[]): void {
  if (wire === WIRE_LEN) checkFixedRun(r, 8, what);
  readRepeated(r, wire, what, WIRE_FIXED64, out, (rr) => rr.double());
}

/** A packed run of fixed-width elements must be a whole number of elements (peeks at the length only). */
function checkFixedRun(r: Reader, width: number, what: string): void {
  const start = r.pos;
  const len = readLength(r, what);
  r.pos = start;
  if (len % width !== 0) throw invalid(what, `packed run of ${len} bytes is not a multiple of ${width}`);
}
