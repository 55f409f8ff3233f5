// If, Loop and Scan: subgraphs become IR regions that read outer values directly. An If whose condition is
// known at compile time (typically a test on shapes) is resolved then and its branch inlined; Loop and
// Scan bodies become regions with the IR's parameter conventions (iteration, condition, carried, slices).

import { type Dim, type TensorType, type ValueId, type ValueType, dimEquals, tensorType } from '@tensorc/ir';
import type { LoweringGraph } from '../lowering-model.js';
import type { ConvertContext } from './context.js';
import { normAxis } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';

function graphAttr(ctx: ConvertContext, name: string): LoweringGraph {
  return ctx.attrs.requiredGraph(name) as LoweringGraph;
}

/** The type both branches agree on: equal dims kept, differing dims become fresh symbols. */
function mergeTypes(ctx: ConvertContext, a: ValueType, b: ValueType, i: number): ValueType {
  if (a.kind !== b.kind) return ctx.fail('TYPE_ERROR', `If branches yield a ${a.kind} and a ${b.kind} for output ${i}`);
  if (a.kind === 'tensor') {
    const bt = b as TensorType;
    if (a.dtype !== bt.dtype) ctx.fail('TYPE_ERROR', `If branches yield ${a.dtype} and ${bt.dtype} for output ${i}`);
    if (a.shape.length !== bt.shape.length) ctx.fail('UNSUPPORTED_OP', `If branches yield ranks ${a.shape.length} and ${bt.shape.length} for output ${i}`);
    return tensorType(a.dtype, a.shape.map((d, k) => (dimEquals(d, bt.shape[k]!) ? d : ctx.freshDim())));
  }
  if (a.kind === 'sequence') return { kind: 'sequence', elem: mergeTypes(ctx, a.elem, (b as typeof a).elem, i) as TensorType };
  return { kind: 'optional', elem: mergeTypes(ctx, a.elem, (b as typeof a).elem, i) as TensorType };
}

/** A one-element bool tensor as a bool scalar (ONNX allows shape [] or [1]). */
function scalarBoolOf(ctx: ConvertContext, id: ValueId): ValueId {
  const t = ctx.tensorTypeOf(id);
  if (t.dtype !== 'bool') ctx.fail('TYPE_ERROR', `condition must be bool, got ${t.dtype}`);
  if (t.shape.length === 0) return id;
  if (!t.shape.every((d) => d === 1)) ctx.fail('SHAPE_ERROR', `condition must have one element, got [${t.shape.join(',')}]`);
  return ctx.emit1({ kind: 'reshape' }, [id], [tensorType('bool', [])]);
}

