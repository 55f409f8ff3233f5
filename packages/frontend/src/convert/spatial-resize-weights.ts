// Per-axis interpolation weights of ONNX Resize, computed at compile time: for every output position along an
// axis, the input positions it reads (edge-clamped) and their coefficients, following the ONNX definition of each
// mode (nearest with its rounding rules, linear, cubic, with or without antialias) and each coordinate
// transformation. Resize is separable, so an N-d resize is one such matrix per resized axis.

export interface AxisResize {
  readonly mode: 'nearest' | 'linear' | 'cubic';
  readonly coordMode: string;
  readonly nearestMode: string;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
  /** roi start and end along this axis (tf_crop_and_resize). */
  readonly roi: readonly [number, number];
}

export interface AxisWeights {
  /** weights[o][i]: coefficient of input i in output o (dense, out x in). */
  readonly weights: Float64Array[];
  /** Output positions whose source falls outside the input (tf_crop_and_resize extrapolation). */
  readonly extrapolated: boolean[];
}

function nearestCoeffs(ratio: number, mode: string): number[] {
  if (Number.isInteger(ratio)) return [0, 1];
  switch (mode) {
    case 'round_prefer_floor': return [ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0];
    case 'round_prefer_ceil': return [ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0];
    case 'floor': return [1, 0];
    case 'ceil': return [0, 1];
    default: throw new Error(`nearest_mode "${mode}"`);
  }
}

function cubicCoeffs(r: number, A: number): number[] {
  return [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
    ((A * (1 - r + 1) - 5 * A) * (1 - r + 1) + 8 * A) * (1 - r + 1) - 4 * A,
  ];
}

function cubicAntialias(r: number, scale: number, A: number): number[] {
  const s = Math.min(scale, 1);
  const k = (x0: number) => {
    const x = Math.abs(x0);
    if (x <= 1) return (A + 2) * x ** 3 - (A + 3) * x * x + 1;
    if (x < 2) return A * x ** 3 - 5 * A * x * x + 8 * A * x - 4 * A;
    return 0;
  };
  const start = Math.floor(-2 / s) + 1;
  const c: number[] = [];
  for (let i = start; i < 2 - start; i++) c.push(k(s * (i - r)));
  const sum = c.reduce((a, b) => a + b, 0);
  return c.map((v) => v / sum);
}

function linearAntialias(r: number, scale: number): number[] {
  const s = Math.min(scale, 1);
  const start = Math.floor(-1 / s) + 1;
  const footprint = 2 - 2 * start;
  const c: number[] = [];
  for (let i = start; i < start + footprint; i++) c.push(Math.min(1, Math.max(0, 1 - Math.abs((i - r) * s))));
  const sum = c.reduce((a, b) => a + b, 0);
  return c.map((v) => v / sum);
}

/** Source coordinate of output position y, and whether it is extrapolated (tf_crop_and_resize only). */
function sourceCoord(p: AxisResize, y: number, scale: number, inSize: number, outInt: number): { x: number; extrapolated: boolean } {
  const outF = scale * inSize;
  switch (p.coordMode) {
    case 'align_corners': return { x: outF === 1 ? 0 : (y * (inSize - 1)) / (outF - 1), extrapolated: false };
    case 'asymmetric': return { x: y / scale, extrapolated: false };
    case 'tf_crop_and_resize': {
      const [s, e] = p.roi;
      const x = (outF === 1 ? ((e - s) * (inSize - 1)) / 2 : (y * (e - s) * (inSize - 1)) / (outF - 1)) + s * (inSize - 1);
      return { x, extrapolated: x < 0 || x > inSize - 1 };
    }
    case 'pytorch_half_pixel': return { x: outF === 1 ? -0.5 : (y + 0.5) / scale - 0.5, extrapolated: false };
    case 'half_pixel': return { x: (y + 0.5) / scale - 0.5, extrapolated: false };
    case 'half_pixel_symmetric': {
      const adjustment = outInt / outF;
      const offset = (inSize / 2) * (1 - adjustment);
      return { x: offset + (y + 0.5) / scale - 0.5, extrapolated: false };
    }
    default: throw new Error(`coordinate_transformation_mode "${p.coordMode}"`);
  }
}

export function axisWeights(p: AxisResize, inSize: number, outSize: number, scale: number): AxisWeights {
  const weights: Float64Array[] = [];
  const extrapolated: boolean[] = [];
  for (let y = 0; y < outSize; y++) {
    const { x, extrapolated: ext } = sourceCoord(p, y, scale, inSize, outSize);
    const xi = Math.floor(x);
    const ratio = x === xi ? 1 : x - xi;
    const c = p.mode === 'nearest' ? nearestCoeffs(ratio, p.nearestMode)
      : p.mode === 'linear' ? (p.antialias ? linearAntialias(ratio, scale) : [1 - ratio, ratio])
      : p.antialias ? cubicAntialias(ratio, scale, p.cubicA) : cubicCoeffs(ratio, p.cubicA);
    const n = c.length;
    // The n input positions nearest to x (ties to the smaller), in edge-padded coordinates, as ONNX defines them.
    const pad = Math.ceil(n / 2);
    const xp = x + pad;
    const pp = Math.floor(xp);
    const frac = xp - pp;
    const offset = n % 2 === 0 ? (frac === 0 ? -(n / 2) : -(n / 2) + 1) : frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1;
    const start = pp + offset - pad;
    let coeffs = c;
    if (p.excludeOutside) {
      coeffs = c.map((v, k) => (start + k < 0 || start + k >= inSize ? 0 : v));
      const sum = coeffs.reduce((a, b) => a + b, 0) || 1;
      coeffs = coeffs.map((v) => v / sum);
    }
    const row = new Float64Array(inSize);
    coeffs.forEach((v, k) => { row[Math.min(Math.max(start + k, 0), inSize - 1)]! += v; });
    weights.push(row);
    extrapolated.push(ext);
  }
  return { weights, extrapolated };
}
