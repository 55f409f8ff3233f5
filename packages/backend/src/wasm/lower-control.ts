// ONNX If and Loop for the backend, with static shapes. Each region is lowered to its own kernel list (the
// graph's lowering, same value ids); the control kernel runs them under a wasm `if` or `loop`
// (emit-control.ts) and moves values between the op's buffers with byte copies. A condition known at compile
// time compiles only the taken branch. What cannot have one static buffer shape is refused: If branches
// yielding different shapes, scan outputs whose row count is the run-time iteration count.

import {
  CompileError, type HostTensor, type IfOp, type LoopOp, type Node, type Region, type TensorType, type ValueId, type ValueType,
  isStaticShape, printTypeBrief, typesEqual,
} from '@tensorc/ir';
import type { BufferCopy, IfKernel, Kernel, LoopKernel } from './kernel-plan.js';
import { elementBytes } from './memory-plan.js';

/** What lowering a control op needs from the graph's lowering (lower.ts). */
export interface ControlContext {
  readonly types: Map<ValueId, TensorType>;
  /** Constants seen so far (graph and regions), to find compile-time conditions and trip counts. */
  readonly consts: ReadonlyMap<ValueId, HostTensor>;
  /** Constants placed in the weights: region constants are added here (memory-plan.ts places only these). */
  readonly derived: Map<ValueId, HostTensor>;
  readonly aliases: Map<ValueId, ValueId>;
  readonly dtypes: ReadonlySet<string>;
  /** A region's nodes lowered into a kernel list of their own. */
  lowerRegion(nodes: readonly Node[]): Kernel[];
  fresh(): ValueId;
  /** A unique kernel name ending in `suffix`. */
  name(suffix: string): string;
}

type StaticType = TensorType & { readonly shape: readonly number[] };

const fail = (n: Node, why: string): never => {
  throw new CompileError('UNSUPPORTED_OP', `backend: ${why}`, n.origin ? { node: n.origin.node, opType: n.origin.opType } : {});
};

const byteSize = (t: StaticType): number => (t.shape as readonly number[]).reduce((a, b) => a * b, 1) * elementBytes(t.dtype);

function rootOf(cx: ControlContext, id: ValueId): ValueId {
  let r = id;
  while (cx.aliases.has(r)) r = cx.aliases.get(r)!;
  return r;
}

const constOf = (cx: ControlContext, id: ValueId): HostTensor | undefined => cx.consts.get(id) ?? cx.consts.get(rootOf(cx, id));

function staticTensor(n: Node, t: ValueType, what: string, cx: ControlContext): StaticType {
  if (t.kind !== 'tensor') return fail(n, `${n.op.kind} ${what} is a ${t.kind}`);
  if (!isStaticShape(t.shape)) return fail(n, `${n.op.kind} ${what} has shape [${t.shape.join(',')}], which is not static; pin input shapes with inputShapes`);
  if (!cx.dtypes.has(t.dtype)) return fail(n, `${n.op.kind} ${what}: dtype ${t.dtype} is not supported yet`);
  return t as StaticType;
}

/** Region constants go to the weights like the graph's (nested regions add theirs when they are lowered). */
function lowerRegionOf(r: Region, cx: ControlContext): Kernel[] {
  for (const m of r.nodes) if (m.op.kind === 'constant') cx.derived.set(m.outputs[0]!.id, m.op.value);
  return cx.lowerRegion(r.nodes);
}

/** The type of a region result before the region is lowered: its own nodes' outputs, params, or outer values. */
function resultType(r: Region, id: ValueId, cx: ControlContext): ValueType | undefined {
  for (const m of r.nodes) for (const o of m.outputs) if (o.id === id) return o.type;
  return r.params.find((p) => p.id === id)?.type ?? cx.types.get(id);
}

export function lowerControl(n: Node, cx: ControlContext): Kernel[] {
  if (n.op.kind === 'if') return lowerIf(n, n.op, cx);
  if (n.op.kind === 'loop') return lowerLoop(n, n.op, cx);
  return fail(n, `op ${n.op.kind} is not a control op`);
}

