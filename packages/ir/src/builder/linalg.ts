// MatMul (numpy semantics: 1-D promotion, broadcast batch dims) and N-d convolution (stride, dilation,
// explicit padding, groups) expressed as `contract` nodes with affine index maps.

import { type AffineExpr, affine, constExpr, dimExpr } from '../affine.js';
import { dimAdd, dimFloorDiv, dimSub } from '../dims.js';
import { CompileError } from '../errors.js';
import type { ValueId } from '../graph.js';
import { broadcastShapes } from '../infer/index.js';
import { cast } from '../scalar.js';
import type { Dim } from '../types.js';
import { type ContractOptions, defaultAcc, productCombiner } from './einsum.js';
import type { GraphBuilder } from './graph-builder.js';

export function matmul(b: GraphBuilder, a: ValueId, w: ValueId, opts: ContractOptions = {}): ValueId {
  const ta = b.tensorTypeOf(a);
  const tb = b.tensorTypeOf(w);
  if (ta.shape.length === 0 || tb.shape.length === 0) throw new CompileError('SHAPE_ERROR', 'matmul: operands must have rank >= 1');
  if (!opts.accDtype && ta.dtype !== tb.dtype) throw new CompileError('TYPE_ERROR', `matmul: ${ta.dtype} x ${tb.dtype}`);
  const aVec = ta.shape.length === 1;
  const bVec = tb.shape.length === 1;
  const as = aVec ? [1, ta.shape[0]!] : ta.shape;
  const bs = bVec ? [tb.shape[0]!, 1] : tb.shape;
  const K = as[as.length - 1]!;
  const Kb = bs[bs.length - 2]!;
  if (typeof K === 'number' && typeof Kb === 'number' && K !== Kb) throw new CompileError('SHAPE_ERROR', `matmul: inner dims ${K} and ${Kb} differ`);
  const batchA = as.slice(0, -2);
  const batchB = bs.slice(0, -2);
  const batch = broadcastShapes([batchA, batchB]);
  const nb = batch.length;
  const M = as[as.length - 2]!;
  const N = bs[bs.length - 1]!;
  // Output loops: batch..., [m], [n]; reduction loop k follows.
  const outShape: Dim[] = [...batch, ...(aVec ? [] : [M]), ...(bVec ? [] : [N])];
  const mLoop = aVec ? -1 : nb;
  const nLoop = bVec ? -1 : nb + (aVec ? 0 : 1);
  const kLoop = outShape.length;
  const batchMap = (own: readonly Dim[]): AffineExpr[] => own.map((d, i) => (d === 1 ? constExpr(0) : dimExpr(i + nb - own.length)));
  const mapA = [...batchMap(batchA), ...(aVec ? [] : [dimExpr(mLoop)]), dimExpr(kLoop)];
  const mapB = [...batchMap(batchB), dimExpr(kLoop), ...(bVec ? [] : [dimExpr(nLoop)])];
  const acc = opts.accDtype ?? defaultAcc(ta.dtype);
  const outDtype = opts.outDtype ?? ta.dtype;
  return b.add1({
    kind: 'contract',
    reductionExtents: [typeof K === 'number' ? K : Kb],
    maps: [mapA, mapB],
    padValues: [null, null],
    combiner: productCombiner(2, [ta.dtype, tb.dtype], acc),
    reducer: 'add',
    accDtype: acc,
    epilogue: outDtype === acc ? null : cast(outDtype, { k: 'acc' }),
  }, [a, w], [{ kind: 'tensor', dtype: outDtype, shape: outShape }]);
}

export interface ConvSpec {
  readonly x: ValueId;
  readonly w: ValueId;
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** [begin_0..begin_{n-1}, end_0..end_{n-1}] as ONNX lays them out. */
  readonly pads: readonly number[];
  readonly group: number;
  /** Value read outside x (default 0); integer convolutions pass the input zero point. */
  readonly padValue?: number;
}

/** Conv output size along one spatial axis. */
export function convOutDim(size: Dim, k: number, stride: number, dilation: number, padBegin: number, padEnd: number): Dim {
  const span = dimSub(dimAdd(size, padBegin + padEnd), dilation * (k - 1) + 1);
  return dimAdd(dimFloorDiv(span, stride), 1);
}

