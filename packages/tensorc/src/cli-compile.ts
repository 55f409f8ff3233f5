// `tensorc compile`: model -> artifact folder, with optional IR printing and a text or JSON summary.

import { CompileError } from '@tensorc/ir';
import { compile } from './compile.js';
import { progress } from './progress.js';

export interface CompileFlags {
  output: string;
  inputShape: string[];
  optimize: boolean;
  /** --no-fuse sets this false: optimize without the fusion passes. */
  fuse?: boolean;
  /** --stats: per-pass statistics and kernel kinds. */
  stats?: boolean;
  printIr?: boolean;
  printAfter: string[];
  verifyEach?: boolean;
  json?: boolean;
  quiet?: boolean;
  /** --threads N: 1 leaves out the threaded variants. */
  threads?: string;
  /** --max-threads N: the thread cap (scratch slots per convolution / attention kernel). */
  maxThreads?: string;
  /** --no-relaxed-simd sets this false. */
  relaxedSimd?: boolean;
}

function parseThreads(s: string, flag = '--threads'): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1) throw new CompileError('INVALID_INPUT', `${flag} "${s}" must be a positive integer`);
  return n;
}

export function parseShapes(specs: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of specs) {
    const eq = s.lastIndexOf('=');
    const dims = eq > 0 ? s.slice(eq + 1).split(',').map((d) => Number(d.trim())) : [];
    if (eq <= 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new CompileError('INVALID_INPUT', `--input-shape "${s}" must look like name=1,3,224,224`);
    out[s.slice(0, eq)] = dims;
  }
  return out;
}

export async function compileCommand(model: string, f: CompileFlags): Promise<void> {
  const tick = progress(f.quiet);
  const t0 = performance.now();
  const result = await compile(model, {
    inputShapes: parseShapes(f.inputShape),
    optimize: f.optimize,
    fuse: f.fuse ?? true,
    ...(f.threads !== undefined ? { threads: parseThreads(f.threads) } : {}),
    ...(f.maxThreads !== undefined ? { maxThreads: parseThreads(f.maxThreads, '--max-threads') } : {}),
    relaxedSimd: f.relaxedSimd ?? true,
    verifyEach: f.verifyEach ?? false,
    printAfter: f.printAfter,
    onStage: (stage, ms, detail) => {
      if (stage.startsWith('ir after')) process.stdout.write(`// ${stage}\n${detail}\n`);
      else tick(stage, ms);
    },
  });
  const tSave = performance.now();
  await result.save(f.output);
  tick('save', performance.now() - tSave);
  const m = result.manifest;
  const summary = {
    output: f.output, kernels: m.kernels.length, wasmBytes: result.wasm.length, weightsBytes: result.weights.length,
    memoryPages: m.memory.pages, arenaPeakBytes: m.memory.peakBytes, initKernels: m.initKernels?.length ?? 0, expandedBytes: m.memory.expandedBytes ?? 0, maxThreads: m.parallel?.maxThreads ?? 1, irNodes: result.graph.nodes.length,
    inputs: m.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })), outputs: m.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: o.shape })),
    kernelKinds: kernelKinds(m.kernels.map((k) => k.name)),
    passes: result.passes.map((p) => ({ pass: p.pass, nodesBefore: p.nodesBefore, nodesAfter: p.nodesAfter, ms: Math.round(p.ms * 100) / 100, ...p.counters })),
    ms: Math.round(performance.now() - t0),
  };
  if (f.printIr) {
    const { printGraph } = await import('@tensorc/ir');
    process.stdout.write(printGraph(result.graph));
  }
  if (f.json) { process.stdout.write(JSON.stringify(summary, null, 1) + '\n'); return; }
  // weights kept as int8 codes are widened once per session by init kernels, into this many bytes
  const expanded = summary.initKernels > 0 ? ` (widened at load by ${summary.initKernels} init kernels to ${summary.expandedBytes} B)` : '';
  process.stdout.write(`compiled ${model} -> ${f.output} in ${summary.ms} ms: ${summary.kernels} kernels, wasm ${summary.wasmBytes} B, weights ${summary.weightsBytes} B${expanded}, arena peak ${summary.arenaPeakBytes} B\n`);
  if (!f.stats) return;
  const width = Math.max(0, ...result.passes.map((p) => p.pass.length));
  for (const p of result.passes) {
    const did = Object.entries(p.counters).map(([k, v]) => `${k}=${v}`).join(' ');
    process.stdout.write(`  pass ${p.pass.padEnd(width)}  ${String(p.nodesBefore).padStart(5)} -> ${String(p.nodesAfter).padEnd(5)} nodes  ${p.ms.toFixed(1).padStart(7)} ms  ${did}`.trimEnd() + '\n');
  }
  process.stdout.write(`  kernels: ${Object.entries(summary.kernelKinds).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
}

/** Kernel counts by kind, from kernel names such as "k3_gemm" (sorted by count, then name). */
function kernelKinds(names: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) { const k = n.replace(/^k\d+_/, ''); counts.set(k, (counts.get(k) ?? 0) + 1); }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
