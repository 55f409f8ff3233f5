// Every ONNX backend case that uses a signal op (DFT, STFT, the windows, MelWeightMatrix), through importOnnx +
// the reference interpreter and compiled to WebAssembly. Two cases are known not to match, for a reason in the
// test data rather than the transform: see NOISY_EXPECTED.

import { describe, expect, it } from 'vitest';
import { compiledEvaluate } from '../conformance/compiled-evaluate.js';
import { runCase } from '../conformance/run-case.js';
import { listCases, suiteDir } from '../conformance/suite.js';

const OPS = ['DFT', 'STFT', 'HannWindow', 'HammingWindow', 'BlackmanWindow', 'MelWeightMatrix'];

/**
 * The inverse DFT of a real ramp has imaginary parts that are exactly 0; the expected data holds numpy's
 * float32 FFT round-off there (2^-19 / 10 = 1.9e-7), beyond the suite's atol of 1e-7. We give the exact 0.
 * (onnx/onnx#4798 reports the DFT cases' tolerances failing other backends too.)
 */
const NOISY_EXPECTED = new Set(['test_dft_inverse', 'test_dft_inverse_opset19']);

const dir = suiteDir();

describe('signal converters on the ONNX backend suite', () => {
  if (!dir) {
    it.skip('ONNX backend tests not found (set ONNX_BACKEND_TESTS)', () => {});
    return;
  }
  const cases = listCases(dir).filter((c) => c.ops.some((op) => OPS.includes(op)));
  it(`${cases.length} cases pass in the interpreter and compiled`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(19);
    const failed: string[] = [];
    for (const c of cases) {
      for (const [how, outcome] of [['interpreted', await runCase(dir, c)], ['compiled', await runCase(dir, c, compiledEvaluate)]] as const) {
        if (outcome.ok) continue;
        const noise = NOISY_EXPECTED.has(c.name) && outcome.stage === 'mismatch' && /is 0, expected 1\.9\d*e-7$/.test(outcome.reason);
        if (!noise) failed.push(`${how} ${c.name}: ${outcome.stage}: ${outcome.reason}`);
      }
    }
    expect(failed).toEqual([]);
  }, 120_000);
});
