// The single-threaded `run` calls a kernel of units over slices of its units (emit-module.ts RUN_SLICES), so
// an engine's optimized code takes over during a session's first run; the kernel stays a function of its own
// (not inlined into `run`, which would leave one call again), and every unit is still computed exactly once.
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type HostTensor, interpret, tensorType } from '@tensorc/ir';
import { InferenceSession, Tensor } from '@tensorc/runtime';
import { compileGraph } from '../src/index.js';

/** The text of the function exported as `name`. */
function exportedFunctionText(wasm: Uint8Array, name: string): { text: string; functions: number } {
  const m = binaryen.readBinary(wasm);
  try {
    const info = binaryen.getExportInfo(m.getExport(name));
    const body = binaryen.getFunctionInfo(m.getFunction(info.value)).body;
    return { text: binaryen.emitText(body), functions: m.getNumFunctions() };
  } finally {
    m.dispose();
  }
}

describe('run calls kernels of units in slices', () => {
  // 37 four-row strips: slices of 3 units, the last one short
  const [M, K, N] = [148, 24, 16];
  const b = new GraphBuilder();
  const a = b.input('a', tensorType('float32', [M, K]));
  const w = b.constant({ dtype: 'float32', shape: [K, N], data: Float64Array.from({ length: K * N }, (_, i) => ((i * 7) % 13) / 8 - 0.75) });
  b.output('y', b.matmul(a, w));
  const g = b.build();
  const art = compileGraph(g);

  it('run loops over calls to the GEMM, which stays a function of its own', () => {
    expect(art.manifest.kernels.map((k) => k.name)).toEqual(['k0_gemm']);
    const { text, functions } = exportedFunctionText(art.wasm, 'run');
    expect(text).toMatch(/\(loop/);
    expect(text).toMatch(/\(call /);
    expect(functions).toBeGreaterThan(1);
  });

  it('computes every unit once: the result equals the interpreter', async () => {
    const data = Float64Array.from({ length: M * K }, (_, i) => Math.round(16 * Math.sin(i * 0.3)) / 16);
    const want = (interpret(g, { a: { dtype: 'float32', shape: [M, K], data } })['y'] as HostTensor).data as Float64Array;
    const s = await InferenceSession.create(art, { numThreads: 1, relaxedSimd: false });
    try {
      const got = (await s.run({ a: new Tensor('float32', Float32Array.from(data), [M, K]) }))['y']!.data as Float32Array;
      // multiples of 1/128 summed in float32: exact in any order
      expect(Array.from(got)).toEqual(Array.from(want, (v) => Math.fround(v)));
    } finally {
      await s.release();
    }
  });
});
