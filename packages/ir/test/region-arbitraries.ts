// fast-check arbitraries for region bodies: the pattern-rich programs of fusion-arbitraries.ts (elementwise
// chains, matmul + bias + activation, BatchNorm after a matmul, reductions, spelled-out softmax and norms)
// replayed inside If branches, Loop bodies, Scan bodies, and an If nested in a Loop body. The body reads its
// x [batch, 3, 4] and y [3, 4] from params (carried values, scan slices) or from outer values, and its
// constants either stay in the body or are hoisted before the region (outer weights, shared by both branches).
// Loop and Scan bodies also yield a param unchanged and a carried value through a cheap map.

import fc from 'fast-check';
import { type DType, GraphBuilder, type Graph, type HostTensor, type Node, type ValueId, arg, bin, lit, regionsOf, tensorType } from '../src/index.js';
import type { RandomCase } from './arbitraries.js';
import { buildFusionCase } from './fusion-arbitraries.js';

export type RegionKind = 'if' | 'loop' | 'scan' | 'nested';
export const REGION_KINDS: readonly RegionKind[] = ['if', 'loop', 'scan', 'nested'];

export interface RegionCase extends RandomCase {
  readonly kind: RegionKind;
}

/** Replays `g`'s nodes into `b`'s current scope with its inputs bound to `ins` (by name); constants from `hoisted` when given. */
function replay(b: GraphBuilder, g: Graph, ins: Record<string, ValueId>, hoisted?: ReadonlyMap<ValueId, ValueId>): ValueId[] {
  const m = new Map<ValueId, ValueId>(g.inputs.map((i) => [i.value.id, ins[i.name]!]));
  for (const n of g.nodes) {
    const h = hoisted?.get(n.outputs[0]!.id);
    if (h !== undefined) { m.set(n.outputs[0]!.id, h); continue; }
    const outs = b.add(n.op, n.inputs.map((id) => m.get(id)!), n.outputs.map((o) => o.type));
    n.outputs.forEach((o, i) => m.set(o.id, outs[i]!));
  }
  return g.outputs.map((o) => m.get(o.value)!);
}

/** `g`'s constant nodes added to `b`'s current scope once, by their id in `g`. */
function hoistConstants(b: GraphBuilder, g: Graph): Map<ValueId, ValueId> {
  const m = new Map<ValueId, ValueId>();
  for (const n of g.nodes) if (n.op.kind === 'constant') m.set(n.outputs[0]!.id, b.constant(n.op.value));
  return m;
}

function ramp(shape: readonly number[], seed: number, dtype: DType = 'float32'): HostTensor {
  const n = shape.reduce((a, c) => a * c, 1);
  return { dtype, shape, data: Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin((i + 1) * 0.91 + seed) * 2.5)) };
}

/** A cheap map the carried value goes through each iteration (keeps values bounded). */
const damp = (b: GraphBuilder, v: ValueId) => b.map(bin('add', bin('mul', arg(0), lit(0.5, 'float32')), lit(0.25, 'float32')), [v]);

/**
 * One region case: `body` is a fusion program (built once, replayed in each body that runs it), `kind` the
 * construct around it, `hoist` whether its constants are outer values, `xOuter` whether a Loop body reads x
 * from outside instead of its carried param, `flag` the If condition (a graph input), `trips` the iterations.
 */
