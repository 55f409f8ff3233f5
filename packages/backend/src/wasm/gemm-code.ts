// The building blocks of one float32 GEMM function (emit-gemm.ts, gemm-pool.ts): its locals, address
// arithmetic, register tiles of R rows x 8P columns of f32x4 accumulators walked over K with running
// pointers (no index arithmetic in the hot loop: A rows and B panels are constant offsets from two pointers),
// and the tile stores: whole tiles with the epilogue evaluated on the accumulators, or lane by lane for a
// ragged right edge. Register budget (V8 keeps 15 xmm): 4x8 and 2x16 tiles fit, 1x32 streams B from memory.

import binaryen from 'binaryen';
import type { MathImports } from './emit-scalar.js';
import { forLoop } from './emit-kernels.js';
import type { GemmKernel } from './kernel-plan.js';
import { EpilogueAt } from './epilogue-at.js';
import { emitVectorEpilogue } from './emit-vector-epilogue.js';
import { narrowInto } from './narrow-codes.js';
import { madd } from './simd-madd.js';

export type E = binaryen.ExpressionRef;

export interface GemmCodeOptions {
  /** Use f32x4.relaxed_madd (one rounding on FMA hardware) instead of mul + add. */
  readonly relaxed: boolean;
  /** Keep transcendental epilogue ops (exp, erf, sigmoid) on the scalar float64 code (EmitOptions.exactMath). */
  readonly exactMath: boolean;
}

const ZERO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** One GEMM function under construction: parameters (begin, end, worker), then the locals below. */
export class GemmCode {
  readonly vars: binaryen.Type[] = [];
  readonly begin = 0;
  readonly end = 1;
  readonly worker = 2;
  /** batch q, row i, column j, depth kk (scalar cells), byte bases of A/B/C in batch q, unit u, its bounds */
  readonly q: number; readonly i: number; readonly j: number; readonly kk: number;
  readonly aB: number; readonly bB: number; readonly cB: number;
  readonly u: number; readonly lo: number; readonly hi: number;
  /** epilogue counters and element; pb: byte address of the current B panel; pa/pe: A pointer and its end; bp: B pointer */
  readonly er: number; readonly ec: number; readonly rr: number; readonly cc: number;
  readonly pb: number; readonly pa: number; readonly pe: number; readonly bp: number;
  readonly sacc: number;
  readonly acc: readonly number[];
  readonly bv: readonly number[];
  readonly av: number;
  /** The epilogue runs on the f32x4 accumulators (else per element after the store). */
  readonly vectorEpilogue: boolean;
  private readonly epi: EpilogueAt;
  /** Bytes B's pointer advances per step of k: a packed or gathered panel row, or a row of row-major B. */
  readonly bStep: number;
  /** Bytes of one element of C: 4 (float32), or 1 or 2 for integer codes (GemmKernel.outCode). */
  readonly cBytes: number;

  constructor(readonly m: binaryen.Module, readonly math: MathImports, readonly k: GemmKernel, readonly address: (id: number) => number, readonly opts: GemmCodeOptions) {
    const i32 = () => this.local(binaryen.i32);
    [this.q, this.i, this.j, this.kk, this.aB, this.bB, this.cB, this.u, this.lo, this.hi] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
    [this.er, this.ec, this.rr, this.cc, this.pb, this.pa, this.pe, this.bp] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
    this.sacc = this.local(binaryen.f32);
    this.acc = Array.from({ length: 8 }, () => this.local(binaryen.v128));
    this.bv = Array.from({ length: 4 }, () => this.local(binaryen.v128));
    this.av = this.local(binaryen.v128);
    this.epi = new EpilogueAt(m, math, address, k.epilogue, k.epilogueOperands, opts.exactMath);
    this.vectorEpilogue = this.epi.onVectors;
    this.bStep = k.bPacked || k.bImplicit ? 32 : k.bRow * 4;
    this.cBytes = k.outCode === undefined ? 4 : k.outCode.endsWith('16') ? 2 : 1;
    if (k.outCode && (k.pool || k.rowPool || !k.epilogue)) throw new Error(`gemm ${k.name}: integer codes need a clamping epilogue and no pooling`);
  }

  private labels = 0;
  /** A fresh label (binaryen wants the names of blocks and loops unique within a function). */
  label(base: string): string {
    return `${base}${this.labels++}`;
  }

  local(t: binaryen.Type): number {
    this.vars.push(t);
    return 2 + this.vars.length;
  }

  I = (x: number): E => this.m.local.get(x, binaryen.i32);
  V = (x: number): E => this.m.local.get(x, binaryen.v128);
  c = (v: number): E => this.m.i32.const(v);

