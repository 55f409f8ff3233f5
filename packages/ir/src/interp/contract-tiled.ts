// Float32 sums of products in reduction-outer order, for contractions where one operand stays put over the
// last output loops (a convolution's weights over the image, a matmul's A row over B's columns). For a tile
// of those loops, each reduction point in turn adds its product to every partial sum of the tile, so the
// inner loop walks the other operand with a small fixed step and needs no index table; two neighbouring
// tiles along the loop just outside (two output channels, two matmul rows) share its reads. Every output
// still adds its products from 0 in reduction order, in float64, each product rounded to float32 as the
// general loop rounds it: the sums are the same numbers, computed in another loop order.

/** An operand whose reads never fall outside: flat offset = base + sum of weights[l] * loop index l. */
export interface TiledOperand {
  readonly data: Float64Array;
  readonly weights: Float64Array;
  readonly base: number;
}

/** Partial sums per tile: two tiles of them stay in the first-level cache with the rows they read. */
const TILE_POINTS = 1024;
/** Below this many points per tile the per-reduction-point overhead outweighs the gain. */
const MIN_TILE_POINTS = 16;
/** Largest step of the moving operand along the last output loop (a strided convolution's stride). */
const MAX_STEP = 4;

interface Plan {
  readonly fixed: TiledOperand;
  readonly moving: TiledOperand;
  readonly fixedRed: Int32Array;
  readonly movingRed: Int32Array;
  /** Output loop whose neighbouring indices are done together (the moving operand ignores it), or -1. */
  readonly pair: number;
  /** Outermost tile loop; it is cut into chunks of `chunk` indices, the loops after it are whole. */
  readonly cut: number;
  readonly chunk: number;
}

/**
 * The tiled evaluation when it applies and pays: one operand must not move over a suffix of the output
 * loops of at least MIN_TILE_POINTS points, and the other must step by at most MAX_STEP along the last loop.
 */
function plan(a: TiledOperand, ra: Int32Array, b: TiledOperand, rb: Int32Array, outShape: readonly number[]): Plan | undefined {
  const r = outShape.length;
  if (r === 0) return undefined;
  // First loop of the longest output-loop suffix over which the operand does not move.
  const still = (x: TiledOperand) => {
    let t = r;
    while (t > 0 && x.weights[t - 1] === 0) t--;
    return t;
  };
  const ta = still(a), tb = still(b);
  const [fixed, moving, fixedRed, movingRed, t] = ta <= tb ? [a, b, ra, rb, ta] : [b, a, rb, ra, tb];
  if (t === r || Math.abs(moving.weights[r - 1]!) > MAX_STEP) return undefined;
  let points = 1;
  for (let d = t; d < r; d++) points *= outShape[d]!;
  if (points < MIN_TILE_POINTS) return undefined;
  const pair = t > 0 && moving.weights[t - 1] === 0 && outShape[t - 1]! > 1 ? t - 1 : -1;
  // Cut the outermost tile loop whose inner loops still fit a tile.
  let cut = r - 1, inner = 1;
  while (cut > t && inner * outShape[cut]! <= TILE_POINTS) inner *= outShape[cut--]!;
  const chunk = Math.max(1, Math.min(outShape[cut]!, Math.floor(TILE_POINTS / inner)));
  return { fixed, moving, fixedRed, movingRed, pair, cut, chunk };
}

/**
 * Writes into `out` (zeros, row-major over outShape) the float64 sum over the reduction points of the
 * float32-rounded products of the two operands; returns false (out untouched) when the tiled order does not
 * apply, so the caller falls back to its point-by-point loop.
 */
