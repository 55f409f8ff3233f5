// fast-check arbitraries for well-typed random graphs: a random program of steps applied through the
// GraphBuilder to a pool of values (float32, float16, int32; static dims and a symbolic batch dim N),
// covering contract (matmul/einsum), map (unary, binary with broadcasting, casts, selects), reduce, softmax, attention,
// argreduce, cumulative, reshape, transpose, slice, pad, concat, expand, gather(_nd), scatter(_nd), iota,
// shape_of, topk, nonzero, bitcast, string ops, quantize/dequantize, if/loop/scan regions, routed experts,
// sequences, optionals and constants: every op kind. Every graph verifies; its feeds are generated alongside.

import fc from 'fast-check';
import {
  type DType, GraphBuilder, type Graph, type HostTensor, type ValueId, arg, bin, cast, lit, select, tensorType, un, type UnaryOp,
} from '../src/index.js';

export interface RandomCase {
  readonly graph: Graph;
  readonly feeds: Record<string, HostTensor>;
  /** The seed program, printed on failure. */
  readonly steps: readonly number[][];
}

const UNARY: UnaryOp[] = ['neg', 'abs', 'exp', 'tanh', 'sigmoid', 'sqrt', 'floor', 'erf', 'recip'];

function data(shape: number[], seed: number, dtype: DType = 'float32'): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => Math.sin((i + 1) * 1.7 + seed * 3.1) * 3);
  return { dtype, shape, data: Float64Array.from(vals, (v) => (dtype === 'int32' ? Math.round(v) : Math.fround(v))) };
}

