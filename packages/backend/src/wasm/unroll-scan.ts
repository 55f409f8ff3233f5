// ONNX Scan for the backend: with static shapes the sequence length is known at compile time, so a scan is
// unrolled into plain nodes before lowering. Per iteration, each scan input is sliced at its position (a
// slice plus a reshape that drops the axis), the body's nodes are copied with fresh value ids and the states
// threaded through; the per-iteration scan outputs are stacked (reshape to a unit axis, concat). Scans nested
// in a scan body or in an If/Loop region unroll too; other ops with regions inside a scan body are refused.

import { CompileError, type Graph, type IfOp, type LoopOp, type Node, type Region, type TensorType, type Value, type ValueId, type ValueType, isStaticShape, regionsOf } from '@tensorc/ir';

/** Above this many copied body nodes a scan is refused rather than bloating the module. */
const MAX_UNROLLED_NODES = 100_000;

function maxIdOf(nodes: readonly Node[], params: readonly Value[] = []): number {
  let m = Math.max(0, ...params.map((p) => p.id));
  for (const n of nodes) {
    for (const o of n.outputs) m = Math.max(m, o.id);
    for (const r of regionsOf(n.op)) m = Math.max(m, maxIdOf(r.nodes, r.params));
  }
  return m;
}

const hasScan = (nodes: readonly Node[]): boolean => nodes.some((n) => n.op.kind === 'scan' || regionsOf(n.op).some((r) => hasScan(r.nodes)));

