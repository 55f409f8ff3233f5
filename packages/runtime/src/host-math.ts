// Host math functions a module may import as `math.<name>` (wasm has no exp/log/tanh instructions).
// `hostMathImports` is self-contained on purpose: thread workers rebuild it from its source text, because
// functions cannot be posted to a worker. Keep it free of references to anything outside its own body.

import type { HostMathName } from './manifest.js';

export function hostMathImports(): Record<HostMathName, (...args: number[]) => number> {
  // erf: power series near 0, continued fraction for erfc in the tails; about 1e-13 absolute error.
  const erf = (x: number): number => {
    if (Number.isNaN(x)) return NaN;
    const ax = Math.abs(x);
    if (ax > 6) return Math.sign(x);
    if (ax < 2.5) {
      let term = x, sum = x;
      for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
        term *= (-x * x) / n;
        sum += term / (2 * n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    }
    let t = ax;
    for (let k = 60; k >= 1; k--) t = ax + k / 2 / t;
    const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / t;
    return Math.sign(x) * (1 - erfc);
  };
  return {
    exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10,
    sqrt: Math.sqrt, cbrt: Math.cbrt, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin,
    acos: Math.acos, atan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh,
    acosh: Math.acosh, atanh: Math.atanh, erf, pow: Math.pow, atan2: Math.atan2, fmod: (a: number, b: number) => a % b,
  };
}
