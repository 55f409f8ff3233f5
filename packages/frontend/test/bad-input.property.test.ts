// Property: no bytes make importOnnx (or verify/interpret of what it returns) crash, hang or exhaust memory.
// Real small models (bad-input/corpus.ts) are truncated, bit-flipped, overwritten, spliced with varints, and
// edited as protobuf trees (values, dropped / repeated / reordered fields, swapped payloads; bad-input/mutate.ts);
// every outcome must be a success or a typed CompileError (bad-input/oracle.ts). Fixed seed; BAD_INPUT_SEED and
// BAD_INPUT_RUNS change it for longer hunts, BAD_INPUT_PATH replays one failure.

import fc from 'fast-check';
import { CompileError } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { loadSeedModels } from './bad-input/corpus.js';
import { mutations } from './bad-input/arbitraries.js';
import { applyMutation } from './bad-input/mutate.js';
import { BadInputBug, checkBadInput, checkRejection } from './bad-input/oracle.js';

const SEED = Number(process.env['BAD_INPUT_SEED'] ?? 20_240_607);
const RUNS = Number(process.env['BAD_INPUT_RUNS'] ?? 300);
/** With BAD_INPUT_SEED, replays one failing run (the path a failure prints). */
const PATH = process.env['BAD_INPUT_PATH'];
/** One input taking longer than this counts as a hang (generous: the machine is shared and loaded). */
const SLOW_MS = 20_000;

const { models, notice } = loadSeedModels();
if (notice) console.warn(`[bad-input] ${notice}`);

describe('bad input: mutated and truncated real models', () => {
  it('the oracle treats anything but a typed, non-INTERNAL CompileError as a bug', () => {
    expect(() => checkRejection(new TypeError('x is undefined'), 'importOnnx', () => true)).toThrow(BadInputBug);
    expect(() => checkRejection(new RangeError('Maximum call stack size exceeded'), 'importOnnx', () => true)).toThrow(BadInputBug);
    expect(() => checkRejection(new CompileError('INTERNAL', 'converter failed'), 'importOnnx', () => true)).toThrow(BadInputBug);
    expect(checkRejection(new CompileError('INVALID_MODEL', 'bad'), 'importOnnx', () => true)).toBe('INVALID_MODEL');
  });

  it('every unmutated seed model passes the oracle', () => {
    for (const m of models) checkBadInput(m.bytes, m.opts, 1);
    expect(models.length).toBeGreaterThanOrEqual(7);
  });

  it(`importOnnx + verify + interpret end in success or a CompileError (seed ${SEED}, ${RUNS} runs)`, () => {
    const outcomes = new Map<string, number>();
    const property = fc.property(
      fc.nat(models.length - 1), mutations, fc.nat(),
      (which, edits, feedSeed) => {
        const m = models[which]!;
        let bytes = m.bytes;
        const steps: string[] = [];
        for (const mu of edits) {
          const r = applyMutation(bytes, mu);
          bytes = r.bytes;
          steps.push(r.what);
        }
        const where = `${m.name} after ${steps.join('; ')}`;
        const t0 = performance.now();
        let result;
        try {
          result = checkBadInput(bytes, m.opts, feedSeed);
        } catch (e) {
          if (e instanceof BadInputBug) throw new Error(`${where}: ${e.message}`);
          throw e;
        }
        const ms = performance.now() - t0;
        if (ms > SLOW_MS) throw new Error(`${where}: took ${ms.toFixed(0)} ms (a hang guard is missing)`);
        const key = `${result.imported}/${result.interpreted}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      },
    );
    const report = fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: true, ...(PATH ? { path: PATH } : {}) });
    if (report.failed) {
      const e = report.errorInstance;
      const detail = e instanceof Error ? (e.message.includes(' after ') ? e.message : e.stack ?? e.message) : String(e);
      throw new Error(`bad-input property failed (seed ${SEED}; replay with BAD_INPUT_SEED=${SEED} BAD_INPUT_PATH=${report.counterexamplePath ?? ''}): ${detail}`);
    }
    console.log(`[bad-input] ${RUNS} mutated models over ${models.length} seeds: ${[...outcomes].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });
});
