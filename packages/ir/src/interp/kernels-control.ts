// Reference kernels for ops with regions (if, loop, scan, routed experts) plus the sequence/optional table.
// Regions run through ctx.runRegion, which keeps outer values visible and scopes per-call symbols, so a
// loop body may yield differently shaped carried values on each iteration.

import type { HostTensor, RuntimeValue } from '../tensor.js';
import type { TensorType } from '../types.js';
import type { KernelTable } from './kernel-types.js';
import { expertsKernel } from './kernels-control-experts.js';
import { SEQUENCE_KERNELS } from './kernels-control-sequence.js';
import { cloneValue, dimOrZero, normAxis, scalarOf, sliceAlong, stackAlong } from './kernels-control-utils.js';
import { makeTensor, runtimeError, tensorArg } from './tensor-utils.js';

/** Loops that only stop on their condition are capped, so that a bad model cannot hang the interpreter. */
export const MAX_LOOP_ITERATIONS = 10_000_000;

const truthy = (t: HostTensor, what: string) => scalarOf(t, what) !== 0;
const int64Scalar = (v: number): HostTensor => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(v)) });
const boolScalar = (v: boolean): HostTensor => ({ dtype: 'bool', shape: [], data: Float64Array.of(v ? 1 : 0) });

/** Per-iteration values stacked on a new axis; with none, an empty tensor shaped from the result type. */
function stackOrEmpty(vals: readonly HostTensor[], axis: number, type: TensorType, ctx: Parameters<typeof dimOrZero>[0]): HostTensor {
  if (vals.length > 0) return stackAlong(vals, axis);
  return makeTensor(type.dtype, type.shape.map((d, i) => (i === axis ? 0 : dimOrZero(ctx, d))));
}

export const CONTROL_KERNELS: KernelTable<'experts' | 'if' | 'loop' | 'scan' | 'sequence' | 'optional'> = {
  experts: expertsKernel,

  if: (op, ins, _outTypes, ctx) => {
    const branch = truthy(tensorArg(ins, 0), 'if condition') ? op.thenBranch : op.elseBranch;
    return ctx.runRegion(branch, []).map(cloneValue);
  },

  /**
   * ONNX Loop: runs while iter < maxTrip (when given) and cond holds. As in ONNX's reference and onnxruntime,
   * the body's condition result is honoured even when the loop has no condition input (it then starts true).
   */
  loop: (op, ins, outTypes, ctx) => {
    let k = 0;
    const maxTrip = op.hasMaxTrip ? scalarOf(tensorArg(ins, k++), 'trip count') : Infinity;
    let cond = op.hasCond ? truthy(tensorArg(ins, k++), 'loop condition') : true;
    let carried: RuntimeValue[] = ins.slice(k).map(cloneValue);
    const nCarried = carried.length;
    const nScan = outTypes.length - nCarried;
    const scans: HostTensor[][] = Array.from({ length: nScan }, () => []);
    for (let i = 0; i < maxTrip && cond; i++) {
      if (i >= MAX_LOOP_ITERATIONS) runtimeError(`loop ran ${MAX_LOOP_ITERATIONS} iterations without stopping`);
      const res = ctx.runRegion(op.body, [int64Scalar(i), boolScalar(cond), ...carried]);
      if (res.length !== 1 + nCarried + nScan) runtimeError(`loop body yields ${res.length} values, expected ${1 + nCarried + nScan}`);
      cond = truthy(tensorArg(res, 0), 'loop body condition');
      carried = res.slice(1, 1 + nCarried);
      for (let j = 0; j < nScan; j++) scans[j]!.push(tensorArg(res, 1 + nCarried + j));
    }
    const stacked = scans.map((vals, j) => stackOrEmpty(vals, 0, outTypes[nCarried + j] as TensorType, ctx));
    return [...carried.map(cloneValue), ...stacked];
  },

  /** ONNX Scan (opset 9+): states thread through the iterations; scan outputs stack along their axes. */
  scan: (op, ins, outTypes, ctx) => {
    const nState = ins.length - op.numScanInputs;
    if (nState < 0 || op.numScanInputs < 1) runtimeError(`scan has ${ins.length} inputs and ${op.numScanInputs} scan inputs`);
    let state: RuntimeValue[] = ins.slice(0, nState).map(cloneValue);
    const scanIns = ins.slice(nState).map((_, j) => tensorArg(ins, nState + j));
    const inAxes = scanIns.map((x, j) => normAxis(op.scanInputAxes[j] ?? 0, x.shape.length, 'scan input'));
    const len = scanIns[0]!.shape[inAxes[0]!]!;
    scanIns.forEach((x, j) => {
      if (x.shape[inAxes[j]!] !== len) runtimeError(`scan input ${j} has length ${x.shape[inAxes[j]!]} along its scan axis, input 0 has ${len}`);
    });
    const nOut = outTypes.length - nState;
    const outs: HostTensor[][] = Array.from({ length: nOut }, () => []);
    for (let t = 0; t < len; t++) {
      const slices = scanIns.map((x, j) => sliceAlong(x, inAxes[j]!, op.scanInputReverse[j] ? len - 1 - t : t));
      const res = ctx.runRegion(op.body, [...state, ...slices]);
      if (res.length !== nState + nOut) runtimeError(`scan body yields ${res.length} values, expected ${nState + nOut}`);
      state = res.slice(0, nState);
      for (let j = 0; j < nOut; j++) outs[j]!.push(tensorArg(res, nState + j));
    }
    const stacked = outs.map((vals, j) => {
      const type = outTypes[nState + j] as TensorType;
      const axis = normAxis(op.scanOutputAxes[j] ?? 0, type.shape.length, 'scan output');
      return stackOrEmpty(op.scanOutputReverse[j] ? [...vals].reverse() : vals, axis, type, ctx);
    });
    return [...state.map(cloneValue), ...stacked];
  },

  ...SEQUENCE_KERNELS,
};
