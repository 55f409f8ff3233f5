// fast-check arbitraries for the fusion and pattern passes: random programs over a pool of static-shaped values
// that mix elementwise chains and trees (broadcast operands, shared values, casts through float16/int32/bool),
// reductions, matmuls with constant weights, and the spelled-out forms the pattern passes look for: softmax and
// log-softmax, LayerNorm (frontend and PyTorch spellings), RMSNorm, GELU (erf and tanh), SiLU, BatchNorm-style
// affine after a matmul, expand feeding a map, transpose/reshape/slice chains. Every graph verifies.

import fc from 'fast-check';
import { type DType, GraphBuilder, type HostTensor, type ValueId, arg, bin, cast, lit, select, tensorType, un, type UnaryOp } from '../src/index.js';
import type { RandomCase } from './arbitraries.js';

function data(shape: readonly number[], seed: number, dtype: DType = 'float32', lo = -3, hi = 3): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => lo + ((Math.sin((i + 1) * 1.37 + seed * 2.9) + 1) / 2) * (hi - lo));
  return { dtype, shape, data: Float64Array.from(vals, (v) => (dtype === 'int32' ? Math.round(v) : Math.fround(v))) };
}

const UNARY: UnaryOp[] = ['neg', 'abs', 'tanh', 'sigmoid', 'erf', 'exp', 'floor'];

