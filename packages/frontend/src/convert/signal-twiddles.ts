// Twiddle tables that turn a DFT into a contraction. Built at compile time in float64 and laid out
// [m][c][k][d] (input position, input component, output position, output component), so the same data is both
// the 4-D operand of a strided contraction and the [M*C, K*D] right-hand side of a GEMM. Normalization (1/n of
// the inverse) is left out: the caller divides once after the sum, which keeps exact results exact.

export interface TwiddleSpec {
  /** The DFT length n: the period of the exponentials. */
  readonly n: number;
  /** Positions read along the axis (M): min(signal length, n), or the one-sided bins kept for IRFFT. */
  readonly inLen: number;
  /** Input components C: 1 for a real signal, 2 for (real, imaginary). */
  readonly inComps: 1 | 2;
  /** Positions written along the axis (K). */
  readonly outLen: number;
  readonly inverse: boolean;
  /** IRFFT: the input is the one-sided half of a Hermitian spectrum and the output is real (D = 1). */
  readonly hermitian: boolean;
  /** A weight per input position folded into the table (an STFT window); absent means 1. */
  readonly weights?: ArrayLike<number>;
}

export interface TwiddleTable {
  readonly data: Float64Array;
  /** [M, C, K, D]. */
  readonly shape: readonly [number, number, number, number];
}

/** Largest table the importer builds (elements); a DFT this long wants an FFT, not a dense contraction. */
export const MAX_TWIDDLE_ELEMENTS = 1 << 24;

/**
 * [cos, sin] of 2*pi*r/n for an integer 0 <= r < n. The quarter turns are exact, so bins that are exactly
 * real or imaginary (k = 0, the Nyquist bin) stay exact.
 */
export function unitRoot(r: number, n: number): [number, number] {
  if (r === 0) return [1, 0];
  if (4 * r === n) return [0, 1];
  if (2 * r === n) return [-1, 0];
  if (4 * r === 3 * n) return [0, -1];
  const a = (2 * Math.PI * r) / n;
  return [Math.cos(a), Math.sin(a)];
}

/**
 * Full and one-sided transforms: y[k] = sum_m x[m] e^(s*2*pi*i*k*m/n), s = -1 forward, +1 inverse, i.e.
 *   yr += xr*cos - s*xi*sin,  yi += s*xr*sin + xi*cos.
 * IRFFT: y[t] = sum_k w_k (Re X_k cos - Im X_k sin) with w_k = 2 for the bins that stand for a conjugate pair
 * (0 < k < n/2) and 1 for k = 0 and the Nyquist bin, so the imaginary parts of those two drop out as in numpy.
 */
export function twiddleTable(s: TwiddleSpec): TwiddleTable {
  const M = s.inLen;
  const C = s.inComps;
  const K = s.outLen;
  const D = s.hermitian ? 1 : 2;
  const data = new Float64Array(M * C * K * D);
  const sign = s.inverse ? 1 : -1;
  for (let m = 0; m < M; m++) {
    const w = s.weights ? s.weights[m]! : 1;
    for (let k = 0; k < K; k++) {
      const [cos, sin] = unitRoot((k * m) % s.n, s.n);
      const at = (c: number, d: number) => ((m * C + c) * K + k) * D + d;
      if (s.hermitian) {
        const pair = m === 0 || 2 * m === s.n ? 1 : 2;
        data[at(0, 0)] = w * pair * cos;
        if (C === 2) data[at(1, 0)] = -w * pair * sin;
      } else {
        data[at(0, 0)] = w * cos;
        data[at(0, 1)] = w * sign * sin;
        if (C === 2) {
          data[at(1, 0)] = -w * sign * sin;
          data[at(1, 1)] = w * cos;
        }
      }
    }
  }
  return { data, shape: [M, C, K, D] };
}