/** Builds a graph from a step list; each step is [choice, a, b, c] of small integers. */
/** `choices` limits the step kinds to the first n (the wasm backend's differential test uses the first 16). */
export function buildRandom(steps: readonly number[][], batch: number, symbolicBatch = true, choices = 34): RandomCase {
  const b = new GraphBuilder();
  const feeds: Record<string, HostTensor> = {};
  const x = b.input('x', tensorType('float32', [symbolicBatch ? 'N' : batch, 4]));
  feeds['x'] = data([batch, 4], 1);
  const y = b.input('y', tensorType('float32', [3, 4]));
  feeds['y'] = data([3, 4], 2);
  const pool: ValueId[] = [x, y];
  const t = (id: ValueId) => b.tensorTypeOf(id);
  const pick = (k: number, pred: (id: ValueId) => boolean = () => true) => {
    const c = pool.filter(pred);
    return c.length ? c[k % c.length]! : undefined;
  };
  const isF32 = (id: ValueId) => t(id).dtype === 'float32';
  const rank2 = (id: ValueId) => t(id).shape.length === 2;
  let seed = 10;
  for (const [choice = 0, a = 0, c = 0] of steps) {
    let out: ValueId | undefined;
    switch (choice % choices) {
      case 0: { const v = pick(a, isF32); if (v !== undefined) out = b.map(un(UNARY[c % UNARY.length]!, arg(0)), [v]); break; }
      case 1: { // binary with a same-shaped value or a row vector (broadcast)
        const v = pick(a, isF32);
        if (v === undefined) break;
        const s = t(v).shape;
        const other = pick(c, (id) => isF32(id) && t(id).shape.join() === s.join()) ?? b.constant(data([s[s.length - 1] as number], seed++));
        out = b.map(bin((['add', 'mul', 'sub', 'max', 'div'] as const)[c % 5], arg(0), arg(1)), [v, other]);
        break;
      }
      case 2: { const v = pick(a, (id) => isF32(id) && rank2(id) && typeof t(id).shape[1] === 'number'); if (v !== undefined) out = b.matmul(v, b.constant(data([t(v).shape[1] as number, 1 + (c % 5)], seed++))); break; }
      case 3: { const v = pick(a, (id) => t(id).shape.length >= 1 && t(id).dtype !== 'float16'); if (v !== undefined) out = b.add1({ kind: 'reduce', reducer: (['add', 'max', 'min', 'mul'] as const)[c % 4], axes: [t(v).shape.length - 1], keepDims: c % 2 === 0 }, [v]); break; }
      case 4: {
        const v = pick(a, (id) => isF32(id) && t(id).shape.length >= 1);
        if (v === undefined) break;
        const s = t(v).shape;
        const kv = c % 4 === 3 && s.length === 2 && typeof s[1] === 'number' ? pick(c, (id) => isF32(id) && rank2(id) && t(id).shape[1] === s[1]) : undefined;
        if (kv === undefined) { out = b.add1({ kind: 'softmax', axis: s.length - 1, log: c % 2 === 1 }, [v]); break; }
        // fused attention of v's rows over kv's rows (loops: query d0, feature d1, key d2, depth d3), scaled
        const dm = (i: number) => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });
        out = b.add1({
          kind: 'attention', keyExtent: t(kv).shape[0]!, qkExtent: s[1]!, valueAxis: 1, maps: [[dm(0), dm(3)], [dm(2), dm(3)], [dm(2), dm(1)]],
          scoreEpilogue: c % 8 === 7 ? bin('mul', { k: 'acc' }, lit(0.5, 'float32')) : null,
        }, [v, kv, kv], [tensorType('float32', [s[0]!, s[1]!])]);
        break;
      }
      case 5: { const v = pick(a, rank2); if (v !== undefined) out = b.add1({ kind: 'transpose', perm: [1, 0] }, [v]); break; }
      case 6: { const v = pick(a, (id) => rank2(id) && t(id).shape.every((d) => typeof d === 'number')); if (v !== undefined) { const s = t(v).shape as number[]; out = b.add1({ kind: 'reshape' }, [v], [tensorType(t(v).dtype, [s[0]! * s[1]!])]); } break; }
      case 7: { const v = pick(a, (id) => isF32(id) && rank2(id)); if (v !== undefined) out = b.add1({ kind: 'pad', mode: (['constant', 'edge', 'reflect', 'wrap'] as const)[c % 4], low: [0, 1], high: [0, c % 2], interior: [0, 0], value: 1.5 }, [v]); break; }
      case 8: { const v = pick(a, (id) => rank2(id) && typeof t(id).shape[1] === 'number' && (t(id).shape[1] as number) >= 2); if (v !== undefined) { const s = t(v).shape; out = b.add1({ kind: 'slice', starts: [0, 1], steps: [1, 1] }, [v], [tensorType(t(v).dtype, [s[0]!, (s[1] as number) - 1])]); } break; }
      case 9: { const v = pick(a, rank2); if (v !== undefined) out = b.add1({ kind: 'concat', axis: 1 }, [v, v]); break; }
      case 10: { const v = pick(a, isF32); if (v !== undefined) out = b.map(cast('float32', cast('float16', arg(0))), [v]); break; }
      case 11: { const v = pick(a, isF32); if (v !== undefined) out = b.map(cast('int32', arg(0)), [v]); break; }
      case 12: { // integer arithmetic, exact and wrapping
        const v = pick(a, (id) => t(id).dtype === 'int32');
        if (v !== undefined) out = b.map(bin((['add', 'mul', 'max', 'bitxor'] as const)[c % 4], arg(0), lit(c + 1, 'int32')), [v]);
        break;
      }
      case 13: { const v = pick(a, isF32); if (v !== undefined) out = b.map(select(bin('gt', arg(0), lit(0, 'float32')), arg(0), bin('mul', arg(0), lit(0.25, 'float32'))), [v]); break; }
      case 14: { const v = pick(a, (id) => rank2(id) && typeof t(id).shape[1] === 'number'); if (v !== undefined) out = b.add1({ kind: 'gather', axis: 1 }, [v, b.constant({ dtype: 'int64', shape: [2], data: BigInt64Array.of(0n, -1n) })]); break; }
      case 15: { const v = pick(a, (id) => isF32(id) && rank2(id) && t(id).shape[1] === 4); if (v !== undefined) out = b.add({ kind: 'topk', axis: 1, k: 1 + (c % 3), largest: c % 2 === 0, sorted: true }, [v])[0]; break; }
      case 16: { const v = pick(a, (id) => isF32(id) && t(id).shape.length >= 1); if (v !== undefined) b.add1({ kind: 'argreduce', mode: c % 2 ? 'max' : 'min', axis: t(v).shape.length - 1, keepDims: c % 3 === 0, selectLast: c % 4 === 1 }, [v]); break; }
      case 17: { const v = pick(a, (id) => (isF32(id) || t(id).dtype === 'int32') && t(id).shape.length >= 1); if (v !== undefined) out = b.add1({ kind: 'cumulative', reducer: c % 2 ? 'add' : 'mul', axis: t(v).shape.length - 1, exclusive: c % 3 === 0, reverse: c % 4 === 1 }, [v]); break; }
      case 18: { // quantize to int8 per tensor and back
        const v = pick(a, isF32);
        if (v === undefined) break;
        const scheme = { axis: null, blockSize: null, saturate: true };
        const scale = b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(0.03125 * (1 + (c % 4))) });
        const zp = b.constant({ dtype: 'int8', shape: [], data: Float64Array.of((c % 5) - 2) });
        out = b.add1({ kind: 'dequantize', scheme }, [b.add1({ kind: 'quantize', scheme }, [v, scale, zp]), scale, zp]);
        break;
      }
      case 19: { // if on a data-dependent condition, both branches computing from outer values
        const v = pick(a, isF32);
        if (v === undefined) break;
        const cond = b.add1({ kind: 'reshape' }, [b.add1({ kind: 'reduce', reducer: 'max', axes: [...t(v).shape.keys()], keepDims: true }, [b.map(bin('gt', arg(0), lit(0, 'float32')), [v])])], [tensorType('bool', [])]);
        const thenBranch = b.region([], () => [b.map(un('tanh', arg(0)), [v])]);
        const elseBranch = b.region([], () => [b.map(bin('mul', arg(0), lit(-2, 'float32')), [v])]);
        out = b.add1({ kind: 'if', thenBranch, elseBranch }, [cond]);
        break;
      }
      case 20: { // loop with a trip count, a carried value and a scanned output
        const v = pick(a, (id) => isF32(id) && t(id).shape.every((d) => typeof d === 'number'));
        if (v === undefined) break;
        const vt = t(v);
        const trips = 1 + (c % 3);
        const body = b.region([tensorType('int64', []), tensorType('bool', []), vt], ([, cnd, acc]) => {
          const next = b.map(bin('add', bin('mul', arg(0), lit(0.5, 'float32')), lit(1, 'float32')), [acc!]);
          return [cnd!, next, next];
        });
        const trip = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(trips)) });
        out = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trip, v], [vt, tensorType('float32', [trips, ...vt.shape])])[1];
        break;
      }
      case 21: { const v = pick(a, (id) => isF32(id) && rank2(id) && t(id).shape[1] === 4); if (v !== undefined) out = b.add1({ kind: 'scatter_elements', axis: 1, reduction: (['none', 'add', 'max'] as const)[c % 3] }, [v, b.constant({ dtype: 'int64', shape: [1, 2], data: BigInt64Array.of(3n, 0n) }), b.constant(data([1, 2], seed++))]); break; }
      case 22: { // shape arithmetic feeding an iota: constant folding's job
        const v = pick(a, (id) => t(id).shape.length >= 1);
        if (v === undefined) break;
        b.add1({ kind: 'shape_of', start: 0, end: t(v).shape.length }, [v]);
        out = b.map(bin('mul', cast('float32', arg(0)), lit(0.5, 'float32')), [b.add1({ kind: 'iota', axis: 1 }, [], [tensorType('int32', [2, 3])])]);
        break;
      }
      case 24: { const v = pick(a, (id) => rank2(id)); if (v !== undefined) out = b.add1({ kind: 'expand' }, [v], [tensorType(t(v).dtype, [2, ...t(v).shape])]); break; }
      case 25: { const v = pick(a, isF32); if (v !== undefined) out = b.map(bin('bitand', arg(0), lit(0x7fffff00, 'int32')), [b.add1({ kind: 'bitcast' }, [v], [tensorType('int32', t(v).shape)])]); break; }
      case 26: { const v = pick(a, isF32); if (v !== undefined) b.add1({ kind: 'nonzero' }, [b.map(bin('gt', arg(0), lit(0, 'float32')), [v])], [tensorType('int64', [t(v).shape.length, `nz${seed++}`])]); break; }
      case 27: { // gather_nd, or gather_elements along the last axis
        const v = pick(a, (id) => rank2(id) && t(id).shape.every((d) => typeof d === 'number' && d >= 2));
        if (v === undefined) break;
        const rows = t(v).shape[0] as number;
        out = c % 2 === 0
          ? b.add1({ kind: 'gather_nd', batchDims: 0 }, [v, b.constant({ dtype: 'int64', shape: [2, 2], data: BigInt64Array.of(0n, 1n, -1n, 0n) })])
          : b.add1({ kind: 'gather_elements', axis: 1 }, [v, b.constant({ dtype: 'int64', shape: [rows, 1], data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 2 ? -1 : 0)) })]);
        break;
      }
      case 28: { const v = pick(a, (id) => isF32(id) && rank2(id) && t(id).shape[1] === 4); if (v !== undefined) out = b.add1({ kind: 'scatter_nd', reduction: (['none', 'add', 'mul'] as const)[c % 3] }, [v, b.constant({ dtype: 'int64', shape: [1, 1], data: BigInt64Array.of(0n) }), b.constant(data([1, 4], seed++))]); break; }
      case 29: { // a sequence of two values, read back by position
        const v = pick(a, (id) => t(id).shape.every((d) => typeof d === 'number'));
        if (v === undefined) break;
        const seq = b.add1({ kind: 'sequence', fn: 'construct', axis: 0, keepDims: true }, [v, v], [{ kind: 'sequence', elem: t(v) }]);
        out = b.add1({ kind: 'sequence', fn: 'at', axis: 0, keepDims: true }, [seq, b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt((c % 2) - 1)) })], [t(v)]);
        break;
      }
      case 30: { const v = pick(a); if (v !== undefined) out = b.add1({ kind: 'optional', fn: 'get' }, [b.add1({ kind: 'optional', fn: 'wrap' }, [v], [{ kind: 'optional', elem: t(v) }])], [t(v)]); break; }
      case 31: { // scan: running sum over the rows of a static 2-D value
        const v = pick(a, (id) => isF32(id) && rank2(id) && t(id).shape.every((d) => typeof d === 'number'));
        if (v === undefined) break;
        const [rows, cols] = t(v).shape as [number, number];
        const body = b.region([tensorType('float32', [cols]), tensorType('float32', [cols])], ([st, row]) => {
          const next = b.map(bin('add', arg(0), arg(1)), [st!, row!]);
          return [next, next];
        });
        out = b.add({ kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [c % 2 === 1], scanOutputAxes: [0], scanOutputReverse: [false], body },
          [b.constant(data([cols], seed++)), v], [tensorType('float32', [cols]), tensorType('float32', [rows, cols])])[1];
        break;
      }
      case 23: { // routed experts over a 2-D value with 4 columns
        const v = pick(a, (id) => isF32(id) && rank2(id) && t(id).shape[1] === 4);
        if (v === undefined) break;
        const scores = b.matmul(v, b.constant(data([4, 3], seed++)));
        const w = b.constant(data([3, 4, 2], seed++));
        const body = b.region([tensorType('float32', ['t', 4]), tensorType('float32', [4, 2])], ([xs, we]) => [b.matmul(xs!, we!)]);
        out = b.add1({ kind: 'experts', numExperts: 3, topK: 1 + (c % 2), gate: (['softmax_topk', 'topk_softmax', 'topk'] as const)[c % 3], body }, [v, scores, w]);
        break;
      }
      case 32: { // string ops on constant text: case mapping, concat, RE2 full match, split (data-dependent width)
        const words = b.constant({ dtype: 'string', shape: [2], data: [`Ab c${a}`, ` x,y  ${c % 3}`] });
        const cased = b.add1({ kind: 'string_case', upper: c % 2 === 0, locale: '' }, [words]);
        const joined = b.add1({ kind: 'string_concat' }, [cased, b.constant({ dtype: 'string', shape: [1], data: [','] })]);
        const hit = b.add1({ kind: 'regex_match', pattern: ['[a-z ]+\\d+,', '.*,', '\\w+'][c % 3]! }, [joined]);
        b.add({ kind: 'string_split', delimiter: [',', ''][c % 2]!, maxSplit: (c % 3) - 1 }, [joined], [tensorType('string', [2, `tok${seed++}`]), tensorType('int64', [2])]);
        out = b.map(select(arg(0), lit(1, 'float32'), lit(0, 'float32')), [hit]);
        break;
      }
      case 33: { // two results in one pass, the second reading the first back (a1)
        const v = pick(a, isF32);
        if (v !== undefined) out = b.add({ kind: 'multimap', exprs: [un('tanh', arg(0)), bin('mul', arg(1), arg(0))] }, [v])[c % 2];
        break;
      }
    }
    if (out !== undefined) pool.push(out);
  }
  // Also some constant-only arithmetic, so constant folding has work.
  const k1 = b.constant(data([2, 3], 5));
  const k2 = b.map(bin('mul', arg(0), lit(2, 'float32')), [k1]);
  pool.push(b.map(bin('add', arg(0), arg(1)), [k2, b.add1({ kind: 'transpose', perm: [0, 1] }, [k2])]));
  const outs = pool.slice(2);
  outs.slice(-4).forEach((id, i) => b.output(`out${i}`, id));
  if (outs.length === 0) b.output('out0', x);
  return { graph: b.build(), feeds, steps };
}

const programs = fc.tuple(
  fc.array(fc.array(fc.nat({ max: 127 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 14 }),
  fc.integer({ min: 1, max: 3 }),
);

/** Random graphs with a symbolic batch dim N on input x. */
export const randomCase: fc.Arbitrary<RandomCase> = programs.map(([steps, batch]) => buildRandom(steps, batch));

/** Programs with every dim static, over the step kinds the wasm backend compiles first (the first 16). */
export const randomStaticCase: fc.Arbitrary<RandomCase> = programs.map(([steps, batch]) => buildRandom(steps, batch, false, 16));
