// What a pass is: a value with a name, a one-line description and a pure `run` from graph to graph.
// Passes report what they did through PassStats so the CLI can print per-pass statistics.

import type { Graph } from '../graph.js';

export interface PassStats {
  /** Free-form counters, e.g. { removed: 3 } or { folded: 12, rulesFired: 4 }. */
  readonly counters: Record<string, number>;
}

export interface Pass {
  readonly name: string;
  readonly description: string;
  /**
   * Set when the pass changes float rounding (it reassociates, or swaps a spelled-out formula for a fused op):
   * results then agree within a few ulps, not bit for bit. Tests check such passes node by node with a tolerance.
   */
  readonly inexact?: true;
  run(g: Graph, stats: PassStats): Graph;
}

export function bump(stats: PassStats, key: string, by = 1): void {
  stats.counters[key] = (stats.counters[key] ?? 0) + by;
}
