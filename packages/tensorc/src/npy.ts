// NumPy .npy files (format versions 1.0-3.0) to and from runtime Tensors: the tensor format users already have.
// Little- and big-endian numeric dtypes and bool are read; C-order only (Fortran order is refused, not guessed).

import { Tensor } from '@tensorc/runtime';

type NpyType = 'float32' | 'float64' | 'float16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

const DESCR: Record<string, { type: NpyType; bytes: number }> = {
  f4: { type: 'float32', bytes: 4 }, f8: { type: 'float64', bytes: 8 }, f2: { type: 'float16', bytes: 2 },
  i1: { type: 'int8', bytes: 1 }, i2: { type: 'int16', bytes: 2 }, i4: { type: 'int32', bytes: 4 }, i8: { type: 'int64', bytes: 8 },
  u1: { type: 'uint8', bytes: 1 }, u2: { type: 'uint16', bytes: 2 }, u4: { type: 'uint32', bytes: 4 }, u8: { type: 'uint64', bytes: 8 },
  b1: { type: 'bool', bytes: 1 },
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export class NpyError extends Error {
  override name = 'NpyError';
}

/** Parses the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`malformed .npy header: ${text.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new NpyError(`bad dim "${s}" in .npy shape`);
    return n;
  });
  return { descr, fortran: fortran === 'True', shape };
}

export function readNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new NpyError('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) throw new NpyError('truncated .npy header');
  const header = parseHeader(new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen)));
  if (header.fortran) throw new NpyError('Fortran-order .npy arrays are not supported; save with np.ascontiguousarray');
  const endian = header.descr[0];
  const kind = DESCR[header.descr.slice(1)];
  if (!kind || !'<>|='.includes(endian ?? '')) throw new NpyError(`unsupported .npy dtype "${header.descr}"`);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart < count * kind.bytes) throw new NpyError(`truncated .npy data: need ${count * kind.bytes} bytes, have ${bytes.length - dataStart}`);
  // Copy into an aligned buffer, swapping bytes for big-endian files.
  // A copy (new Uint8Array), not bytes.slice: on a Node Buffer, slice is a view into a shared pool.
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + count * kind.bytes));
  if (endian === '>' && kind.bytes > 1) {
    for (let i = 0; i < raw.length; i += kind.bytes) raw.subarray(i, i + kind.bytes).reverse();
  }
  return new Tensor(kind.type, typedView(kind.type, raw.buffer, count), header.shape);
}

function typedView(type: NpyType, buf: ArrayBuffer, n: number) {
  switch (type) {
    case 'float32': return new Float32Array(buf, 0, n);
    case 'float64': return new Float64Array(buf, 0, n);
    case 'float16': case 'uint16': return new Uint16Array(buf, 0, n);
    case 'int8': return new Int8Array(buf, 0, n);
    case 'int16': return new Int16Array(buf, 0, n);
    case 'int32': return new Int32Array(buf, 0, n);
    case 'int64': return new BigInt64Array(buf, 0, n);
    case 'uint8': case 'bool': return new Uint8Array(buf, 0, n);
    case 'uint32': return new Uint32Array(buf, 0, n);
    case 'uint64': return new BigUint64Array(buf, 0, n);
  }
}

export function writeNpy(t: Tensor): Uint8Array {
  const entry = Object.entries(DESCR).find(([, v]) => v.type === t.type);
  if (!entry) throw new NpyError(`tensor type ${t.type} has no .npy equivalent`);
  const [code, kind] = entry;
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${kind.bytes === 1 ? '|' : '<'}${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const data = t.data as ArrayBufferView;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