function lowerIf(n: Node, op: IfOp, cx: ControlContext): Kernel[] {
  const outs = n.outputs.map((o, i) => {
    const t = o.type;
    if (t.kind === 'tensor' && !isStaticShape(t.shape)) {
      const [a, b] = [op.thenBranch, op.elseBranch].map((r) => resultType(r, r.results[i]!, cx));
      fail(n, `if output ${i} has no static shape: the branches yield ${a ? printTypeBrief(a) : '?'} and ${b ? printTypeBrief(b) : '?'}; the backend needs both to yield one static shape`);
    }
    return staticTensor(n, t, `output ${i}`, cx);
  });
  n.outputs.forEach((o, i) => cx.types.set(o.id, outs[i]!));
  const cond = n.inputs[0]!;
  const known = constOf(cx, cond);
  if (known) {
    // A condition folded to a constant: only the taken branch is compiled; the outputs are its results.
    const r = Number(known.data[0]) !== 0 ? op.thenBranch : op.elseBranch;
    const kernels = lowerRegionOf(r, cx);
    n.outputs.forEach((o, i) => cx.aliases.set(o.id, r.results[i]!));
    return kernels;
  }
  const branches = [op.thenBranch, op.elseBranch] as const;
  const regions = branches.map((r) => lowerRegionOf(r, cx)) as [Kernel[], Kernel[]];
  const copies = branches.map((r) => r.results.map((src, i): BufferCopy => ({ src, dst: n.outputs[i]!.id, bytes: byteSize(outs[i]!) }))) as [BufferCopy[], BufferCopy[]];
  const k: IfKernel = {
    kind: 'if', name: cx.name('if'), cond, regions, copies, reads: [cond, ...copies.flat().map((c) => c.src)], slots: n.outputs.map((o) => o.id),
  };
  return [k];
}

