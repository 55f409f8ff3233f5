// The trees of an ai.onnx.ml TreeEnsemble, read from its attributes and flattened into root-to-leaf paths.
// A sample reaches the leaf of a path exactly when every branch decision on the path goes the way the path
// goes, so with all decisions evaluated at once, "reached" is a conjunction per path: no data-dependent
// control flow is needed to evaluate compile-time-known trees.

/** One interior node's test: x[feature] <mode> split, or x[feature] in members. */
export interface Branch {
  /** 0 LEQ, 1 LT, 2 GTE, 3 GT, 4 EQ, 5 NEQ, 6 MEMBER. */
  readonly mode: number;
  readonly feature: number;
  readonly split: number;
  readonly members: readonly number[];
  /** A NaN feature takes the true branch (otherwise the comparison decides; NaN compares false except NEQ). */
  readonly missingTracksTrue: boolean;
}

/** A root-to-leaf path: the (node, taken branch) decisions, then the leaf's target and weight. */
export interface LeafPath {
  readonly steps: readonly { readonly node: number; readonly takesTrue: boolean }[];
  readonly target: number;
  readonly weight: number;
}

export interface TreeAttributes {
  readonly modes: readonly number[];
  readonly featureIds: readonly number[];
  readonly splits: readonly number[];
  readonly trueIds: readonly number[];
  readonly trueLeafs: readonly number[];
  readonly falseIds: readonly number[];
  readonly falseLeafs: readonly number[];
  readonly missingTracksTrue: readonly number[] | undefined;
  readonly membershipValues: readonly number[] | undefined;
  readonly leafTargets: readonly number[];
  readonly leafWeights: readonly number[];
  readonly roots: readonly number[];
  readonly nTargets: number;
}

export const BRANCH_MEMBER = 6;

/** Most root-to-leaf path steps a node is expanded into (shared subtrees multiply paths). */
const MAX_PATH_STEPS = 1 << 22;

export type Fail = (code: 'INVALID_MODEL' | 'LIMIT_EXCEEDED', msg: string) => never;

/** Checks the attribute arrays against each other and builds the branch table. */
export function readBranches(a: TreeAttributes, fail: Fail): Branch[] {
  const m = a.modes.length;
  const lists: [string, readonly number[] | undefined][] = [
    ['nodes_featureids', a.featureIds], ['nodes_splits', a.splits], ['nodes_truenodeids', a.trueIds],
    ['nodes_trueleafs', a.trueLeafs], ['nodes_falsenodeids', a.falseIds], ['nodes_falseleafs', a.falseLeafs],
    ['nodes_missing_value_tracks_true', a.missingTracksTrue],
  ];
  for (const [name, list] of lists) if (list && list.length !== m) fail('INVALID_MODEL', `${name} has ${list.length} entries but nodes_modes has ${m}`);
  if (a.leafTargets.length !== a.leafWeights.length) fail('INVALID_MODEL', `leaf_targetids has ${a.leafTargets.length} entries but leaf_weights has ${a.leafWeights.length}`);
  for (const t of a.leafTargets) if (!Number.isInteger(t) || t < 0 || t >= a.nTargets) fail('INVALID_MODEL', `leaf target ${t} is outside [0, n_targets=${a.nTargets})`);
  // Member sets, NaN-delimited, in the order the MEMBER nodes appear in nodes_modes (the spec's order).
  const sets: number[][] = [];
  if (a.membershipValues) {
    let cur: number[] = [];
    for (const v of a.membershipValues) {
      if (Number.isNaN(v)) { sets.push(cur); cur = []; } else cur.push(v);
    }
    if (cur.length > 0) sets.push(cur);
  }
  const memberNodes = a.modes.filter((x) => x === BRANCH_MEMBER).length;
  if (memberNodes !== sets.length) fail('INVALID_MODEL', `${memberNodes} BRANCH_MEMBER nodes but membership_values holds ${sets.length} NaN-delimited sets`);
  let nextSet = 0;
  return a.modes.map((mode, i) => {
    if (!Number.isInteger(mode) || mode < 0 || mode > BRANCH_MEMBER) fail('INVALID_MODEL', `node ${i} has mode ${mode}, not 0..6`);
    const feature = a.featureIds[i]!;
    if (!Number.isInteger(feature) || feature < 0) fail('INVALID_MODEL', `node ${i} has feature id ${feature}`);
    return {
      mode, feature, split: a.splits[i]!,
      members: mode === BRANCH_MEMBER ? sets[nextSet++]! : [],
      missingTracksTrue: (a.missingTracksTrue?.[i] ?? 0) !== 0,
    };
  });
}

/** Every root-to-leaf path of every tree, depth first, true branch first. */
export function leafPaths(a: TreeAttributes, fail: Fail): LeafPath[] {
  const m = a.modes.length;
  const nLeaves = a.leafTargets.length;
  const paths: LeafPath[] = [];
  let steps = 0;
  const leaf = (l: number, path: LeafPath['steps']): void => {
    if (!Number.isInteger(l) || l < 0 || l >= nLeaves) fail('INVALID_MODEL', `leaf index ${l} is outside [0, ${nLeaves})`);
    steps += Math.max(1, path.length);
    if (steps > MAX_PATH_STEPS) fail('LIMIT_EXCEEDED', `the trees expand to more than ${MAX_PATH_STEPS} root-to-leaf path steps`);
    paths.push({ steps: path, target: a.leafTargets[l]!, weight: a.leafWeights[l]! });
  };
  const visit = (node: number, path: LeafPath['steps']): void => {
    if (!Number.isInteger(node) || node < 0 || node >= m) fail('INVALID_MODEL', `node index ${node} is outside [0, ${m})`);
    // A path longer than the node count revisits a node: the "tree" has a cycle.
    if (path.length >= m) fail('INVALID_MODEL', `the branches starting at node ${path[0]?.node ?? node} form a cycle`);
    for (const takesTrue of [true, false]) {
      const next = takesTrue ? a.trueIds[node]! : a.falseIds[node]!;
      const isLeaf = (takesTrue ? a.trueLeafs[node]! : a.falseLeafs[node]!) !== 0;
      const p = [...path, { node, takesTrue }];
      if (isLeaf) leaf(next, p);
      else visit(next, p);
    }
  };
  for (const root of a.roots) {
    if (!Number.isInteger(root) || root < 0 || root >= m) fail('INVALID_MODEL', `tree root ${root} is outside [0, ${m})`);
    // A tree that is a single leaf: both branches of its one entry name the same leaf.
    if (a.trueLeafs[root] && a.falseLeafs[root] && a.trueIds[root] === a.falseIds[root]) leaf(a.trueIds[root]!, []);
    else visit(root, []);
  }
  return paths;
}
