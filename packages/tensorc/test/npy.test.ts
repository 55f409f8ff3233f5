import { describe, expect, it } from 'vitest';
import { Tensor } from '@tensorc/runtime';
import { NpyError, readNpy, writeNpy } from '../src/npy.js';

// Bytes of np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4')) as NumPy writes them.
function numpyBytes(descr: string, shape: string, payload: Uint8Array): Uint8Array {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(new TextEncoder().encode(h), 10);
  out.set(payload, 10 + h.length);
  return out;
}

describe('npy', () => {
  it('reads a little-endian float32 array', () => {
    const payload = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const t = readNpy(numpyBytes('<f4', '(2, 3)', payload));
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('reads a file held in a Node Buffer that shares its memory with others (fs.readFileSync)', () => {
    const payload = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const bytes = numpyBytes('<f4', '(2, 3)', payload);
    // Small Buffers are views into one shared pool, so the file does not start at offset 0 of its ArrayBuffer.
    Buffer.alloc(3);
    const pooled = Buffer.from(bytes);
    expect(pooled.byteOffset).not.toBe(0);
    expect(Array.from(readNpy(pooled).data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads big-endian int32 and scalars', () => {
    const be = new Uint8Array([0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]);
    const t = readNpy(numpyBytes('>i4', '(2,)', be));
    expect(Array.from(t.data as Int32Array)).toEqual([256, -2]);
    const s = readNpy(numpyBytes('<f8', '()', new Uint8Array(new Float64Array([2.5]).buffer)));
    expect(s.dims).toEqual([]);
    expect((s.data as Float64Array)[0]).toBe(2.5);
  });
  it('round-trips every supported type', () => {
    const cases = [
      new Tensor('float32', new Float32Array([1.5, -2]), [2]),
      new Tensor('int64', new BigInt64Array([1n, -(2n ** 62n)]), [1, 2]),
      new Tensor('bool', new Uint8Array([1, 0, 1]), [3]),
      new Tensor('uint16', new Uint16Array([65535]), [1]),
    ];
    for (const t of cases) {
      const back = readNpy(writeNpy(t));
      expect(back.type).toBe(t.type);
      expect(back.dims).toEqual(t.dims);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
    }
  });
  it('rejects bad files with a reason', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(NpyError);
    expect(() => readNpy(numpyBytes('<f4', '(4,)', new Uint8Array(8)))).toThrow(/truncated/);
    expect(() => readNpy(numpyBytes('<c8', '(1,)', new Uint8Array(8)))).toThrow(/unsupported/);
  });
});
