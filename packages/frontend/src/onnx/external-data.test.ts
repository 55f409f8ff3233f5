// External tensor data read from a temp folder: accepted locations (with offset/length), and refusals for a
// missing baseDir, absolute paths, '..' segments, symlinks leading out, and ranges past the end of the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError } from '@tensorc/ir';
import { toLoweringModel } from './index.js';
import { graph, le, model, tensor, tensorType, valueInfo } from './__tests__/proto-writer.js';

let root: string;
let base: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorc-extdata-'));
  base = path.join(root, 'model');
  fs.mkdirSync(path.join(base, 'weights'), { recursive: true });
  // 8 bytes of padding, then three float32s.
  const data = new Uint8Array(8 + 12);
  data.set(le(new Float32Array([1.5, -2, 4])), 8);
  fs.writeFileSync(path.join(base, 'weights', 'w.bin'), data);
  fs.writeFileSync(path.join(root, 'secret.bin'), data);
  fs.symlinkSync(path.join(root, 'secret.bin'), path.join(base, 'link-out.bin'));
  fs.symlinkSync(path.join(base, 'weights', 'w.bin'), path.join(base, 'link-in.bin'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function modelWith(external: Record<string, string>, dims = [3]): Uint8Array {
  return model({
    graph: graph({
      initializers: [tensor({ name: 'w', dims, dataType: 1, external })],
      outputs: [valueInfo('w', tensorType(1, dims))],
    }),
  });
}

function expectError(fn: () => unknown, code: string, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    expect(e.code).toBe(code);
    expect(e.message).toMatch(re);
    return;
  }
  throw new Error('expected a CompileError');
}

const weights = (bytes: Uint8Array, dir: string | undefined): number[] =>
  Array.from(toLoweringModel(bytes, dir).graph.initializers[0]!.value.data as Float64Array);

describe('external data', () => {
  it('reads location + offset + length relative to baseDir', () => {
    expect(weights(modelWith({ location: 'weights/w.bin', offset: '8', length: '12' }), base)).toEqual([1.5, -2, 4]);
  });
  it('length defaults to the rest of the file', () => {
    expect(weights(modelWith({ location: 'weights/w.bin', offset: '8' }), base)).toEqual([1.5, -2, 4]);
  });
  it('follows a symlink that stays inside baseDir', () => {
    expect(weights(modelWith({ location: 'link-in.bin', offset: '8' }), base)).toEqual([1.5, -2, 4]);
  });
  it('requires baseDir', () => {
    expectError(() => weights(modelWith({ location: 'weights/w.bin' }), undefined), 'IO_ERROR', /baseDir is required/);
  });
  it("refuses '..' segments, absolute paths and symlinks out, naming tensor and location", () => {
    expectError(() => weights(modelWith({ location: '../secret.bin', offset: '8' }), base), 'IO_ERROR', /"w" at "\.\.\/secret\.bin".*'\.\.'/);
    expectError(() => weights(modelWith({ location: 'weights/../../secret.bin' }), base), 'IO_ERROR', /'\.\.'/);
    expectError(() => weights(modelWith({ location: path.join(root, 'secret.bin') }), base), 'IO_ERROR', /absolute/);
    expectError(() => weights(modelWith({ location: 'link-out.bin', offset: '8' }), base), 'IO_ERROR', /"w" at "link-out\.bin".*outside/);
  });
  it('refuses missing files, ranges past the end and lengths that do not fit the dims', () => {
    expectError(() => weights(modelWith({ location: 'nope.bin' }), base), 'IO_ERROR', /cannot open/);
    expectError(() => weights(modelWith({ location: 'weights/w.bin', offset: '12', length: '12' }), base), 'IO_ERROR', /past the end/);
    expectError(() => weights(modelWith({ location: 'weights/w.bin', offset: '99' }), base), 'IO_ERROR', /past the end/);
    expectError(() => weights(modelWith({ location: 'weights/w.bin', offset: '4' }), base), 'INVALID_MODEL', /16 bytes.*need 12/);
    expectError(() => weights(modelWith({ location: 'weights/w.bin', offset: '-1' }), base), 'INVALID_MODEL', /offset/);
    expectError(() => weights(modelWith({ location: 'weights' }), base), 'IO_ERROR', /not a regular file|EISDIR/);
    expectError(() => weights(modelWith({ offset: '0' }), base), 'INVALID_MODEL', /without a location/);
  });
});
