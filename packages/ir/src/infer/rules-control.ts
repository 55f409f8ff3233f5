// Type rules of the ops with regions (experts, if, loop, scan) and of sequence/optional values.
// Region bodies are typed by their own nodes; these rules check how params and results line up with the
// op's inputs and outputs. `lookup` gives the type of a region result when the caller knows it.

import { dimEquals } from '../dims.js';
import { isFloat } from '../dtype.js';
import type { Region, ValueId } from '../graph.js';
import type { TensorType, ValueType } from '../types.js';
import {
  type InferRule, agree, needDeclared, printTypeBrief, shapeError, tensorIn, tt, typeError, typesEqual,
} from './common.js';

export type TypeLookup = (id: ValueId) => ValueType | undefined;

function resultTypes(r: Region, lookup: TypeLookup | undefined): ValueType[] | undefined {
  if (!lookup) return undefined;
  const ts = r.results.map(lookup);
  return ts.every((t) => t !== undefined) ? (ts as ValueType[]) : undefined;
}

function checkParam(r: Region, i: number, want: ValueType, what: string): void {
  const p = r.params[i];
  if (!p) return typeError(`region is missing param ${i} (${what})`);
  if (!typesEqual(p.type, want)) typeError(`region param ${i} (${what}) is ${printTypeBrief(p.type)}, expected ${printTypeBrief(want)}`);
}

export const expertsRule = (op: Parameters<InferRule<'experts'>>[0], ins: readonly ValueType[], declared: readonly ValueType[] | undefined, lookup?: TypeLookup): readonly ValueType[] => {
  if (ins.length < 2) typeError('experts needs x and scores');
  const x = tensorIn(ins, 0, 'x');
  const scores = tensorIn(ins, 1, 'scores');
  if (x.shape.length !== 2 || scores.shape.length !== 2) shapeError('experts needs x[T,H] and scores[T,E]');
  if (!dimEquals(x.shape[0]!, scores.shape[0]!) || !dimEquals(scores.shape[1]!, op.numExperts)) shapeError(`scores must be [T, ${op.numExperts}]`);
  if (!isFloat(scores.dtype)) typeError('scores must be float');
  if (!(op.topK >= 1 && op.topK <= op.numExperts)) shapeError(`top-k ${op.topK} of ${op.numExperts} experts`);
  const body = op.body;
  if (body.params.length !== ins.length - 1) typeError(`expert body takes ${body.params.length} params; expected x and ${ins.length - 2} expert parameters`);
  const p0 = body.params[0]!.type;
  if (p0.kind !== 'tensor' || p0.dtype !== x.dtype || p0.shape.length !== 2 || !dimEquals(p0.shape[1]!, x.shape[1]!)) typeError(`expert body param 0 must be ${x.dtype}[t, ${String(x.shape[1])}]`);
  for (let j = 2; j < ins.length; j++) {
    const p = tensorIn(ins, j, `expert parameter ${j - 2}`);
    if (!dimEquals(p.shape[0] ?? -1, op.numExperts)) shapeError(`expert parameter ${j - 2} must have ${op.numExperts} rows`);
    checkParam(body, j - 1, tt(p.dtype, p.shape.slice(1)), `expert parameter ${j - 2}`);
  }
  if (body.results.length !== 1) typeError('expert body yields one value');
  const rt = resultTypes(body, lookup);
  if (rt) {
    const y = rt[0]!;
    if (y.kind !== 'tensor' || y.shape.length !== 2 || !dimEquals(y.shape[0]!, (p0 as TensorType).shape[0]!)) return typeError(`expert body must yield [t, O] for its t tokens, got ${printTypeBrief(y)}`);
    return agree([tt(y.dtype, [x.shape[0]!, y.shape[1]!])], declared);
  }
  return needDeclared(declared, 1, 'expert body result type unknown');
};

export const ifRule = (op: Parameters<InferRule<'if'>>[0], ins: readonly ValueType[], declared: readonly ValueType[] | undefined, lookup?: TypeLookup): readonly ValueType[] => {
  if (ins.length !== 1) typeError('if takes one condition');
  const c = tensorIn(ins, 0, 'condition');
  if (c.dtype !== 'bool') typeError(`condition must be bool, got ${c.dtype}`);
  if (op.thenBranch.params.length || op.elseBranch.params.length) typeError('if branches take no params');
  if (op.thenBranch.results.length !== op.elseBranch.results.length) typeError('if branches yield different numbers of values');
  const a = resultTypes(op.thenBranch, lookup);
  const b = resultTypes(op.elseBranch, lookup);
  if (declared === undefined && a && b && a.every((t, i) => typesEqual(t, b[i]!))) return a;
  const d = needDeclared(declared, op.thenBranch.results.length, 'branches yield different types');
  for (const [name, ts] of [['then', a], ['else', b]] as const) {
    ts?.forEach((t, i) => {
      if (!compatible(t, d[i]!)) typeError(`${name} branch yields ${printTypeBrief(t)} for result ${i} declared ${printTypeBrief(d[i]!)}`);
    });
  }
  return d;
};

