// The IR verifier. Invariants (numbered; errors cite them):
//  1. Every value id is defined exactly once in the whole graph: graph inputs, region params, node outputs.
//  2. Every node input is defined before its use, in the same region or an enclosing one (SSA; no cycles).
//  3. Every node's result types are exactly what the op's type rule gives for its inputs (dtype, rank,
//     dims, op attributes such as axes, perms, index maps, scalar expression typing, quant schemes).
//  4. Region results and graph outputs refer to values visible at that point.
//  5. Graph input names are unique, and so are graph output names.
//  6. Dims are non-negative integers or canonical symbolic dims ("N", "2*N+1").
// A failure is a VERIFY_ERROR naming the invariant, the node (index, op kind, origin) and the cause.

import { canonicalDim } from '../dims.js';
import { CompileError } from '../errors.js';
import type { Graph, Node, Region, Value, ValueId } from '../graph.js';
import { inferTypes, printTypeBrief, typesEqual } from '../infer/index.js';
import { regionsOf } from '../ops.js';
import type { ValueType } from '../types.js';

export const INVARIANTS = {
  1: 'unique definitions',
  2: 'defined before use',
  3: 'types follow the op rule',
  4: 'visible results',
  5: 'unique names',
  6: 'well-formed dims',
} as const;

type Invariant = keyof typeof INVARIANTS;

function broken(inv: Invariant, what: string, node?: Node, path?: string): never {
  const at = node ? ` at ${path} (${node.op.kind})` : '';
  throw new CompileError('VERIFY_ERROR', `invariant ${inv} (${INVARIANTS[inv]}) broken${at}: ${what}`,
    node?.origin ? { node: node.origin.node, opType: node.origin.opType } : {});
}

function checkType(t: ValueType, where: string, node?: Node, path?: string): void {
  if (t.kind !== 'tensor') return checkType(t.elem, where, node, path);
  for (const d of t.shape) {
    if (typeof d === 'number') {
      if (!Number.isSafeInteger(d) || d < 0) broken(6, `${where} has dim ${d}`, node, path);
    } else {
      let c: number | string;
      try {
        c = canonicalDim(d);
      } catch {
        return broken(6, `${where} has malformed dim "${d}"`, node, path);
      }
      if (c !== d) broken(6, `${where} has dim "${d}", canonically ${JSON.stringify(c)}`, node, path);
    }
  }
}

export function verify(g: Graph): void {
  const types = new Map<ValueId, ValueType>();
  const define = (v: Value, where: string, node?: Node, path?: string) => {
    if (types.has(v.id)) broken(1, `%${v.id} (${where}) is defined twice`, node, path);
    checkType(v.type, `%${v.id}`, node, path);
    types.set(v.id, v.type);
  };
  const names = new Set<string>();
  for (const i of g.inputs) {
    if (names.has(i.name)) broken(5, `graph input name "${i.name}" repeats`);
    names.add(i.name);
    define(i.value, `graph input "${i.name}"`);
  }
  const visible = new Set<ValueId>(g.inputs.map((i) => i.value.id));
  walk(g.nodes, visible, types, define, 'node');
  const outNames = new Set<string>();
  for (const o of g.outputs) {
    if (outNames.has(o.name)) broken(5, `graph output name "${o.name}" repeats`);
    outNames.add(o.name);
    if (!visible.has(o.value)) broken(4, `graph output "${o.name}" refers to undefined %${o.value}`);
  }
}

function walk(nodes: readonly Node[], visible: Set<ValueId>, types: Map<ValueId, ValueType>,
  define: (v: Value, where: string, node?: Node, path?: string) => void, prefix: string): void {
  nodes.forEach((node, idx) => {
    const path = `${prefix} #${idx}`;
    for (const id of node.inputs) if (!visible.has(id)) broken(2, `input %${id} is not defined before use`, node, path);
    regionsOf(node.op).forEach((r, ri) => walkRegion(r, node, visible, types, define, `${path} region ${ri}`));
    const ins = node.inputs.map((id) => types.get(id)!);
    let expected: readonly ValueType[];
    try {
      expected = inferTypes(node.op, ins, node.outputs.map((o) => o.type), (id) => types.get(id));
    } catch (e) {
      return broken(3, e instanceof Error ? e.message : String(e), node, path);
    }
    if (expected.length !== node.outputs.length) broken(3, `${node.outputs.length} results, rule gives ${expected.length}`, node, path);
    node.outputs.forEach((o, i) => {
      if (!typesEqual(o.type, expected[i]!)) broken(3, `result ${i} is ${printTypeBrief(o.type)}, rule gives ${printTypeBrief(expected[i]!)}`, node, path);
      define(o, `result ${i}`, node, path);
      visible.add(o.id);
    });
  });
}

function walkRegion(r: Region, owner: Node, outer: Set<ValueId>, types: Map<ValueId, ValueType>,
  define: (v: Value, where: string, node?: Node, path?: string) => void, path: string): void {
  const visible = new Set(outer);
  r.params.forEach((p, i) => {
    define(p, `region param ${i}`, owner, path);
    visible.add(p.id);
  });
  walk(r.nodes, visible, types, define, path + ' node');
  r.results.forEach((id, i) => {
    if (!visible.has(id)) broken(4, `region result ${i} refers to %${id}, not visible there`, owner, path);
  });
}