/** Builds a graph from steps [choice, a, c]; `patterns` (spelled-out softmax, norms, ...) feed outputs directly. */
export function buildFusionCase(steps: readonly number[][], batch: number): RandomCase {
  const b = new GraphBuilder();
  const feeds: Record<string, HostTensor> = {};
  const x = b.input('x', tensorType('float32', [batch, 3, 4]));
  feeds['x'] = data([batch, 3, 4], 1);
  const y = b.input('y', tensorType('float32', [3, 4]));
  feeds['y'] = data([3, 4], 2);
  const pool: ValueId[] = [x, y];
  const terminal: ValueId[] = [];
  const t = (id: ValueId) => b.tensorTypeOf(id);
  const shape = (id: ValueId) => t(id).shape as number[];
  const pick = (k: number, pred: (id: ValueId) => boolean = () => true) => {
    const c = pool.filter(pred);
    return c.length ? c[k % c.length]! : undefined;
  };
  const isF32 = (id: ValueId) => t(id).dtype === 'float32';
  const last = (id: ValueId) => shape(id)[shape(id).length - 1]!;
  const f32 = (v: number) => lit(v, 'float32');
  let seed = 10;
  const constant = (s: readonly number[], lo = -3, hi = 3) => b.constant(data(s, seed++, 'float32', lo, hi));
  const scalar = (v: number) => b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(Math.fround(v)) });
  const lastAxis = (id: ValueId) => shape(id).length - 1;
  const reduce = (v: ValueId, reducer: 'add' | 'max', keepDims = true) => b.add1({ kind: 'reduce', reducer, axes: [lastAxis(v)], keepDims }, [v]);
  for (const [choice = 0, a = 0, c = 0] of steps) {
    let out: ValueId | undefined;
    const v = pick(a, isF32);
    const r1 = (id: ValueId) => shape(id).length >= 1;
    switch (choice % 14) {
      case 0: if (v !== undefined) out = b.map(un(UNARY[c % UNARY.length]!, arg(0)), [v]); break;
      case 1: { // binary with a same-shaped value (often shared), else with itself
        if (v === undefined) break;
        const w = pick(c, (id) => isF32(id) && shape(id).join() === shape(v).join()) ?? v;
        out = b.map(bin((['add', 'sub', 'mul', 'max', 'div', 'min'] as const)[c % 6], arg(0), arg(1)), [v, w]);
        break;
      }
      case 2: { // binary with a broadcast operand: a row or scalar constant, or a smaller pool value
        if (v === undefined || !r1(v)) break;
        const small = pick(c, (id) => isF32(id) && shape(id).length === shape(v).length && shape(id).every((d, i) => d === shape(v)[i] || d === 1) && shape(id).join() !== shape(v).join());
        const w = c % 3 === 0 ? constant([last(v)]) : c % 3 === 1 ? scalar(0.5 + (c % 5)) : small ?? constant([1, last(v)]);
        out = b.map(c % 2 ? bin('sub', arg(1), arg(0)) : bin('mul', arg(0), arg(1)), [v, w]);
        break;
      }
      case 3: { // casts: float16 round trip, int32 arithmetic and back, a bool select
        if (v === undefined) break;
        if (c % 3 === 0) out = b.map(cast('float32', cast('float16', arg(0))), [v]);
        else if (c % 3 === 1) out = b.map(cast('float32', bin('mul', cast('int32', arg(0)), lit(3, 'int32'))), [v]);
        else out = b.map(select(bin('gt', arg(0), f32(0)), arg(0), bin('mul', arg(0), f32(0.125))), [v]);
        break;
      }
      case 4: if (v !== undefined && r1(v)) out = b.matmul(v, constant([last(v), 2 + (c % 3)])); break;
      case 5: if (v !== undefined && r1(v)) out = reduce(v, c % 2 ? 'max' : 'add'); break;
      case 6: { // softmax / log-softmax spelled out over the last axis
        if (v === undefined || !r1(v)) break;
        const m = reduce(v, 'max');
        const e = c % 3 === 2 ? b.map(un('exp', bin('sub', arg(0), arg(1))), [v, m]) : b.map(un('exp', arg(0)), [b.map(bin('sub', arg(0), arg(1)), [v, m])]);
        const s = reduce(e, 'add');
        terminal.push(c % 2 ? b.map(bin('sub', bin('sub', arg(0), arg(1)), un('log', arg(2))), [v, m, s]) : b.map(bin('div', arg(0), arg(1)), [e, s]));
        break;
      }
      case 7: { // LayerNorm (frontend or PyTorch spelling) or RMSNorm over the last axis
        if (v === undefined || !r1(v)) break;
        const n = f32(last(v));
        const eps = f32(1e-5);
        if (c % 3 === 2) { // RMSNorm
          const ms = b.map(bin('div', arg(0), n), [reduce(b.map(bin('pow', arg(0), arg(1)), [v, scalar(2)]), 'add')]);
          terminal.push(b.map(bin('mul', bin('div', arg(0), un('sqrt', bin('add', arg(1), eps))), arg(2)), [v, ms, constant([last(v)])]));
          break;
        }
        const mean = b.map(bin('div', arg(0), n), [reduce(v, 'add')]);
        const d = b.map(bin('sub', arg(0), arg(1)), [v, mean]);
        const sq = c % 3 === 0 ? b.map(bin('mul', arg(0), arg(0)), [d]) : b.map(bin('pow', arg(0), arg(1)), [d, scalar(2)]);
        const inv = b.map(un('recip', un('sqrt', bin('add', bin('div', arg(0), n), eps))), [reduce(sq, 'add')]);
        terminal.push(b.map(bin('add', bin('mul', bin('mul', arg(0), arg(1)), arg(2)), arg(3)), [d, inv, constant([last(v)]), constant([last(v)])]));
        break;
      }
      case 8: { // GELU (erf, tanh) and SiLU (two spellings), as exported: constants as tensors
        if (v === undefined) break;
        if (c % 4 === 0) {
          const h = b.map(bin('add', arg(0), arg(1)), [b.map(un('erf', arg(0)), [b.map(bin('div', arg(0), arg(1)), [v, scalar(Math.SQRT2)])]), scalar(1)]);
          out = b.map(bin('mul', arg(0), arg(1)), [b.map(bin('mul', arg(0), arg(1)), [v, h]), scalar(0.5)]);
        } else if (c % 4 === 1) {
          const inner = b.map(bin('mul', bin('add', arg(0), bin('mul', f32(0.044715), bin('mul', arg(0), bin('mul', arg(0), arg(0))))), f32(Math.sqrt(2 / Math.PI))), [v]);
          out = b.map(bin('mul', bin('mul', f32(0.5), arg(0)), bin('add', f32(1), un('tanh', arg(1)))), [v, inner]);
        } else if (c % 4 === 2) {
          out = b.map(bin('mul', arg(0), arg(1)), [v, b.map(un('sigmoid', arg(0)), [v])]);
        } else {
          out = b.map(bin('div', arg(0), arg(1)), [v, b.map(bin('add', f32(1), un('exp', un('neg', arg(0)))), [v])]);
        }
        break;
      }
      case 9: { // BatchNorm-style affine after a matmul with constant weights (per output column), maybe + ReLU
        if (v === undefined || !r1(v)) break;
        const k = 2 + (c % 3);
        const mm = c % 2 ? b.matmul(v, constant([last(v), k])) : b.map(bin('add', arg(0), arg(1)), [b.matmul(v, constant([last(v), k])), constant([k])]);
        const bn = c % 3 === 0
          ? b.map(bin('add', bin('mul', bin('div', bin('sub', arg(0), arg(1)), un('sqrt', bin('add', arg(2), f32(1e-5)))), arg(3)), arg(4)), [mm, constant([k]), constant([k], 0.5, 2), constant([k]), constant([k])])
          : b.map(bin('add', arg(1), bin('mul', arg(0), arg(2))), [mm, constant([k]), constant([k])]);
        const res = c % 4 === 1 ? b.map(bin('max', arg(0), f32(0)), [bn]) : bn;
        terminal.push(res);
        break;
      }
      case 10: { // expand feeding a map whose broadcasting makes it redundant
        if (v === undefined || !r1(v)) break;
        const e = b.add1({ kind: 'expand' }, [v], [tensorType('float32', [2, ...shape(v)])]);
        out = b.map(bin('mul', arg(0), arg(1)), [e, constant([2, ...shape(v)])]);
        break;
      }
      case 11: { // movement chains: inverse transposes, reshape chains, slices of slices, unit-dim transposes
        const w = pick(a, (id) => shape(id).length === 2 && shape(id)[1]! >= 3);
        if (w === undefined) break;
        const [r, q] = shape(w) as [number, number];
        if (c % 4 === 0) out = b.add1({ kind: 'transpose', perm: [1, 0] }, [b.add1({ kind: 'transpose', perm: [1, 0] }, [w])]);
        else if (c % 4 === 1) out = b.add1({ kind: 'reshape' }, [b.add1({ kind: 'reshape' }, [w], [tensorType(t(w).dtype, [r * q])])], [tensorType(t(w).dtype, [q, r])]);
        else if (c % 4 === 2) out = b.add1({ kind: 'slice', starts: [0, 1], steps: [1, 1] }, [b.add1({ kind: 'slice', starts: [0, 1], steps: [1, 1] }, [w], [tensorType(t(w).dtype, [r, q - 1])])], [tensorType(t(w).dtype, [r, q - 2])]);
        else out = b.add1({ kind: 'transpose', perm: [1, 0, 2] }, [b.add1({ kind: 'reshape' }, [w], [tensorType(t(w).dtype, [r, 1, q])])]);
        break;
      }
      case 12: if (v !== undefined) out = b.map(bin('add', bin('pow', arg(0), arg(1)), arg(2)), [v, scalar(2), scalar(c % 3)]); break;
      case 13: { // integer chain shared by two consumers
        if (v === undefined) break;
        const i = b.map(cast('int32', arg(0)), [v]);
        const j = b.map(bin('bitxor', bin('mul', arg(0), lit(7, 'int32')), arg(0)), [i]);
        out = b.map(bin('add', cast('float32', arg(0)), cast('float32', arg(1))), [i, j]);
        break;
      }
    }
    if (out !== undefined) pool.push(out);
  }
  const outs = [...pool.slice(2).slice(-3), ...terminal];
  if (pool.length > 4) outs.push(pool[2 + ((steps[0]?.[1] ?? 0) % (pool.length - 2))]!);
  [...new Set(outs)].forEach((id, i) => b.output(`out${i}`, id));
  if (outs.length === 0) b.output('out0', x);
  return { graph: b.build(), feeds, steps };
}

export const fusionCase: fc.Arbitrary<RandomCase> = fc.tuple(
  fc.array(fc.array(fc.nat({ max: 127 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
  fc.integer({ min: 1, max: 3 }),
).map(([steps, batch]) => buildFusionCase(steps, batch));
