// A faster evaluation of the common contraction (a float32/float64 sum of products of inputs), used by the
// reference interpreter so whole CNNs run in seconds. It computes exactly what the general loop computes:
// each product rounded to the accumulator dtype, summed in float64, read offsets affine in the loop point
// (precomputed per input), out-of-bounds reads giving the pad value. contract.test.ts checks it against
// the general path.

import type { AffineMap } from '../affine.js';
import type { ContractOp } from '../ops.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import { strides } from './tensor-utils.js';

/** Input indices of a combiner that is a product of (possibly widened) args, or undefined. */
export function productOperands(e: ScalarExpr, acc: ContractOp['accDtype'], dtypes: readonly string[]): number[] | undefined {
  const lossless = (from: string) => from === acc || (acc === 'float32' && from !== 'float64') || acc === 'float64';
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
  readonly data: ArrayLike<number>;
  /** Per loop index: how much the flat offset moves per unit step. */
  readonly weights: Float64Array;
  readonly base: number;
  /** Present when reads may fall outside: per dim, coefficients and offset, plus the dim sizes. */
  readonly bounds?: { readonly map: AffineMap; readonly shape: readonly number[] };
  readonly pad: number;
}

function operand(t: HostTensor, map: AffineMap, nLoops: number, pad: number | null): Operand {
  const st = strides(t.shape);
  const weights = new Float64Array(nLoops);
  let base = 0;
  map.forEach((e, d) => {
    base += e.offset * st[d]!;
    for (const term of e.terms) weights[term.idx]! += term.coeff * st[d]!;
  });
  return { data: t.data as ArrayLike<number>, weights, base, pad: pad ?? 0, ...(pad === null ? {} : { bounds: { map, shape: t.shape } }) };
}

function inBounds(b: NonNullable<Operand['bounds']>, point: Int32Array): boolean {
  for (let d = 0; d < b.map.length; d++) {
    const e = b.map[d]!;
    let v = e.offset;
    for (const t of e.terms) v += t.coeff * point[t.idx]!;
    if (v < 0 || v >= b.shape[d]!) return false;
  }
  return true;
}

/** Sum over reduction loops of the product of the listed operands, for every output point; results unrounded (float64). */
export function sumOfProducts(op: ContractOp, ins: readonly HostTensor[], operandIdx: readonly number[], outShape: readonly number[], red: readonly number[], round: (x: number) => number): Float64Array {
  const r = outShape.length;
  const nLoops = r + red.length;
  const ops = operandIdx.map((j) => operand(ins[j]!, op.maps[j]!, nLoops, op.padValues[j] ?? null));
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const nRed = red.reduce((a, b) => a * b, 1);
  // Offset contribution of every reduction point, per operand.
  const redOff = ops.map((o) => {
    const t = new Float64Array(nRed);
    const idx = new Array<number>(red.length).fill(0);
    for (let k = 0; k < nRed; k++) {
      let v = 0;
      for (let d = 0; d < red.length; d++) v += o.weights[r + d]! * idx[d]!;
      t[k] = v;
      for (let d = red.length - 1; d >= 0; d--) { if (++idx[d]! < red[d]!) break; idx[d] = 0; }
    }
    return t;
  });
  const out = new Float64Array(nOut);
  const point = new Int32Array(nLoops);
  const redIdx = new Int32Array(red.length);
  const anyBounds = ops.some((o) => o.bounds);
  for (let o = 0; o < nOut; o++) {
    let rem = o;
    for (let d = r - 1; d >= 0; d--) { const n = outShape[d]!; point[d] = rem % n; rem = Math.floor(rem / n); }
    const bases = ops.map((x) => { let v = x.base; for (let d = 0; d < r; d++) v += x.weights[d]! * point[d]!; return v; });
    let sum = 0;
    if (!anyBounds) {
      for (let k = 0; k < nRed; k++) {
        let p = 1;
        for (let j = 0; j < ops.length; j++) p *= ops[j]!.data[bases[j]! + redOff[j]![k]!]!;
        sum += ops.length > 1 ? round(p) : p;
      }
    } else {
      redIdx.fill(0);
      for (let k = 0; k < nRed; k++) {
        for (let d = 0; d < red.length; d++) point[r + d] = redIdx[d]!;
        let p = 1;
        for (let j = 0; j < ops.length; j++) {
          const x = ops[j]!;
          p *= x.bounds && !inBounds(x.bounds, point) ? x.pad : x.data[bases[j]! + redOff[j]![k]!]!;
        }
        sum += ops.length > 1 ? round(p) : p;
        for (let d = red.length - 1; d >= 0; d--) { if (++redIdx[d]! < red[d]!) break; redIdx[d] = 0; }
      }
    }
    out[o] = sum;
  }
  return out;
}
