// Graphs in SSA form. A value is defined once (graph input, region param, or node output) and its id is
// unique within the whole graph, nested regions included. Regions may read values of enclosing scopes.

import type { Op } from './ops.js';
import type { ValueType } from './types.js';

export type ValueId = number;

export interface Value {
  readonly id: ValueId;
  readonly type: ValueType;
}

/** Where a node came from, so errors can name the user's model node. */
export interface Origin {
  readonly opType: string;
  readonly node: string;
}

export interface Node {
  readonly op: Op;
  readonly inputs: readonly ValueId[];
  readonly outputs: readonly Value[];
  readonly origin?: Origin;
}

/** A nested body (If branch, Loop/Scan body, expert body): params in, results out. */
export interface Region {
  readonly params: readonly Value[];
  readonly nodes: readonly Node[];
  readonly results: readonly ValueId[];
}

/** Input and output names are the user's (any string: "input:0", "x.1", ...). */
export interface Graph {
  readonly inputs: readonly { readonly name: string; readonly value: Value }[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly { readonly name: string; readonly value: ValueId }[];
}
