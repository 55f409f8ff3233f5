// `tensorc profile`: compiles a model and prints the time of each kernel of one single-threaded run, in run
// order, with its share of the run: where the time goes, and which kernels fusion left.

import type { Command } from 'commander';
import { inputShapeOption } from './cli-options.js';
import { CompileError } from '@tensorc/ir';
import type { ProfileResult } from './profile.js';
import { progress } from './progress.js';

export interface ProfileFlags { inputShape: string[]; runs: string; relaxedSimd: boolean; json?: boolean; quiet?: boolean }

/** At most this many node names are listed per kernel (a fused kernel may hold dozens). */
const NODES_SHOWN = 3;

function report(model: string, r: ProfileResult): string {
  const sum = r.kernels.reduce((s, k) => s + k.ms, 0);
  const width = Math.max(6, ...r.kernels.map((k) => k.name.length));
  const lines = [
    `${model}: ${r.kernels.length} kernels, ${r.variant}, 1 thread, median of ${r.runs} runs`,
    `  run ${r.runMs.toFixed(3)} ms; kernels timed one by one ${sum.toFixed(3)} ms`,
    `  ${'kernel'.padEnd(width)}         ms   share  nodes`,
  ];
  for (const k of r.kernels) {
    const nodes = k.nodes.length === 0 ? '' : k.nodes.slice(0, NODES_SHOWN).join(', ') + (k.nodes.length > NODES_SHOWN ? `, ... (${k.nodes.length})` : '');
    const share = sum > 0 ? (100 * k.ms) / sum : 0;
    lines.push(`  ${k.name.padEnd(width)} ${k.ms.toFixed(3).padStart(10)} ${share.toFixed(1).padStart(6)}%  ${nodes}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

export async function profileCommand(model: string, f: ProfileFlags): Promise<void> {
  const runs = Number(f.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new CompileError('INVALID_INPUT', `--runs must be a positive integer, got "${f.runs}"`);
  // Loaded here, not at the top: registering the command must not load the compiler.
  const { parseShapes } = await import('./cli-compile.js');
  const { profileModel } = await import('./profile.js');
  const tick = progress(f.quiet);
  const t0 = performance.now();
  const r = await profileModel(model, {
    inputShapes: parseShapes(f.inputShape), runs, relaxedSimd: f.relaxedSimd,
    onStage: (stage, ms) => { if (!stage.startsWith('ir after')) tick(stage, ms); },
  });
  tick('measure', performance.now() - t0);
  process.stdout.write(f.json ? JSON.stringify({ model, ...r }, null, 1) + '\n' : report(model, r));
}

/** Adds `profile` to the CLI; the action merges the global --quiet/--verbose flags. */
export function registerProfile(program: Command): void {
  program.command('profile').argument('<model>', 'ONNX model file (.onnx)')
    .description('compile a model and time each of its kernels in a single-threaded run on random inputs')
    .addOption(inputShapeOption())
    .option('--runs <n>', 'runs to take the median of', '20')
    .option('--no-relaxed-simd', 'time the baseline SIMD128 code even where the engine has relaxed SIMD')
    .option('--json', 'print a JSON summary instead of text')
    .action(async (model: string, o: object) => profileCommand(model, { ...o, ...(program.opts() as object) } as never));
}