export function tiledProductsF32(a: TiledOperand, ra: Int32Array, b: TiledOperand, rb: Int32Array, outShape: readonly number[], out: Float64Array): boolean {
  const p = plan(a, ra, b, rb, outShape);
  if (!p) return false;
  if (out.length === 0) return true;
  const r = outShape.length;
  const { fixed, moving, pair, cut, chunk } = p;
  const lastCut = cut === r - 1;
  // A full tile is `rowsFull` rows of the last loop; rowOff: the moving operand's offset of each row.
  const rowLoops = lastCut ? [] : Array.from({ length: r - 1 - cut }, (_, i) => cut + i);
  const rowExt = rowLoops.map((d) => (d === cut ? chunk : outShape[d]!));
  const rowsFull = rowExt.reduce((x, y) => x * y, 1);
  const rowOff = new Int32Array(rowsFull);
  const idx = new Array<number>(rowLoops.length).fill(0);
  for (let row = 0; row < rowsFull; row++) {
    let v = 0;
    for (let i = 0; i < rowLoops.length; i++) v += moving.weights[rowLoops[i]!]! * idx[i]!;
    rowOff[row] = v;
    for (let i = rowLoops.length - 1; i >= 0; i--) { if (++idx[i]! < rowExt[i]!) break; idx[i] = 0; }
  }
  const outStride = new Array<number>(r).fill(1);
  for (let d = r - 2; d >= 0; d--) outStride[d] = outStride[d + 1]! * outShape[d + 1]!;
  const step = moving.weights[r - 1]! | 0;
  // Walk the tiles: every point of the loops up to `cut`, `cut` in chunks and the pair loop in twos.
  const at = new Array<number>(cut + 1).fill(0);
  const advance = (d: number) => (d === cut ? chunk : d === pair ? 2 : 1);
  for (;;) {
    let fb = fixed.base, mb = moving.base, o = 0;
    for (let d = 0; d <= cut; d++) {
      fb += fixed.weights[d]! * at[d]!;
      mb += moving.weights[d]! * at[d]!;
      o += outStride[d]! * at[d]!;
    }
    const len = Math.min(chunk, outShape[cut]! - at[cut]!);
    const rows = lastCut ? 1 : (len * rowsFull) / chunk;
    const width = lastCut ? len : outShape[r - 1]!;
    // the pair's second tile, unless the pair loop has an odd count and this is its last index
    const second = pair >= 0 && at[pair]! + 1 < outShape[pair]!;
    const fb1 = second ? fb + fixed.weights[pair]! : fb;
    sumTile(moving.data, mb | 0, step, rowOff, rows, width, fixed.data, fb | 0, fb1 | 0, p.movingRed, p.fixedRed, out, o, second ? out : null, second ? o + outStride[pair]! : 0);
    let d = cut;
    for (; d >= 0; d--) {
      at[d] = at[d]! + advance(d);
      if (at[d]! < outShape[d]!) break;
      at[d] = 0;
    }
    if (d < 0) return true;
  }
}

/**
 * One or (out1 given) two tiles of `rows` rows of `width` partial sums (out from o0, out1 from o1,
 * consecutive), reading the moving operand md from m0 + rowOff[row] stepping by `step`, times the fixed
 * operand fd read from f0 (and f1 for the second tile): every reduction point adds its products, in order,
 * to every sum.
 */
function sumTile(md: Float64Array, m0: number, step: number, rowOff: Int32Array, rows: number, width: number, fd: Float64Array, f0: number, f1: number, mRed: Int32Array, fRed: Int32Array, out: Float64Array, o0: number, out1: Float64Array | null, o1: number): void {
  const n = fRed.length;
  let k = 0;
  while (k < n) {
    const d0 = m0 + mRed[k]!;
    if (step === 1 && k + 3 <= n && mRed[k + 1] === mRed[k]! + 1 && mRed[k + 2] === mRed[k]! + 2) {
      // Three neighbouring reads (a convolution's kernel row): each is loaded once per row and slid along.
      const w0 = fd[f0 + fRed[k]!]!, w1 = fd[f0 + fRed[k + 1]!]!, w2 = fd[f0 + fRed[k + 2]!]!;
      if (out1) slide3x2(md, d0, rowOff, rows, width, w0, w1, w2, fd[f1 + fRed[k]!]!, fd[f1 + fRed[k + 1]!]!, fd[f1 + fRed[k + 2]!]!, out, o0, out1, o1);
      else slide3(md, d0, rowOff, rows, width, w0, w1, w2, out, o0);
      k += 3;
    } else if (k + 4 <= n) {
      const e1 = mRed[k + 1]! - mRed[k]!, e2 = mRed[k + 2]! - mRed[k]!, e3 = mRed[k + 3]! - mRed[k]!;
      const w0 = fd[f0 + fRed[k]!]!, w1 = fd[f0 + fRed[k + 1]!]!, w2 = fd[f0 + fRed[k + 2]!]!, w3 = fd[f0 + fRed[k + 3]!]!;
      if (out1) block4x2(md, d0, e1, e2, e3, step, rowOff, rows, width, w0, w1, w2, w3, fd[f1 + fRed[k]!]!, fd[f1 + fRed[k + 1]!]!, fd[f1 + fRed[k + 2]!]!, fd[f1 + fRed[k + 3]!]!, out, o0, out1, o1);
      else block4(md, d0, e1, e2, e3, step, rowOff, rows, width, w0, w1, w2, w3, out, o0);
      k += 4;
    } else {
      const w = fd[f0 + fRed[k]!]!;
      if (out1) onex2(md, d0, step, rowOff, rows, width, w, fd[f1 + fRed[k]!]!, out, o0, out1, o1);
      else one(md, d0, step, rowOff, rows, width, w, out, o0);
      k += 1;
    }
  }
}

