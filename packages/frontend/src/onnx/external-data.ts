// External tensor data (TensorProto.data_location = EXTERNAL): the bytes live in a file next to the model,
// named by the external_data entries location / offset / length. Locations are confined to baseDir: absolute
// paths, '..' segments and symlinks that lead outside are refused, so a model cannot read arbitrary files.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompileError } from '@tensorc/ir';

function ioError(tensor: string, location: string, why: string): CompileError {
  return new CompileError('IO_ERROR', `external data of tensor "${tensor}" at "${location}": ${why}`);
}

function parseNonNegative(tensor: string, location: string, key: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CompileError('INVALID_MODEL', `external data of tensor "${tensor}" at "${location}": ${key} "${text}" is not a non-negative integer`);
  }
  return Number(text);
}

/** The file a location names, after checking it stays inside baseDir. */
function resolveInside(tensor: string, location: string, baseDir: string): string {
  if (location === '') throw ioError(tensor, location, 'the location is empty');
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || location.startsWith('/') || location.startsWith('\\')) {
    throw ioError(tensor, location, 'absolute locations are refused; it must be relative to the model folder');
  }
  if (location.split(/[\\/]/).includes('..')) throw ioError(tensor, location, "locations with '..' segments are refused");
  let realBase: string;
  let real: string;
  try {
    realBase = fs.realpathSync(baseDir);
  } catch (e) {
    throw ioError(tensor, location, `cannot open baseDir "${baseDir}": ${(e as Error).message}`);
  }
  try {
    real = fs.realpathSync(path.join(realBase, location));
  } catch (e) {
    throw ioError(tensor, location, `cannot open the file: ${(e as Error).message}`);
  }
  const rel = path.relative(realBase, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw ioError(tensor, location, `it resolves to "${real}", outside the model folder "${realBase}"`);
  }
  return real;
}

/**
 * Reads the external bytes of one tensor. `entries` are its external_data key/value pairs; `expectedBytes` is
 * what the tensor's dtype and dims need, checked before anything is read.
 */
export function readExternalData(
  tensor: string,
  entries: ReadonlyMap<string, string>,
  baseDir: string | undefined,
  expectedBytes: number,
): Uint8Array {
  const location = entries.get('location');
  if (location === undefined) {
    throw new CompileError('INVALID_MODEL', `tensor "${tensor}" has external data without a location`);
  }
  if (baseDir === undefined) {
    throw ioError(tensor, location, 'baseDir is required to read external data (pass the folder of the model)');
  }
  const file = resolveInside(tensor, location, baseDir);
  const offset = parseNonNegative(tensor, location, 'offset', entries.get('offset')) ?? 0;
  const lengthGiven = parseNonNegative(tensor, location, 'length', entries.get('length'));
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw ioError(tensor, location, 'not a regular file');
    if (offset > st.size) throw ioError(tensor, location, `offset ${offset} is past the end of the file (${st.size} bytes)`);
    const length = lengthGiven ?? st.size - offset;
    if (offset + length > st.size) {
      throw ioError(tensor, location, `offset ${offset} + length ${length} is past the end of the file (${st.size} bytes)`);
    }
    if (length !== expectedBytes) {
      throw new CompileError('INVALID_MODEL', `external data of tensor "${tensor}" at "${location}" has ${length} bytes, its dtype and dims need ${expectedBytes}`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) throw ioError(tensor, location, `file ended after ${done} of ${length} bytes`);
      done += n;
    }
    return out;
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw ioError(tensor, location, (e as Error).message);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