/**
 * x[N, C, S...] * w[M, C/g, K...] -> [N, M, O...]. Grouped convolutions index the group explicitly
 * (loops n, g, m', o..., then c', k...) and reshape the result, since channel = g*(M/g)+m' is affine
 * in (g, m') but not in m alone.
 */
export function conv(b: GraphBuilder, s: ConvSpec, opts: ContractOptions = {}): ValueId {
  const tx = b.tensorTypeOf(s.x);
  const tw = b.tensorTypeOf(s.w);
  const n = tx.shape.length - 2;
  const fail = (msg: string): never => { throw new CompileError('SHAPE_ERROR', `conv: ${msg}`); };
  if (n < 1 || tw.shape.length !== n + 2) fail(`input rank ${tx.shape.length} and weight rank ${tw.shape.length}`);
  if (s.strides.length !== n || s.dilations.length !== n || s.pads.length !== 2 * n) fail('strides, dilations and pads must match the spatial rank');
  if (s.strides.some((v) => v < 1) || s.dilations.some((v) => v < 1) || s.pads.some((v) => v < 0)) fail('strides and dilations must be positive and pads non-negative');
  const [N, C] = tx.shape as [Dim, Dim];
  const [M, Cg] = tw.shape as [Dim, Dim];
  const K = tw.shape.slice(2);
  if (K.some((k) => typeof k !== 'number')) fail('kernel dims must be static');
  const G = s.group;
  if (!Number.isInteger(G) || G < 1) fail(`group ${G}`);
  if (typeof M === 'number' && M % G !== 0) fail(`${M} output channels are not divisible by group ${G}`);
  if (typeof C === 'number' && typeof Cg === 'number' && C !== Cg * G) fail(`input has ${C} channels; weight expects ${Cg} x group ${G}`);
  if (typeof Cg !== 'number') return fail('weight channel dim must be static');
  const O = tx.shape.slice(2).map((d, i) => convOutDim(d, K[i] as number, s.strides[i]!, s.dilations[i]!, s.pads[i]!, s.pads[n + i]!));
  if (O.some((d) => typeof d === 'number' && d < 1)) fail(`output spatial size [${O.join(',')}] is empty or negative`);
  const Mg = typeof M === 'number' ? M / G : M;
  const grouped = G > 1;
  // Loops: n, [g], m', o_0..o_{n-1} | c', k_0..k_{n-1}
  const lg = 1;
  const lm = grouped ? 2 : 1;
  const lo = lm + 1;
  const nOutLoops = lo + n;
  const lc = nOutLoops;
  const lk = lc + 1;
  const chan: AffineExpr = grouped ? affine([{ idx: lg, coeff: Cg }, { idx: lc, coeff: 1 }]) : dimExpr(lc);
  const spatial = (i: number): AffineExpr => affine([{ idx: lo + i, coeff: s.strides[i]! }, { idx: lk + i, coeff: s.dilations[i]! }], -s.pads[i]!);
  const mapX = [dimExpr(0), chan, ...K.map((_, i) => spatial(i))];
  let w = s.w;
  if (grouped) {
    w = b.add1({ kind: 'reshape' }, [s.w], [{ kind: 'tensor', dtype: tw.dtype, shape: [G, Mg, Cg, ...K] }]);
  }
  const mapW = [...(grouped ? [dimExpr(lg)] : []), dimExpr(lm), dimExpr(lc), ...K.map((_, i) => dimExpr(lk + i))];
  const padded = s.pads.some((p) => p > 0);
  const acc = opts.accDtype ?? defaultAcc(tx.dtype);
  const outDtype = opts.outDtype ?? tx.dtype;
  const outShape: Dim[] = [N, ...(grouped ? [G] : []), Mg, ...O];
  const y = b.add1({
    kind: 'contract',
    reductionExtents: [Cg, ...K],
    maps: [mapX, mapW],
    padValues: [padded ? (s.padValue ?? 0) : null, null],
    combiner: productCombiner(2, [tx.dtype, tw.dtype], acc),
    reducer: 'add',
    accDtype: acc,
    epilogue: outDtype === acc ? null : cast(outDtype, { k: 'acc' }),
  }, [s.x, w], [{ kind: 'tensor', dtype: outDtype, shape: outShape }]);
  if (!grouped) return y;
  return b.add1({ kind: 'reshape' }, [y], [{ kind: 'tensor', dtype: outDtype, shape: [N, M, ...O] }]);
}
