// Shared checks for pass tests: bit-exact comparison of interpreter results, and a local check for passes that
// change rounding (each rewritten node, fed the original graph's values, must agree with the original value
// of the same id within a tolerance; comparing whole graphs would let later discontinuous ops such as floor
// or a comparison amplify a one-ulp difference).

import { expect } from 'vitest';
import {
  CompileError, type Graph, type HostTensor, type Node, type RuntimeValue, type ValueId, interpret, isFloat, printGraph,
} from '../src/index.js';

/** The interpreter's results, or undefined when the graph fails at run time (nothing to preserve then). */
export function tryInterpret(g: Graph, feeds: Record<string, HostTensor>): Record<string, RuntimeValue> | undefined {
  try {
    return interpret(g, feeds);
  } catch (e) {
    if (e instanceof CompileError && e.code === 'RUNTIME_ERROR') return undefined;
    throw e;
  }
}

/** Same names, dtypes, shapes and bits (NaN equals NaN; -0 differs from 0). */
export function expectSameResults(want: Record<string, RuntimeValue>, got: Record<string, RuntimeValue>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) {
    const x = want[k] as HostTensor;
    const y = got[k] as HostTensor;
    if (x === null || Array.isArray(x)) { expect(y).toEqual(x); continue; }
    expect(y.dtype, k).toBe(x.dtype);
    expect(y.shape, k).toEqual(x.shape);
    expect(Array.from(y.data as ArrayLike<unknown>), k).toEqual(Array.from(x.data as ArrayLike<unknown>));
  }
}

/** Each rewritten graph gives `graph`'s interpreter results on `feeds` bit for bit; a failure prints both graphs. */
export function expectRewritesExact(graph: Graph, rewritten: readonly Graph[], feeds: Record<string, HostTensor>): void {
  const want = tryInterpret(graph, feeds)!;
  for (const g of rewritten) {
    try {
      expectSameResults(want, tryInterpret(g, feeds)!);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${printGraph(graph)}\n--- rewritten ---\n${printGraph(g)}`);
    }
  }
}

/** Relative tolerance for one rounding-level difference in a dtype (several ulps, plus cancellation headroom). */
export function toleranceOf(dtype: string): number {
  return dtype === 'float64' ? 1e-12 : dtype === 'float32' ? 2e-5 : 2e-2;
}

export function expectClose(want: HostTensor, got: HostTensor, what: string): void {
  expect(got.dtype, what).toBe(want.dtype);
  expect(got.shape, what).toEqual(want.shape);
  const tol = toleranceOf(want.dtype);
  for (let i = 0; i < want.data.length; i++) {
    const x = Number(want.data[i]);
    const y = Number(got.data[i]);
    if (Number.isNaN(x) || !Number.isFinite(x)) { expect(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}]: ${y} vs ${x}`).toBe(true); continue; }
    expect(Math.abs(x - y), `${what}[${i}]: ${y} vs ${x}`).toBeLessThanOrEqual(tol * (1 + Math.abs(x)));
  }
}

/** Every top-level tensor value of `g` by id (a copy of the graph whose outputs are all of them). */
export function allValues(g: Graph, feeds: Record<string, HostTensor>): Map<ValueId, HostTensor> | undefined {
  const outs = g.nodes.flatMap((n) => n.outputs.filter((o) => o.type.kind === 'tensor').map((o) => ({ name: `v${o.id}`, value: o.id })));
  const r = tryInterpret({ ...g, outputs: outs }, feeds);
  if (!r) return undefined;
  const m = new Map<ValueId, HostTensor>();
  for (const i of g.inputs) m.set(i.value.id, feeds[i.name]!);
  for (const o of outs) m.set(o.value, r[o.name] as HostTensor);
  return m;
}

/**
 * Checks the nodes `after` has and `before` lacks: each is evaluated on the values its inputs have in
 * `reference` (the unoptimized graph, which computes every id the passes keep; constants it reads come along)
 * and must match the reference value of each result id within tolerance. Returns how many nodes were checked.
 */
export function expectLocallyClose(before: Graph, after: Graph, feeds: Record<string, HostTensor>, reference: Graph = before): number {
  const orig = allValues(reference, feeds);
  if (!orig) return 0;
  const key = (n: Node) => `${n.outputs.map((o) => o.id).join()}|${n.inputs.join()}|${JSON.stringify(n.op, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  const old = new Set(before.nodes.filter((n) => n.op.kind !== 'constant').map(key));
  const constants = new Map<ValueId, Node>();
  for (const n of after.nodes) if (n.op.kind === 'constant') constants.set(n.outputs[0]!.id, n);
  let checked = 0;
  for (const n of after.nodes) {
    if (n.op.kind === 'constant' || old.has(key(n)) || !n.outputs.every((o) => orig.has(o.id))) continue;
    const ins = [...new Set(n.inputs)];
    const inputs = ins.filter((id) => !constants.has(id)).map((id) => {
      const v = orig.get(id);
      if (!v) throw new Error(`rewritten node reads %${id}, which the original graph does not compute`);
      return { name: `i${id}`, value: { id, type: { kind: 'tensor' as const, dtype: v.dtype, shape: v.shape } }, data: v };
    });
    const mini: Graph = {
      inputs: inputs.map(({ name, value }) => ({ name, value })),
      nodes: [...ins.filter((id) => constants.has(id)).map((id) => constants.get(id)!), n],
      outputs: n.outputs.map((o) => ({ name: `o${o.id}`, value: o.id })),
    };
    const got = tryInterpret(mini, Object.fromEntries(inputs.map((i) => [i.name, i.data])));
    if (!got) continue;
    for (const o of n.outputs) {
      const want = orig.get(o.id)!;
      if (isFloat(want.dtype)) expectClose(want, got[`o${o.id}`] as HostTensor, `%${o.id} (${n.op.kind})`);
      else expectSameResults({ v: want }, { v: got[`o${o.id}`]! });
    }
    checked++;
  }
  return checked;
}
