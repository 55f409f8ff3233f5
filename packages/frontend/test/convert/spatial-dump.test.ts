import { it } from 'vitest';
import { listCases, suiteDir, loadCase } from '../conformance/suite.js';
const OPS = ['GridSample', 'AffineGrid', 'RoiAlign', 'Col2Im', 'MaxUnpool', 'DeformConv'];
it('dump', () => {
  const dir = suiteDir()!;
  for (const c of listCases(dir).filter((c) => c.ops.some((o) => OPS.includes(o)))) {
    const m = loadCase(dir, c).model;
    const g = m.graph;
    const attrs = g.nodes.map((n) => `${n.opType}(${[...n.attributes].map(([k, v]) => `${k}=${JSON.stringify(v, (_, x) => typeof x === 'bigint' ? Number(x) : x)}`).join(',')})`).join(' ');
    console.log(c.name, 'opset', m.opsets.get(''), attrs, 'in:', g.inputs.map((i) => `${i.name}:${JSON.stringify(i.type)}`).join(' '), 'init:', g.initializers.map((i) => i.name).join(','), 'out:', JSON.stringify(g.outputs.map((o) => o.type)));
  }
});
