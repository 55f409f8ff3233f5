// The f32x4 exp, erf and sigmoid compiled into modules for SIMD kernels agree with float64 references to
// float32 resolution over the whole input range, including infinities, NaN, tiny and huge arguments, in both
// SIMD flavours (the relaxed one evaluates its polynomials with relaxed_madd).

import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { erf } from '../../ir/src/numeric/index.js';
import { VECTOR_MATH, addVectorMath } from '../src/wasm/wasm-vector-math.js';
import { relaxedAvailable } from './variants-harness.js';

type Fn = 'exp' | 'erf' | 'sigmoid';

/** A module whose export `apply_<fn>(n)` maps memory[0, 4n) in place through the vector function. */
function build(relaxed: boolean): Record<Fn, (xs: Float32Array) => Float32Array> {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.NontrappingFPToInt | (relaxed ? binaryen.Features.RelaxedSIMD : 0));
  m.setMemory(4, 4, 'memory');
  addVectorMath(m, relaxed);
  for (const fn of Object.keys(VECTOR_MATH) as Fn[]) {
    const i = () => m.local.get(1, binaryen.i32);
    m.addFunction(`apply_${fn}`, binaryen.i32, binaryen.none, [binaryen.i32], m.block(null, [
      m.local.set(1, m.i32.const(0)),
      m.loop('l', m.block(null, [
        m.v128.store(0, 4, i(), m.call(VECTOR_MATH[fn], [m.v128.load(0, 4, i())], binaryen.v128)),
        m.local.set(1, m.i32.add(i(), m.i32.const(16))),
        m.br_if('l', m.i32.lt_u(i(), m.i32.shl(m.local.get(0, binaryen.i32), m.i32.const(2)))),
      ])),
    ]));
    m.addFunctionExport(`apply_${fn}`, `apply_${fn}`);
  }
  expect(m.validate()).toBeTruthy();
  const bytes = m.emitBinary();
  m.dispose();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const mem = inst.exports['memory'] as WebAssembly.Memory;
  const run = (fn: Fn) => (xs: Float32Array) => {
    const n = Math.ceil(xs.length / 4) * 4;
    const view = new Float32Array(mem.buffer, 0, n);
    view.fill(0);
    view.set(xs);
    (inst.exports[`apply_${fn}`] as (n: number) => void)(n);
    return Float32Array.from(view.subarray(0, xs.length));
  };
  return { exp: run('exp'), erf: run('erf'), sigmoid: run('sigmoid') };
}

const REF: Record<Fn, (x: number) => number> = { exp: Math.exp, erf, sigmoid: (x) => 1 / (1 + Math.exp(-x)) };

describe.each(relaxedAvailable ? [false, true] : [false])('f32x4 transcendental functions (relaxed SIMD: %s)', (relaxed) => {
  const fns = build(relaxed);
  const inputs = Float32Array.from([
    0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.1, -0.1, 0.49999, 0.5, 0.50001, -0.5, 1, -1, 2.5, -3.7, 5.9, 6.1, -9,
    20, -20, 87, -87, 88.5, -88, 89, -90, 1e10, -1e10, Infinity, -Infinity, NaN,
    ...Array.from({ length: 400 }, (_, i) => Math.fround(Math.sin(i * 12.9898) * 40)),
  ]);
  for (const fn of Object.keys(REF) as Fn[]) {
    it(`${fn} is within float32 resolution of the float64 reference`, () => {
      const got = fns[fn](inputs);
      inputs.forEach((x, i) => {
        const want = Math.fround(REF[fn](x));
        const y = got[i]!;
        if (Number.isNaN(want)) return expect(Number.isNaN(y), `${fn}(${x})`).toBe(true);
        if (!Number.isFinite(want)) return expect(y, `${fn}(${x})`).toBe(want);
        // a few ulp relative, or an absolute floor near float32's smallest normals (exp of very negative x)
        expect(Math.abs(y - want), `${fn}(${x}) = ${y}, want ${want}`).toBeLessThanOrEqual(Math.max(4e-7 * Math.abs(want), fn === 'erf' ? 4e-7 : 1e-37));
      });
    });
  }
});