export function buildRegionCase(steps: readonly number[][], batch: number, kind: RegionKind, hoist: boolean, xOuter: boolean, flag: boolean, trips: number): RegionCase {
  const inner = buildFusionCase(steps, batch);
  const body = inner.graph;
  const b = new GraphBuilder();
  const xt = tensorType('float32', [batch, 3, 4]);
  const yt = tensorType('float32', [3, 4]);
  const x = b.input('x', xt);
  const y = b.input('y', yt);
  const feeds: Record<string, HostTensor> = { x: inner.feeds['x']!, y: inner.feeds['y']! };
  const outTypes = body.outputs.map((o) => typeIn(body, o.value));
  const consts = hoist ? hoistConstants(b, body) : undefined;
  const ifOf = (cond: ValueId, tx: ValueId, ty: ValueId, ex: ValueId, ey: ValueId): ValueId[] => {
    const thenBranch = b.region([], () => replay(b, body, { x: tx, y: ty }, consts));
    const elseBranch = b.region([], () => replay(b, body, { x: ex, y: ey }, consts));
    return b.add({ kind: 'if', thenBranch, elseBranch }, [cond], outTypes);
  };
  const I64 = tensorType('int64', []);
  const BOOL = tensorType('bool', []);
  const stacked = outTypes.map((t) => tensorType(t.dtype, [trips, ...t.shape]));
  let outs: ValueId[];
  if (kind === 'if') {
    const c = b.input('flag', BOOL);
    feeds['flag'] = { dtype: 'bool', shape: [], data: Float64Array.of(flag ? 1 : 0) };
    outs = ifOf(c, x, y, b.map(bin('mul', arg(0), lit(-0.75, 'float32')), [x]), y);
  } else if (kind === 'loop' || kind === 'nested') {
    const loopBody = b.region([I64, BOOL, xt, yt], ([i, c, px, py]) => {
      const bx = xOuter ? x : px!;
      let res: ValueId[];
      if (kind === 'loop') res = replay(b, body, { x: bx, y: py! }, consts);
      else {
        const even = b.map(bin('eq', bin('mod', arg(0), lit(2n, 'int64')), lit(0n, 'int64')), [i!]);
        res = ifOf(even, bx, py!, damp(b, bx), py!);
      }
      return [c!, damp(b, px!), py!, ...res];
    });
    const n = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(trips)) });
    outs = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body: loopBody }, [n, x, y], [xt, yt, ...stacked]);
  } else {
    const xs = b.input('xs', tensorType('float32', [trips, batch, 3, 4]));
    feeds['xs'] = ramp([trips, batch, 3, 4], trips + batch);
    const scanBody = b.region([yt, xt], ([st, slice]) => [damp(b, st!), ...replay(b, body, { x: slice!, y: st! }, consts)]);
    outs = b.add({
      kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [flag], scanOutputAxes: outTypes.map(() => 0), scanOutputReverse: outTypes.map(() => false), body: scanBody,
    }, [y, xs], [yt, ...stacked]);
  }
  outs.forEach((id, i) => b.output(`out${i}`, id));
  return { graph: b.build(), feeds, steps, kind };
}

function typeIn(g: Graph, id: ValueId) {
  for (const i of g.inputs) if (i.value.id === id && i.value.type.kind === 'tensor') return i.value.type;
  for (const n of g.nodes) for (const o of n.outputs) if (o.id === id && o.type.kind === 'tensor') return o.type;
  throw new Error(`%${id} is not a tensor of the body`);
}

/** Non-constant nodes inside regions (at any depth). */
export function regionNodeCount(g: Graph): number {
  const count = (nodes: readonly Node[], inside: boolean): number =>
    nodes.reduce((s, n) => s + (inside && n.op.kind !== 'constant' ? 1 : 0) + regionsOf(n.op).reduce((t, r) => t + count(r.nodes, true), 0), 0);
  return count(g.nodes, false);
}

const stepsArb = fc.array(fc.array(fc.nat({ max: 127 }), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 10 });

export const regionCase: fc.Arbitrary<RegionCase> = fc.tuple(
  stepsArb, fc.integer({ min: 1, max: 2 }), fc.constantFrom(...REGION_KINDS), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }),
).map(([steps, batch, kind, hoist, xOuter, flag, trips]) => buildRegionCase(steps, batch, kind, hoist, xOuter, flag, trips));

/** Fusion-arbitraries step kinds whose ops are continuous (no floor, casts or comparisons), for tolerance checks. */
const CONTINUOUS = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** Like regionCase, with only continuous steps, so an inexact pass's rounding changes stay small at the outputs. */
export const continuousRegionCase: fc.Arbitrary<RegionCase> = fc.tuple(
  stepsArb, fc.integer({ min: 1, max: 2 }), fc.constantFrom(...REGION_KINDS), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }),
).map(([steps, batch, kind, hoist, xOuter, flag, trips]) => buildRegionCase(
  steps.map(([c = 0, a = 0, d = 0]) => [CONTINUOUS[c % CONTINUOUS.length]!, a, d]), batch, kind, hoist, xOuter, flag, trips,
));
