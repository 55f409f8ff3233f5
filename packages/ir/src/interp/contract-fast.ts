// A faster evaluation of the common contraction (a float32/float64 sum of products of inputs), used by the
// reference interpreter so whole CNNs run in seconds. It computes exactly what the general loop computes:
// each product rounded to the accumulator dtype, summed in float64, read offsets affine in the loop point
// (precomputed per input), out-of-bounds reads giving the pad value. Float32 sums whose reads all stay
// inside go through contract-tiled.ts (same sums, reduction-outer order). contract.test.ts checks both
// against the general path.

import type { AffineMap } from '../affine.js';
import type { ContractOp } from '../ops.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import { tiledProductsF32 } from './contract-tiled.js';
import { strides } from './tensor-utils.js';

/** Input indices of a combiner that is a product of (possibly widened) args, or undefined. */
export function productOperands(e: ScalarExpr, acc: ContractOp['accDtype'], dtypes: readonly string[]): number[] | undefined {
  // Widening that reads the stored value unchanged: never from 64-bit ints (held as bigint), and into float32
  // only from dtypes it holds exactly (not float64, int32, uint32).
  const lossless = (from: string) => from === acc
    || (from !== 'int64' && from !== 'uint64' && (acc === 'float64' || (from !== 'float64' && from !== 'int32' && from !== 'uint32')));
  const leaf = (x: ScalarExpr): number | undefined => {
    if (x.k === 'arg') return x.i;
    if (x.k === 'cast' && x.to === acc && x.a.k === 'arg' && lossless(dtypes[x.a.i]!)) return x.a.i;
    return undefined;
  };
  const out: number[] = [];
  const walk = (x: ScalarExpr): boolean => {
    if (x.k === 'bin' && x.op === 'mul') return walk(x.a) && walk(x.b);
    const l = leaf(x);
    if (l === undefined) return false;
    out.push(l);
    return true;
  };
  return walk(e) ? out : undefined;
}

interface Operand {
  readonly data: Float64Array;
  /** Per loop index: how much the flat offset moves per unit step. */
  readonly weights: Float64Array;
  readonly base: number;
  readonly pad: number;
  /** Present when reads may fall outside: per dim, coefficients on the loops and the offset. */
  readonly bounds?: { readonly coeffs: Float64Array[]; readonly offsets: number[]; readonly shape: readonly number[] };
}

function operand(t: HostTensor, map: AffineMap, nLoops: number, pad: number | null): Operand {
  const st = strides(t.shape);
  const weights = new Float64Array(nLoops);
  let base = 0;
  const coeffs: Float64Array[] = [];
  const offsets: number[] = [];
  map.forEach((e, d) => {
    base += e.offset * st[d]!;
    const c = new Float64Array(nLoops);
    for (const term of e.terms) {
      weights[term.idx]! += term.coeff * st[d]!;
      c[term.idx] = term.coeff;
    }
    coeffs.push(c);
    offsets.push(e.offset);
  });
  const data = t.data as Float64Array;
  return { data, weights, base, pad: pad ?? 0, ...(pad === null ? {} : { bounds: { coeffs, offsets, shape: t.shape } }) };
}

/**
 * The operand copied into a tensor bordered with its pad value wide enough that no read falls outside, and
 * the map shifted to match: reads then need no bounds checks. Undefined when the border would be large.
 */
function withBorder(t: HostTensor, map: AffineMap, extents: readonly number[], pad: number): { t: HostTensor; map: AffineMap } | undefined {
  if (extents.some((e) => e === 0)) return undefined;
  const lo: number[] = [], shape: number[] = [];
  map.forEach((e, d) => {
    let min = e.offset, max = e.offset;
    for (const term of e.terms) {
      const span = term.coeff * (extents[term.idx]! - 1);
      if (span < 0) min += span; else max += span;
    }
    lo.push(Math.min(0, min));
    shape.push(Math.max(t.shape[d]! - 1, max) - lo[d]! + 1);
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (size === n || size > 2 * n + (1 << 20)) return undefined;
  const data = new Float64Array(size).fill(pad);
  const src = t.data as Float64Array;
  const dst = strides(shape);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += (idx[d]! - lo[d]!) * dst[d]!;
    data[o] = src[i]!;
    for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d]! < t.shape[d]!) break; idx[d] = 0; }
  }
  return { t: { dtype: t.dtype, shape, data }, map: map.map((e, d) => ({ ...e, offset: e.offset - lo[d]! })) };
}

/** For each reduction point k (row-major over `red`), sum_l w[r + l] * idx_l. */
function reductionTable(w: Float64Array, r: number, red: readonly number[], nRed: number): Int32Array {
  const t = new Int32Array(nRed);
  const idx = new Array<number>(red.length).fill(0);
  for (let k = 0; k < nRed; k++) {
    let v = 0;
    for (let d = 0; d < red.length; d++) v += w[r + d]! * idx[d]!;
    t[k] = v;
    for (let d = red.length - 1; d >= 0; d--) { if (++idx[d]! < red[d]!) break; idx[d] = 0; }
  }
  return t;
}