  /** acc + a * b, as one relaxed fused multiply-add or as mul then add. */
  madd(acc: E, a: E, b: E): E {
    return madd(this.m, this.opts.relaxed, acc, a, b);
  }

  /** Byte address of C[row][col] in batch q. */
  cAt(row: E, col: E): E {
    const { m, c } = this;
    return m.i32.add(this.I(this.cB), m.i32.shl(m.i32.add(m.i32.mul(row, c(this.k.cRow ?? this.k.n)), col), c(Math.log2(this.cBytes))));
  }

  /** Points `pb` at the B columns j..j+7: a packed panel, or row-major B's column j (implicit B is gathered instead). */
  setPanel(): E[] {
    const { m, k, c, I } = this;
    if (k.bImplicit) return [];
    return [m.local.set(this.pb, m.i32.add(I(this.bB), k.bPacked ? m.i32.mul(I(this.j), c(k.k * 4)) : m.i32.shl(I(this.j), c(2))))];
  }

  /**
   * Rows i..i+R-1 x columns j..j+8P-1 over all of K into acc[r*2P + 2p + h] (h: the two f32x4 halves of a
   * panel row); panel p is `panelBytes` after `pb`. With several rows the B vectors are loaded once per k into
   * registers; a single row reads them straight from memory (1x32: eight independent accumulators).
   * `rowOffsets`: A row r's element offset from row i (default r * aRow; a pooled NHWC tile spans two batches).
   */
  tile(R: number, P: number, panelBytes: number, rowOffsets?: readonly number[]): E[] {
    const { m, k, c, I, V } = this;
    const accs = this.acc.slice(0, R * 2 * P);
    const zero = accs.map((v) => m.local.set(v, m.v128.const(ZERO)));
    if (k.k === 0) return zero;
    const bAt = (p: number, h: number): E => m.v128.load(p * panelBytes + h * 16, 4, I(this.bp));
    const body: E[] = [];
    if (R > 1) for (let p = 0; p < P; p++) for (let h = 0; h < 2; h++) body.push(m.local.set(this.bv[2 * p + h]!, bAt(p, h)));
    for (let r = 0; r < R; r++) {
      body.push(m.local.set(this.av, m.v128.load32_splat((rowOffsets?.[r] ?? r * k.aRow) * 4, 4, I(this.pa))));
      for (let p = 0; p < P; p++) for (let h = 0; h < 2; h++) {
        const a = accs[r * 2 * P + 2 * p + h]!;
        body.push(m.local.set(a, this.madd(V(a), V(this.av), R > 1 ? V(this.bv[2 * p + h]!) : bAt(p, h))));
      }
    }
    const loop = this.label('tk');
    body.push(
      m.local.set(this.bp, m.i32.add(I(this.bp), c(this.bStep))),
      m.local.set(this.pa, m.i32.add(I(this.pa), c(4))),
      m.br_if(loop, m.i32.lt_u(I(this.pa), I(this.pe))),
    );
    const rowStart = m.i32.add(I(this.aB), m.i32.mul(I(this.i), c(k.aRow * 4)));
    if (k.aRuns) return [...zero, m.local.set(this.bp, I(this.pb)), ...this.overRuns(k.aRuns, rowStart, m.loop(loop, m.block(null, body)))];
    return [
      ...zero,
      m.local.set(this.pa, rowStart),
      m.local.set(this.pe, m.i32.add(I(this.pa), c(k.k * 4))),
      m.local.set(this.bp, I(this.pb)),
      m.loop(loop, m.block(null, body)),
    ];
  }

  /** The k loop `kLoop` (walking pa up to pe) once per run of an A row split into runs (GemmKernel.aRuns); B's pointer runs on. */
  private overRuns(runs: NonNullable<GemmKernel['aRuns']>, rowStart: E, kLoop: E): E[] {
    const { m, c, I } = this;
    const [ps, ro, ri] = this.runLocals ??= [this.local(binaryen.i32), this.local(binaryen.i32), this.local(binaryen.i32)];
    const count = (v: number, n: number, body: E[]): E[] => {
      if (n === 1) return body;
      const l = this.label('run');
      return [m.local.set(v, c(n)), m.loop(l, m.block(null, [...body, m.local.set(v, m.i32.sub(I(v), c(1))), m.br_if(l, I(v))]))];
    };
    const run = [m.local.set(this.pe, m.i32.add(I(this.pa), c(runs.len * 4))), kLoop];
    // after a run pa sits at its end: step to the next run's start
    const skip = (runs.innerStride - runs.len) * 4;
    const inner = count(ri, runs.inner, runs.inner === 1 ? run : [...run, ...(skip !== 0 ? [m.local.set(this.pa, m.i32.add(I(this.pa), c(skip)))] : [])]);
    if (runs.outer === 1) return [m.local.set(this.pa, rowStart), ...inner];
    return [
      m.local.set(ps, rowStart),
      ...count(ro, runs.outer, [m.local.set(this.pa, I(ps)), ...inner, m.local.set(ps, m.i32.add(I(ps), c(runs.outerStride * 4)))]),
    ];
  }

