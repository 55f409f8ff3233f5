// Gathering a convolution's implicit B (GemmKernel.bImplicit) into the worker's scratch slot, one 8-column
// panel at a time in packed layout ([K][8]), so the register tiles stream it like packed weights. Column j
// of the output grid is (row j / ow, column j % ow); its element at depth k sits at table[k] (bytes) +
// ((j / ow) * rowStep + (j % ow) * colStep) * 4. Eight columns in one output row are eight input elements
// `colStep` apart: two vector loads (stride 1), four loads and two shuffles (stride 2), or eight scalar
// loads. A panel that wraps into the next output row, or the ragged last one, is gathered lane by lane.

import binaryen from 'binaryen';
import type { E, GemmCode } from './gemm-code.js';

export class PanelGather {
  private readonly tp: number;
  private readonly te: number;
  private readonly dp: number;
  private readonly sb: number;
  private readonly lanes: readonly number[];
  private readonly imp: NonNullable<GemmCode['k']['bImplicit']>;

  constructor(private readonly g: GemmCode) {
    const imp = g.k.bImplicit;
    if (!imp || g.k.bScratch === undefined) throw new Error('implicit-B GEMM without an offset table or scratch');
    this.imp = imp;
    [this.tp, this.te, this.dp, this.sb] = [g.local(binaryen.i32), g.local(binaryen.i32), g.local(binaryen.i32), g.local(binaryen.i32)];
    this.lanes = Array.from({ length: 8 }, () => g.local(binaryen.i32));
  }

  /** Byte offset of output-grid column `col` from the batch's B base (table offsets excluded). */
  private columnOffset(col: E, colAgain: E): E {
    const { m, c } = this.g;
    const { ow, rowStep, colStep } = this.imp;
    return m.i32.shl(m.i32.add(m.i32.mul(m.i32.div_u(col, c(ow)), c(rowStep)), m.i32.mul(m.i32.rem_u(colAgain, c(ow)), c(colStep))), c(2));
  }

  /** A loop over k: tp walks the offset table, dp the panel rows at `dst`. */
  private overK(dst: E, body: E[]): E[] {
    const { m, k, c, I } = this.g;
    const table = this.g.address(this.imp.table);
    const loop = this.g.label('gk');
    return [
      m.local.set(this.tp, c(table)),
      m.local.set(this.te, c(table + k.k * 4)),
      m.local.set(this.dp, dst),
      m.loop(loop, m.block(null, [
        ...body,
        m.local.set(this.dp, m.i32.add(I(this.dp), c(32))),
        m.local.set(this.tp, m.i32.add(I(this.tp), c(4))),
        m.br_if(loop, m.i32.lt_u(I(this.tp), I(this.te))),
      ])),
    ];
  }

  /** Columns col..col+7, all in one output row, into the panel at `dst`. */
  private fast(col: () => E, dst: E): E[] {
    const { m, I } = this.g;
    const s = this.imp.colStep;
    const src = () => m.i32.add(I(this.sb), m.i32.load(0, 4, I(this.tp)));
    const store = (off: number, v: E) => m.v128.store(off, 4, I(this.dp), v);
    let body: E[];
    if (s === 1) {
      body = [m.local.set(this.lanes[0]!, src()), store(0, m.v128.load(0, 4, I(this.lanes[0]!))), store(16, m.v128.load(16, 4, I(this.lanes[0]!)))];
    } else if (s === 2) {
      // elements 0, 2, .., 14 of the 15 the panel row spans; the last load ends at element 14
      const at = (off: number) => m.v128.load(off, 4, I(this.lanes[0]!));
      const even = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
      const last = [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31];
      body = [
        m.local.set(this.lanes[0]!, src()),
        store(0, m.i8x16.shuffle(at(0), at(16), even)),
        store(16, m.i8x16.shuffle(at(32), at(44), last)),
      ];
    } else {
      body = [m.local.set(this.lanes[0]!, src()), ...Array.from({ length: 8 }, (_, l) => m.f32.store(4 * l, 4, I(this.dp), m.f32.load(4 * l * s, 4, I(this.lanes[0]!))))];
    }
    return [m.local.set(this.sb, m.i32.add(I(this.g.bB), this.columnOffset(col(), col()))), ...this.overK(dst, body)];
  }

  /** Columns col..col+lanes-1 (possibly wrapping rows) into the panel at `dst`, one element each. */
  private laneByLane(col: () => E, dst: () => E, lanes: number): E[] {
    const { m, k, c, I } = this.g;
    const offsets = this.lanes.slice(0, lanes).map((lane, l) => {
      const cl = () => (l === 0 ? col() : m.i32.add(col(), c(l)));
      return m.local.set(lane, m.i32.add(I(this.g.bB), this.columnOffset(cl(), cl())));
    });
    const body = this.lanes.slice(0, lanes).map((lane, l) => m.f32.store(4 * l, 4, I(this.dp), m.f32.load(0, 4, m.i32.add(I(lane), m.i32.load(0, 4, I(this.tp))))));
    // the lanes past the last column stay zero
    const clear = lanes < 8 ? [m.memory.fill(dst(), c(0), c(k.k * 32))] : [];
    return [...offsets, ...clear, ...this.overK(dst(), body)];
  }

  /**
   * Gathers output-grid columns col..col+lanes-1 (lanes = 8 for a whole panel, fewer for the ragged last one,
   * whose other lanes are zeroed) into the worker's scratch slot at byte offset `slotOffset`.
   */
  gather(col: () => E, slotOffset: number, lanes: number, slotBytes: number): E[] {
    const { m, c } = this.g;
    if (this.g.k.k === 0) return [];
    const dst = () => this.slot(slotOffset, slotBytes);
    if (lanes < 8) return this.laneByLane(col, dst, lanes);
    const { ow } = this.imp;
    if (ow % 8 === 0) return this.fast(col, dst());
    // does the panel wrap into the next output row?
    return [m.if(m.i32.le_u(m.i32.add(m.i32.rem_u(col(), c(ow)), c(8)), c(ow)),
      m.block(null, this.fast(col, dst())),
      m.block(null, this.laneByLane(col, dst, 8)))];
  }

  /** Byte address of the worker's scratch slot plus `slotOffset`. */
  slot(slotOffset: number, slotBytes: number): E {
    const { m, c, I } = this.g;
    return m.i32.add(c(this.g.address(this.g.k.bScratch!) + slotOffset), m.i32.mul(I(this.g.worker), c(slotBytes)));
  }
}
