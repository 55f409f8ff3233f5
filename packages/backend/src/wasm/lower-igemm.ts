// Integer matrix products (the int32 contractions MatMulInteger and QLinearMatMul become, and dynamically
// quantized models use) as the integer GEMM (emit-igemm.ts) instead of a scalar loop nest:
//   sum_k (a[i, k] - a_zp) * (b[k, j] - b_zp[j])   with a run-time 8-bit a, constant 8-bit weights b
// A nest first widens a less its zero point (one per tensor, run-time or constant) to int16; the weights are
// packed at compile time and stay 8-bit in weights.bin, widened less theirs (per tensor or per column) to int16
// once per session (an init kernel). Both differences fit int16 exactly,
// and the kernel sums their products in int32 as the interpreter does. A float32 epilogue of float32(acc)
// (dequantizing scales, bias) is applied before the store.

import { type AffineExpr, type HostTensor, type Node, type ScalarExpr, type TensorType, type ValueId, arg, bin, cast, substArgs } from '@tensorc/ir';
import type { IntGemmKernel, LoopNestKernel } from './kernel-plan.js';
import { linear, prod } from './lower-common.js';
import { gemmEpilogue } from './lower-epilogue.js';

export interface IntGemmLowering {
  readonly newTypes: readonly [ValueId, TensorType][];
  readonly derived: readonly [ValueId, HostTensor][];
  readonly kernels: readonly ({ kernel: Omit<LoopNestKernel, 'name'>; suffix: 'widen_a' } | { kernel: Omit<IntGemmKernel, 'name'>; suffix: 'igemm' })[];
  /** Run once at session creation: the 8-bit weight codes widened into the int16 panels the kernel reads. */
  readonly init: readonly Omit<LoopNestKernel, 'name'>[];
}

const CODES = new Set(['int8', 'uint8']);

/** int32(arg i), or int32(arg i) - int32(arg z): the operand and its zero point's input index. */
function centred(e: ScalarExpr, i: number): { zp?: number } | undefined {
  const isCode = (x: ScalarExpr, idx?: number) => x.k === 'cast' && x.to === 'int32' && x.a.k === 'arg' && (idx === undefined || x.a.i === idx);
  if (isCode(e, i)) return {};
  if (e.k === 'bin' && e.op === 'sub' && isCode(e.a, i) && isCode(e.b) && e.b.k === 'cast' && e.b.a.k === 'arg') return { zp: e.b.a.i };
  return undefined;
}

/** The epilogue with acc only as float32(acc), that rewritten to acc (float32); undefined when acc appears otherwise. */
function floatEpilogue(e: ScalarExpr): ScalarExpr | undefined {
  switch (e.k) {
    case 'acc': return undefined;
    case 'arg': case 'lit': return e;
    case 'cast':
      if (e.a.k === 'acc') return e.to === 'float32' ? { k: 'acc' } : undefined;
      return ((a) => (a ? { ...e, a } : undefined))(floatEpilogue(e.a));
    case 'un': return ((a) => (a ? { ...e, a } : undefined))(floatEpilogue(e.a));
    case 'bin': { const a = floatEpilogue(e.a); const b = floatEpilogue(e.b); return a && b ? { ...e, a, b } : undefined; }
    case 'select': { const c = floatEpilogue(e.c); const a = floatEpilogue(e.a); const b = floatEpilogue(e.b); return c && a && b ? { ...e, c, a, b } : undefined; }
  }
}

const isZeroMap = (m: readonly AffineExpr[]) => m.every((e) => e.terms.length === 0 && e.offset === 0);

