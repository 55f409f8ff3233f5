// fast-check arbitrary for fuse-multi-output: random programs over x[b,3,4] that make the pass's two group
// kinds likely — maps of one value side by side (siblings), maps whose result is also a graph output, read
// by a non-map (matmul, reduce) or by several maps (producer and consumer) — and the cases it must leave
// apart: chains through a non-map between two maps, broadcast reads of a reduction (row epilogues), other
// dtypes (int32, bool, a float16 round trip), broadcast shapes. Every graph verifies.

import fc from 'fast-check';
import { GraphBuilder, type HostTensor, type ValueId, arg, bin, cast, lit, tensorType, un, type UnaryOp } from '../src/index.js';
import type { RandomCase } from './arbitraries.js';

const UNARY: UnaryOp[] = ['exp', 'tanh', 'neg', 'abs', 'sigmoid', 'erf', 'floor'];

function data(shape: readonly number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float64Array.from({ length: n }, (_, i) => Math.fround(3 * Math.sin((i + 1) * 1.37 + seed * 2.9))) };
}

/** Steps [choice, a, c]: a picks a pool value, c varies the op. */
export function buildMultiOutputCase(steps: readonly number[][], batch: number): RandomCase {
  const b = new GraphBuilder();
  const xs = [batch, 3, 4];
  const x = b.input('x', tensorType('float32', xs));
  const feeds: Record<string, HostTensor> = { x: data(xs, 1) };
  const pool: ValueId[] = [x];
  const outs: ValueId[] = [];
  const t = (id: ValueId) => b.tensorTypeOf(id);
  const pick = (k: number, pred: (id: ValueId) => boolean) => { const c = pool.filter(pred); return c.length ? c[k % c.length]! : undefined; };
  const full = (id: ValueId) => t(id).dtype === 'float32' && t(id).shape.join() === xs.join();
  const f32 = (v: number) => lit(v, 'float32');
  let seed = 5;
  const constant = (s: number[]) => b.constant(data(s, seed++));
  for (const [choice = 0, a = 0, c = 0] of steps) {
    const v = pick(a, full) ?? x;
    let out: ValueId | undefined;
    switch (choice % 10) {
      case 0: out = b.map(un(UNARY[c % UNARY.length]!, arg(0)), [v]); break;
      case 1: { // two maps of one value, both kept
        const p = b.map(un(UNARY[c % UNARY.length]!, arg(0)), [v]);
        const q = b.map(bin(c % 2 ? 'mul' : 'sub', arg(0), f32(0.5 + (c % 3))), [v]);
        outs.push(p, q);
        out = p;
        break;
      }
      case 2: { // binary with another full value (a shared read) or a row constant (broadcast)
        const w = c % 3 === 2 ? constant([4]) : pick(c, full) ?? v;
        out = b.map(bin((['add', 'mul', 'max', 'div'] as const)[c % 4], arg(0), arg(1)), [v, w]);
        break;
      }
      case 3: outs.push(v); break; // a graph output: producer maps must keep it
      case 4: { // a non-map reader: matmul with a constant (its result feeds back maps of another shape) or a reduce
        if (c % 2) pool.push(b.matmul(v, constant([4, 4])));
        else outs.push(b.add1({ kind: 'reduce', reducer: 'add', axes: [2], keepDims: true }, [v]));
        break;
      }
      case 5: { // a row epilogue: v minus its row max (broadcast read of a reduction)
        const m = b.add1({ kind: 'reduce', reducer: 'max', axes: [2], keepDims: true }, [v]);
        out = b.map(bin('sub', arg(0), arg(1)), [v, m]);
        break;
      }
      case 6: { // other dtypes: a bool test, an int32 round trip, a float16 round trip
        if (c % 3 === 0) outs.push(b.map(bin('gt', arg(0), f32(0)), [v]));
        else if (c % 3 === 1) outs.push(b.map(bin('mul', cast('int32', arg(0)), lit(3, 'int32')), [v]));
        else out = b.map(cast('float32', cast('float16', bin('mul', arg(0), f32(1.1)))), [v]);
        break;
      }
      case 7: { // an expensive value read by two maps
        const e = b.map(un(c % 2 ? 'exp' : 'tanh', arg(0)), [v]);
        out = b.map(bin('add', arg(0), arg(1)), [b.map(bin('mul', arg(0), arg(0)), [e]), b.map(bin('sub', arg(0), f32(1)), [e])]);
        break;
      }
      case 8: { // a map of a smaller value broadcast up (not a full read)
        const r = b.add1({ kind: 'reduce', reducer: 'add', axes: [0], keepDims: false }, [v]);
        pool.push(b.map(un('neg', arg(0)), [r]));
        out = b.map(bin('add', arg(0), arg(1)), [v, r]);
        break;
      }
      case 9: out = b.map(bin('add', un('sqrt', un('abs', arg(0))), arg(0)), [v]); break;
    }
    if (out !== undefined) pool.push(out);
  }
  const kept = [...new Set([...outs, ...pool.slice(1).slice(-2)])];
  kept.forEach((id, i) => b.output(`out${i}`, id));
  if (kept.length === 0) b.output('out0', x);
  return { graph: b.build(), feeds, steps };
}

export const multiOutputCase: fc.Arbitrary<RandomCase> = fc.tuple(
  fc.array(fc.array(fc.nat({ max: 99 }), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 10 }),
  fc.integer({ min: 1, max: 3 }),
).map(([steps, batch]) => buildMultiOutputCase(steps, batch));
