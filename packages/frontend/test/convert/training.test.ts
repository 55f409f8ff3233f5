// ai.onnx.preview.training optimizers against the update rules written out here in float64: two tensors of
// different shapes per node, at the first step (T = 0: no bias correction, beta' = 1) and a later one;
// plus the malformed nodes that must fail.

import { describe, expect, it } from 'vitest';
import { type HostTensor, interpret } from '@tensorc/ir';
import { attr } from '../../src/onnx/__tests__/proto-writer.js';
import { type Io, ONNX, errorOf, oneNode, rand } from './one-node-model.js';

const DOMAIN = 'ai.onnx.preview.training';
const SHAPES = [[3], [2, 2]];

/** A node over R, T and `lists` (e.g. X, G, H) for both shapes; outputs named <list>_new<i>. */
function build(opType: string, lists: string[], outLists: string[], attrs: Uint8Array[]) {
  const tensors = (names: string[], suffix: string): Io[] => names.flatMap((l) => SHAPES.map((s, i) => ({ name: `${l}${i}${suffix}`, type: ONNX.FLOAT, shape: s })));
  return oneNode({ opType, domain: DOMAIN, attrs,
    inputs: [{ name: 'R', type: ONNX.FLOAT, shape: [] }, { name: 'T', type: ONNX.INT64, shape: [] }, ...tensors(lists, '')],
    outputs: tensors(outLists, '_new') });
}

function feeds(lists: string[], t: bigint): Record<string, HostTensor> {
  const f: Record<string, HostTensor> = { R: { dtype: 'float32', shape: [], data: Float64Array.of(Math.fround(0.1)) }, T: { dtype: 'int64', shape: [], data: BigInt64Array.of(t) } };
  lists.forEach((l, j) => SHAPES.forEach((s, i) => { f[`${l}${i}`] = rand(s, 10 * j + i + 1, l === 'H' ? 0 : -1, 1); }));
  return f;
}

/** Checks each output element against `rule(r, t, element of each list) -> new values by list`. */
function check(opType: string, lists: string[], outLists: string[], attrs: Uint8Array[], rule: (r: number, t: number, e: Record<string, number>) => Record<string, number>) {
  const g = build(opType, lists, outLists, attrs);
  for (const t of [0n, 3n]) {
    const f = feeds(lists, t);
    const got = interpret(g, f);
    SHAPES.forEach((s, i) => {
      const n = s.reduce((a, b) => a * b, 1);
      for (let k = 0; k < n; k++) {
        const e = Object.fromEntries(lists.map((l) => [l, f[`${l}${i}`]!.data[k] as number]));
        const want = rule(f['R']!.data[0] as number, Number(t), e);
        for (const l of outLists) expect((got[`${l}${i}_new`] as HostTensor).data[k], `${l}${i}_new[${k}] at T=${t}`).toBeCloseTo(Math.fround(want[l]!), 6);
      }
    });
  }
}

describe('training optimizers', () => {
  it('Adagrad', () => {
    const [decay, eps, norm] = [0.1, 1e-5, 0.01].map(Math.fround) as [number, number, number];
    check('Adagrad', ['X', 'G', 'H'], ['X', 'H'], [attr.float('decay_factor', decay), attr.float('epsilon', eps), attr.float('norm_coefficient', norm)], (r, t, e) => {
      const g = norm * e['X']! + e['G']!;
      const h = e['H']! + g * g;
      return { X: e['X']! - (r / (1 + t * decay)) * g / (Math.sqrt(h) + eps), H: h };
    });
  });

  it('Adam (bias correction from T = 1, decay after the step)', () => {
    const [alpha, beta, eps, norm, post] = [0.9, 0.8, 1e-3, 0.01, 0.05].map(Math.fround) as [number, number, number, number, number];
    check('Adam', ['X', 'G', 'V', 'H'], ['X', 'V', 'H'], [attr.float('alpha', alpha), attr.float('beta', beta), attr.float('epsilon', eps),
      attr.float('norm_coefficient', norm), attr.float('norm_coefficient_post', post)], (r, t, e) => {
      const g = norm * e['X']! + e['G']!;
      const v = alpha * e['V']! + (1 - alpha) * g;
      const h = beta * e['H']! + (1 - beta) * g * g;
      const rate = t > 0 ? r * Math.sqrt(1 - beta ** t) / (1 - alpha ** t) : r;
      return { X: (1 - post) * (e['X']! - rate * (v / (Math.sqrt(h) + eps))), V: v, H: h };
    });
  });

  for (const mode of ['standard', 'nesterov']) {
    it(`Momentum (${mode})`, () => {
      const [alpha, beta, norm] = [0.9, 0.5, 0.01].map(Math.fround) as [number, number, number];
      check('Momentum', ['X', 'G', 'V'], ['X', 'V'], [attr.float('alpha', alpha), attr.float('beta', beta), attr.float('norm_coefficient', norm), attr.string('mode', mode)], (r, t, e) => {
        const g = norm * e['X']! + e['G']!;
        const v = alpha * e['V']! + (t > 0 ? beta : 1) * g;
        return { X: e['X']! - r * (mode === 'standard' ? v : g + alpha * v), V: v };
      });
    });
  }

  it('malformed nodes fail clearly', () => {
    const attrs = [attr.float('alpha', 0.9), attr.float('beta', 0.1), attr.float('norm_coefficient', 0)];
    const badMode = errorOf(() => build('Momentum', ['X', 'G', 'V'], ['X', 'V'], [...attrs, attr.string('mode', 'heavy')]));
    expect(badMode.code).toBe('UNSUPPORTED_ATTRIBUTE');
    const noMode = errorOf(() => build('Momentum', ['X', 'G', 'V'], ['X', 'V'], attrs));
    expect(noMode.message).toContain('"mode" is missing');
    const count = errorOf(() => build('Adam', ['X', 'G', 'V'], ['X'], []));
    expect(count.code).toBe('INVALID_MODEL');
    expect(count.message).toContain('4 tensors per optimized tensor');
  });
});
