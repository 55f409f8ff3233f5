// How the CLI reports a failure: exit 1 with one line for what the user can fix (bad model, missing file, wrong
// flag, unsupported op), exit 2 for what is tensorc's own fault (INTERNAL, an IR that fails verification, any
// untyped exception). The stack trace is printed only with --verbose.

import { CompileError } from '@tensorc/ir';
import { TensorcRuntimeError } from '@tensorc/runtime';
import { NpyError } from './npy.js';

export function isUserError(e: unknown): boolean {
  if (e instanceof CompileError) return e.code !== 'INTERNAL' && e.code !== 'VERIFY_ERROR';
  if (e instanceof TensorcRuntimeError) return e.code !== 'INTERNAL';
  if (e instanceof NpyError) return true;
  // Node's file-system errors (ENOENT, EACCES, ENOTDIR, ...) carry a string code.
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).syscall !== undefined;
}

export const exitCodeFor = (e: unknown): 1 | 2 => (isUserError(e) ? 1 : 2);

/** The text written to stderr: one line, plus the stack when verbose. */
export function errorReport(e: unknown, verbose: boolean): string {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  // The library speaks of the API option; say what to type here.
  const hint = /\binputShapes\b/.test(msg) ? ' (on the command line: --input-shape name=d0,d1,...)' : '';
  const line = `tensorc: ${isUserError(e) ? '' : 'internal error: '}${msg}${hint}\n`;
  return verbose && e instanceof Error && e.stack ? line + e.stack + '\n' : line;
}
