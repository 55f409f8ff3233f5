// Test feeds: an interpreter HostTensor as the runtime Tensor a session takes (the dtypes random graphs use).

import type { HostTensor } from '@tensorc/ir';
import { Tensor } from '@tensorc/runtime';

export function toTensor(t: HostTensor): Tensor {
  const d = t.data;
  switch (t.dtype) {
    case 'float32': return new Tensor('float32', Float32Array.from(d as Float64Array), t.shape);
    case 'int32': return new Tensor('int32', Int32Array.from(d as Float64Array), t.shape);
    case 'int64': return new Tensor('int64', BigInt64Array.from(d as BigInt64Array), t.shape);
    case 'int8': return new Tensor('int8', Int8Array.from(d as Float64Array), t.shape);
    case 'uint8': return new Tensor('uint8', Uint8Array.from(d as Float64Array), t.shape);
    case 'int16': return new Tensor('int16', Int16Array.from(d as Float64Array), t.shape);
    case 'uint16': return new Tensor('uint16', Uint16Array.from(d as Float64Array), t.shape);
    default: throw new Error(`test feeds of ${t.dtype}`);
  }
}
