// Reads a model file for compile() and `tensorc inspect`, turning the file system's error codes into a
// one-line reason a user can act on ("no such file", "is a directory", ...).

import fs from 'node:fs';
import { CompileError } from '@tensorc/ir';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory, not a model file',
  EACCES: 'permission denied',
  ENOTDIR: 'a parent of it is not a directory',
};

export async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.promises.readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CompileError('IO_ERROR', `cannot read ${file}: ${(code && REASONS[code]) ?? code ?? String(e)}`);
  }
}
