// TreeEnsemble against a direct tree walk written here: three trees (one a single leaf) using every branch
// mode, set membership and NaN tracking, on inputs that hit the equality cases; every aggregate function;
// the post transforms; and the malformed ensembles that must fail with a clear CompileError.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { attr, tensor } from '../../src/onnx/__tests__/proto-writer.js';
import { ONNX, errorOf, oneNode } from './one-node-model.js';

interface Ensemble {
  modes: number[]; features: number[]; splits: number[];
  trueIds: number[]; trueLeafs: number[]; falseIds: number[]; falseLeafs: number[];
  tracks: number[]; members: number[]; targets: number[]; weights: number[]; roots: number[]; nTargets: number;
}

const BASE: Ensemble = {
  //        0  1  2  3  4  5  6  7
  modes:    [0, 6, 3, 4, 5, 1, 2, 0],
  features: [0, 1, 1, 2, 2, 2, 0, 0],
  splits:   [1, NaN, 0.5, 1.5, 0, 1, 0.5, 0],
  trueIds:  [1, 0, 4, 1, 4, 6, 7, 9],
  trueLeafs: [0, 1, 0, 1, 1, 0, 1, 1],
  falseIds: [2, 3, 3, 2, 5, 6, 8, 9],
  falseLeafs: [0, 0, 1, 1, 1, 1, 1, 1],
  tracks:   [0, 1, 0, 0, 0, 1, 0, 0],
  members:  [0.5, 2, NaN],
  targets:  [0, 1, 2, 0, 1, 2, 0, 1, 2, 1],
  weights:  [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5],
  roots:    [0, 5, 7],
  nTargets: 3,
};

/** The ensemble evaluated by walking each tree (float64 comparisons, as ONNX's reference). */
function walk(e: Ensemble, row: number[], agg: number): number[] {
  const sets: number[][] = [];
  let cur: number[] = [];
  for (const m of e.members) if (Number.isNaN(m)) { sets.push(cur); cur = []; } else cur.push(m);
  const setOf = new Map<number, number[]>();
  e.modes.forEach((m, i) => { if (m === 6) setOf.set(i, sets.shift()!); });
  const test = (i: number): boolean => {
    const x = row[e.features[i]!]!;
    const s = e.splits[i]!;
    const c = [x <= s, x < s, x >= s, x > s, x === s, x !== s, setOf.get(i)?.includes(x) ?? false][e.modes[i]!]!;
    return c || (e.tracks[i] === 1 && Number.isNaN(x));
  };
  const start = agg === 2 ? 3.4028234663852886e38 : agg === 3 ? -3.4028234663852886e38 : 0;
  const out = Array<number>(e.nTargets).fill(start);
  for (const root of e.roots) {
    let leaf: number;
    if (e.trueLeafs[root] && e.falseLeafs[root] && e.trueIds[root] === e.falseIds[root]) leaf = e.trueIds[root]!;
    else {
      let node = root;
      for (;;) {
        const t = test(node);
        const next = t ? e.trueIds[node]! : e.falseIds[node]!;
        if ((t ? e.trueLeafs[node] : e.falseLeafs[node]) === 1) { leaf = next; break; }
        node = next;
      }
    }
    const t = e.targets[leaf]!;
    const w = e.weights[leaf]!;
    out[t] = agg === 2 ? Math.min(out[t]!, w) : agg === 3 ? Math.max(out[t]!, w) : out[t]! + (agg === 0 ? w / e.roots.length : w);
  }
  return out;
}

function attrsOf(e: Ensemble, extra: Uint8Array[] = []): Uint8Array[] {
  const fl = (name: string, v: number[]) => attr.tensor(name, tensor({ dims: [v.length], dataType: ONNX.FLOAT, floatData: v }));
  return [
    attr.tensor('nodes_modes', tensor({ dims: [e.modes.length], dataType: ONNX.UINT8, int32Data: e.modes })),
    attr.ints('nodes_featureids', e.features), fl('nodes_splits', e.splits),
    attr.ints('nodes_truenodeids', e.trueIds), attr.ints('nodes_trueleafs', e.trueLeafs),
    attr.ints('nodes_falsenodeids', e.falseIds), attr.ints('nodes_falseleafs', e.falseLeafs),
    attr.ints('nodes_missing_value_tracks_true', e.tracks), fl('membership_values', e.members),
    attr.ints('leaf_targetids', e.targets), fl('leaf_weights', e.weights),
    attr.ints('tree_roots', e.roots), attr.int('n_targets', e.nTargets), ...extra,
  ];
}

const build = (e: Ensemble, extra: Uint8Array[] = [], xShape: number[] = [0, 3]) => oneNode({
  opType: 'TreeEnsemble', domain: 'ai.onnx.ml', opsets: [['ai.onnx.ml', 5]], attrs: attrsOf(e, extra),
  inputs: [{ name: 'x', type: ONNX.FLOAT, shape: xShape }], outputs: [{ name: 'y', type: ONNX.FLOAT, shape: [xShape[0]!, e.nTargets] }],
});

