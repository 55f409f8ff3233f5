// Exit-code classification of the CLI: what the user can fix exits 1, tensorc's own faults exit 2.

import { CompileError } from '@tensorc/ir';
import { TensorcRuntimeError } from '@tensorc/runtime';
import { describe, expect, it } from 'vitest';
import { errorReport, exitCodeFor } from '../src/cli-errors.js';
import { NpyError } from '../src/npy.js';

describe('cli-errors', () => {
  it('user errors exit 1', () => {
    expect(exitCodeFor(new CompileError('UNSUPPORTED_OP', 'no converter', { node: 'n1', opType: 'Foo' }))).toBe(1);
    expect(exitCodeFor(new CompileError('INVALID_MODEL', 'not an ONNX model'))).toBe(1);
    expect(exitCodeFor(new TensorcRuntimeError('INVALID_ARTIFACT', 'bad manifest'))).toBe(1);
    expect(exitCodeFor(new NpyError('bad header'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR', syscall: 'mkdir' }))).toBe(1);
  });

  it('internal errors exit 2 and say so', () => {
    expect(exitCodeFor(new CompileError('INTERNAL', 'lowering lost a value'))).toBe(2);
    expect(exitCodeFor(new CompileError('VERIFY_ERROR', 'after pass cse: value used before definition'))).toBe(2);
    expect(exitCodeFor(new TensorcRuntimeError('INTERNAL', 'oops'))).toBe(2);
    expect(exitCodeFor(new TypeError("Cannot read properties of undefined (reading 'shape')"))).toBe(2);
    expect(exitCodeFor('a thrown string')).toBe(2);
    expect(errorReport(new TypeError('x is undefined'), false)).toBe('tensorc: internal error: x is undefined\n');
  });

  it('one line unless verbose; verbose appends the stack', () => {
    const e = new CompileError('SHAPE_ERROR', 'first line\nsecond line', { node: 'mm', opType: 'MatMul' });
    expect(errorReport(e, false)).toBe('tensorc: MatMul node "mm": first line\n');
    const v = errorReport(e, true);
    expect(v.startsWith('tensorc: MatMul node "mm": first line\n')).toBe(true);
    expect(v).toMatch(/\n\s+at /);
  });

  it('a message about the inputShapes option also names the CLI flag', () => {
    const e = new CompileError('UNSUPPORTED_OP', 'backend: input "x" needs a static tensor shape; pin it with inputShapes');
    expect(errorReport(e, false)).toBe('tensorc: backend: input "x" needs a static tensor shape; pin it with inputShapes (on the command line: --input-shape name=d0,d1,...)\n');
  });
});
