// Bit reinterpretation of one element between dtypes of equal width (ONNX BitCast): value -> raw bits
// (as an unsigned bigint) -> value. Floats go through their exact encodings, integers through two's complement.

import { DTYPE_INFO, type DType, isBigIntDType } from '../dtype.js';
import { type CodedFloatDType, bitsToBfloat16, bitsToFloat16, bfloat16ToBits, decodeE8M0, decodeFloat, encodeE8M0, encodeFloat, float16ToBits } from '../numeric/index.js';

const view = new DataView(new ArrayBuffer(8));

function toBits(v: number | bigint, dt: DType): bigint {
  const bits = DTYPE_INFO[dt].bits;
  switch (dt) {
    case 'float32': view.setFloat32(0, v as number, true); return BigInt(view.getUint32(0, true));
    case 'float64': view.setFloat64(0, v as number, true); return view.getBigUint64(0, true);
    case 'float16': return BigInt(float16ToBits(v as number));
    case 'bfloat16': return BigInt(bfloat16ToBits(v as number));
    case 'float8e8m0': return BigInt(encodeE8M0(v as number, false));
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float4e2m1':
      return BigInt(encodeFloat(v as number, dt as CodedFloatDType, false));
    default: return BigInt.asUintN(bits, BigInt(v));
  }
}

function fromBits(b: bigint, dt: DType): number | bigint {
  const bits = DTYPE_INFO[dt].bits;
  switch (dt) {
    case 'float32': view.setUint32(0, Number(b), true); return view.getFloat32(0, true);
    case 'float64': view.setBigUint64(0, b, true); return view.getFloat64(0, true);
    case 'float16': return bitsToFloat16(Number(b));
    case 'bfloat16': return bitsToBfloat16(Number(b));
    case 'float8e8m0': return decodeE8M0(Number(b));
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float4e2m1':
      return decodeFloat(Number(b), dt as CodedFloatDType);
    case 'bool': return b === 0n ? 0 : 1;
    default: {
      const signed = DTYPE_INFO[dt].kind === 'int';
      const v = signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b);
      return isBigIntDType(dt) ? v : Number(v);
    }
  }
}

export function bitcastElement(v: number | bigint, from: DType, to: DType): number | bigint {
  return fromBits(toBits(v, from), to);
}
