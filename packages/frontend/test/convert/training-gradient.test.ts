// The Gradient operator on small graphs against derivatives worked out by hand: elementwise chains with
// broadcasting, reshape/transpose/sum, zs held fixed, evaluation at inputs other than xs, y independent of x;
// and a path through an op without a rule (MatMul) failing with the op named.

import { describe, expect, it } from 'vitest';
import { type Graph, type HostTensor, interpret } from '@tensorc/ir';
import { importOnnx } from '../../src/import-onnx.js';
import { attr, graph, model, node, tensor, tensorType, valueInfo } from '../../src/onnx/__tests__/proto-writer.js';
import { ONNX, errorOf, rand } from './one-node-model.js';

type Shape = number[];

function build(inputs: [string, Shape][], nodes: Uint8Array[], grad: { xs: string[]; zs?: string[]; y: string; at?: string[] }, outputs: [string, Shape][], inits: Uint8Array[] = []): Graph {
  const g = node({ opType: 'Gradient', domain: 'ai.onnx.preview.training', name: 'grad', inputs: grad.at ?? [...grad.xs, ...(grad.zs ?? [])],
    outputs: outputs.map(([n]) => n), attrs: [attr.strings('xs', grad.xs), ...(grad.zs ? [attr.strings('zs', grad.zs)] : []), attr.string('y', grad.y)] });
  return importOnnx(model({
    opsets: [['', 17], ['ai.onnx.preview.training', 1]],
    graph: graph({
      nodes: [...nodes, g], initializers: inits,
      inputs: inputs.map(([n, s]) => valueInfo(n, tensorType(ONNX.FLOAT, s))),
      outputs: outputs.map(([n, s]) => valueInfo(n, tensorType(ONNX.FLOAT, s))),
    }),
  }));
}

const op = (opType: string, inputs: string[], out: string, attrs: Uint8Array[] = []) => node({ opType, inputs, outputs: [out], name: out, attrs });
const data = (t: unknown) => Array.from((t as HostTensor).data as Float64Array);

describe('Gradient', () => {
  const a = rand([2, 3], 1);
  const b = rand([3], 2);

  it('differentiates an elementwise chain with broadcasting (sums over the broadcast axis)', () => {
    // y = tanh(a·b + exp(a) / b), b broadcast over rows.
    const g = build([['a', [2, 3]], ['b', [3]]],
      [op('Mul', ['a', 'b'], 'ab'), op('Exp', ['a'], 'ea'), op('Div', ['ea', 'b'], 'q'), op('Add', ['ab', 'q'], 's'), op('Tanh', ['s'], 'y')],
      { xs: ['a', 'b'], y: 'y' }, [['da', [2, 3]], ['db', [3]]]);
    const out = interpret(g, { a, b });
    const da = data(out['da']);
    const db = data(out['db']);
    const wantDb = [0, 0, 0];
    for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) {
      const x = a.data[r * 3 + c] as number;
      const w = b.data[c] as number;
      const t = 1 - Math.tanh(x * w + Math.exp(x) / w) ** 2;
      expect(da[r * 3 + c]).toBeCloseTo(t * (w + Math.exp(x) / w), 4);
      wantDb[c]! += t * (x - Math.exp(x) / (w * w));
    }
    wantDb.forEach((v, c) => expect(db[c]).toBeCloseTo(v, 3));
  });

  it('goes through Reshape, Transpose and ReduceSum; zs are held fixed', () => {
    // y = sum over axis 0 of transpose(reshape(a·a·z, [3, 2])) -> d y / d a = 2·a·z (seed: ones).
    const axes = tensor({ name: 'axes', dims: [1], dataType: ONNX.INT64, int64Data: [0] });
    const shape = tensor({ name: 'shape', dims: [2], dataType: ONNX.INT64, int64Data: [3, 2] });
    const g = build([['a', [2, 3]], ['z', [2, 3]]],
      [op('Mul', ['a', 'a'], 'aa'), op('Mul', ['aa', 'z'], 'p'), op('Reshape', ['p', 'shape'], 'r'), op('Transpose', ['r'], 't', [attr.ints('perm', [1, 0])]),
        op('ReduceSum', ['t', 'axes'], 'y', [attr.int('keepdims', 0)])],
      { xs: ['a'], zs: ['z'], y: 'y' }, [['da', [2, 3]]], [axes, shape]);
    const z = rand([2, 3], 3);
    const da = data(interpret(g, { a, z })['da']);
    da.forEach((v, i) => expect(v).toBeCloseTo(2 * (a.data[i] as number) * (z.data[i] as number), 5));
  });

  it('evaluates at the Gradient node inputs when they differ from xs; zero when y ignores x', () => {
    const g = build([['a', [3]], ['a2', [3]], ['u', [3]]], [op('Mul', ['a', 'a'], 'y')],
      { xs: ['a', 'u'], y: 'y', at: ['a2', 'u'] }, [['da', [3]], ['du', [3]]]);
    const a2 = rand([3], 7);
    const out = interpret(g, { a: rand([3], 8), a2, u: rand([3], 9) });
    data(out['da']).forEach((v, i) => expect(v).toBeCloseTo(2 * (a2.data[i] as number), 6));
    expect(data(out['du'])).toEqual([0, 0, 0]);
  });

  it('names the op it cannot differentiate through', () => {
    const e = errorOf(() => build([['a', [2, 3]], ['w', [3, 2]]], [op('MatMul', ['a', 'w'], 'y')], { xs: ['a'], y: 'y' }, [['da', [2, 3]]]));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toContain('Gradient through MatMul node "y": IR op contract is not differentiated');
  });

  it('requires y to be computed before the Gradient node', () => {
    const e = errorOf(() => build([['a', [3]]], [], { xs: ['a'], y: 'later' }, [['da', [3]]]));
    expect(e.message).toContain('"later" must be computed before the Gradient node');
  });
});
