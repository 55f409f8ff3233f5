// ONNX's comparison rule for backend tests: same number of outputs, sequences element-wise, exact shape and
// dtype, strings exactly, numbers with |actual - expected| <= atol + rtol * |expected| (NaN where NaN is
// expected, infinities of the same sign).

import type { HostTensor, RuntimeValue } from '@tensorc/ir';

export const RTOL = 1e-3;
export const ATOL = 1e-7;

const describe = (v: RuntimeValue): string => (v === null ? 'none' : Array.isArray(v) ? `sequence(${v.length})` : `${(v as HostTensor).dtype}[${(v as HostTensor).shape.join(',')}]`);

/** undefined when `actual` matches `expected`, else the first difference as text. */
export function compareValues(expected: RuntimeValue, actual: RuntimeValue, rtol = RTOL, atol = ATOL): string | undefined {
  if (expected === null || actual === null) return expected === actual ? undefined : `expected ${describe(expected)}, got ${describe(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `expected ${describe(expected)}, got ${describe(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = compareValues(expected[i]!, actual[i]!, rtol, atol);
      if (d) return `element ${i}: ${d}`;
    }
    return undefined;
  }
  if (Array.isArray(actual)) return `expected ${describe(expected)}, got ${describe(actual)}`;
  const e = expected as HostTensor;
  const a = actual as HostTensor;
  if (e.shape.join(',') !== a.shape.join(',')) return `shape [${a.shape.join(',')}], expected [${e.shape.join(',')}]`;
  if (e.dtype !== a.dtype) return `dtype ${a.dtype}, expected ${e.dtype}`;
  for (let i = 0; i < e.data.length; i++) {
    const ev = e.data[i]!;
    const av = a.data[i]!;
    if (typeof ev === 'string' || typeof av === 'string') {
      if (ev !== av) return `element ${i} is ${JSON.stringify(av)}, expected ${JSON.stringify(ev)}`;
      continue;
    }
    if (typeof ev === 'bigint' && typeof av === 'bigint') {
      if (ev === av) continue;
      const diff = Number(ev > av ? ev - av : av - ev);
      if (diff <= atol + rtol * Math.abs(Number(ev))) continue;
      return `element ${i} is ${av}, expected ${ev}`;
    }
    const x = Number(av);
    const y = Number(ev);
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(y) && Number.isNaN(x)) continue;
      return `element ${i} is ${x}, expected ${y}`;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x === y) continue;
      return `element ${i} is ${x}, expected ${y}`;
    }
    if (Math.abs(x - y) > atol + rtol * Math.abs(y)) return `element ${i} is ${x}, expected ${y}`;
  }
  return undefined;
}
