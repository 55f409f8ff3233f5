// The contract between the interpreter's driver and its per-op kernels. A kernel gets the op, its input
// values, the node's result types (dims may be symbolic: resolve them with ctx.shape) and a context that
// resolves symbols and runs nested regions. It returns fresh values; it never mutates its inputs.

import type { Region } from '../graph.js';
import type { OpKind, OpOf } from '../ops.js';
import type { RuntimeValue } from '../tensor.js';
import type { Dim, ValueType } from '../types.js';

export interface InterpContext {
  /** Concrete dims for a (possibly symbolic) shape, using symbols bound so far; RUNTIME_ERROR if one is unbound. */
  shape(dims: readonly Dim[]): number[];
  /** One dim, as `shape`. */
  dim(d: Dim): number;
  /**
   * Runs a nested region with the given param values (outer values stay visible); returns its results.
   * Symbols bound inside (per-iteration shapes) do not leak out.
   */
  runRegion(region: Region, params: readonly RuntimeValue[]): RuntimeValue[];
  /** Where an evaluation error happened, for messages: e.g. 'gather (Gather node "g1")'. */
  readonly where: string;
}

export type Kernel<K extends OpKind> = (
  op: OpOf<K>, ins: readonly RuntimeValue[], outTypes: readonly ValueType[], ctx: InterpContext,
) => RuntimeValue[];

export type KernelTable<K extends OpKind> = { readonly [P in K]: Kernel<P> };
