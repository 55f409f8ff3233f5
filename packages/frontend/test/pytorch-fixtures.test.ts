// PyTorch-exported models (scripts/gen-pytorch-fixtures.py) through importOnnx + the reference interpreter,
// compared with PyTorch's own outputs; dynamic-axes exports are checked at shapes other than the traced ones.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostTensor, interpret, toHostTensor } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../tensorc/src/npy.js';
import { importOnnx } from '../src/import-onnx.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pytorch');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  rtol: number; atol: number; models: { file: string; inputs: string[]; outputs: string[]; cases: { dir: string; inputs: number[][] }[] }[];
};
const npy = (file: string): HostTensor => {
  const t = readNpy(new Uint8Array(fs.readFileSync(file)));
  return toHostTensor(t.type, [...t.dims], t.data as never);
};

describe('PyTorch fixtures through importOnnx + interpret', () => {
  for (const m of manifest.models) {
    for (const c of m.cases) {
      it(`${m.file} ${c.dir}`, () => {
        const shapes = Object.fromEntries(m.inputs.map((n, i) => [n, c.inputs[i]!]));
        const g = importOnnx(new Uint8Array(fs.readFileSync(path.join(dir, m.file))), { inputShapes: shapes });
        const feeds = Object.fromEntries(m.inputs.map((n, i) => [n, npy(path.join(dir, c.dir, `input_${i}.npy`))]));
        const out = interpret(g, feeds);
        m.outputs.forEach((name, i) => {
          const want = npy(path.join(dir, c.dir, `output_${i}.npy`));
          const got = out[name] as HostTensor;
          expect(got.shape).toEqual(want.shape);
          for (let k = 0; k < want.data.length; k++) {
            const y = want.data[k] as number;
            expect(Math.abs((got.data[k] as number) - y)).toBeLessThanOrEqual(manifest.atol + manifest.rtol * Math.abs(y));
          }
        });
      });
    }
  }
});