export function lowerIntGemm(n: Node, t: TensorType & { shape: readonly number[] }, tt: (id: ValueId) => TensorType, consts: ReadonlyMap<ValueId, HostTensor>,
  fresh: () => ValueId): IntGemmLowering | undefined {
  const op = n.op;
  if (op.kind !== 'contract' || op.reducer !== 'add' || op.accDtype !== 'int32' || op.reductionExtents.length !== 1 || op.padValues.some((p) => p !== null)) return undefined;
  const cb = op.combiner;
  if (cb.k !== 'bin' || cb.op !== 'mul') return undefined;
  const ea = centred(cb.a, 0);
  const eb = centred(cb.b, 1);
  if (!ea || !eb) return undefined;
  const [ia, ib] = n.inputs as [ValueId, ValueId];
  const [ta, tb] = [tt(ia), tt(ib)];
  const wb = consts.get(ib);
  if (!CODES.has(ta.dtype) || !wb || !CODES.has(wb.dtype) || tb.shape.length !== 2) return undefined;
  const r = t.shape.length;
  if (r < 2 || !ta.shape.every((d) => typeof d === 'number')) return undefined;
  const K = op.reductionExtents[0] as number;
  const N = t.shape[r - 1]!;
  const M = prod(t.shape.slice(0, -1) as number[]);
  // a: rows over every output loop but the last, contiguous (leading dims flatten into rows), k innermost
  const la = linear(op.maps[0]!, ta.shape as number[], r + 1);
  const rowStrides = (t.shape as number[]).slice(0, -1).map((_, l) => prod((t.shape as number[]).slice(l + 1, -1)) * K);
  if (la.strides[r] !== 1 || la.strides[r - 1] !== 0 || !rowStrides.every((s, l) => t.shape[l] === 1 || la.strides[l] === s)) return undefined;
  // b: [K, N] or [N, K], read at (k, column) only
  const mb = op.maps[1]!;
  const is = (e: AffineExpr | undefined, idx: number) => e !== undefined && e.offset === 0 && e.terms.length === 1 && e.terms[0]!.idx === idx && e.terms[0]!.coeff === 1;
  const kn = is(mb[0], r) && is(mb[1], r - 1);
  const nk = is(mb[0], r - 1) && is(mb[1], r);
  if (!kn && !nk) return undefined;
  // zero points: a's per tensor; b's constant, per tensor or per column
  if (ea.zp !== undefined && !isZeroMap(op.maps[ea.zp]!)) return undefined;
  let bzp: (j: number) => number = () => 0;
  if (eb.zp !== undefined) {
    const z = consts.get(n.inputs[eb.zp]!);
    const zm = op.maps[eb.zp]!;
    if (!z) return undefined;
    if (isZeroMap(zm)) bzp = () => Number(z.data[0]);
    else if (zm.length === 1 && is(zm[0], r - 1)) bzp = (j) => Number(z.data[j]);
    else return undefined;
  }
  const zpInputs = new Set([ea.zp, eb.zp].filter((x): x is number => x !== undefined));
  // the epilogue: float32 of acc and operands read at the output point (not the zero points)
  const keep = n.inputs.map((_, j) => j).filter((j) => j >= 2 && !zpInputs.has(j));
  let epilogue: ScalarExpr | null = null;
  let epilogueOperands: IntGemmKernel['epilogueOperands'] = [];
  if (op.epilogue) {
    if (t.dtype !== 'float32') return undefined;
    const fe = floatEpilogue(op.epilogue);
    if (!fe) return undefined;
    const renumber = new Map(keep.map((j, x) => [j, 2 + x]));
    let unknown = false;
    const renumbered = substArgs(fe, (j) => { const to = renumber.get(j); if (to === undefined) unknown = true; return arg(to ?? j); });
    if (unknown) return undefined;
    const view: Node = { ...n, op: { ...op, maps: [op.maps[0]!, op.maps[1]!, ...keep.map((j) => op.maps[j]!)], padValues: [null, null, ...keep.map(() => null)], epilogue: renumbered }, inputs: [ia, ib, ...keep.map((j) => n.inputs[j]!)] };
    const epi = gemmEpilogue(view, t.shape, { batch: [], row: [...Array(r - 1).keys()], col: [r - 1] }, tt);
    if (!epi) return undefined;
    epilogue = epi.epilogue;
    epilogueOperands = epi.epilogueOperands;
  } else if (t.dtype !== 'int32' || keep.length > 0) {
    return undefined;
  }
  const kp = K + (K % 2);
  // a less its zero point, widened to int16 [M, kp] (the padding column is never written: it meets zero weights)
  const widened = fresh();
  const aOperands = [{ buffer: ia, dtype: ta.dtype, base: la.base, strides: [K, 1], pad: 0 }];
  let combiner: ScalarExpr = cast('int16', arg(0));
  if (ea.zp !== undefined) {
    const zt = tt(n.inputs[ea.zp]!);
    aOperands.push({ buffer: n.inputs[ea.zp]!, dtype: zt.dtype, base: 0, strides: [0, 0], pad: 0 });
    combiner = bin('sub', cast('int16', arg(0)), cast('int16', arg(1)));
  }
  const widen: Omit<LoopNestKernel, 'name'> = {
    kind: 'nest', out: widened, outDtype: 'int16', outBase: 0, outStrides: [kp, 1], extents: [M, K], numOutLoops: 2,
    operands: aOperands, combiner, reducer: null, accDtype: 'int16', epilogue: null,
  };
  // The weights stay 8-bit in weights.bin, packed [panels][kp / 2][8][2]; an init kernel widens them once per
  // session to int16 less their zero points (per column, zero-padded to the panels). Past K a code equal to the
  // column's zero point, past N a zero with zero point 0: both widen to 0.
  const P = Math.ceil(N / 8);
  const codes = new Float64Array(P * kp * 8);
  const zps = new Float64Array(P * 8);
  for (let j = 0; j < N; j++) zps[j] = bzp(j);
  for (let kk = 0; kk < kp; kk++) for (let j = 0; j < N; j++) {
    const v = kk < K ? Number(wb.data[kn ? kk * N + j : j * K + kk]) : zps[j]!;
    codes[((Math.floor(j / 8) * (kp / 2) + (kk >> 1)) * 8 + (j % 8)) * 2 + (kk & 1)] = v;
  }
  const [packedCodes, zpsId, packed] = [fresh(), fresh(), fresh()];
  const shape4 = [P, kp / 2, 8, 2];
  const withZp = eb.zp !== undefined;
  const expand: Omit<LoopNestKernel, 'name'> = {
    kind: 'nest', out: packed, outDtype: 'int16', outBase: 0, outStrides: [kp * 8, 16, 2, 1], extents: shape4, numOutLoops: 4,
    operands: [
      { buffer: packedCodes, dtype: wb.dtype, base: 0, strides: [kp * 8, 16, 2, 1], pad: 0 },
      ...(withZp ? [{ buffer: zpsId, dtype: wb.dtype, base: 0, strides: [8, 0, 1, 0], pad: 0 }] : []),
    ],
    combiner: withZp ? bin('sub', cast('int16', arg(0)), cast('int16', arg(1))) : cast('int16', arg(0)), reducer: null, accDtype: 'int16', epilogue: null,
  };
  const kernel: Omit<IntGemmKernel, 'name'> = { kind: 'igemm', a: widened, b: packed, out: n.outputs[0]!.id, m: M, n: N, kp, epilogue, epilogueOperands };
  return {
    newTypes: [
      [widened, { kind: 'tensor', dtype: 'int16', shape: [M, kp] }], [packed, { kind: 'tensor', dtype: 'int16', shape: [codes.length] }],
      [packedCodes, { kind: 'tensor', dtype: wb.dtype, shape: [codes.length] }], ...(withZp ? [[zpsId, { kind: 'tensor', dtype: wb.dtype, shape: [zps.length] }] as [ValueId, TensorType]] : []),
    ],
    derived: [[packedCodes, { dtype: wb.dtype, shape: [codes.length], data: codes }], ...(withZp ? [[zpsId, { dtype: wb.dtype, shape: [zps.length], data: zps }] as [ValueId, HostTensor]] : [])],
    kernels: [{ kernel: widen, suffix: 'widen_a' }, { kernel, suffix: 'igemm' }],
    init: [expand],
  };
}
