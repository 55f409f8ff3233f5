// Large quantized weights stay quantized: a matrix product whose weight operand is the dequantize map of
// constant int8 / uint8 codes (quant-as-map's (float32(c) - zp) * s) reads the codes themselves, and the scale,
// constant along the reduction, moves to the epilogue:
//   sum_k a[k] * (q[k, n] * s[n])  ->  s[n] * sum_k a[k] * float32(q[k, n])
// so the weights keep one byte per element in the artifact and in memory (and the GEMM streams a quarter of the
// bytes) instead of being expanded to float32. Applies to codes of at least FOLD_ELEMENT_LIMIT elements (smaller
// ones fold to float32, where size does not matter), a zero point of 0 (symmetric weights), a scale per
// tensor or per output column, one reduction dim, and a dequantize read by nothing else. Inexact: the scale is
// applied once to the sum instead of to every product, which rounds differently.
// Runs before constant folding (which would otherwise expand the codes), right after quant-as-map.

import type { Graph, Node, Value, ValueId } from '../graph.js';
import type { AffineExpr } from '../affine.js';
import { FOLD_ELEMENT_LIMIT } from './constfold.js';
import type { ContractOp } from '../ops.js';
import { type ScalarExpr, arg, bin, cast } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import { nextFreeId, useCounts } from './graph-walk.js';
import { type Pass, bump } from './pass.js';
import { substArgs } from './scalar-rewrite.js';

const isArg = (e: ScalarExpr, i: number) => e.k === 'arg' && e.i === i;

/** The dequantize expression's parts: (float32(a0) - a2?) * a1, as quant-as-map writes it. */
function dequantShape(e: ScalarExpr): { zp: boolean } | undefined {
  if (e.k !== 'bin' || e.op !== 'mul' || !isArg(e.b, 1)) return undefined;
  const codes = (x: ScalarExpr) => x.k === 'cast' && x.to === 'float32' && isArg(x.a, 0);
  if (codes(e.a)) return { zp: false };
  if (e.a.k === 'bin' && e.a.op === 'sub' && codes(e.a.a) && isArg(e.a.b, 2)) return { zp: true };
  return undefined;
}

/** Constant values through reshapes and float32 casts of constants (quant-as-map's scale and zero point). */
function constantOf(id: ValueId, producer: ReadonlyMap<ValueId, Node>, type: (id: ValueId) => TensorType): HostTensor | undefined {
  const n = producer.get(id);
  if (!n) return undefined;
  if (n.op.kind === 'constant') return n.op.value;
  const from = constantOf(n.inputs[0]!, producer, type);
  if (!from) return undefined;
  const shape = type(id).shape as number[];
  if (n.op.kind === 'reshape' && n.inputs.length === 1) return { ...from, shape };
  const e = n.op.kind === 'map' ? n.op.expr : undefined;
  if (e && e.k === 'cast' && e.to === 'float32' && isArg(e.a, 0) && typeof from.data[0] !== 'bigint') return { dtype: 'float32', shape, data: Float64Array.from(from.data as ArrayLike<number>) };
  return undefined;
}

const isOutputLoop = (e: AffineExpr, outLoops: number): boolean => e.offset === 0 && e.terms.length === 1 && e.terms[0]!.coeff === 1 && e.terms[0]!.idx < outLoops;

export const foldDequantIntoContractPass: Pass = {
  name: 'fold-dequant-into-contract',
  description: 'large int8/uint8 weights read as codes by their matrix product, the dequantize scale moved to its epilogue',
  inexact: true,
  run(g: Graph, stats) {
    const producer = new Map<ValueId, Node>();
    const types = new Map<ValueId, TensorType>();
    for (const i of g.inputs) if (i.value.type.kind === 'tensor') types.set(i.value.id, i.value.type);
    for (const n of g.nodes) for (const o of n.outputs) { producer.set(o.id, n); if (o.type.kind === 'tensor') types.set(o.id, o.type); }
    const type = (id: ValueId) => types.get(id)!;
    const uses = useCounts(g);
    let next = nextFreeId(g);
    const added: Node[] = [];
    const nodes = g.nodes.map((n) => {
      const op = n.op;
      if (op.kind !== 'contract' || n.inputs.length < 2 || op.reducer !== 'add' || op.accDtype !== 'float32' || op.reductionExtents.length !== 1) return n;
      if (!(op.combiner.k === 'bin' && op.combiner.op === 'mul' && isArg(op.combiner.a, 0) && isArg(op.combiner.b, 1))) return n;
      if (type(n.outputs[0]!.id).dtype !== 'float32' || n.inputs.indexOf(n.inputs[1]!) !== 1 || op.padValues[1] !== null) return n;
      const dq = producer.get(n.inputs[1]!);
      if (!dq || dq.op.kind !== 'map' || uses.get(n.inputs[1]!) !== 1) return n;
      const parts = dequantShape(dq.op.expr);
      const codes = producer.get(dq.inputs[0]!);
      if (!parts || codes?.op.kind !== 'constant' || (codes.op.value.dtype !== 'int8' && codes.op.value.dtype !== 'uint8')) return n;
      if (codes.op.value.data.length < FOLD_ELEMENT_LIMIT || JSON.stringify(codes.op.value.shape) !== JSON.stringify(type(n.inputs[1]!).shape)) return n;
      if (parts.zp) {
        const zp = constantOf(dq.inputs[2]!, producer, type);
        if (!zp || Array.from(zp.data as ArrayLike<number>).some((v) => v !== 0)) { bump(stats, 'refused-zero-point'); return n; }
      }
      const scale = constantOf(dq.inputs[1]!, producer, type);
      if (!scale || scale.dtype !== 'float32') return n;
      // The scale broadcast against the weights, read at the output loop each of its non-unit dims follows.
      const wShape = type(n.inputs[1]!).shape;
      const outLoops = (type(n.outputs[0]!.id).shape).length;
      const wMap = op.maps[1]!;
      const sMap: AffineExpr[] = [];
      for (let i = 0; i < scale.shape.length; i++) {
        const d = wShape.length - scale.shape.length + i;
        if (scale.shape[i] === 1) { sMap.push({ terms: [], offset: 0 }); continue; }
        if (d < 0 || !isOutputLoop(wMap[d]!, outLoops)) { bump(stats, 'refused-scale-axis'); return n; }
        sMap.push(wMap[d]!);
      }
      const s: Value = { id: next++, type: { kind: 'tensor', dtype: 'float32', shape: scale.shape } };
      added.push({ op: { kind: 'constant', value: scale }, inputs: [], outputs: [s] });
      const k = n.inputs.length;
      const scaled = bin('mul', { k: 'acc' }, arg(k));
      const fused: ContractOp = {
        ...op,
        combiner: bin('mul', arg(0), cast('float32', arg(1))),
        maps: [...op.maps, sMap],
        padValues: [...op.padValues, null],
        epilogue: op.epilogue ? substArgs(op.epilogue, arg, () => scaled) : scaled,
      };
      bump(stats, 'folded');
      return { ...n, op: fused, inputs: [n.inputs[0]!, codes.outputs[0]!.id, ...n.inputs.slice(2), s.id] };
    });
    return added.length === 0 ? g : { ...g, nodes: [...added, ...nodes] };
  },
};
