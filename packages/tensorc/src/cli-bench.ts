// `tensorc bench`: compiles one model and times it against onnxruntime-web (wasm EP, same threads,
// graphOptimizationLevel 'all') in this process, interleaved, on deterministic random inputs; checks that the
// outputs agree and prints medians and the ratio. Without onnxruntime-web it times tensorc alone.

import type { Command } from 'commander';
import { inputShapeOption } from './cli-options.js';
import { CompileError } from '@tensorc/ir';
import type { BenchResult } from './bench-core.js';
import { progress } from './progress.js';

export interface BenchFlags { inputShape: string[]; threads: string; minMs: string; ort: boolean; json?: boolean; quiet?: boolean }

/** Outputs further apart than this (relative to the output's scale) mean one of the two computes wrong numbers. */
export const AGREEMENT_TOLERANCE = 1e-4;
/**
 * The same for models that quantize at run time: a value on the edge between two codes may round either way in
 * another runtime's integer kernels, and the step then propagates. 3e-2 is a few steps of 8-bit codes (1/255).
 */
export const QUANTIZED_AGREEMENT_TOLERANCE = 3e-2;

const toleranceFor = (r: BenchResult): number => (r.quantized ? QUANTIZED_AGREEMENT_TOLERANCE : AGREEMENT_TOLERANCE);

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new CompileError('INVALID_INPUT', `${flag} must be a positive integer, got "${text}"`);
  return n;
}

function report(model: string, threads: number, r: BenchResult): string {
  const lines = [`${model}: ${r.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape.join(',')}]`).join(', ')}; model.wasm ${r.wasmBytes} bytes`];
  const note = ` (${r.tensorcThreads} thread${r.tensorcThreads > 1 ? 's' : ''}, ${r.variant})`;
  lines.push(`  tensorc          ${r.tensorcMs.toFixed(3).padStart(10)} ms median of ${r.runs} runs${note}`);
  if (r.ortMs !== undefined) {
    lines.push(`  onnxruntime-web  ${r.ortMs.toFixed(3).padStart(10)} ms median of ${r.runs} runs (${threads} thread${threads > 1 ? 's' : ''})`);
    const ratio = r.tensorcMs / r.ortMs;
    lines.push(`  ratio tensorc/ort ${ratio.toFixed(2).padStart(9)}    (lower is better; ${ratio <= 1 ? `tensorc ${(1 / ratio).toFixed(2)}x faster` : `tensorc ${ratio.toFixed(2)}x slower`})`);
    const within = r.quantized ? ` (quantized model: tolerance ${QUANTIZED_AGREEMENT_TOLERANCE}, a few code steps)` : '';
    lines.push(`  outputs ${r.maxRelDiff! <= toleranceFor(r) ? 'agree' : 'DISAGREE'}: max relative difference ${r.maxRelDiff!.toExponential(1)}${within}`);
  }
  return lines.join('\n') + '\n';
}

export async function benchCommand(model: string, f: BenchFlags): Promise<void> {
  const threads = positiveInt('--threads', f.threads);
  const minMs = positiveInt('--min-ms', f.minMs);
  // Loaded here, not at the top: registering the command must not load the compiler.
  const { parseShapes } = await import('./cli-compile.js');
  const { benchModel, tryLoadOrt } = await import('./bench-core.js');
  const inputShapes = parseShapes(f.inputShape);
  const tick = progress(f.quiet);
  const ort = f.ort ? await tryLoadOrt() : undefined;
  if (f.ort && !ort) process.stderr.write('tensorc: onnxruntime-web is not installed; timing tensorc alone\n');
  const notes = new Set<string>();
  const t0 = performance.now();
  const r = await benchModel(model, {
    inputShapes, threads, minMs, ort,
    onStage: (stage, ms) => { if (!stage.startsWith('ir after')) tick(stage, ms); },
    onWarning: (m) => notes.add(m),
  });
  tick('measure', performance.now() - t0);
  for (const m of notes) process.stderr.write(`tensorc: note: ${m}\n`);
  const ratio = r.ortMs !== undefined ? r.tensorcMs / r.ortMs : undefined;
  const agree = r.maxRelDiff === undefined ? undefined : r.maxRelDiff <= toleranceFor(r);
  if (f.json) {
    process.stdout.write(JSON.stringify({
      model, threads, inputs: r.inputs, wasmBytes: r.wasmBytes, runs: r.runs,
      tensorc: { medianMs: r.tensorcMs, threads: r.tensorcThreads, variant: r.variant, sessionCreateMs: r.createMs },
      onnxruntimeWeb: r.ortMs === undefined ? null : { medianMs: r.ortMs, threads },
      ratio: ratio ?? null, maxRelDiff: r.maxRelDiff ?? null, agree: agree ?? null, tolerance: toleranceFor(r),
    }, null, 1) + '\n');
  } else {
    process.stdout.write(report(model, threads, r));
  }
  // Disagreeing outputs are a bug in one of the two, not the user's doing: an internal error (exit 2).
  if (agree === false) throw new Error(`outputs disagree with onnxruntime-web: max relative difference ${r.maxRelDiff!.toExponential(2)} > ${toleranceFor(r)}`);
}

/** Adds `bench` to the CLI; the action merges the global --quiet/--verbose flags. */
export function registerBench(program: Command): void {
  program.command('bench').argument('<model>', 'ONNX model file (.onnx)')
    .description('compile a model and time it against onnxruntime-web (wasm EP) on random inputs, interleaved; check the outputs agree')
    .addOption(inputShapeOption())
    .option('--threads <n>', 'threads for both runtimes', '1')
    .option('--min-ms <n>', 'measure for at least this many milliseconds (at least 10, at most 200 runs each)', '1500')
    .option('--no-ort', 'time tensorc alone, without onnxruntime-web')
    .option('--json', 'print a JSON summary instead of text')
    .action(async (model: string, o: object) => benchCommand(model, { ...o, ...(program.opts() as object) } as never));
}