/**
 * Reduces (add, max or min) over the reduction loops the product of the listed operands (one or two), for
 * every output point; products of two are rounded with `round` as the combiner would. Results are float64,
 * not yet rounded to the accumulator dtype.
 */
export function reduceProducts(op: ContractOp, ins: readonly HostTensor[], operandIdx: readonly number[], outShape: readonly number[], red: readonly number[], round: (x: number) => number): Float64Array {
  const r = outShape.length;
  const nLoops = r + red.length;
  const extents = [...outShape, ...red];
  const ops = operandIdx.map((j) => {
    const pad = op.padValues[j] ?? null;
    const bordered = pad === null ? undefined : withBorder(ins[j]!, op.maps[j]!, extents, pad);
    return bordered ? operand(bordered.t, bordered.map, nLoops, null) : operand(ins[j]!, op.maps[j]!, nLoops, pad);
  });
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const nRed = red.reduce((a, b) => a * b, 1);
  const redOff = ops.map((o) => reductionTable(o.weights, r, red, nRed));
  // Per bounded operand and dim: the reduction part of the index at every reduction point, and its range.
  const redDim = ops.map((o) => o.bounds?.coeffs.map((c) => reductionTable(c, r, red, nRed)));
  const redMin = redDim.map((ds) => ds?.map((t) => t.reduce((a, b) => Math.min(a, b), t.length ? Infinity : 0)));
  const redMax = redDim.map((ds) => ds?.map((t) => t.reduce((a, b) => Math.max(a, b), t.length ? -Infinity : 0)));
  const out = new Float64Array(nOut);
  const point = new Float64Array(r);
  const reducer = op.reducer;
  const init = reducer === 'add' ? 0 : reducer === 'max' ? -Infinity : Infinity;
  const two = ops.length === 2;
  const A = ops[0]!;
  const B = ops[1];
  const ra = redOff[0]!;
  const rb = redOff[1];
  const bases = new Float64Array(ops.length);
  const outParts = ops.map((x) => (x.bounds ? new Float64Array(x.bounds.coeffs.length) : null));
  const checks: (Float64Array | null)[] = ops.map(() => null);
  if (two && reducer === 'add' && round === Math.fround && !A.bounds && !B!.bounds && tiledProductsF32(A, ra, B!, rb!, outShape, out)) return out;
  for (let o = 0; o < nOut; o++) {
    let rem = o;
    for (let d = r - 1; d >= 0; d--) { const n = outShape[d]!; point[d] = rem % n; rem = Math.floor(rem / n); }
    // Flat bases, and which operands need bounds checks at this output point (only near padded borders).
    let anyCheck = false;
    for (let j = 0; j < ops.length; j++) {
      const x = ops[j]!;
      let v = x.base;
      for (let d = 0; d < r; d++) v += x.weights[d]! * point[d]!;
      bases[j] = v;
      checks[j] = null;
      const b = x.bounds;
      if (!b) continue;
      const part = outParts[j]!;
      let inside = true;
      for (let d = 0; d < part.length; d++) {
        const c = b.coeffs[d]!;
        let s2 = b.offsets[d]!;
        for (let l = 0; l < r; l++) s2 += c[l]! * point[l]!;
        part[d] = s2;
        if (s2 + redMin[j]![d]! < 0 || s2 + redMax[j]![d]! >= b.shape[d]!) inside = false;
      }
      if (!inside) { checks[j] = part; anyCheck = true; }
    }
    // Neighbours along the last output loop at once (same sums, same order per point): the index tables
    // are read once for all of them, and an operand that does not move along that loop (a convolution's
    // weights, a matmul's A row) is read once per product term. Convolutions interpret ~4x faster.
    if (!anyCheck && two && reducer === 'add' && r > 0) {
      // int32 offsets (`| 0`): V8 indexes typed arrays much faster with small integers than with doubles
      const wa = A.weights[r - 1]! | 0, wb = B!.weights[r - 1]! | 0, a0 = bases[0]! | 0, b0 = bases[1]! | 0;
      const f32 = round === Math.fround;
      const group = f32 && (wa === 0 || wb === 0) ? 8 : 4;
      if (point[r - 1]! + group <= outShape[r - 1]! && groupInside(ops, outParts, redMin, redMax, r, group)) {
        if (group === 8 && wb === 0) dot8Fixed(A.data, a0, wa, ra, B!.data, b0, rb!, nRed, out, o);
        else if (group === 8) dot8Fixed(B!.data, b0, wb, rb!, A.data, a0, ra, nRed, out, o);
        else (f32 ? dot4F32 : dot4F64)(A.data, a0, wa, ra, B!.data, b0, wb, rb!, nRed, out, o);
        o += group - 1;
        continue;
      }
    }
    let acc = init;
    const a0 = bases[0]! | 0;
    if (!anyCheck) {
      const da = A.data;
      if (two && reducer === 'add') {
        acc = round === Math.fround ? dotF32(da, a0, ra, B!.data, bases[1]! | 0, rb!, nRed) : dotF64(da, a0, ra, B!.data, bases[1]! | 0, rb!, nRed);
      } else if (two) {
        const db = B!.data;
        const b0 = bases[1]!;
        for (let k = 0; k < nRed; k++) {
          const p = round(da[a0 + ra[k]!]! * db[b0 + rb![k]!]!);
          acc = combine(reducer, acc, p);
        }
      } else {
        for (let k = 0; k < nRed; k++) {
          const p = da[a0 + ra[k]!]!;
          acc = reducer === 'add' ? acc + p : combine(reducer, acc, p);
        }
      }
    } else {
      const chk = checks;
      for (let k = 0; k < nRed; k++) {
        let p = 1;
        for (let j = 0; j < ops.length; j++) {
          const x = ops[j]!;
          const c = chk[j];
          let inside = true;
          if (c) {
            const dims = redDim[j]!;
            for (let d = 0; d < c.length; d++) {
              const v = c[d]! + dims[d]![k]!;
              if (v < 0 || v >= x.bounds!.shape[d]!) { inside = false; break; }
            }
          }
          p *= inside ? x.data[bases[j]! + redOff[j]![k]!]! : x.pad;
        }
        if (two) p = round(p);
        acc = reducer === 'add' ? acc + p : combine(reducer, acc, p);
      }
    }
    out[o] = acc;
  }
  return out;
}

