// Test helper: a threaded session's pool, read through its private field, to see which workers have joined.
import type { InferenceSession } from '../src/index.js';

interface PoolView {
  /** Workers that have joined the team so far. */
  readonly joinedWorkers: number;
}

export function poolOf(s: InferenceSession): PoolView {
  const pool = (s as unknown as { live?: { pool?: PoolView } }).live?.pool;
  if (!pool) throw new Error('the session has no thread pool');
  return pool;
}
