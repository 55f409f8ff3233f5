// Per-worker scratch slots (implicit-GEMM convolutions, attention) are sized by the artifact's thread cap:
// one slot per worker the runtime may start (manifest parallel.maxThreads), one slot without threaded
// variants. Each kernel that indexes a slot by its worker argument traps on a worker past the last slot, so a
// runtime that ignored the cap gets an error, never a write into the next buffer.

import binaryen from 'binaryen';

/** The thread cap when the caller names none: enough for common desktop cores, a small reserve of scratch. */
export const DEFAULT_MAX_THREADS = 8;

/** `unreachable` when the worker index (local `worker`) has no slot among `slots`. */
export function slotGuard(m: binaryen.Module, worker: number, slots: number): binaryen.ExpressionRef {
  return m.if(m.i32.ge_u(m.local.get(worker, binaryen.i32), m.i32.const(slots)), m.unreachable());
}