// The kernels below add, to each partial sum of a tile (or of two), the float32-rounded products of one to
// four reduction points, left to right: out[o] + p0 + p1 + ... is the general loop's order.

/** Reduction points at moving offsets d, d+1, d+2 (step 1): the row's reads slide through three registers. */
function slide3(md: Float64Array, d: number, rowOff: Int32Array, rows: number, width: number, w0: number, w1: number, w2: number, out: Float64Array, o: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    let x0 = md[m]!, x1 = md[m + 1]!;
    for (const end = o + width; o < end; o++, m++) {
      const x2 = md[m + 2]!;
      out[o] = out[o]! + Math.fround(x0 * w0) + Math.fround(x1 * w1) + Math.fround(x2 * w2);
      x0 = x1;
      x1 = x2;
    }
  }
}

function slide3x2(md: Float64Array, d: number, rowOff: Int32Array, rows: number, width: number, w0: number, w1: number, w2: number, v0: number, v1: number, v2: number, out: Float64Array, o: number, out1: Float64Array, o1: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    let x0 = md[m]!, x1 = md[m + 1]!;
    for (const end = o + width; o < end; o++, o1++, m++) {
      const x2 = md[m + 2]!;
      out[o] = out[o]! + Math.fround(x0 * w0) + Math.fround(x1 * w1) + Math.fround(x2 * w2);
      out1[o1] = out1[o1]! + Math.fround(x0 * v0) + Math.fround(x1 * v1) + Math.fround(x2 * v2);
      x0 = x1;
      x1 = x2;
    }
  }
}

/** Four reduction points at moving offsets d, d+e1, d+e2, d+e3. */
function block4(md: Float64Array, d: number, e1: number, e2: number, e3: number, step: number, rowOff: Int32Array, rows: number, width: number, w0: number, w1: number, w2: number, w3: number, out: Float64Array, o: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    for (const end = o + width; o < end; o++, m += step) {
      out[o] = out[o]! + Math.fround(md[m]! * w0) + Math.fround(md[m + e1]! * w1) + Math.fround(md[m + e2]! * w2) + Math.fround(md[m + e3]! * w3);
    }
  }
}

function block4x2(md: Float64Array, d: number, e1: number, e2: number, e3: number, step: number, rowOff: Int32Array, rows: number, width: number, w0: number, w1: number, w2: number, w3: number, v0: number, v1: number, v2: number, v3: number, out: Float64Array, o: number, out1: Float64Array, o1: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    for (const end = o + width; o < end; o++, o1++, m += step) {
      const x0 = md[m]!, x1 = md[m + e1]!, x2 = md[m + e2]!, x3 = md[m + e3]!;
      out[o] = out[o]! + Math.fround(x0 * w0) + Math.fround(x1 * w1) + Math.fround(x2 * w2) + Math.fround(x3 * w3);
      out1[o1] = out1[o1]! + Math.fround(x0 * v0) + Math.fround(x1 * v1) + Math.fround(x2 * v2) + Math.fround(x3 * v3);
    }
  }
}

/** One reduction point at moving offset d. */
function one(md: Float64Array, d: number, step: number, rowOff: Int32Array, rows: number, width: number, w: number, out: Float64Array, o: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    for (const end = o + width; o < end; o++, m += step) out[o] = out[o]! + Math.fround(md[m]! * w);
  }
}

function onex2(md: Float64Array, d: number, step: number, rowOff: Int32Array, rows: number, width: number, w: number, v: number, out: Float64Array, o: number, out1: Float64Array, o1: number): void {
  for (let row = 0; row < rows; row++) {
    let m = d + rowOff[row]!;
    for (const end = o + width; o < end; o++, o1++, m += step) {
      const x = md[m]!;
      out[o] = out[o]! + Math.fround(x * w);
      out1[o1] = out1[o1]! + Math.fround(x * v);
    }
  }
}
