// GraphBuilder: the one way code constructs IR. It hands out fresh value ids, types every node through the
// type-rule table as it is added (so a malformed node fails where it is made, naming its origin), and builds
// nested regions. Sugar for contractions (einsum, matmul, conv) lives in sibling files and uses `add`.

import { CompileError } from '../errors.js';
import type { Graph, Node, Origin, Region, Value, ValueId } from '../graph.js';
import { inferTypes } from '../infer/index.js';
import type { Op } from '../ops.js';
import type { ScalarExpr } from '../scalar.js';
import type { HostTensor } from '../tensor.js';
import type { TensorType, ValueType } from '../types.js';
import { type ContractOptions, einsum } from './einsum.js';
import { type ConvSpec, conv, matmul } from './linalg.js';

export class GraphBuilder {
  private nextId: number;
  private readonly types = new Map<ValueId, ValueType>();
  private readonly scopes: Node[][] = [[]];
  private readonly inputs: { name: string; value: Value }[] = [];
  private readonly outputs: { name: string; value: ValueId }[] = [];
  /** Origin stamped on nodes added without an explicit one (the importer sets it per ONNX node). */
  origin: Origin | undefined;

  /** Start ids above those of an existing graph when extending or rewriting it. */
  constructor(firstId = 0) {
    this.nextId = firstId;
  }

  private fresh(type: ValueType): Value {
    const v = { id: this.nextId++, type };
    this.types.set(v.id, type);
    return v;
  }

  /** Registers the types of values defined elsewhere (when a pass rebuilds part of a graph). */
  adopt(values: readonly Value[]): void {
    for (const v of values) {
      this.types.set(v.id, v.type);
      if (v.id >= this.nextId) this.nextId = v.id + 1;
    }
  }

  input(name: string, type: ValueType): ValueId {
    if (this.inputs.some((i) => i.name === name)) throw new CompileError('INVALID_MODEL', `graph input "${name}" is declared twice`);
    const v = this.fresh(type);
    this.inputs.push({ name, value: v });
    return v.id;
  }

  typeOf(id: ValueId): ValueType {
    const t = this.types.get(id);
    if (t === undefined) throw new CompileError('INTERNAL', `value %${id} is not defined`);
    return t;
  }

  tensorTypeOf(id: ValueId): TensorType {
    const t = this.typeOf(id);
    if (t.kind !== 'tensor') throw new CompileError('TYPE_ERROR', `value %${id} is a ${t.kind}, not a tensor`, this.where());
    return t;
  }

  private where(origin = this.origin): { node?: string; opType?: string } {
    return origin ? { node: origin.node, opType: origin.opType } : {};
  }

  /** Adds a node; result types come from the type rules (and `declared` where a rule needs it). */
  add(op: Op, inputs: readonly ValueId[], declared?: readonly ValueType[], origin: Origin | undefined = this.origin): ValueId[] {
    const ins = inputs.map((id) => this.typeOf(id));
    let outTypes: readonly ValueType[];
    try {
      outTypes = inferTypes(op, ins, declared, (id) => this.types.get(id));
    } catch (e) {
      if (e instanceof CompileError && e.node === undefined && e.opType === undefined) {
        throw new CompileError(e.code, `${op.kind}: ${e.message}`, this.where(origin));
      }
      throw e;
    }
    const outputs = outTypes.map((t) => this.fresh(t));
    const node: Node = origin ? { op, inputs: [...inputs], outputs, origin } : { op, inputs: [...inputs], outputs };
    this.scopes[this.scopes.length - 1]!.push(node);
    return outputs.map((v) => v.id);
  }

  add1(op: Op, inputs: readonly ValueId[], declared?: readonly ValueType[]): ValueId {
    return this.add(op, inputs, declared)[0]!;
  }

  constant(value: HostTensor): ValueId {
    return this.add1({ kind: 'constant', value }, []);
  }

  map(expr: ScalarExpr, inputs: readonly ValueId[], declared?: ValueType): ValueId {
    return this.add1({ kind: 'map', expr }, inputs, declared ? [declared] : undefined);
  }

  /** Contraction from an einsum string, e.g. "bij,bjk->bik". */
  einsum(spec: string, inputs: readonly ValueId[], opts?: ContractOptions): ValueId {
    return einsum(this, spec, inputs, opts);
  }

  /** numpy matmul as a contraction. */
  matmul(a: ValueId, b: ValueId, opts?: ContractOptions): ValueId {
    return matmul(this, a, b, opts);
  }

  /** N-d convolution (NCHW-style layout) as a contraction. */
  conv(spec: ConvSpec, opts?: ContractOptions): ValueId {
    return conv(this, spec, opts);
  }

  /** Builds a nested region: `body` receives the param ids and returns the result ids. */
  region(paramTypes: readonly ValueType[], body: (params: ValueId[]) => readonly ValueId[]): Region {
    const params = paramTypes.map((t) => this.fresh(t));
    this.scopes.push([]);
    let results: readonly ValueId[];
    let nodes: Node[];
    try {
      results = body(params.map((p) => p.id));
    } finally {
      nodes = this.scopes.pop()!;
    }
    return { params, nodes, results: [...results] };
  }

  /** Position in the current scope, for nodesSince (the importer folds what one ONNX node produced). */
  mark(): number {
    return this.scopes[this.scopes.length - 1]!.length;
  }

  /** Nodes added to the current scope since `mark`. */
  nodesSince(mark: number): readonly Node[] {
    return this.scopes[this.scopes.length - 1]!.slice(mark);
  }

  output(name: string, id: ValueId): void {
    if (this.outputs.some((o) => o.name === name)) throw new CompileError('INVALID_MODEL', `graph output "${name}" is declared twice`);
    this.typeOf(id);
    this.outputs.push({ name, value: id });
  }

  build(): Graph {
    if (this.scopes.length !== 1) throw new CompileError('INTERNAL', 'build() inside an open region');
    return { inputs: [...this.inputs], nodes: [...this.scopes[0]!], outputs: [...this.outputs] };
  }
}