  private runLocals: [number, number, number] | undefined;

  /** Sets `local` to a pooled f32x4, then applies the pool's epilogue (GemmKernel.poolEpilogue) to it in place. */
  pooledInto(local: number, pooled: E): E[] {
    const { m, k } = this;
    const set = m.local.set(local, pooled);
    if (!k.poolEpilogue) return [set];
    return [set, m.local.set(local, emitVectorEpilogue(m, k.poolEpilogue, { acc: () => this.V(local), arg: () => m.unreachable() }))];
  }

  /** The f32x4 to store for accumulator `accLocal` at (row, col + colOffset) of batch q (or `batch`): the epilogue applied when it runs on vectors. */
  vectorOut(row: () => E, col: () => E, colOffset: number, accLocal: number, batch: () => E = () => this.I(this.q)): E {
    return this.epi.vector({ batch, row, col }, colOffset, () => this.V(accLocal));
  }

  /** Stores a whole R x 8P tile at rows i.., columns j + 8p; a scalar epilogue then runs over its elements. */
  storeTile(R: number, P: number): E[] {
    const { m, c, I } = this;
    if (this.k.outCode) return this.storeCodes(R, P);
    const out: E[] = [];
    for (let r = 0; r < R; r++) for (let p = 0; p < P; p++) for (let h = 0; h < 2; h++) {
      const row = () => (r === 0 ? I(this.i) : m.i32.add(I(this.i), c(r)));
      const col = () => (p === 0 ? I(this.j) : m.i32.add(I(this.j), c(8 * p)));
      out.push(m.v128.store(h * 16, 4, this.cAt(row(), col()), this.vectorOut(row, col, 4 * h, this.acc[r * 2 * P + 2 * p + h]!)));
    }
    if (this.k.epilogue && !this.vectorEpilogue) out.push(...this.elementEpilogues(R, 8 * P));
    return out;
  }

  /**
   * storeTile for integer codes: per 8 columns, the two f32x4 epilogue results truncated to i32x4 and narrowed
   * (saturating, exact on the clamped values) into one store of 8 codes; lane by lane when the epilogue is scalar.
   */
  private storeCodes(R: number, P: number): E[] {
    const { m, c, I, V } = this;
    const code = this.k.outCode!;
    const out: E[] = [];
    for (let r = 0; r < R; r++) for (let p = 0; p < P; p++) {
      const row = () => (r === 0 ? I(this.i) : m.i32.add(I(this.i), c(r)));
      const col = () => (p === 0 ? I(this.j) : m.i32.add(I(this.j), c(8 * p)));
      const accAt = (h: number) => this.acc[r * 2 * P + 2 * p + h]!;
      if (!this.vectorEpilogue) {
        for (let l = 0; l < 8; l++) out.push(this.storeCode(row, () => m.i32.add(col(), c(l)), () => m.f32x4.extract_lane(V(accAt(l >> 2)), l & 3)));
        continue;
      }
      const half = (h: number) => () => m.i32x4.trunc_sat_f32x4_s(this.vectorOut(row, col, 4 * h, accAt(h)));
      out.push(...narrowInto(m, code, half(0), half(1), this.av));
      // eight codes: 16 bytes, or 8
      out.push(this.cBytes === 2 ? m.v128.store(0, 2, this.cAt(row(), col()), V(this.av)) : m.i64.store(0, 1, this.cAt(row(), col()), m.i64x2.extract_lane(V(this.av), 0)));
    }
    return out;
  }

  /** One integer code at (row, col): the scalar epilogue of `acc`, truncated (it is clamped in range) and stored narrow. */
  private storeCode(row: () => E, col: () => E, acc: () => E): E {
    const { m } = this;
    const v = m.i32.trunc_s_sat.f32(this.scalarEpilogue(acc, row, col));
    return this.cBytes === 2 ? m.i32.store16(0, 2, this.cAt(row(), col()), v) : m.i32.store8(0, 1, this.cAt(row(), col()), v);
  }