export function unrollScans(g: Graph): Graph {
  if (!hasScan(g.nodes)) return g;
  let next = 1 + Math.max(maxIdOf(g.nodes), ...g.inputs.map((i) => i.value.id));
  const types = new Map<ValueId, ValueType>(g.inputs.map((i) => [i.value.id, i.value.type]));
  const subst = new Map<ValueId, ValueId>();
  const get = (id: ValueId) => subst.get(id) ?? id;
  let out: Node[] = []; // the graph's nodes, or those of the If/Loop region being rebuilt
  let copied = 0;

  const add = (origin: Node['origin'], op: Node['op'], inputs: ValueId[], type: ValueType, id = next++): ValueId => {
    const node: Node = { op, inputs, outputs: [{ id, type }], ...(origin ? { origin } : {}) };
    out.push(node);
    types.set(id, type);
    return id;
  };

  const fail = (n: Node, why: string): never => {
    throw new CompileError('UNSUPPORTED_OP', `backend: ${why}`, n.origin ? { node: n.origin.node, opType: n.origin.opType } : {});
  };

  const staticShape = (n: Node, id: ValueId, what: string): number[] => {
    const t = types.get(id);
    if (!t || t.kind !== 'tensor' || !isStaticShape(t.shape)) return fail(n, `scan ${what} needs a static tensor shape`);
    return t.shape as number[];
  };

  /** Copies `nodes` into the output; inside a body (`fresh`) every defined value gets a new id. */
  const emit = (nodes: readonly Node[], fresh: boolean): void => {
    for (const n of nodes) {
      const inputs = n.inputs.map(get);
      if (n.op.kind === 'scan') { expand(n, inputs, fresh); continue; }
      if (!fresh && (n.op.kind === 'if' || n.op.kind === 'loop')) {
        out.push({ ...n, inputs, op: withRegions(n.op) });
        for (const v of n.outputs) types.set(v.id, v.type);
        continue;
      }
      if (fresh && regionsOf(n.op).length > 0) fail(n, `${n.op.kind} inside a scan body is not supported yet`);
      const outputs = fresh ? n.outputs.map((v) => { const id = next++; subst.set(v.id, id); return { id, type: v.type }; }) : n.outputs;
      out.push({ ...n, inputs, outputs });
      for (const v of outputs) types.set(v.id, v.type);
      if (fresh) copied++;
    }
  };

  const bindParams = (r: Region, values: readonly ValueId[]) => r.params.forEach((p, i) => subst.set(p.id, values[i]!));

  /** An If/Loop region with the scans in it unrolled (its values keep their ids). */
  const unrollRegion = (r: Region): Region => {
    for (const p of r.params) types.set(p.id, p.type);
    const outer = out;
    out = [];
    try {
      emit(r.nodes, false);
      return { params: r.params, nodes: out, results: r.results.map(get) };
    } finally {
      out = outer;
    }
  };
  const withRegions = (op: IfOp | LoopOp): IfOp | LoopOp => (op.kind === 'if'
    ? { ...op, thenBranch: unrollRegion(op.thenBranch), elseBranch: unrollRegion(op.elseBranch) }
    : { ...op, body: unrollRegion(op.body) });

  const expand = (n: Node, inputs: readonly ValueId[], fresh: boolean): void => {
    const op = n.op;
    if (op.kind !== 'scan') return;
    const nState = inputs.length - op.numScanInputs;
    const scanIns = inputs.slice(nState);
    const shapes = scanIns.map((x, j) => staticShape(n, x, `input ${j}`));
    const axes = shapes.map((s, j) => { const a = op.scanInputAxes[j] ?? 0; return a < 0 ? a + s.length : a; });
    const len = shapes[0]![axes[0]!]!;
    shapes.forEach((s, j) => { if (s[axes[j]!] !== len) fail(n, `scan input ${j} has length ${s[axes[j]!]} along its axis, input 0 has ${len}`); });
    if (len === 0) fail(n, 'a scan over an empty sequence is not supported yet');
    if (len * op.body.nodes.length + copied > MAX_UNROLLED_NODES) fail(n, `scan of ${len} iterations over ${op.body.nodes.length} nodes is too large to unroll`);
    let state = inputs.slice(0, nState);
    const nOut = n.outputs.length - nState;
    const outs: ValueId[][] = Array.from({ length: nOut }, () => []);
    for (let t = 0; t < len; t++) {
      const slices = scanIns.map((x, j) => {
        const s = shapes[j]!;
        const axis = axes[j]!;
        const at = op.scanInputReverse[j] ? len - 1 - t : t;
        const sliced = add(n.origin, { kind: 'slice', starts: s.map((_, d) => (d === axis ? at : 0)), steps: s.map(() => 1) }, [x],
          { kind: 'tensor', dtype: (types.get(x) as TensorType).dtype, shape: s.map((e, d) => (d === axis ? 1 : e)) });
        return add(n.origin, { kind: 'reshape' }, [sliced], op.body.params[nState + j]!.type);
      });
      bindParams(op.body, [...state, ...slices]);
      emit(op.body.nodes, true);
      const res = op.body.results.map(get);
      state = res.slice(0, nState);
      for (let j = 0; j < nOut; j++) outs[j]!.push(res[nState + j]!);
    }
    state.forEach((v, i) => subst.set(n.outputs[i]!.id, v));
    for (let j = 0; j < nOut; j++) {
      const o = n.outputs[nState + j]!;
      if (o.type.kind !== 'tensor' || !isStaticShape(o.type.shape)) fail(n, `scan output ${j} needs a static tensor shape`);
      const type = o.type as TensorType;
      const a = op.scanOutputAxes[j] ?? 0;
      const axis = a < 0 ? a + type.shape.length : a;
      const unit: ValueType = { kind: 'tensor', dtype: type.dtype, shape: type.shape.map((d, i) => (i === axis ? 1 : d)) };
      const vals = op.scanOutputReverse[j] ? [...outs[j]!].reverse() : outs[j]!;
      // at the top level the stacked value keeps the scan output's id; inside a body (a nested scan) it is fresh
      const id = fresh ? next++ : o.id;
      if (fresh) subst.set(o.id, id);
      add(n.origin, { kind: 'concat', axis }, vals.map((v) => add(n.origin, { kind: 'reshape' }, [v], unit)), type, id);
    }
  };

  emit(g.nodes, false);
  return { inputs: g.inputs, nodes: out, outputs: g.outputs.map((o) => ({ name: o.name, value: get(o.value) })) };
}