export const CONTROL_FLOW: ConverterTable = {
  If: {
    since: 1,
    convert: (ctx) => {
      const thenG = graphAttr(ctx, 'then_branch');
      const elseG = graphAttr(ctx, 'else_branch');
      const c = ctx.constInput(0);
      if (c) {
        if (c.data.length !== 1) ctx.fail('SHAPE_ERROR', 'If condition must have one element');
        return ctx.lowerSubgraph(Number(c.data[0]) !== 0 ? thenG : elseG, []);
      }
      const cond = scalarBoolOf(ctx, ctx.input(0));
      let thenOut: ValueId[] = [];
      let elseOut: ValueId[] = [];
      const thenBranch = ctx.b.region([], () => (thenOut = ctx.lowerSubgraph(thenG, [])));
      const elseBranch = ctx.b.region([], () => (elseOut = ctx.lowerSubgraph(elseG, [])));
      if (thenOut.length !== elseOut.length) ctx.fail('INVALID_MODEL', 'If branches yield different numbers of outputs');
      const types = thenOut.map((id, i) => mergeTypes(ctx, ctx.typeOf(id), ctx.typeOf(elseOut[i]!), i));
      return ctx.emit({ kind: 'if', thenBranch, elseBranch }, [cond], types);
    },
  },

  Loop: {
    since: 1,
    convert: (ctx) => {
      const body = graphAttr(ctx, 'body');
      const maxTrip = ctx.optInput(0);
      const condIn = ctx.optInput(1);
      const carried = [...Array(ctx.numInputs).keys()].slice(2).map((i) => ctx.input(i));
      if (body.inputs.length !== 2 + carried.length) ctx.fail('INVALID_MODEL', `Loop body takes ${body.inputs.length} inputs for ${carried.length} carried values`);
      const inputs: ValueId[] = [];
      if (maxTrip !== undefined) {
        const t = ctx.tensorTypeOf(maxTrip);
        if (t.dtype !== 'int64') ctx.fail('TYPE_ERROR', 'Loop trip count must be int64');
        inputs.push(t.shape.length === 0 ? maxTrip : ctx.emit1({ kind: 'reshape' }, [maxTrip], [tensorType('int64', [])]));
      }
      if (condIn !== undefined) inputs.push(scalarBoolOf(ctx, condIn));
      inputs.push(...carried);
      const paramTypes: ValueType[] = [tensorType('int64', []), tensorType('bool', []), ...carried.map((id) => ctx.typeOf(id))];
      let scanTypes: ValueType[] = [];
      const region = ctx.b.region(paramTypes, (params) => {
        const outs = ctx.lowerSubgraph(body, body.inputs.map((inp, i) => ({ name: inp.name, id: params[i]! })));
        if (outs.length < 1 + carried.length) ctx.fail('INVALID_MODEL', 'Loop body yields too few outputs');
        scanTypes = outs.slice(1 + carried.length).map((id) => ctx.typeOf(id));
        return [scalarBoolOf(ctx, outs[0]!), ...outs.slice(1)];
      });
      // Trip count: static when the count is a constant and no condition can stop the loop early.
      const m = ctx.constInput(0);
      // A negative count runs the body zero times, as ONNX's reference does.
      if (m && m.data.length !== 1) ctx.fail('SHAPE_ERROR', `Loop trip count must have one element, it has ${m.data.length}`);
      const trips: Dim = m && condIn === undefined ? Math.max(0, Number(m.data[0])) : ctx.freshDim();
      const outTypes: ValueType[] = [
        ...carried.map((id) => ctx.typeOf(id)),
        ...scanTypes.map((t) => {
          if (t.kind !== 'tensor') return ctx.fail('UNSUPPORTED_OP', 'Loop scan outputs must be tensors');
          return tensorType(t.dtype, [trips, ...t.shape]);
        }),
      ];
      return ctx.emit({ kind: 'loop', hasMaxTrip: maxTrip !== undefined, hasCond: condIn !== undefined, body: region }, inputs, outTypes);
    },
  },

  Scan: {
    since: 9,
    convert: (ctx) => {
      const body = graphAttr(ctx, 'body');
      const m = ctx.attrs.requiredInt('num_scan_inputs');
      const all = [...Array(ctx.numInputs).keys()].map((i) => ctx.input(i));
      const nState = all.length - m;
      if (m < 1 || nState < 0) ctx.fail('INVALID_MODEL', `Scan has ${all.length} inputs but num_scan_inputs=${m}`);
      const scanIns = all.slice(nState);
      const rankOf = (id: ValueId) => ctx.rankOf(id);
      const axesIn = ctx.attrs.ints('scan_input_axes') ?? scanIns.map(() => 0);
      const inDirs = ctx.attrs.ints('scan_input_directions') ?? scanIns.map(() => 0);
      if (axesIn.length !== m || inDirs.length !== m) ctx.fail('INVALID_MODEL', 'scan_input_axes/directions must list every scan input');
      const inAxes = axesIn.map((a, j) => normAxis(ctx, a, rankOf(scanIns[j]!)));
      const len = ctx.shapeOf(scanIns[0]!)[inAxes[0]!]!;
      const paramTypes: ValueType[] = [
        ...all.slice(0, nState).map((id) => ctx.typeOf(id)),
        ...scanIns.map((id, j) => { const t = ctx.tensorTypeOf(id); return tensorType(t.dtype, t.shape.filter((_, k) => k !== inAxes[j])); }),
      ];
      let outTypesBody: ValueType[] = [];
      const region = ctx.b.region(paramTypes, (params) => {
        const outs = ctx.lowerSubgraph(body, body.inputs.map((inp, i) => ({ name: inp.name, id: params[i]! })));
        outTypesBody = outs.map((id) => ctx.typeOf(id));
        return outs;
      });
      const nOut = outTypesBody.length - nState;
      if (nOut < 0) ctx.fail('INVALID_MODEL', `Scan body yields ${outTypesBody.length} values, fewer than its ${nState} states`);
      const outAxesRaw = ctx.attrs.ints('scan_output_axes') ?? Array(nOut).fill(0);
      const outDirs = ctx.attrs.ints('scan_output_directions') ?? Array(nOut).fill(0);
      if (outAxesRaw.length !== nOut || outDirs.length !== nOut) ctx.fail('INVALID_MODEL', 'scan_output_axes/directions must list every scan output');
      const outAxes: number[] = [];
      const outTypes: ValueType[] = [
        ...outTypesBody.slice(0, nState),
        ...outTypesBody.slice(nState).map((t, j) => {
          if (t.kind !== 'tensor') return ctx.fail('UNSUPPORTED_OP', 'Scan outputs must be tensors');
          outAxes.push(normAxis(ctx, outAxesRaw[j]!, t.shape.length + 1));
          const s = [...t.shape];
          s.splice(outAxes[j]!, 0, len);
          return tensorType(t.dtype, s);
        }),
      ];
      return ctx.emit({
        kind: 'scan', numScanInputs: m, scanInputAxes: inAxes, scanInputReverse: inDirs.map((d) => d === 1),
        scanOutputAxes: outAxes, scanOutputReverse: outDirs.map((d) => d === 1), body: region,
      }, all, outTypes);
    },
  },
};