/** Whether every read of the `group` points from the current one along the last output loop is in bounds. */
function groupInside(ops: readonly Operand[], parts: readonly (Float64Array | null)[], redMin: readonly (number[] | undefined)[], redMax: readonly (number[] | undefined)[], r: number, group: number): boolean {
  for (let j = 0; j < ops.length; j++) {
    const b = ops[j]!.bounds;
    if (!b) continue;
    const part = parts[j]!;
    for (let d = 0; d < part.length; d++) {
      // The index is affine in the last loop, so checking the group's last point covers the ones between.
      const last = part[d]! + b.coeffs[d]![r - 1]! * (group - 1);
      if (last + redMin[j]![d]! < 0 || last + redMax[j]![d]! >= b.shape[d]!) return false;
    }
  }
  return true;
}

/** dotF32 for eight output points along which `a` steps by sa while `b` stays put. */
function dot8Fixed(a: Float64Array, a0: number, sa: number, ra: Int32Array, b: Float64Array, b0: number, rb: Int32Array, n: number, out: Float64Array, o: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (let k = 0; k < n; k++) {
    const ia = a0 + ra[k]!, w = b[b0 + rb[k]!]!;
    s0 += Math.fround(a[ia]! * w);
    s1 += Math.fround(a[ia + sa]! * w);
    s2 += Math.fround(a[ia + 2 * sa]! * w);
    s3 += Math.fround(a[ia + 3 * sa]! * w);
    s4 += Math.fround(a[ia + 4 * sa]! * w);
    s5 += Math.fround(a[ia + 5 * sa]! * w);
    s6 += Math.fround(a[ia + 6 * sa]! * w);
    s7 += Math.fround(a[ia + 7 * sa]! * w);
  }
  out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3; out[o + 4] = s4; out[o + 5] = s5; out[o + 6] = s6; out[o + 7] = s7;
}

/** dotF32 for four output points whose operand offsets step by sa and sb. */
function dot4F32(a: Float64Array, a0: number, sa: number, ra: Int32Array, b: Float64Array, b0: number, sb: number, rb: Int32Array, n: number, out: Float64Array, o: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let k = 0; k < n; k++) {
    const ia = a0 + ra[k]!, ib = b0 + rb[k]!;
    s0 += Math.fround(a[ia]! * b[ib]!);
    s1 += Math.fround(a[ia + sa]! * b[ib + sb]!);
    s2 += Math.fround(a[ia + 2 * sa]! * b[ib + 2 * sb]!);
    s3 += Math.fround(a[ia + 3 * sa]! * b[ib + 3 * sb]!);
  }
  out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3;
}

function dot4F64(a: Float64Array, a0: number, sa: number, ra: Int32Array, b: Float64Array, b0: number, sb: number, rb: Int32Array, n: number, out: Float64Array, o: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let k = 0; k < n; k++) {
    const ia = a0 + ra[k]!, ib = b0 + rb[k]!;
    s0 += a[ia]! * b[ib]!;
    s1 += a[ia + sa]! * b[ib + sb]!;
    s2 += a[ia + 2 * sa]! * b[ib + 2 * sb]!;
    s3 += a[ia + 3 * sa]! * b[ib + 3 * sb]!;
  }
  out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3;
}

/** Sum of float32-rounded products (monomorphic on purpose: this loop is where CNN references spend their time). */
function dotF32(a: Float64Array, a0: number, ra: Int32Array, b: Float64Array, b0: number, rb: Int32Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.fround(a[a0 + ra[k]!]! * b[b0 + rb[k]!]!);
  return s;
}

function dotF64(a: Float64Array, a0: number, ra: Int32Array, b: Float64Array, b0: number, rb: Int32Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[a0 + ra[k]!]! * b[b0 + rb[k]!]!;
  return s;
}

/** max/min as the general accumulator does them: NaN wins. */
function combine(reducer: string, a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return reducer === 'max' ? (b > a ? b : a) : b < a ? b : a;
}
