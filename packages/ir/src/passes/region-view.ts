// A region body seen as a graph, so that a pass written for top-level nodes can rewrite it. The region's params
// and the outer values the body reads become graph inputs, except outer constants: their constant nodes are
// copied in front of the body, so folds that look for constant producers (weights, splat literals) still find
// them. The results become graph outputs, which passes already keep alive under their ids. `bodyOf` takes
// the rewritten view apart again: copied constants dropped, and every value id the pass made renumbered from a
// whole-graph counter (a pass allocates past the largest id it sees, which may be in use elsewhere).

import { CompileError } from '../errors.js';
import type { Graph, Node, Region, Value, ValueId } from '../graph.js';
import { typesEqual } from '../infer/index.js';
import { type Op, regionsOf } from '../ops.js';
import type { ValueType } from '../types.js';
import { verify } from '../verify/index.js';

export interface RegionView {
  readonly graph: Graph;
  /** Outer constant nodes copied in front of the body, by the id they define. */
  readonly copied: ReadonlyMap<ValueId, Node>;
  /** Every id the view defined before the pass: inputs, copied constants, body values, nested params. */
  readonly defined: ReadonlySet<ValueId>;
}

/** `op` with its regions replaced, in regionsOf order. */
export function withRegions(op: Op, rs: readonly Region[]): Op {
  switch (op.kind) {
    case 'if': return { ...op, thenBranch: rs[0]!, elseBranch: rs[1]! };
    case 'experts': case 'loop': case 'scan': return { ...op, body: rs[0]! };
    default: return op;
  }
}

/** Ids defined inside `nodes` (outputs, and params and values of nested regions). */
function definedIn(nodes: readonly Node[], into: Set<ValueId>): Set<ValueId> {
  for (const n of nodes) {
    for (const o of n.outputs) into.add(o.id);
    for (const r of regionsOf(n.op)) {
      for (const p of r.params) into.add(p.id);
      definedIn(r.nodes, into);
    }
  }
  return into;
}

/** Values `r` reads (nested regions included) that it does not define, in first-read order. */
export function freeValues(r: Region): ValueId[] {
  const inside = definedIn(r.nodes, new Set(r.params.map((p) => p.id)));
  const free = new Set<ValueId>();
  const read = (id: ValueId) => { if (!inside.has(id)) free.add(id); };
  const walk = (reg: Region) => {
    for (const n of reg.nodes) {
      n.inputs.forEach(read);
      regionsOf(n.op).forEach(walk);
    }
    reg.results.forEach(read);
  };
  walk(r);
  return [...free];
}

/**
 * The view of `r`; `consts` holds the constant nodes visible around it, `typeOf` the types of outer values,
 * `after` names the pass that just rewrote the enclosing scope (for the error when it lost a value `r` reads).
 */
export function viewOf(r: Region, consts: ReadonlyMap<ValueId, Node>, typeOf: (id: ValueId) => ValueType | undefined, after: string): RegionView {
  const copied = new Map<ValueId, Node>();
  const outer: Value[] = [];
  for (const id of freeValues(r)) {
    const c = consts.get(id);
    if (c) { copied.set(id, c); continue; }
    const type = typeOf(id);
    if (!type) throw new CompileError('INTERNAL', `after pass ${after}: a region reads %${id}, which is not defined around it`);
    outer.push({ id, type });
  }
  const graph: Graph = {
    inputs: [...r.params.map((value) => ({ name: `param%${value.id}`, value })), ...outer.map((value) => ({ name: `outer%${value.id}`, value }))],
    nodes: [...copied.values(), ...r.nodes],
    outputs: r.results.map((value, i) => ({ name: `result${i}`, value })),
  };
  const defined = definedIn(graph.nodes, new Set(graph.inputs.map((i) => i.value.id)));
  return { graph, copied, defined };
}

function renameNodes(nodes: readonly Node[], m: ReadonlyMap<ValueId, ValueId>): Node[] {
  const id = (v: ValueId) => m.get(v) ?? v;
  return nodes.map((n) => {
    const rs = regionsOf(n.op);
    const op = rs.length === 0 ? n.op : withRegions(n.op, rs.map((r) => ({
      params: r.params.map((p) => ({ ...p, id: id(p.id) })), nodes: renameNodes(r.nodes, m), results: r.results.map(id),
    })));
    return { ...n, op, inputs: n.inputs.map(id), outputs: n.outputs.map((o) => ({ ...o, id: id(o.id) })) };
  });
}

/** Type of each top-level value of `g` (inputs and node outputs). */
function topTypes(g: Graph): Map<ValueId, ValueType> {
  const m = new Map<ValueId, ValueType>(g.inputs.map((i) => [i.value.id, i.value.type]));
  for (const n of g.nodes) for (const o of n.outputs) m.set(o.id, o.type);
  return m;
}

/**
 * The region `after` (the pass's result on `view`) describes, with new ids drawn from `fresh`; or why it
 * cannot be taken back (then the caller keeps the region as it was).
 */
export function bodyOf(view: RegionView, params: readonly Value[], after: Graph, fresh: () => ValueId): Region | string {
  const before = view.graph;
  if (after.inputs.length !== before.inputs.length || after.inputs.some((i, k) => i.value.id !== before.inputs[k]!.value.id || !typesEqual(i.value.type, before.inputs[k]!.value.type))) return 'inputs changed';
  if (after.outputs.length !== before.outputs.length) return 'results changed';
  const nodes: Node[] = [];
  for (const n of after.nodes) {
    const copy = n.outputs.map((o) => view.copied.get(o.id)).find((c) => c !== undefined);
    if (copy === undefined) nodes.push(n);
    // Passes rebuild nodes they leave alone (substitute copies every node), so the op is what must be kept.
    else if (n.op !== copy.op || n.outputs.length !== 1 || !typesEqual(n.outputs[0]!.type, copy.outputs[0]!.type)) return 'an outer constant was rewritten';
  }
  try {
    verify(after);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const [was, now] = [topTypes(before), topTypes(after)];
  if (after.outputs.some((o, k) => !typesEqual(now.get(o.value)!, was.get(before.outputs[k]!.value)!))) return 'a result type changed';
  const renames = new Map<ValueId, ValueId>();
  for (const id of definedIn(nodes, new Set())) if (!view.defined.has(id)) renames.set(id, fresh());
  const results = after.outputs.map((o) => renames.get(o.value) ?? o.value);
  return { params, nodes: renames.size ? renameNodes(nodes, renames) : nodes, results };
}
