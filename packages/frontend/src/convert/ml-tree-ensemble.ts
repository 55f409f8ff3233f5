// ai.onnx.ml TreeEnsemble (ml opset 5): the trees are attributes, so they are compiled in. Lowering, for
// X[N, F]: every node's decision for every sample at once (gather the features, compare against the splits
// in float64 as the reference does, NaN -> missing_value_tracks_true, set membership for BRANCH_MEMBER);
// then per root-to-leaf path, "reached" = all its decisions went its way (gather + compare + reduce min);
// then a contraction over paths with a [paths, targets] weight table aggregates (SUM, AVERAGE, MIN, MAX);
// then post_transform. Only map, gather, reduce and contract: no ML-specific IR.

import {
  type DType, type FloatDType, type ScalarExpr, type ValueId, acc, arg, bin, cast, dimExpr, isFloat, lit, maxFinite, select,
  tensorType, un,
} from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkTableSize } from './limits.js';
import { constOf, elementsOf } from './ml-common.js';
import { postTransform } from './ml-post-transform.js';
import { BRANCH_MEMBER, type Branch, type LeafPath, type TreeAttributes, leafPaths, readBranches } from './ml-tree-paths.js';
import { reshapeTo } from './shape-ops.js';

/** A tensor attribute's elements as numbers (the spec gives modes, splits, weights and members as tensors). */
function numbers(ctx: ConvertContext, name: string, required: boolean): number[] | undefined {
  const t = ctx.attrs.tensor(name);
  if (t) return elementsOf(t).map(Number);
  if (required) ctx.fail('INVALID_MODEL', `required attribute "${name}" is missing`);
  return undefined;
}

function readAttributes(ctx: ConvertContext): TreeAttributes {
  const ints = (name: string) => [...ctx.attrs.requiredInts(name)];
  const leafTargets = ints('leaf_targetids');
  const nTargets = ctx.attrs.int('n_targets') ?? ctx.fail('INVALID_MODEL', 'required attribute "n_targets" is missing');
  return {
    modes: numbers(ctx, 'nodes_modes', true)!,
    featureIds: ints('nodes_featureids'),
    splits: numbers(ctx, 'nodes_splits', true)!,
    trueIds: ints('nodes_truenodeids'),
    trueLeafs: ints('nodes_trueleafs'),
    falseIds: ints('nodes_falsenodeids'),
    falseLeafs: ints('nodes_falseleafs'),
    missingTracksTrue: ctx.attrs.ints('nodes_missing_value_tracks_true'),
    membershipValues: numbers(ctx, 'membership_values', false),
    leafTargets,
    leafWeights: numbers(ctx, 'leaf_weights', true)!,
    roots: ints('tree_roots'),
    nTargets,
  };
}

const COMPARE: readonly ('le' | 'lt' | 'ge' | 'gt' | 'eq' | 'ne')[] = ['le', 'lt', 'ge', 'gt', 'eq', 'ne'];

/** [N, nodes] bool: the branch each node takes for each sample (true = the true branch). */
function decisions(ctx: ConvertContext, x: ValueId, dt: DType, branches: readonly Branch[]): ValueId {
  const m = branches.length;
  const [n] = ctx.shapeOf(x);
  const xf = ctx.emit1({ kind: 'gather', axis: 1 }, [x, constOf(ctx, 'int64', [m], branches.map((b) => BigInt(b.feature)))]);
  const ins: ValueId[] = [xf, constOf(ctx, 'float64', [m], branches.map((b) => b.split)), constOf(ctx, 'int8', [m], branches.map((b) => b.mode))];
  const v = dt === 'float64' ? arg(0) : cast('float64', arg(0));
  const present = [...new Set(branches.map((b) => b.mode))].sort();
  let member: ScalarExpr | undefined;
  if (present.includes(BRANCH_MEMBER)) {
    // hit[n, node] = x[n, feature(node)] equals one of the node's members (NaN pads never match).
    const width = Math.max(1, ...branches.map((b) => b.members.length));
    const sets = branches.flatMap((b) => [...b.members, ...Array<number>(width - b.members.length).fill(NaN)]);
    const eq = ctx.emit1({ kind: 'map', expr: bin('eq', v, arg(1)) }, [reshapeTo(ctx, xf, [n!, m, 1]), constOf(ctx, 'float64', [m, width], sets)]);
    ins.push(ctx.emit1({ kind: 'reduce', reducer: 'max', axes: [2], keepDims: false }, [eq]));
    member = arg(ins.length - 1);
  }
  const test = (mode: number): ScalarExpr => (mode === BRANCH_MEMBER ? member! : bin(COMPARE[mode]!, v, arg(1)));
  // Only the modes that occur: a select chain on the node's mode, the last one as the fallback.
  let cmp = test(present[present.length - 1]!);
  for (const mode of present.slice(0, -1).reverse()) cmp = select(bin('eq', arg(2), lit(mode, 'int8')), test(mode), cmp);
  if (branches.some((b) => b.missingTracksTrue)) {
    ins.push(constOf(ctx, 'bool', [m], branches.map((b) => (b.missingTracksTrue ? 1 : 0))));
    cmp = bin('or', cmp, bin('and', arg(ins.length - 1), un('isnan', v)));
  }
  return ctx.emit1({ kind: 'map', expr: cmp }, ins);
}

