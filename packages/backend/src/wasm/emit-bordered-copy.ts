// The bordered copy (BorderedCopyKernel) as one function over output rows `(begin, end, worker)`: a row inside
// the copied block is its left border, the input row copied on f32x4, its right border; any other row is all
// border. Every segment length is known at compile time, so short segments are unrolled scalar stores and
// long ones a vector loop whose last vector overlaps the one before it instead of a scalar tail. All writes
// stay inside their own row, so threads splitting the rows never touch the same bytes.

import binaryen from 'binaryen';
import type { BorderedCopyKernel } from './kernel-plan.js';

type E = binaryen.ExpressionRef;

/** Units: output rows of every plane. */
export function borderedCopyUnits(k: Pick<BorderedCopyKernel, 'planes' | 'hp'>): number {
  return k.planes * k.hp;
}

/** Up to this many vectors a segment is unrolled; longer ones loop over this many per iteration. */
const UNROLL_VECTORS = 4;

export function emitBorderedCopy(m: binaryen.Module, k: BorderedCopyKernel, address: (id: number) => number): void {
  const [begin, end] = [0, 1];
  // locals after the three parameters: unit, row within the plane, plane, destination and source row pointers, byte counter
  const [u, r, p, dst, src, j] = [3, 4, 5, 6, 7, 8];
  const I = (x: number) => m.local.get(x, binaryen.i32);
  const c = (v: number) => m.i32.const(v);
  const bits = new Uint8Array(new Float32Array([k.value]).buffer);
  const fillVector = m.v128.const([...bits, ...bits, ...bits, ...bits]);
  let labels = 0;
  /**
   * Elements [from, from + len) of the row: `one(off)` writes one element and `four(off, inLoop)` four, at byte
   * offset `off` from the row pointers (plus the loop's byte counter when inLoop).
   */
  const segment = (from: number, len: number, one: (off: number) => E, four: (off: number, ptrJ: boolean) => E): E[] => {
    const o = from * 4;
    if (len < 4) return Array.from({ length: len }, (_, i) => one(o + i * 4));
    const vecs = Math.floor(len / 4);
    const tail = len % 4 === 0 ? [] : [four(o + (len - 4) * 4, false)];
    if (vecs <= UNROLL_VECTORS) return [...Array.from({ length: vecs }, (_, v) => four(o + v * 16, false)), ...tail];
    // a loop of UNROLL_VECTORS vectors per iteration, then the vectors left over, then the tail
    const looped = vecs - (vecs % UNROLL_VECTORS);
    const label = `seg${labels++}`;
    return [
      m.local.set(j, c(0)),
      m.loop(label, m.block(null, [
        ...Array.from({ length: UNROLL_VECTORS }, (_, v) => four(o + v * 16, true)),
        m.local.set(j, m.i32.add(I(j), c(UNROLL_VECTORS * 16))),
        m.br_if(label, m.i32.lt_u(I(j), c(looped * 16))),
      ])),
      ...Array.from({ length: vecs - looped }, (_, v) => four(o + (looped + v) * 16, false)),
      ...tail,
    ];
  };
  // the pointer a vector access uses: the row pointer, plus the loop's byte counter inside a loop
  const at = (base: number, ptrJ: boolean) => (ptrJ ? m.i32.add(I(base), I(j)) : I(base));
  const fill = (from: number, len: number): E[] => segment(from, len,
    (off) => m.f32.store(off, 4, I(dst), m.f32.const(k.value)),
    (off, ptrJ) => m.v128.store(off, 4, at(dst, ptrJ), fillVector));
  // dst + c0 elements takes src + 0: a source offset is the destination's minus c0 elements
  const shift = k.c0 * 4;
  const copy = (len: number): E[] => segment(k.c0, len,
    (off) => m.f32.store(off, 4, I(dst), m.f32.load(off - shift, 4, I(src))),
    (off, ptrJ) => m.v128.store(off, 4, at(dst, ptrJ), m.v128.load(off - shift, 4, at(src, ptrJ))));
  const inner = k.r1 > k.r0 && k.c1 > k.c0;
  const rowBody: E = inner
    ? m.if(
      m.i32.lt_u(m.i32.sub(I(r), c(k.r0)), c(k.r1 - k.r0)),
      m.block(null, [
        // src: input row srcRow + r - r0 of plane p, column srcCol
        m.local.set(src, m.i32.add(c(address(k.input) + k.srcCol * 4),
          m.i32.shl(m.i32.mul(m.i32.add(m.i32.mul(I(p), c(k.h)), m.i32.add(I(r), c(k.srcRow - k.r0))), c(k.w)), c(2)))),
        ...fill(0, k.c0),
        ...copy(k.c1 - k.c0),
        ...fill(k.c1, k.wp - k.c1),
      ]),
      m.block(null, fill(0, k.wp)))
    : m.block(null, fill(0, k.wp));
  const body: E[] = [
    m.local.set(u, I(begin)),
    m.if(m.i32.ge_u(I(u), I(end)), m.return()),
    m.local.set(p, m.i32.div_u(I(u), c(k.hp))),
    m.local.set(r, m.i32.sub(I(u), m.i32.mul(I(p), c(k.hp)))),
    m.local.set(dst, m.i32.add(c(address(k.out)), m.i32.mul(I(u), c(k.wp * 4)))),
    m.loop('row', m.block(null, [
      rowBody,
      m.local.set(dst, m.i32.add(I(dst), c(k.wp * 4))),
      m.local.set(r, m.i32.add(I(r), c(1))),
      m.if(m.i32.eq(I(r), c(k.hp)), m.block(null, [m.local.set(r, c(0)), m.local.set(p, m.i32.add(I(p), c(1)))])),
      m.local.set(u, m.i32.add(I(u), c(1))),
      m.br_if('row', m.i32.lt_u(I(u), I(end))),
    ])),
  ];
  m.addFunction(k.name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none,
    [binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32], m.block(null, body));
}
