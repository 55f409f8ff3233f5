// What a converter sees while lowering one ONNX node: its inputs as IR values, typed attributes, the opset
// in force, the graph builder, and values known at compile time (constants and shape values) so that
// shape arithmetic folds away and dynamic exports become static once input shapes are pinned.

import {
  CompileError, type Dim, type ErrorCode, type GraphBuilder, type HostTensor, type Op, type TensorType,
  type ValueId, type ValueType,
} from '@tensorc/ir';
import type { Lowering, Scope } from '../import-onnx.js';
import type { LoweringGraph } from '../lowering-model.js';
import type { Attributes } from './attributes.js';
import type { KnownValues } from './known-values.js';

export interface NodeInfo {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export class ConvertContext {
  constructor(
    readonly b: GraphBuilder,
    readonly node: NodeInfo,
    readonly attrs: Attributes,
    /** Version of the node's domain in the model's opset imports. */
    readonly opset: number,
    private readonly inputIds: readonly (ValueId | undefined)[],
    readonly known: KnownValues,
    private readonly sub: { readonly lowering: Lowering; readonly scope: Scope },
  ) {}

  /** A fresh symbolic dim for sizes known only at run time (loop trip counts, data-dependent counts). */
  freshDim(): string {
    return this.sub.lowering.freshDim();
  }

  /**
   * Lowers a subgraph attribute (If branch, Loop/Scan body) with its inputs bound to `params`; call inside
   * b.region(...) so the nodes land in the region. Outer values stay visible. Returns the subgraph outputs.
   */
  lowerSubgraph(graph: LoweringGraph, params: readonly { name: string; id: ValueId }[]): ValueId[] {
    return this.sub.lowering.lowerSubgraph(graph, this.sub.scope, params);
  }

  /** The IR value an ONNX name refers to at this node (own graph first, then enclosing ones), if defined yet. */
  valueNamed(name: string): ValueId | undefined {
    return this.sub.scope.get(name);
  }

  /** IR values bound to the model's graph inputs (Gradient tells them apart from computed values). */
  modelInputValues(): ValueId[] {
    return this.sub.lowering.model.graph.inputs.flatMap((i) => this.sub.scope.get(i.name) ?? []);
  }

  /** The IR type of a declared ONNX type (used for subgraph inputs). */
  irType(t: LoweringGraph['inputs'][number]['type'], what: string): ValueType {
    return this.sub.lowering.valueType(t, what);
  }

  get where(): { node: string; opType: string } {
    return { node: this.node.name, opType: this.node.domain ? `${this.node.domain}:${this.node.opType}` : this.node.opType };
  }

  fail(code: ErrorCode, reason: string): never {
    throw new CompileError(code, reason, this.where);
  }

  get numInputs(): number {
    return this.inputIds.length;
  }

  /** Input i, or undefined when absent or given as the empty name (ONNX optional inputs). */
  optInput(i: number): ValueId | undefined {
    return this.inputIds[i];
  }

  input(i: number): ValueId {
    const id = this.inputIds[i];
    if (id === undefined) this.fail('INVALID_MODEL', `required input ${i} is missing`);
    return id;
  }

  typeOf(id: ValueId): ValueType {
    return this.b.typeOf(id);
  }

  tensorTypeOf(id: ValueId): TensorType {
    const t = this.b.typeOf(id);
    if (t.kind !== 'tensor') this.fail('TYPE_ERROR', `expected a tensor but got a ${t.kind}`);
    return t;
  }

  shapeOf(id: ValueId): readonly Dim[] {
    return this.tensorTypeOf(id).shape;
  }

  rankOf(id: ValueId): number {
    return this.shapeOf(id).length;
  }

  /** The compile-time value of input i if it is a constant. */
  constInput(i: number): HostTensor | undefined {
    const id = this.inputIds[i];
    return id === undefined ? undefined : this.known.constant(id);
  }

  /**
   * Input i's value when it is known at compile time, else an error that names the ONNX value, so a user (or
   * the conformance runner) can supply it with importOnnx's constantInputs when it is a graph input.
   */
  requireConst(i: number, what: string): HostTensor {
    return this.constInput(i) ?? this.notKnown(i, what);
  }

  /** Fails because input i is computed at run time but its value is needed at compile time (names the ONNX value). */
  notKnown(i: number, what: string): never {
    return this.fail('UNSUPPORTED_ATTRIBUTE', `${what} (input ${i} "${this.node.inputNames[i] ?? ''}") must be known at compile time`);
  }

  /** Input i as a list of integers known at compile time (axes, pads, starts, ...), or a clear error. */
  constInts(i: number, what: string): number[] {
    return Array.from(this.requireConst(i, what).data as ArrayLike<number | bigint>, (v) => Number(v));
  }

  /** Input i as dims known at compile time, possibly symbolic (Shape -> Gather -> Concat chains). */
  dimsInput(i: number): readonly Dim[] | undefined {
    const id = this.inputIds[i];
    return id === undefined ? undefined : this.known.dims(id);
  }

  /** Adds an IR node with this ONNX node as its origin. */
  emit(op: Op, inputs: readonly ValueId[], declared?: readonly ValueType[]): ValueId[] {
    return this.b.add(op, inputs, declared, { opType: this.node.opType, node: this.node.name });
  }

  emit1(op: Op, inputs: readonly ValueId[], declared?: readonly ValueType[]): ValueId {
    return this.emit(op, inputs, declared)[0]!;
  }
}