function lowerLoop(n: Node, op: LoopOp, cx: ControlContext): Kernel[] {
  let at = 0;
  const maxTrip = op.hasMaxTrip ? n.inputs[at++]! : null;
  const cond = op.hasCond ? n.inputs[at++]! : null;
  const carriedIn = n.inputs.slice(at);
  const nC = carriedIn.length;
  const body = op.body;
  const [iterParam, condParam, ...params] = body.params;
  if (!iterParam || !condParam || params.length !== nC || body.results.length !== n.outputs.length + 1) {
    return fail(n, `loop body takes ${body.params.length} params and yields ${body.results.length} values for ${nC} carried values and ${n.outputs.length} outputs`);
  }
  const paramTypes = body.params.map((p, j) => {
    const what = j === 0 ? 'iteration number' : j === 1 ? 'condition' : `carried value ${j - 2}`;
    if (j >= 2 && p.type.kind === 'tensor' && !isStaticShape(p.type.shape)) {
      fail(n, `loop carried value ${j - 2} has shape [${p.type.shape.join(',')}], which is not static (it may change from one iteration to the next); the backend needs a static shape`);
    }
    const t = staticTensor(n, p.type, what, cx);
    cx.types.set(p.id, t);
    return t;
  });
  const outTypes = n.outputs.map((o, i) => {
    const t = o.type;
    if (i >= nC && t.kind === 'tensor' && !isStaticShape(t.shape)) {
      fail(n, `loop scan output ${i - nC} has shape [${t.shape.join(',')}]: its row count is the run-time iteration count; the backend needs it static (a trip count known at compile time and no condition that can stop the loop)`);
    }
    return staticTensor(n, t, i < nC ? `output ${i}` : `scan output ${i - nC}`, cx);
  });
  n.outputs.forEach((o, i) => cx.types.set(o.id, outTypes[i]!));
  const nScan = n.outputs.length - nC;
  const condResult = body.results[0]!;
  const kernels = lowerRegionOf(body, cx);
  if (nScan > 0) checkStaticTrips(n, cx, maxTrip, cond, rootOf(cx, condResult) === condParam.id ? undefined : condResult, outTypes[nC]!.shape[0]!);
  const typeOf = (id: ValueId) => cx.types.get(id);
  // Carried values keep their buffers' shape: each result must have its param's type.
  const carriedRes = body.results.slice(1, 1 + nC);
  carriedRes.forEach((r, j) => {
    const t = typeOf(r);
    if (!t || !typesEqual(t, paramTypes[2 + j]!)) fail(n, `loop carried value ${j} changes type across iterations: ${printTypeBrief(paramTypes[2 + j]!)} in, ${t ? printTypeBrief(t) : '?'} out`);
  });
  const scanRes = body.results.slice(1 + nC);
  scanRes.forEach((r, s) => {
    const t = typeOf(r);
    const o = outTypes[nC + s]!;
    if (!t || t.dtype !== o.dtype || !typesEqual(t, { kind: 'tensor', dtype: o.dtype, shape: o.shape.slice(1) })) {
      fail(n, `loop scan output ${s} is ${printTypeBrief(o)} but the body yields ${t ? printTypeBrief(t) : '?'} per iteration`);
    }
  });

  const bytesOf = (j: number) => byteSize(paramTypes[2 + j]!);
  const paramIds = new Set(params.map((p) => p.id));
  const stage: BufferCopy[] = [];
  const carry: BufferCopy[] = [];
  const temps: ValueId[] = [];
  carriedRes.forEach((r, j) => {
    const dst = params[j]!.id;
    const root = rootOf(cx, r);
    if (root === dst) return; // passed through unchanged
    if (paramIds.has(root)) {
      // another carried param: copied aside first, so that no carry overwrites a param another carry reads
      const tmp = cx.fresh();
      cx.types.set(tmp, paramTypes[2 + j]!);
      temps.push(tmp);
      stage.push({ src: r, dst: tmp, bytes: bytesOf(j) });
      carry.push({ src: tmp, dst, bytes: bytesOf(j) });
    } else {
      carry.push({ src: r, dst, bytes: bytesOf(j) });
    }
  });
  const init = carriedIn.map((src, j): BufferCopy => ({ src, dst: params[j]!.id, bytes: bytesOf(j) }));
  const final = params.map((p, j): BufferCopy => ({ src: p.id, dst: n.outputs[j]!.id, bytes: bytesOf(j) }));
  const scans = scanRes.map((src, s): BufferCopy => ({ src, dst: n.outputs[nC + s]!.id, bytes: byteSize(outTypes[nC + s]!) / Math.max(1, outTypes[nC + s]!.shape[0]!) }));
  const k: LoopKernel = {
    kind: 'loop', name: cx.name('loop'), maxTrip, cond, iterParam: iterParam.id, condParam: condParam.id, condResult, regions: [kernels],
    init, scans, stage, carry, final,
    reads: [...(maxTrip !== null ? [maxTrip] : []), ...(cond !== null ? [cond] : []), ...carriedIn, ...body.results],
    slots: [...body.params.map((p) => p.id), ...temps, ...n.outputs.map((o) => o.id)],
  };
  return [k];
}

/**
 * Scan outputs have one row per iteration in a buffer of static size: the loop must run exactly `rows`
 * times, so the trip count and condition input must be constants and the body's condition (`bodyCond`,
 * undefined when it passes the condition param through) a constant.
 */
function checkStaticTrips(n: Node, cx: ControlContext, maxTrip: ValueId | null, cond: ValueId | null, bodyCond: ValueId | undefined, rows: number): void {
  const trip = maxTrip === null ? undefined : constOf(cx, maxTrip);
  if (!trip) fail(n, 'loop scan outputs need a trip count known at compile time (their row count is the number of iterations)');
  const c = cond === null ? true : constOf(cx, cond);
  if (c === undefined) fail(n, 'loop scan outputs need the condition input known at compile time (their row count is the number of iterations)');
  const runs = c === true || Number((c as HostTensor).data[0]) !== 0;
  let trips = runs ? Math.max(0, Number(trip!.data[0])) : 0;
  if (trips > 0 && bodyCond !== undefined) {
    const b = constOf(cx, bodyCond);
    if (!b) fail(n, "loop scan outputs need a fixed iteration count, but the body's condition may stop the loop early");
    if (Number(b!.data[0]) === 0) trips = 1; // the body says stop after its first run
  }
  if (trips !== rows) fail(n, `loop runs ${trips} iterations but its scan outputs have ${rows} rows`);
}
