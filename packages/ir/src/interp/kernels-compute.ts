// Reference kernels of the computing ops: constant, contract, map, reduce, argreduce, softmax, cumulative.
// Float sums and products accumulate in float64 and round to the dtype once; integer accumulation is exact
// and wraps once at the end.

import { evalAffine } from '../affine.js';
import { type DType, isBigIntDType, isFloat } from '../dtype.js';
import type { Reducer } from '../ops.js';
import { type FloatDType, castScalar, intRange, roundToDType, wrapInt } from '../numeric/index.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import type { TensorType } from '../types.js';
import { productOperands, reduceProducts } from './contract-fast.js';
import type { KernelTable } from './kernel-types.js';
import { type Scalar, compileScalar } from './scalar-eval.js';
import { broadcastStrides, makeTensor, nextBroadcastPoint, num, runtimeError, sizeOf, strides, tensorArg, unravel } from './tensor-utils.js';

/** Running reduction of scalars of `dtype`: float64 for floats, exact (BigInt) for integers. */
class Accumulator {
  private f = 0;
  private i = 0n;
  private any = false;
  constructor(private readonly reducer: Reducer, private readonly dtype: DType) {
    this.reset();
  }
  reset(): void {
    this.any = false;
    this.f = this.reducer === 'add' ? 0 : this.reducer === 'mul' ? 1 : this.reducer === 'max' ? -Infinity : Infinity;
    this.i = this.reducer === 'mul' ? 1n : 0n;
  }
  push(v: Scalar): void {
    if (isFloat(this.dtype)) {
      const x = v as number;
      switch (this.reducer) {
        case 'add': this.f += x; break;
        case 'mul': this.f *= x; break;
        case 'max': this.f = Number.isNaN(x) || Number.isNaN(this.f) ? NaN : Math.max(this.f, x); break;
        case 'min': this.f = Number.isNaN(x) || Number.isNaN(this.f) ? NaN : Math.min(this.f, x); break;
      }
    } else {
      const x = typeof v === 'bigint' ? v : BigInt(v);
      switch (this.reducer) {
        case 'add': this.i += x; break;
        case 'mul': this.i *= x; break;
        case 'max': this.i = !this.any || x > this.i ? x : this.i; break;
        case 'min': this.i = !this.any || x < this.i ? x : this.i; break;
      }
    }
    this.any = true;
  }
  /** The result rounded or wrapped to the dtype; an empty max/min gives the dtype's lowest/highest value. */
  result(): Scalar {
    if (isFloat(this.dtype)) return roundToDType(this.f, this.dtype as FloatDType);
    if (this.dtype === 'bool') return this.any ? (this.i !== 0n ? 1 : 0) : this.reducer === 'min' || this.reducer === 'mul' ? 1 : 0;
    if (!this.any && (this.reducer === 'max' || this.reducer === 'min')) {
      const r = intRange(this.dtype);
      const v = this.reducer === 'max' ? r.min : r.max;
      return isBigIntDType(this.dtype) ? v : Number(v);
    }
    return wrapInt(this.i, this.dtype);
  }
}

function store(t: HostTensor, i: number, v: Scalar): void {
  (t.data as Float64Array | BigInt64Array)[i] = v as never;
}

const one = (t: HostTensor): RuntimeValue[] => [t];

let fastPathEnabled = true;
/** Tests turn the fast contraction path off to compare it with the general loop. */
export function setContractFastPath(enabled: boolean): void {
  fastPathEnabled = enabled;
}

