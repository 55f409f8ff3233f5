// Runs one backend test through importOnnx + the reference interpreter and compares by ONNX's rule.
// Failures are classified (import / run / mismatch) with the reason, for CONFORMANCE.md.

import { CompileError, type Graph, type HostTensor, type Node, type RuntimeValue, interpret, regionsOf } from '@tensorc/ir';
import { lowerModel } from '../../src/import-onnx.js';
import { compareValues } from './compare.js';
import { type SuiteCase, loadCase } from './suite.js';

/** `specialized`: passed only with the test's integer inputs given at compile time (constantInputs). */
export type Outcome = { readonly ok: true; readonly specialized: boolean } | { readonly ok: false; readonly stage: 'load' | 'import' | 'compile' | 'run' | 'mismatch'; readonly reason: string };

/** How a case's graph is evaluated: the reference interpreter, or compiled WebAssembly through the runtime. */
export type Evaluate = (graph: Graph, feeds: Record<string, RuntimeValue>) => Promise<Record<string, RuntimeValue>>;

export const interpretEvaluate: Evaluate = async (graph, feeds) => {
  const work = contractWork(graph);
  if (work > WORK_LIMIT) throw new StageError('run', `too much work for the reference interpreter (${work.toExponential(1)} multiply-adds)`);
  return interpret(graph, feeds);
};

/** An evaluation failure at a given stage (compile errors are reported apart from run-time ones). */
export class StageError extends Error {
  constructor(readonly stage: 'compile' | 'run', message: string) {
    super(message);
  }
}

/** Import errors that say a value the compiler needs at compile time arrives as run-time data. */
const NEEDS_INPUT = /\(input \d+ "([^"]*)"\) must be known at compile time/;

/** Multiply-adds of the graph's contractions (static shapes): the interpreter's cost, to refuse hopeless cases. */
export function contractWork(g: Graph): number {
  let w = 0;
  const walk = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      if (n.op.kind === 'contract') {
        const t = n.outputs[0]!.type;
        const dims = t.kind === 'tensor' ? [...t.shape, ...n.op.reductionExtents] : [];
        w += dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
      }
      regionsOf(n.op).forEach((r) => walk(r.nodes));
    }
  };
  walk(g.nodes);
  return w;
}

export const WORK_LIMIT = 2e10;

function message(e: unknown): string {
  if (e instanceof CompileError) return `${e.code}: ${e.message}`;
  if (e instanceof StageError) return e.message;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export async function runCase(dir: string, c: SuiteCase, evaluate: Evaluate = interpretEvaluate): Promise<Outcome> {
  let loaded;
  try {
    loaded = loadCase(dir, c);
  } catch (e) {
    return { ok: false, stage: 'load', reason: message(e) };
  }
  let specialized = false;
  for (const ds of loaded.dataSets) {
    let graph: Graph | undefined;
    let feeds = ds.feeds;
    // An AOT compiler needs some values at compile time (shapes, axes, counts). When the importer names a
    // graph input it needs, specialize on the test's value for it (importOnnx's constantInputs) and retry.
    const constantInputs: Record<string, HostTensor> = {};
    let firstError = '';
    for (let round = 0; graph === undefined; round++) {
      try {
        graph = lowerModel(loaded.model, Object.keys(constantInputs).length ? { constantInputs } : {});
      } catch (e) {
        const reason = message(e);
        firstError ||= reason;
        const m = NEEDS_INPUT.exec(reason);
        const v = m ? ds.feeds[m[1]!] : undefined;
        if (!m || v === undefined || v === null || Array.isArray(v) || round > 8 || m[1]! in constantInputs) {
          return { ok: false, stage: 'import', reason: reason === firstError ? reason : `${reason} (after specializing on ${Object.keys(constantInputs).join(', ')}; first error: ${firstError})` };
        }
        constantInputs[m[1]!] = v as HostTensor;
      }
    }
    if (Object.keys(constantInputs).length) {
      feeds = Object.fromEntries(Object.entries(ds.feeds).filter(([k]) => !(k in constantInputs)));
      specialized = true;
    }
    let out: Record<string, unknown>;
    try {
      out = await evaluate(graph, feeds);
    } catch (e) {
      return { ok: false, stage: e instanceof StageError ? e.stage : 'run', reason: message(e) };
    }
    const outputs = graph.outputs.map((o) => out[o.name]);
    if (outputs.length !== ds.expected.length) return { ok: false, stage: 'mismatch', reason: `${outputs.length} outputs, expected ${ds.expected.length}` };
    for (let i = 0; i < outputs.length; i++) {
      const d = compareValues(ds.expected[i]!, outputs[i] as never);
      if (d) return { ok: false, stage: 'mismatch', reason: `output ${i} (${graph.outputs[i]!.name}): ${d}` };
    }
  }
  return { ok: true, specialized };
}
