// The benchmark models (../shared/bench-models) import into verified IR; the small ones also run through the
// reference interpreter with finite outputs. Skips with a notice when the folder is absent.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostTensor, interpret, isStaticShape, numElements, verify } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/import-onnx.js';

const dir = process.env['BENCH_MODELS'] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/bench-models');
const present = fs.existsSync(path.join(dir, 'manifest.json'));

describe.skipIf(!present)('bench models', () => {
  const manifest = present ? (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { name: string; file: string; flops: number }[]) : [];
  for (const m of manifest) {
    it(`imports ${m.name}${m.flops < 5e8 ? ' and interprets it' : ''}`, () => {
      const g = importOnnx(new Uint8Array(fs.readFileSync(path.join(dir, m.file))), { baseDir: dir });
      verify(g);
      if (m.flops >= 5e8) return;
      const feeds: Record<string, HostTensor> = {};
      for (const i of g.inputs) {
        const t = i.value.type;
        if (t.kind !== 'tensor' || !isStaticShape(t.shape)) throw new Error(`${i.name}: needs a static tensor shape`);
        const n = numElements(t.shape);
        feeds[i.name] = t.dtype === 'int64'
          ? { dtype: 'int64', shape: t.shape, data: BigInt64Array.from({ length: n }, (_, k) => BigInt(k % 7)) }
          : { dtype: t.dtype, shape: t.shape, data: Float64Array.from({ length: n }, (_, k) => Math.fround(Math.sin(k) / 2)) };
      }
      const out = interpret(g, feeds);
      for (const v of Object.values(out)) {
        const t = v as HostTensor;
        expect(Array.from(t.data as Float64Array).every((x) => Number.isFinite(x))).toBe(true);
      }
    }, 120_000);
  }
});
if (!present) console.warn('[bench-models] ../shared/bench-models not found: skipping');
