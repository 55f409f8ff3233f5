// fast-check arbitraries for the bad-input property: mutation lists over real models, weighted towards the
// structure-aware edits (they reach the importer's semantic checks) with interesting varint and float values.

import fc from 'fast-check';
import type { Mutation } from './mutate.js';

const interesting = fc.constantFrom(
  0n, 1n, 2n, 3n, 7n, 8n, 16n, 17n, 127n, 128n, 255n, 256n, 1000n, 65_535n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n,
  2n ** 32n, 2n ** 53n, 10_000_000_000n, 2n ** 63n - 1n, -1n, -2n, -(2n ** 31n), -(2n ** 63n),
);
const varintValue = fc.oneof({ arbitrary: interesting, weight: 3 }, { arbitrary: fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n), weight: 1 });
const floatValue = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 1e-40, 0.5, -1), fc.double());
const rec = <K extends Mutation['kind'], R extends Record<string, unknown>>(kind: K, fields: { [k in keyof R]: fc.Arbitrary<R[k]> }) =>
  fc.record({ kind: fc.constant(kind), ...fields } as never) as fc.Arbitrary<Mutation>;
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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

/** One to three mutations applied in turn. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });
