// Runs a pipeline (an array of passes) with optional verification after every pass (on in tests) and a
// print-after hook for debugging; collects per-pass statistics. A verify failure names the pass that broke it.

import { CompileError } from '../errors.js';
import type { Graph } from '../graph.js';
import { verify } from '../verify/index.js';
import type { Pass } from './pass.js';

export interface PassReport {
  readonly pass: string;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  readonly counters: Record<string, number>;
  readonly ms: number;
}

export interface PipelineOptions {
  readonly verifyEach?: boolean;
  /** Called after each pass whose name is listed (or every pass for '*'). */
  readonly printAfter?: readonly string[];
  readonly onPrint?: (pass: string, g: Graph) => void;
  /** Called with each pass's report as soon as the pass has run (live statistics, progress). */
  readonly onReport?: (r: PassReport) => void;
}

export function runPipeline(g: Graph, passes: readonly Pass[], opts: PipelineOptions = {}): { graph: Graph; reports: PassReport[] } {
  const reports: PassReport[] = [];
  let cur = g;
  for (const p of passes) {
    const stats = { counters: {} as Record<string, number> };
    const t0 = performance.now();
    const before = cur.nodes.length;
    cur = p.run(cur, stats);
    const report: PassReport = { pass: p.name, nodesBefore: before, nodesAfter: cur.nodes.length, counters: stats.counters, ms: performance.now() - t0 };
    reports.push(report);
    opts.onReport?.(report);
    if (opts.verifyEach) {
      try {
        verify(cur);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new CompileError('VERIFY_ERROR', `after pass ${p.name}: ${msg}`);
      }
    }
    if (opts.printAfter && (opts.printAfter.includes(p.name) || opts.printAfter.includes('*'))) opts.onPrint?.(p.name, cur);
  }
  return { graph: cur, reports };
}
