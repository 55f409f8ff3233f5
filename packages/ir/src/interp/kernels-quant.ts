// Reference kernels for quantize / dequantize (ONNX QuantizeLinear / DequantizeLinear, opsets 10-25) with
// per-tensor, per-axis and blocked scales. Each arithmetic step rounds to the dtype numpy gives it in ONNX's
// reference implementation (x / scale in the promoted float dtype; codes widened to float32 before
// dequantizing), so results match that reference bit for bit, including double roundings.

import { DTYPE_INFO, type DType, isFloat } from '../dtype.js';
import { CompileError } from '../errors.js';
import type { QuantScheme } from '../ops.js';
import { type FloatDType, castScalar, isFloatDType, roundToDType, saturateInt, writeScalar } from '../numeric/index.js';
import type { HostTensor } from '../tensor.js';
import type { TensorType } from '../types.js';
import type { KernelTable } from './kernel-types.js';
import { makeTensor, num, runtimeError, strides, tensorArg, unravel } from './tensor-utils.js';

/** For an element's multi-index, the flat index of its scale / zero point. */
function scaleIndexer(s: QuantScheme, x: HostTensor, scale: HostTensor): (idx: readonly number[]) => number {
  if (s.axis === null || scale.data.length === 1) return () => 0;
  const axis = s.axis;
  if (s.blockSize === null) {
    if (scale.data.length !== x.shape[axis]) runtimeError(`per-axis scale has ${scale.data.length} elements for axis size ${x.shape[axis]}`);
    return (idx) => idx[axis]!;
  }
  const b = s.blockSize;
  if (scale.shape.length !== x.shape.length || scale.shape[axis] !== Math.ceil(x.shape[axis]! / b)) {
    runtimeError(`blocked scale [${scale.shape.join(',')}] does not fit input [${x.shape.join(',')}] with block ${b} on axis ${axis}`);
  }
  const st = strides(scale.shape);
  return (idx) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += (d === axis ? Math.floor(idx[d]! / b) : idx[d]!) * st[d]!;
    return o;
  };
}

/** numpy's result dtype for arithmetic on two float arrays (ml_dtypes: mixed 16-bit floats give float32). */
function promoteFloat(a: DType, b: DType): FloatDType {
  if (!isFloatDType(a) || !isFloatDType(b)) return 'float64'; // float with an int32 array, as numpy
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === b) return a;
  const [wa, wb] = [DTYPE_INFO[a].bits, DTYPE_INFO[b].bits];
  if (wa === wb) return 'float32';
  return wa > wb ? a : b;
}

/** numpy.rint: round half to even (finite values; NaN and infinities pass through). */
function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f; // exact
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

const FP8_CODES: ReadonlySet<DType> = new Set(['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz']);

function zeroPoint(ins: Parameters<typeof tensorArg>[0]): HostTensor | undefined {
  const zp = ins[2];
  return zp === undefined || zp === null ? undefined : tensorArg(ins, 2);
}

export const QUANT_KERNELS: KernelTable<'quantize' | 'dequantize'> = {
  /**
   * Integer codes: clip(rint(x / scale) + zp). Values beyond int32 saturate (the reference's int32 cast is
   * undefined there) and NaN gives 0. fp8 codes: x / scale converted, saturating per the scheme (the reference
   * ignores the zero point, which must be 0). float4e2m1: x / scale + zp converted (always clamps).
   */
  quantize: (op, ins, outTypes) => {
    const x = tensorArg(ins, 0);
    const scale = tensorArg(ins, 1);
    const zp = zeroPoint(ins);
    const code = (outTypes[0] as TensorType).dtype;
    const divType = promoteFloat(x.dtype, scale.dtype);
    const out = makeTensor(code, x.shape);
    const at = scaleIndexer(op.scheme, x, scale);
    const idx = new Array<number>(x.shape.length).fill(0);
    for (let i = 0; i < x.data.length; i++) {
      const k = at(unravel(i, x.shape, idx));
      const q = roundToDType(num(x.data[i]) / num(scale.data[k]), divType);
      const z = zp ? num(zp.data[k]) : 0;
      if (FP8_CODES.has(code)) {
        writeScalar(out, i, castScalar(q, divType, code, op.scheme.saturate));
      } else if (isFloat(code)) {
        writeScalar(out, i, castScalar(roundToDType(q + z, divType), divType, code, op.scheme.saturate));
      } else {
        writeScalar(out, i, saturateInt(roundHalfEven(q) + z, code));
      }
    }
    return [out];
  },

  /**
   * (float32(x) - zp) * scale, rounded as numpy does: float32 for codes up to 16 bits (and float codes, whose
   * zero point the reference ignores), float64 when an int32 zero point is subtracted; then to the result dtype.
   */
  dequantize: (op, ins, outTypes) => {
    const x = tensorArg(ins, 0);
    const scale = tensorArg(ins, 1);
    const zp = isFloat(x.dtype) ? undefined : zeroPoint(ins);
    const dt = (outTypes[0] as TensorType).dtype;
    if (!isFloatDType(dt)) throw new CompileError('TYPE_ERROR', `dequantize yields ${dt}, not a float dtype`);
    const diffType: FloatDType = zp && DTYPE_INFO[x.dtype].bits > 16 ? 'float64' : 'float32';
    const mulType = promoteFloat(diffType, scale.dtype);
    const out = makeTensor(dt, x.shape);
    const data = out.data as Float64Array;
    const at = scaleIndexer(op.scheme, x, scale);
    const idx = new Array<number>(x.shape.length).fill(0);
    for (let i = 0; i < x.data.length; i++) {
      const k = at(unravel(i, x.shape, idx));
      let v = Math.fround(num(x.data[i]));
      if (zp) v = roundToDType(v - num(zp.data[k]), diffType);
      data[i] = roundToDType(roundToDType(v * num(scale.data[k]), mulType), dt);
    }
    return [out];
  },
};