export const COMPUTE_KERNELS: KernelTable<'constant' | 'contract' | 'map' | 'reduce' | 'argreduce' | 'softmax' | 'cumulative'> = {
  constant: (op) => [op.value],

  contract: (op, insRaw, outTypes, ctx) => {
    const ins = insRaw.map((_, j) => tensorArg(insRaw, j));
    const outT = outTypes[0] as TensorType;
    const outShape = ctx.shape(outT.shape);
    const red = ctx.shape(op.reductionExtents);
    const out = makeTensor(outT.dtype, outShape);
    const argTypes = ins.map((t) => t.dtype);
    const comb = compileScalar(op.combiner, argTypes).fn;
    const epi = op.epilogue ? compileScalar(op.epilogue, argTypes, op.accDtype).fn : null;
    const epiArgs = op.epilogue ? argsUsed(op.epilogue) : [];
    const st = ins.map((t) => strides(t.shape));
    const pads: (Scalar | null)[] = ins.map((t, j) => {
      const p = op.padValues[j];
      return p === null || p === undefined ? null : isBigIntDType(t.dtype) ? BigInt(p) : p;
    });
    const r = outShape.length;
    const point = new Array<number>(r + red.length).fill(0);
    const redIdx = new Array<number>(red.length).fill(0);
    const nRed = sizeOf(red);
    const args: Scalar[] = new Array(ins.length);
    const read = (j: number): Scalar => {
      const t = ins[j]!;
      const map = op.maps[j]!;
      let off = 0;
      for (let d = 0; d < map.length; d++) {
        const v = evalAffine(map[d]!, point);
        if (v < 0 || v >= t.shape[d]!) {
          const p = pads[j];
          if (p === null || p === undefined) return runtimeError(`${ctx.where}: input ${j} read out of bounds at dim ${d} (${v} of ${t.shape[d]})`);
          return p;
        }
        off += v * st[j]![d]!;
      }
      return t.data[off] as Scalar;
    };
    const n = sizeOf(outShape);
    const outIdx = new Array<number>(r).fill(0);
    // Reduced values, from the fast sum-of-products path when it applies, else the general loop.
    const prod = productOperands(op.combiner, op.accDtype, argTypes);
    let reduced: (o: number) => Scalar;
    const fastReducer = op.reducer === 'add' || (op.reducer !== 'mul' && prod?.length === 1);
    if (fastPathEnabled && fastReducer && (op.accDtype === 'float32' || op.accDtype === 'float64') && prod && prod.length <= 2) {
      const round = op.accDtype === 'float32' ? Math.fround : (x: number) => x;
      const sums = reduceProducts(op, ins, prod, outShape, red, round);
      reduced = (o) => round(sums[o]!);
    } else {
      const acc = new Accumulator(op.reducer, op.accDtype);
      reduced = (o) => {
        unravel(o, outShape, outIdx);
        for (let d = 0; d < r; d++) point[d] = outIdx[d]!;
        acc.reset();
        for (let k = 0; k < nRed; k++) {
          unravel(k, red, redIdx);
          for (let d = 0; d < red.length; d++) point[r + d] = redIdx[d]!;
          for (let j = 0; j < ins.length; j++) args[j] = read(j);
          acc.push(comb(args, 0));
        }
        return acc.result();
      };
    }
    for (let o = 0; o < n; o++) {
      const a = reduced(o);
      if (epi) {
        unravel(o, outShape, outIdx);
        for (let d = 0; d < r; d++) point[d] = outIdx[d]!;
        for (let d = 0; d < red.length; d++) point[r + d] = 0;
        for (const j of epiArgs) args[j] = read(j);
        store(out, o, epi(args, a));
      } else {
        store(out, o, castScalar(a, op.accDtype, outT.dtype, false) as Scalar);
      }
    }
    return one(out);
  },

  map: (op, insRaw, outTypes, ctx) => {
    const ins = insRaw.map((_, j) => tensorArg(insRaw, j));
    const outT = outTypes[0] as TensorType;
    const shape = ins.length === 0 ? ctx.shape(outT.shape) : numpyBroadcast(ins.map((t) => t.shape));
    const out = makeTensor(outT.dtype, shape);
    const fn = compileScalar(op.expr, ins.map((t) => t.dtype)).fn;
    const bst = ins.map((t) => broadcastStrides(t.shape, shape));
    const args: Scalar[] = new Array(ins.length);
    const n = sizeOf(shape);
    const datas = ins.map((t) => t.data);
    if (ins.every((t) => t.data.length === n)) {
      // No broadcasting: element o of every input.
      for (let o = 0; o < n; o++) {
        for (let j = 0; j < ins.length; j++) args[j] = datas[j]![o] as Scalar;
        store(out, o, fn(args, 0));
      }
      return one(out);
    }
    // Broadcasting: walk the output in row-major order, keeping each input's offset incrementally.
    const r = shape.length;
    const idx = new Array<number>(r).fill(0);
    const offs = new Array<number>(ins.length).fill(0);
    for (let o = 0; o < n; o++) {
      for (let j = 0; j < ins.length; j++) args[j] = datas[j]![offs[j]!] as Scalar;
      store(out, o, fn(args, 0));
      nextBroadcastPoint(idx, offs, bst, shape);
    }
    return one(out);
  },

  reduce: (op, insRaw) => {
    const x = tensorArg(insRaw, 0);
    const keep = x.shape.map((d, i) => (op.axes.includes(i) ? 1 : d));
    const out = makeTensor(x.dtype, op.keepDims ? keep : x.shape.filter((_, i) => !op.axes.includes(i)));
    const accs = Array.from({ length: sizeOf(keep) }, () => new Accumulator(op.reducer, x.dtype));
    const kst = strides(keep);
    const idx = new Array<number>(x.shape.length).fill(0);
    for (let i = 0; i < x.data.length; i++) {
      unravel(i, x.shape, idx);
      let o = 0;
      for (let d = 0; d < idx.length; d++) if (!op.axes.includes(d)) o += idx[d]! * kst[d]!;
      accs[o]!.push(x.data[i] as Scalar);
    }
    accs.forEach((a, o) => store(out, o, a.result()));
    return one(out);
  },

  argreduce: (op, insRaw) => {
    const x = tensorArg(insRaw, 0);
    const n = x.shape[op.axis]!;
    if (n === 0) runtimeError('argmax/argmin of an empty axis');
    const outer = sizeOf(x.shape.slice(0, op.axis));
    const inner = sizeOf(x.shape.slice(op.axis + 1));
    const shape = op.keepDims ? x.shape.map((d, i) => (i === op.axis ? 1 : d)) : x.shape.filter((_, i) => i !== op.axis);
    const out = makeTensor('int64', shape);
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        let best = 0;
        let bv = x.data[a * n * inner + c] as Scalar;
        for (let k = 1; k < n; k++) {
          const v = x.data[(a * n + k) * inner + c] as Scalar;
          const better = op.mode === 'max' ? (op.selectLast ? v >= bv : v > bv) : op.selectLast ? v <= bv : v < bv;
          if (better) { best = k; bv = v; }
        }
        store(out, a * inner + c, BigInt(best));
      }
    }
    return one(out);
  },

  softmax: (op, insRaw) => {
    const x = tensorArg(insRaw, 0);
    const out = makeTensor(x.dtype, x.shape);
    const n = x.shape[op.axis]!;
    const outer = sizeOf(x.shape.slice(0, op.axis));
    const inner = sizeOf(x.shape.slice(op.axis + 1));
    const dt = x.dtype as FloatDType;
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        const at = (k: number) => (a * n + k) * inner + c;
        let m = -Infinity;
        for (let k = 0; k < n; k++) m = Math.max(m, num(x.data[at(k)]));
        let sum = 0;
        for (let k = 0; k < n; k++) sum += Math.exp(num(x.data[at(k)]) - m);
        for (let k = 0; k < n; k++) {
          const v = num(x.data[at(k)]) - m;
          store(out, at(k), roundToDType(op.log ? v - Math.log(sum) : Math.exp(v) / sum, dt));
        }
      }
    }
    return one(out);
  },

  cumulative: (op, insRaw) => {
    const x = tensorArg(insRaw, 0);
    const out = makeTensor(x.dtype, x.shape);
    const n = x.shape[op.axis]!;
    const outer = sizeOf(x.shape.slice(0, op.axis));
    const inner = sizeOf(x.shape.slice(op.axis + 1));
    const acc = new Accumulator(op.reducer, x.dtype);
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        acc.reset();
        for (let s = 0; s < n; s++) {
          const k = op.reverse ? n - 1 - s : s;
          const at = (a * n + k) * inner + c;
          if (op.exclusive) {
            store(out, at, acc.result());
            acc.push(x.data[at] as Scalar);
          } else {
            acc.push(x.data[at] as Scalar);
            store(out, at, acc.result());
          }
        }
      }
    }
    return one(out);
  },
};

/** Indices of the inputs an expression reads (an epilogue reads only its own operands, at the output point). */
function argsUsed(e: ScalarExpr, into = new Set<number>()): number[] {
  switch (e.k) {
    case 'arg': into.add(e.i); break;
    case 'acc': case 'lit': break;
    case 'un': case 'cast': argsUsed(e.a, into); break;
    case 'bin': argsUsed(e.a, into); argsUsed(e.b, into); break;
    case 'select': argsUsed(e.c, into); argsUsed(e.a, into); argsUsed(e.b, into); break;
  }
  return [...into];
}

export function numpyBroadcast(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[i - rank + s.length];
      if (e === undefined || e === 1) continue;
      if (d !== 1 && d !== e) runtimeError(`shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')} do not broadcast`);
      d = e;
    }
    out.push(d);
  }
  return out;
}
