import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder/index.js';
import type { Graph } from '../graph.js';
import { tensorType } from '../types.js';
import { verify } from './verify.js';

const f32 = (...shape: (number | string)[]) => tensorType('float32', shape);

function sample(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', f32('N', 4));
  const w = b.input('w', f32(4, 3));
  const y = b.matmul(x, w);
  const z = b.add1({ kind: 'transpose', perm: [1, 0] }, [y]);
  b.output('z', z);
  return b.build();
}

describe('verify', () => {
  it('accepts a well-formed graph', () => {
    expect(() => verify(sample())).not.toThrow();
  });
  it('rejects a value defined twice', () => {
    const g = sample();
    const dup = { ...g, nodes: [g.nodes[0]!, g.nodes[0]!, g.nodes[1]!] };
    expect(() => verify(dup)).toThrow('invariant 1 (unique definitions) broken at node #1 (contract): %2 (result 0) is defined twice');
  });
  it('rejects a use before definition', () => {
    const g = sample();
    const swapped = { ...g, nodes: [g.nodes[1]!, g.nodes[0]!] };
    expect(() => verify(swapped)).toThrow('invariant 2 (defined before use) broken at node #0 (transpose): input %2 is not defined before use');
  });
  it('rejects a result type the rule does not give', () => {
    const g = sample();
    const t = g.nodes[1]!;
    const bad = { ...g, nodes: [g.nodes[0]!, { ...t, outputs: [{ id: t.outputs[0]!.id, type: f32('N', 3) }] }] };
    expect(() => verify(bad)).toThrow('invariant 3 (types follow the op rule) broken at node #1 (transpose): result 0 is f32[3,N] but f32[N,3] is declared');
  });
  it('rejects a bad permutation', () => {
    const g = sample();
    const t = g.nodes[1]!;
    const bad = { ...g, nodes: [g.nodes[0]!, { ...t, op: { kind: 'transpose' as const, perm: [0, 0] } }] };
    expect(() => verify(bad)).toThrow('invariant 3 (types follow the op rule) broken at node #1 (transpose): perm [0,0] is not a permutation of rank 2');
  });
  it('rejects an output that refers to nothing', () => {
    const g = sample();
    expect(() => verify({ ...g, outputs: [{ name: 'z', value: 99 }] })).toThrow('invariant 4 (visible results) broken: graph output "z" refers to undefined %99');
  });
  it('rejects duplicate output names', () => {
    const g = sample();
    expect(() => verify({ ...g, outputs: [g.outputs[0]!, g.outputs[0]!] })).toThrow('invariant 5 (unique names) broken: graph output name "z" repeats');
  });
  it('rejects non-canonical symbolic dims', () => {
    const b = new GraphBuilder();
    b.output('x', b.input('x', f32('N+N')));
    expect(() => verify(b.build())).toThrow('invariant 6 (well-formed dims) broken: %0 has dim "N+N", canonically "2*N"');
  });
  it('rejects a contraction whose combiner has the wrong dtype', () => {
    const g = sample();
    const c = g.nodes[0]!;
    if (c.op.kind !== 'contract') throw new Error('expected contract');
    const bad = { ...g, nodes: [{ ...c, op: { ...c.op, accDtype: 'float64' as const } }, g.nodes[1]!] };
    expect(() => verify(bad)).toThrow('invariant 3 (types follow the op rule) broken at node #0 (contract): combiner yields float32 but the accumulator is float64');
  });
  it('rejects region values used outside their region', () => {
    const b = new GraphBuilder();
    const c = b.input('c', tensorType('bool', []));
    let inner = -1;
    const thenBranch = b.region([], () => { inner = b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(1) }); return [inner]; });
    const elseBranch = b.region([], () => [b.constant({ dtype: 'float32', shape: [], data: Float64Array.of(2) })]);
    b.add({ kind: 'if', thenBranch, elseBranch }, [c]);
    const g = b.build();
    expect(() => verify({ ...g, outputs: [{ name: 'leak', value: inner }] })).toThrow(/invariant 4 \(visible results\) broken: graph output "leak" refers to undefined/);
  });
});