/** Every combination of three features over values that hit the splits exactly, plus NaN. */
const GRID = [NaN, 0, 0.5, 1, 1.5, 2];
const ROWS = GRID.flatMap((a) => GRID.flatMap((b) => GRID.map((c) => [a, b, c])));
const X: HostTensor = { dtype: 'float32', shape: [ROWS.length, 3], data: Float64Array.from(ROWS.flat()) };

function run(e: Ensemble, extra: Uint8Array[] = []): number[][] {
  const g = build(e, extra, [ROWS.length, 3]);
  const y = interpret(g, { x: X })['y'] as HostTensor;
  expect(y.shape).toEqual([ROWS.length, e.nTargets]);
  return ROWS.map((_, r) => Array.from(y.data as Float64Array).slice(r * e.nTargets, (r + 1) * e.nTargets));
}

describe('TreeEnsemble', () => {
  for (const [agg, name] of [[0, 'AVERAGE'], [1, 'SUM'], [2, 'MIN'], [3, 'MAX']] as const) {
    it(`matches a direct tree walk (${name}) on ${ROWS.length} rows incl. NaN and exact split values`, () => {
      const got = run(BASE, [attr.int('aggregate_function', agg)]);
      ROWS.forEach((row, r) => {
        const want = walk(BASE, row, agg).map(Math.fround);
        got[r]!.forEach((v, t) => expect(v, `row ${row.join(',')} target ${t}`).toBeCloseTo(want[t]!, 5));
      });
    });
  }

  it('SOFTMAX and LOGISTIC post transforms apply to the summed scores', () => {
    const soft = run(BASE, [attr.int('post_transform', 1)]);
    const logistic = run(BASE, [attr.int('post_transform', 2)]);
    ROWS.forEach((row, r) => {
      const s = walk(BASE, row, 1);
      const m = Math.max(...s);
      const z = s.reduce((a, v) => a + Math.exp(v - m), 0);
      s.forEach((v, t) => {
        expect(soft[r]![t]).toBeCloseTo(Math.exp(v - m) / z, 5);
        expect(logistic[r]![t]).toBeCloseTo(1 / (1 + Math.exp(-v)), 5);
      });
    });
  });

  it('SOFTMAX_ZERO leaves zero scores out; PROBIT inverts the normal CDF', () => {
    // One tree, one leaf: the row's scores are [w, 0, 0] for target 0.
    const single = (w: number): Ensemble => ({ ...BASE, modes: [0], features: [0], splits: [0], trueIds: [0], trueLeafs: [1], falseIds: [0], falseLeafs: [1],
      tracks: [0], members: [], targets: [0], weights: [w], roots: [0] });
    const sz = run(single(1.5), [attr.int('post_transform', 3)])[0]!;
    expect(sz[0]).toBeCloseTo(1, 6);
    expect(sz[1]).toBeCloseTo(0, 6);
    const probit = run({ ...single(0.975), nTargets: 1 }, [attr.int('post_transform', 4)])[0]!;
    expect(probit[0]).toBeCloseTo(1.96, 2);
    const half = run({ ...single(0.5), nTargets: 1 }, [attr.int('post_transform', 4)])[0]!;
    expect(half[0]).toBeCloseTo(0, 6);
  });

  it('lowers to gathers, maps, reduces, a reshape and a contraction (no control flow)', () => {
    const kinds = new Set(build(BASE, [], [4, 3]).nodes.map((n) => n.op.kind));
    expect([...kinds].sort()).toEqual(['constant', 'contract', 'gather', 'map', 'reduce', 'reshape']);
  });

  it('malformed ensembles fail with clear errors', () => {
    const cycle = errorOf(() => build({ ...BASE, trueIds: [0, ...BASE.trueIds.slice(1)], trueLeafs: [0, ...BASE.trueLeafs.slice(1)] }));
    expect(cycle.code).toBe('INVALID_MODEL');
    expect(cycle.message).toContain('cycle');
    const sets = errorOf(() => build({ ...BASE, members: [0.5, NaN, 2, NaN] }));
    expect(sets.message).toContain('1 BRANCH_MEMBER nodes but membership_values holds 2');
    const mode = errorOf(() => build({ ...BASE, modes: [7, ...BASE.modes.slice(1)] }));
    expect(mode.message).toContain('mode 7');
    const target = errorOf(() => build({ ...BASE, nTargets: 2 }));
    expect(target.message).toContain('leaf target 2 is outside [0, n_targets=2)');
    const feature = errorOf(() => build({ ...BASE, features: [5, ...BASE.features.slice(1)] }));
    expect(feature.message).toContain('feature id 5 is outside the 3 features');
    const agg = errorOf(() => build(BASE, [attr.int('aggregate_function', 4)]));
    expect(agg.code).toBe('UNSUPPORTED_ATTRIBUTE');
    const post = errorOf(() => build(BASE, [attr.int('post_transform', 5)]));
    expect(post.code).toBe('UNSUPPORTED_ATTRIBUTE');
  });
});