/** Same kind and dtype and rank; symbolic declared dims accept any branch dim. */
function compatible(t: ValueType, d: ValueType): boolean {
  if (t.kind !== d.kind) return false;
  if (t.kind === 'tensor') {
    const dt = d as TensorType;
    return t.dtype === dt.dtype && t.shape.length === dt.shape.length && t.shape.every((x, i) => typeof dt.shape[i] === 'string' || dimEquals(x, dt.shape[i]!));
  }
  return compatible(t.elem, (d as typeof t).elem);
}

export const loopRule = (op: Parameters<InferRule<'loop'>>[0], ins: readonly ValueType[], declared: readonly ValueType[] | undefined, lookup?: TypeLookup): readonly ValueType[] => {
  const fixed = (op.hasMaxTrip ? 1 : 0) + (op.hasCond ? 1 : 0);
  if (ins.length < fixed) typeError('loop is missing its trip count or condition');
  if (op.hasMaxTrip) {
    const m = tensorIn(ins, 0, 'trip count');
    if (m.dtype !== 'int64') typeError('trip count must be int64');
  }
  if (op.hasCond && tensorIn(ins, fixed - 1, 'condition').dtype !== 'bool') typeError('loop condition must be bool');
  const carried = ins.slice(fixed);
  const body = op.body;
  if (body.params.length !== 2 + carried.length) typeError(`loop body takes ${body.params.length} params; expected 2 + ${carried.length}`);
  checkParam(body, 0, tt('int64', []), 'iteration');
  checkParam(body, 1, tt('bool', []), 'condition');
  carried.forEach((t, i) => checkParam(body, 2 + i, t, `carried ${i}`));
  const nScan = body.results.length - 1 - carried.length;
  if (nScan < 0) typeError('loop body yields too few values');
  const d = needDeclared(declared, carried.length + nScan, 'scan outputs have the trip count as first dim');
  const rt = resultTypes(body, lookup);
  if (rt) {
    const cond = rt[0]!;
    if (cond.kind !== 'tensor' || cond.dtype !== 'bool') typeError('loop body must yield a bool condition first');
    carried.forEach((t, i) => {
      if (!compatible(rt[1 + i]!, t)) typeError(`loop body yields ${printTypeBrief(rt[1 + i]!)} for carried ${i} of ${printTypeBrief(t)}`);
    });
  }
  return d;
};

export const scanRule = (op: Parameters<InferRule<'scan'>>[0], ins: readonly ValueType[], declared: readonly ValueType[] | undefined): readonly ValueType[] => {
  const m = op.numScanInputs;
  const nState = ins.length - m;
  if (nState < 0) typeError(`scan has ${ins.length} inputs but ${m} scan inputs`);
  if (op.scanInputAxes.length !== m || op.scanInputReverse.length !== m) typeError('scan input axes/directions must list every scan input');
  if (op.body.params.length !== ins.length) typeError(`scan body takes ${op.body.params.length} params for ${ins.length} inputs`);
  ins.slice(0, nState).forEach((t, i) => checkParam(op.body, i, t, `state ${i}`));
  ins.slice(nState).forEach((_, j) => {
    const t = tensorIn(ins, nState + j, `scan input ${j}`);
    const axis = op.scanInputAxes[j]!;
    if (axis < 0 || axis >= t.shape.length) shapeError(`scan axis ${axis} for rank ${t.shape.length}`);
    checkParam(op.body, nState + j, tt(t.dtype, t.shape.filter((_, k) => k !== axis)), `scan slice ${j}`);
  });
  const nOut = op.body.results.length - nState;
  if (nOut < 0 || op.scanOutputAxes.length !== nOut || op.scanOutputReverse.length !== nOut) typeError('scan output axes/directions must list every scan output');
  return needDeclared(declared, op.body.results.length, 'scan outputs are stacked along the scanned dim');
};

export const sequenceRule: InferRule<'sequence'> = (op, ins, declared) => {
  const d = needDeclared(declared, 1, `sequence ${op.fn} result`);
  const out = d[0]!;
  const wantSeq = op.fn !== 'at' && op.fn !== 'length' && op.fn !== 'concat' && op.fn !== 'stack';
  if ((out.kind === 'sequence') !== wantSeq) typeError(`sequence ${op.fn} yields a ${out.kind}`);
  if (op.fn === 'length' && (out.kind !== 'tensor' || out.dtype !== 'int64' || out.shape.length !== 0)) typeError('sequence length is an int64 scalar');
  if (op.fn !== 'construct' && op.fn !== 'empty' && op.fn !== 'split' && ins[0]?.kind !== 'sequence') typeError(`sequence ${op.fn} needs a sequence input`);
  return d;
};

export const optionalRule: InferRule<'optional'> = (op, ins, declared) => {
  const d = needDeclared(declared, 1, `optional ${op.fn} result`);
  const out = d[0]!;
  if (op.fn === 'has' && (out.kind !== 'tensor' || out.dtype !== 'bool')) typeError('optional has yields bool');
  if ((op.fn === 'wrap' || op.fn === 'none') && out.kind !== 'optional') typeError(`optional ${op.fn} yields an optional`);
  if (op.fn === 'wrap' && ins[0] && out.kind === 'optional' && !typesEqual(ins[0], out.elem)) typeError('optional wrap changes the type');
  return d;
};