  /** Stores the first `cols` (< 8) columns of an R x 8 tile lane by lane; the epilogue then runs per element. */
  storePartial(R: number, cols: number): E[] {
    const { m, c, I, V } = this;
    const out: E[] = [];
    if (this.k.outCode) {
      for (let r = 0; r < R; r++) {
        const row = () => (r === 0 ? I(this.i) : m.i32.add(I(this.i), c(r)));
        for (let col = 0; col < cols; col++) out.push(this.storeCode(row, () => m.i32.add(I(this.j), c(col)), () => m.f32x4.extract_lane(V(this.acc[r * 2 + (col >> 2)]!), col & 3)));
      }
      return out;
    }
    for (let r = 0; r < R; r++) {
      const base = this.cAt(r === 0 ? I(this.i) : m.i32.add(I(this.i), c(r)), I(this.j));
      out.push(m.local.set(this.bp, base));
      for (let col = 0; col < cols; col++) out.push(m.f32.store(4 * col, 4, I(this.bp), m.f32x4.extract_lane(V(this.acc[r * 2 + (col >> 2)]!), col & 3)));
    }
    if (this.k.epilogue) out.push(...this.elementEpilogues(R, cols));
    return out;
  }

  /** The scalar epilogue over the stored elements rows i..i+R-1, columns j..j+cols-1. */
  private elementEpilogues(R: number, cols: number): E[] {
    const { m, c, I } = this;
    return [
      forLoop(m, this.label('er'), this.er, c(0), () => c(R), 1, [
        forLoop(m, this.label('ec'), this.ec, c(0), () => c(cols), 1, [
          m.local.set(this.rr, m.i32.add(I(this.i), I(this.er))), m.local.set(this.cc, m.i32.add(I(this.j), I(this.ec))), ...this.epilogueAt(),
        ]),
      ]),
    ];
  }

  /**
   * Fused epilogue on output element (rr, cc) of batch q: acc is the stored product; operand j reads at
   * base + q*batch + rr*row + cc*col. Runs right after the element's tile is stored, while it is in cache.
   */
  epilogueAt(): E[] {
    const { m, k, I } = this;
    if (!k.epilogue) return [];
    return [m.f32.store(0, 4, this.cAt(I(this.rr), I(this.cc)), this.scalarEpilogue(() => m.f32.load(0, 4, this.cAt(I(this.rr), I(this.cc))), () => I(this.rr), () => I(this.cc)))];
  }

  /** The epilogue of four columns (col + colOffset..) of accumulator `accLocal` lane by lane, as an f32x4 (no vector form). */
  laneEpilogues(row: () => E, col: () => E, colOffset: number, accLocal: number, batch: () => E = () => this.I(this.q)): E {
    return this.epi.lanes({ batch, row, col }, colOffset, (l) => this.m.f32x4.extract_lane(this.V(accLocal), l));
  }

  /** The float32 epilogue of one element whose product is `acc`, its operands read at (row, col) of batch q (or `batch`). */
  scalarEpilogue(acc: () => E, row: () => E, col: () => E, batch: () => E = () => this.I(this.q)): E {
    return this.epi.scalar({ batch, row, col }, acc);
  }

  /** Element (i, j) as a scalar dot product (row-major B only: its ragged right edge). */
  cell(): E[] {
    const { m, k, c, I } = this;
    const bAt = m.i32.add(I(this.bB), m.i32.shl(m.i32.add(m.i32.mul(I(this.kk), c(k.bRow)), I(this.j)), c(2)));
    const aAt = m.i32.add(I(this.aB), m.i32.shl(m.i32.add(m.i32.mul(I(this.i), c(k.aRow)), I(this.kk)), c(2)));
    return [
      m.local.set(this.sacc, m.f32.const(0)),
      forLoop(m, this.label('sk'), this.kk, c(0), () => c(k.k), 1, [
        m.local.set(this.sacc, m.f32.add(m.local.get(this.sacc, binaryen.f32), m.f32.mul(m.f32.load(0, 4, aAt), m.f32.load(0, 4, bAt)))),
      ]),
      ...(k.outCode
        ? [this.storeCode(() => I(this.i), () => I(this.j), () => m.local.get(this.sacc, binaryen.f32))]
        : [
          m.f32.store(0, 4, this.cAt(I(this.i), I(this.j)), m.local.get(this.sacc, binaryen.f32)),
          ...(k.epilogue ? [m.local.set(this.rr, I(this.i)), m.local.set(this.cc, I(this.j)), ...this.epilogueAt()] : []),
        ]),
    ];
  }
}
