// Property: no bytes make importOnnx (or verify/interpret of what it returns) crash, hang or exhaust memory.
// Real small models are truncated, bit-flipped, overwritten and spliced with varints (also at the varints the
// protobuf framing reads: tags, values, lengths); every outcome must be a success or a typed CompileError
// (see bad-input/oracle.ts). Fixed seed; BAD_INPUT_SEED / BAD_INPUT_RUNS override it for longer hunts.

import fc from 'fast-check';
import { CompileError } from '@tensorc/ir';
import { describe, expect, it } from 'vitest';
import { loadSeedModels } from './bad-input/corpus.js';
import { applyMutation, type Mutation } from './bad-input/mutate.js';
import { BadInputBug, checkBadInput, checkRejection } from './bad-input/oracle.js';

const SEED = Number(process.env['BAD_INPUT_SEED'] ?? 20_240_607);
const RUNS = Number(process.env['BAD_INPUT_RUNS'] ?? 300);
/** One input taking longer than this counts as a hang (generous: the machine is shared and loaded). */
const SLOW_MS = 20_000;

const { models, notice } = loadSeedModels();
if (notice) console.warn(`[bad-input] ${notice}`);

const interesting = fc.constantFrom(
  0n, 1n, 2n, 3n, 7n, 8n, 16n, 17n, 127n, 128n, 255n, 256n, 1000n, 65_535n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n,
  2n ** 32n, 2n ** 53n, 10_000_000_000n, 2n ** 63n - 1n, -1n, -2n, -(2n ** 31n), -(2n ** 63n),
);
const varintValue = fc.oneof({ arbitrary: interesting, weight: 3 }, { arbitrary: fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n), weight: 1 });
const floatValue = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 1e-40, 0.5, -1), fc.double());
const rec = <K extends Mutation['kind'], R extends Record<string, unknown>>(kind: K, fields: { [k in keyof R]: fc.Arbitrary<R[k]> }) =>
  fc.record({ kind: fc.constant(kind), ...fields } as never) as fc.Arbitrary<Mutation>;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: rec('truncate', { at: fc.nat() }), weight: 2 },
  { arbitrary: rec('flip', { at: fc.nat(), bit: fc.nat(7) }), weight: 2 },
  { arbitrary: rec('overwrite', { at: fc.nat(), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }) }), weight: 1 },
  { arbitrary: rec('insert-varint', { at: fc.nat(), value: varintValue }), weight: 1 },
  { arbitrary: rec('set-varint', { target: fc.nat(), value: varintValue }), weight: 8 },
  { arbitrary: rec('set-fixed', { target: fc.nat(), value: floatValue }), weight: 2 },
  { arbitrary: rec('drop', { target: fc.nat() }), weight: 3 },
  { arbitrary: rec('duplicate', { target: fc.nat(), times: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(500)) }), weight: 2 },
  { arbitrary: rec('move', { target: fc.nat(), by: fc.nat() }), weight: 2 },
  { arbitrary: rec('copy-payload', { target: fc.nat(), source: fc.nat() }), weight: 3 },
);

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
      fc.nat(models.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.nat(),
      (which, mutations, feedSeed) => {
        const m = models[which]!;
        let bytes = m.bytes;
        const steps: string[] = [];
        for (const mu of mutations) {
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
    const report = fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
    if (report.failed && process.env["BAD_INPUT_DEBUG"]) console.log(report.errorInstance);
    if (report.failed) {
      throw new Error(`bad-input property failed (seed ${SEED}, path "${report.counterexamplePath ?? ''}", rerun with BAD_INPUT_SEED=${SEED}): ${report.errorInstance instanceof Error ? report.errorInstance.message : String(report.errorInstance)}`);
    }
    console.log(`[bad-input] ${RUNS} mutated models over ${models.length} seeds: ${[...outcomes].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });
});