/** [N, paths] bool: the sample reaches the path's leaf (every step's decision matches; 2 pads "any"). */
function reached(ctx: ConvertContext, decided: ValueId, paths: readonly LeafPath[]): ValueId {
  const p = paths.length;
  const depth = Math.max(1, ...paths.map((q) => q.steps.length));
  const nodes: bigint[] = [];
  const want: number[] = [];
  for (const q of paths) {
    for (let d = 0; d < depth; d++) {
      const s = q.steps[d];
      nodes.push(BigInt(s?.node ?? 0));
      want.push(s === undefined ? 2 : s.takesTrue ? 1 : 0);
    }
  }
  const taken = ctx.emit1({ kind: 'gather', axis: 1 }, [decided, constOf(ctx, 'int64', [p, depth], nodes)]);
  const ok = bin('or', bin('eq', arg(1), lit(2, 'int8')), bin('eq', cast('int8', arg(0)), arg(1)));
  const steps = ctx.emit1({ kind: 'map', expr: ok }, [taken, constOf(ctx, 'int8', [p, depth], want)]);
  return ctx.emit1({ kind: 'reduce', reducer: 'min', axes: [2], keepDims: false }, [steps]);
}

/** [N, targets]: leaf weights of reached paths combined per target (0 SUM/1 AVERAGE over trees, 2 MIN, 3 MAX). */
function aggregate(ctx: ConvertContext, hit: ValueId, paths: readonly LeafPath[], nTargets: number, fn: number, dt: FloatDType, trees: number): ValueId {
  const [n] = ctx.shapeOf(hit);
  if (fn < 0 || fn > 3) ctx.attrs.unsupported('aggregate_function', `${fn} is not 0 (AVERAGE), 1 (SUM), 2 (MIN) or 3 (MAX)`);
  // Untouched targets keep the start value: 0 for sums, the dtype's largest / lowest finite value for MIN / MAX.
  const none = fn === 2 ? maxFinite(dt) : fn === 3 ? -maxFinite(dt) : 0;
  checkTableSize(ctx, paths.length * nTargets, `TreeEnsemble weights for ${nTargets} targets`);
  const table = paths.flatMap((q) => Array.from({ length: nTargets }, (_, t) => (t === q.target ? q.weight : none)));
  const weights = constOf(ctx, 'float64', [paths.length, nTargets], table);
  const total = fn === 0 ? bin('div', acc, lit(trees, 'float64')) : acc;
  return ctx.emit1({
    kind: 'contract',
    reductionExtents: [paths.length],
    maps: [[dimExpr(0), dimExpr(2)], [dimExpr(2), dimExpr(1)]],
    padValues: [null, null],
    combiner: select(arg(0), arg(1), lit(none, 'float64')),
    reducer: fn === 2 ? 'min' : fn === 3 ? 'max' : 'add',
    accDtype: 'float64',
    epilogue: dt === 'float64' ? total : cast(dt, total),
  }, [hit, weights], [tensorType(dt, [n!, nTargets])]);
}

export function treeEnsemble(ctx: ConvertContext): ValueId[] {
  const x = ctx.input(0);
  const xt = ctx.tensorTypeOf(x);
  if (!isFloat(xt.dtype)) ctx.fail('TYPE_ERROR', `TreeEnsemble needs a float input, got ${xt.dtype}`);
  if (xt.shape.length !== 2) ctx.fail('SHAPE_ERROR', `TreeEnsemble needs X of shape [N, F], got rank ${xt.shape.length}`);
  const dt = xt.dtype as FloatDType;
  const a = readAttributes(ctx);
  const fail = (code: 'INVALID_MODEL' | 'LIMIT_EXCEEDED', msg: string): never => ctx.fail(code, msg);
  const branches = readBranches(a, fail);
  const features = xt.shape[1]!;
  for (const b of branches) if (typeof features === 'number' && b.feature >= features) ctx.fail('INVALID_MODEL', `feature id ${b.feature} is outside the ${features} features of X`);
  const paths = leafPaths(a, fail);
  if (paths.length === 0) ctx.fail('INVALID_MODEL', 'TreeEnsemble has no trees (tree_roots is empty)');
  const hit = reached(ctx, decisions(ctx, x, dt, branches), paths);
  const scores = aggregate(ctx, hit, paths, a.nTargets, ctx.attrs.int('aggregate_function', 1), dt, a.roots.length);
  return [postTransform(ctx, scores, ctx.attrs.int('post_transform', 0), dt)];
}
