#!/usr/bin/env node
// The tensorc command line: compile, run, inspect, bench, profile. User errors print one line on stderr and exit 1;
// internal errors exit 2 (stack trace with --verbose). Progress goes to stderr when it is a terminal.
// Commands load their modules when they run, so --help and usage errors answer without loading the compiler.

import { Command } from 'commander';
import { registerBench } from './cli-bench.js';
import { registerProfile } from './cli-profile.js';
import { errorReport, exitCodeFor } from './cli-errors.js';
import { collect, inputShapeOption } from './cli-options.js';

const program = new Command();
program.name('tensorc').description('Ahead-of-time compiler from ONNX models to WebAssembly SIMD').version('0.1.0')
  .option('--verbose', 'print stack traces for errors').option('-q, --quiet', 'no progress output')
  .addHelpText('after', '\nProgress lines (one per stage, with timing) go to stderr when it is a terminal.\nExit codes: 0 success; 1 user error (one line on stderr); 2 internal error (add --verbose for the stack).')
  // Usage errors found by commander (unknown option, missing argument) read like our own: one line, exit 1.
  .configureOutput({ outputError: (text, write) => write(`tensorc: ${text.replace(/^error: /, '')}`) });

program.command('compile').argument('<model>', 'ONNX model file (.onnx)')
  .description('compile a model into an artifact folder (model.wasm, manifest.json, weights.bin)')
  .requiredOption('-o, --output <dir>', 'output folder')
  .addOption(inputShapeOption())
  .option('--no-optimize', 'skip the graph optimization passes')
  .option('--no-fuse', 'optimize without the fusion passes (elementwise, reduction, epilogue, softmax, affine folding)')
  .option('--stats', 'print per-pass statistics (nodes before -> after, what each pass did, time) and kernel kinds')
  .option('--print-ir', 'print the optimized IR')
  .option('--print-after <pass>', "print the IR after a pass ('*' for every pass; repeatable)", collect, [])
  .option('--verify-each', 'verify the IR after every pass')
  .option('--threads <n>', 'the most threads the artifact will run on; 1 leaves out the threaded code variants')
  .option('--max-threads <n>', 'the thread cap of the threaded variants (default: --threads, else 8); each convolution and attention kernel reserves scratch per thread')
  .option('--no-relaxed-simd', 'leave out the relaxed-SIMD code variants')
  .option('--json', 'print a JSON summary instead of text')
  .action(async (model: string, o: object) => (await import('./cli-compile.js')).compileCommand(model, { ...o, ...(program.opts() as object) } as never));

program.command('run').argument('<dir>', 'artifact folder made by tensorc compile')
  .description('run a compiled artifact and summarize its outputs')
  .option('--input <name=file>', 'an input from a .npy or ONNX TensorProto .pb file (repeatable)', collect, [])
  .option('--random', 'fill inputs that are not given with deterministic pseudo-random values')
  .option('--output-dir <dir>', 'write each output as <name>.npy here')
  .option('--runs <n>', 'run this many times and report the median time', '1')
  .action(async (dir: string, o: object) => (await import('./cli-run.js')).runCommand(dir, { ...o, ...(program.opts() as object) } as never));

program.command('inspect').argument('<model>', 'ONNX model file (.onnx)')
  .description('show opsets, ops with counts, inputs/outputs and what tensorc cannot import')
  .action(async (model: string) => (await import('./cli-inspect.js')).inspectCommand(model, program.opts()));

registerBench(program);
registerProfile(program);

// A closed pipe (`tensorc inspect m.onnx | head`) ends output quietly instead of crashing with a stack.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(errorReport(e, program.opts()['verbose'] === true));
  process.exit(exitCodeFor(e));
});
