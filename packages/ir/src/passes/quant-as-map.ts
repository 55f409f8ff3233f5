// Quantize and dequantize as elementwise maps, so that the fusion passes treat them like any other map: a
// QuantizeLinear -> DequantizeLinear pair becomes one fake-quant map, a requantize after a contraction joins
// its epilogue, a dequantize of constant codes folds with the other constants.
//   quantize:   cast(code, max(min(round(x / s) + zp, hi), lo))
//   dequantize: (float32(c) - float32(zp)) * s
// Each is exact against the quantize / dequantize kernels only where every step rounds as they do, so the
// rewrite is limited to float32 x and scale, codes of at most 16 bits (their differences and sums with the
// zero point are exact in float32, and a sum beyond float32's exact integers saturates anyway), and
// per-tensor or per-axis scales. Blocked scales, float8/float4 codes and other float dtypes stay as they are.

import type { DType } from '../dtype.js';
import type { Graph, Node, Value, ValueId } from '../graph.js';
import type { QuantScheme } from '../ops.js';
import { type ScalarExpr, arg, bin, cast, lit, un } from '../scalar.js';
import type { TensorType } from '../types.js';
import { nextFreeId } from './graph-walk.js';
import { type Pass, bump } from './pass.js';

const CODE_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
};

const f32 = (v: number) => lit(v, 'float32');

/** The zero point as float32: arg 2 cast, or arg 2 itself when it is a constant already converted (zpAsFloat). */
type Zp = 'none' | 'code' | 'float';
const zpValue = (zp: Zp): ScalarExpr => (zp === 'float' ? arg(2) : cast('float32', arg(2)));

function quantizeExpr(code: DType, zp: Zp): ScalarExpr {
  const [lo, hi] = CODE_RANGE[code]!;
  let q: ScalarExpr = un('round', bin('div', arg(0), arg(1)));
  if (zp !== 'none') q = bin('add', q, zpValue(zp));
  return cast(code, bin('max', bin('min', q, f32(hi)), f32(lo)));
}

function dequantizeExpr(zp: Zp): ScalarExpr {
  const c = cast('float32', arg(0));
  return bin('mul', zp !== 'none' ? bin('sub', c, zpValue(zp)) : c, arg(1));
}

/**
 * A constant zero point converted to float32 by its own map (constfold folds it), so that a contraction whose
 * epilogue this map joins reads a float32 operand like any bias.
 */
function zpAsFloat(zp: Value, fresh: () => ValueId, out: Node[]): Value {
  const t = zp.type as TensorType;
  const f: Value = { id: fresh(), type: { kind: 'tensor', dtype: 'float32', shape: t.shape } };
  out.push({ op: { kind: 'map', expr: cast('float32', arg(0)) }, inputs: [zp.id], outputs: [f] });
  return f;
}

/**
 * A scale or zero point shaped to broadcast over a rank-r value: per-axis [C] as [C, 1, ..., 1] along `axis`;
 * a one-element tensor of higher rank than the value as a scalar (broadcasting it would grow the result).
 */
function broadcastable(v: Value, axis: number | null, rank: number, fresh: () => ValueId, out: Node[]): ValueId {
  const t = v.type as TensorType;
  const perAxis = axis !== null && t.shape.length === 1 && t.shape[0] !== 1;
  const shape = perAxis ? [t.shape[0]!, ...new Array<number>(rank - axis - 1).fill(1)] : t.shape.length > rank ? [] : t.shape;
  if (shape.length === t.shape.length) return v.id;
  const r: Value = { id: fresh(), type: { kind: 'tensor', dtype: t.dtype, shape } };
  out.push({ op: { kind: 'reshape' }, inputs: [v.id], outputs: [r] });
  return r.id;
}

function rewritable(scheme: QuantScheme, floatT: TensorType, scaleT: TensorType, codeT: TensorType, zpT: TensorType | undefined): boolean {
  if (floatT.dtype !== 'float32' || scaleT.dtype !== 'float32' || !CODE_RANGE[codeT.dtype]) return false;
  if (zpT && zpT.dtype !== codeT.dtype) return false;
  if (scheme.blockSize !== null) return false;
  const perTensor = (t: TensorType) => t.shape.every((d) => d === 1);
  if (scheme.axis === null) return perTensor(scaleT) && (!zpT || perTensor(zpT));
  // Per-axis: 1-D of the axis' size (or one element, which ONNX also treats as per-tensor).
  const fits = (t: TensorType) => perTensor(t) || (t.shape.length === 1 && t.shape[0] === codeT.shape[scheme.axis!]);
  return fits(scaleT) && (!zpT || fits(zpT));
}

export const quantAsMapPass: Pass = {
  name: 'quant-as-map',
  description: 'quantize / dequantize (float32, codes of up to 16 bits, per-tensor or per-axis) as elementwise maps',
  run(g: Graph, stats) {
    const types = new Map<ValueId, Value>();
    const constants = new Set<ValueId>();
    for (const i of g.inputs) types.set(i.value.id, i.value);
    for (const n of g.nodes) for (const o of n.outputs) types.set(o.id, o);
    for (const n of g.nodes) if (n.op.kind === 'constant') constants.add(n.outputs[0]!.id);
    let next = nextFreeId(g);
    const fresh = () => next++;
    const nodes: Node[] = [];
    for (const n of g.nodes) {
      const op = n.op;
      if (op.kind !== 'quantize' && op.kind !== 'dequantize') {
        nodes.push(n);
        continue;
      }
      const vals = n.inputs.map((id) => types.get(id));
      const [x, scale, zp] = vals;
      const result = n.outputs[0]!;
      if (!x || !scale || (n.inputs.length > 2 && !zp) || x.type.kind !== 'tensor' || scale.type.kind !== 'tensor' || result.type.kind !== 'tensor') {
        nodes.push(n);
        continue;
      }
      const zpT = zp?.type.kind === 'tensor' ? zp.type : undefined;
      const [floatT, codeT] = op.kind === 'quantize' ? [x.type, result.type] : [result.type, x.type];
      if (!rewritable(op.scheme, floatT, scale.type, codeT, zpT)) {
        nodes.push(n);
        continue;
      }
      const rank = x.type.shape.length;
      const fit = (v: Value) => broadcastable(v, op.scheme.axis, rank, fresh, nodes);
      const zpKind: Zp = !zp ? 'none' : constants.has(zp.id) ? 'float' : 'code';
      const inputs = [x.id, fit(scale), ...(zp ? [fit(zpKind === 'float' ? zpAsFloat(zp, fresh, nodes) : zp)] : [])];
      const expr = op.kind === 'quantize' ? quantizeExpr(codeT.dtype, zpKind) : dequantizeExpr(zpKind);
      nodes.push({ ...n, op: { kind: 'map', expr }, inputs });
      bump(stats, op.kind === 'quantize' ? 'quantize' : 'dequantize');
    }
    return { ...g, nodes };
  },
};
