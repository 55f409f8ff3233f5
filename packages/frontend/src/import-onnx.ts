// importOnnx: ONNX model bytes -> ir.Graph. Decodes the model, binds graph inputs (pinning symbolic dims from
// `inputShapes`), turns initializers and Constant nodes into constants, then lowers nodes in order through
// the converter registry. Every failure is a CompileError naming the ONNX node and op.

import {
  CompileError, type Dim, GraphBuilder, type Graph, type HostTensor, type Node, type TensorType, type ValueId, type ValueType,
  FOLD_WORK_LIMIT, evalCost, interpret, isStaticShape, numElements, regionsOf, tensorType,
} from '@tensorc/ir';
import { Attributes } from './convert/attributes.js';
import { ConvertContext } from './convert/context.js';
import { KnownValues } from './convert/known-values.js';
import { DOMAIN_CONVERTERS } from './convert/registry.js';
import { type LoweringGraph, type LoweringModel, type LoweringNode, type LoweringType, toLoweringModel } from './lowering-model.js';

export interface ImportOptions {
  /** Concrete shapes for graph inputs, by name; pins symbolic dims (and fixes every dim given). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Folder that external-data locations are relative to (required for models with external data). */
  readonly baseDir?: string;
  /**
   * Values for graph inputs to specialize on: each named input becomes a constant and is no longer an input
   * of the compiled graph. Use it for inputs that set shapes or axes (a Reshape target, Reduce axes, a
   * Range limit) when the model takes them as data: an ahead-of-time compiler needs them at compile time.
   */
  readonly constantInputs?: Readonly<Record<string, HostTensor>>;
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  const model = toLoweringModel(bytes, opts.baseDir);
  return lowerModel(model, opts);
}

const MAX_ELEMENTS = 2 ** 31;

export function lowerModel(model: LoweringModel, opts: ImportOptions = {}): Graph {
  const b = new GraphBuilder();
  const known = new KnownValues();
  const env = new Scope();
  const g = model.graph;
  const lowering = new Lowering(b, known, model);

  for (const init of g.initializers) {
    const id = b.constant(init.value);
    known.setConstant(id, init.value);
    env.set(init.name, id);
  }
  for (const [name, value] of Object.entries(opts.constantInputs ?? {})) {
    if (!g.inputs.some((i) => i.name === name)) throw new CompileError('INVALID_INPUT', `constantInputs names "${name}", which is not a graph input`);
    const id = b.constant(value);
    known.setConstant(id, value);
    env.set(name, id);
  }
  for (const input of g.inputs) {
    if (env.has(input.name)) continue; // IR < 4: initializers are also listed as inputs; or specialized
    const pinned = opts.inputShapes?.[input.name];
    const type = lowering.valueType(input.type, `graph input "${input.name}"`, pinned);
    env.set(input.name, b.input(input.name, type));
  }
  if (opts.inputShapes) {
    for (const name of Object.keys(opts.inputShapes)) {
      if (!g.inputs.some((i) => i.name === name)) throw new CompileError('INVALID_INPUT', `inputShapes names "${name}", which is not a graph input`);
    }
  }

  lowering.lowerNodes(g.nodes, env);

  for (const out of g.outputs) {
    const id = env.get(out.name);
    if (id === undefined) throw new CompileError('INVALID_MODEL', `graph output "${out.name}" is never produced`);
    b.output(out.name, id);
  }
  return b.build();
}

/** ONNX names in scope: a subgraph sees its own names first, then its enclosing graphs'. */
export class Scope {
  private readonly names = new Map<string, ValueId>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): ValueId | undefined {
    return this.names.get(name) ?? this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  set(name: string, id: ValueId): void {
    this.names.set(name, id);
  }
  child(): Scope {
    return new Scope(this);
  }
}

/** Lowers node lists (the main graph and, recursively, subgraphs of If/Loop/Scan) into the builder. */
export class Lowering {
  private freshCount = 0;
  private readonly defaultOpset: number | undefined;
  constructor(readonly b: GraphBuilder, readonly known: KnownValues, readonly model: LoweringModel) {
    this.defaultOpset = model.opsets.get('') ?? model.opsets.get('ai.onnx');
  }

  /** A fresh symbolic dim name for dims only known at run time. */
  freshDim(): string {
    return `_d${this.freshCount++}`;
  }

  /** An IR type for a declared ONNX type (unknown dims become fresh symbols; `pinned` fixes a tensor's shape). */
  valueType(t: LoweringType, what: string, pinned?: readonly number[]): ValueType {
    switch (t.kind) {
      case 'tensor': {
        const declared = t.shape;
        if (declared === null && !pinned) throw new CompileError('SHAPE_ERROR', `${what} has unknown rank; give its shape with inputShapes`);
        if (pinned && declared && pinned.length !== declared.length) {
          throw new CompileError('SHAPE_ERROR', `inputShapes for ${what} has rank ${pinned.length} but the model says ${declared.length}`);
        }
        const shape: Dim[] = (pinned ?? declared!).map((d, i) => {
          if (pinned) {
            const want = declared?.[i];
            if (typeof want === 'number' && want !== pinned[i]) throw new CompileError('SHAPE_ERROR', `inputShapes for ${what}: dim ${i} is ${pinned[i]} but the model fixes it to ${want}`);
            return pinned[i]!;
          }
          if (d === null) return this.freshDim();
          if (typeof d === 'string') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(d) ? d : `_s_${d.replace(/[^A-Za-z0-9_]/g, '_')}`;
          return d;
        });
        checkShape(shape, what);
        return tensorType(t.dtype, shape);
      }
      case 'sequence': {
        if (!t.elem || t.elem.kind !== 'tensor') throw new CompileError('UNSUPPORTED_OP', `${what}: only sequences of tensors are supported`);
        return { kind: 'sequence', elem: this.valueType(t.elem, what) as TensorType };
      }
      case 'optional': {
        if (!t.elem || (t.elem.kind !== 'tensor' && t.elem.kind !== 'sequence')) throw new CompileError('UNSUPPORTED_OP', `${what}: unsupported optional element type`);
        return { kind: 'optional', elem: this.valueType(t.elem, what) as TensorType };
      }
      case 'unknown':
        throw new CompileError('UNSUPPORTED_OP', `${what} has no type`);
    }
  }

  /**
   * Lowers a subgraph's nodes in a child scope where `params` are bound (If/Loop/Scan bodies). Call it inside
   * b.region(...) so its nodes land in the region. Returns the ids of the subgraph's outputs.
   */
  lowerSubgraph(graph: LoweringGraph, outer: Scope, params: readonly { name: string; id: ValueId }[]): ValueId[] {
    const scope = outer.child();
    for (const init of graph.initializers) {
      const id = this.b.constant(init.value);
      this.known.setConstant(id, init.value);
      scope.set(init.name, id);
    }
    for (const p of params) scope.set(p.name, p.id);
    this.lowerNodes(graph.nodes, scope);
    return graph.outputs.map((o) => {
      const id = scope.get(o.name);
      if (id === undefined) throw new CompileError('INVALID_MODEL', `subgraph "${graph.name}" output "${o.name}" is never produced`);
      return id;
    });
  }

  lowerNodes(nodes: readonly LoweringNode[], env: Scope): void {
    const b = this.b;
    for (const node of nodes) {
      const where = { node: node.name, opType: node.domain ? `${node.domain}:${node.opType}` : node.opType };
      const inputIds = node.inputs.map((name) => {
        if (name === '') return undefined;
        const id = env.get(name);
        if (id === undefined) {
          const later = nodes.find((n) => n.outputs.includes(name));
          throw new CompileError('INVALID_MODEL', later
            ? `input "${name}" is not defined before this node: node "${later.name}" (${later.opType}) produces it later (a graph cycle, or nodes not in topological order)`
            : `input "${name}" is not defined before this node (missing input: no graph input, initializer or node produces it)`, where);
        }
        return id;
      });
      const attrs = new Attributes(node.attributes, where);
      let outs: readonly ValueId[];
      if (node.opType === 'Constant' && node.domain === '') {
        const t = constantValue(attrs, where);
        const id = b.constant(t);
        this.known.setConstant(id, t);
        outs = [id];
      } else {
        const table = DOMAIN_CONVERTERS.get(node.domain);
        if (!table) throw new CompileError('UNSUPPORTED_OP', `domain "${node.domain}" is not supported`, where);
        const conv = table.get(node.opType);
        const domainName = node.domain === '' ? 'default-domain' : `"${node.domain}"`;
        if (!conv) throw new CompileError('UNSUPPORTED_OP', `operator ${node.opType}${node.domain ? ` of domain "${node.domain}"` : ''} is not supported`, where);
        const opset = node.domain === '' ? this.defaultOpset : this.model.opsets.get(node.domain);
        if (opset === undefined) throw new CompileError('INVALID_MODEL', `the model imports no ${domainName} opset`, where);
        if (opset < conv.since) throw new CompileError('UNSUPPORTED_OP', `${node.opType} needs ${domainName} opset ${conv.since}, the model imports ${opset}`, where);
        const info = { opType: node.opType, domain: node.domain, name: node.name, inputNames: node.inputs, outputNames: node.outputs };
        const ctx = new ConvertContext(b, info, attrs, opset, inputIds, this.known, {
          lowering: this,
          scope: env,
        });
        b.origin = { opType: where.opType, node: where.node };
        const mark = b.mark();
        try {
          outs = conv.convert(ctx);
          foldKnown(b.nodesSince(mark), outs, this.known);
        } catch (e) {
          throw withLocation(e, where);
        } finally {
          b.origin = undefined;
        }
      }
      node.outputs.forEach((name, i) => {
        if (name === '') return;
        const id = outs[i];
        if (id === undefined) throw new CompileError('UNSUPPORTED_OP', `output ${i} ("${name}") is not produced by the converter`, where);
        const t = b.typeOf(id);
        if (t.kind === 'tensor') checkShape(t.shape, `output "${name}"`, where);
        env.set(name, id);
      });
    }
  }
}

/** Largest result the importer evaluates eagerly so that later converters see it as a constant. */
const EAGER_FOLD_LIMIT = 1 << 16;

/**
 * When every value the new nodes read from outside is a known constant, evaluates them with the reference
 * interpreter and records the results as known: shape arithmetic spelled with ordinary ops (Cast, Add,
 * Concat, Range, ...) then feeds Reshape/Expand/ConstantOfShape targets at compile time.
 */
function foldKnown(nodes: readonly Node[], outs: readonly ValueId[], known: KnownValues): void {
  if (nodes.length === 0 || outs.every((id) => known.constant(id) !== undefined)) return;
  const defined = new Set<ValueId>();
  const external = new Set<ValueId>();
  for (const n of nodes) {
    if (regionsOf(n.op).length > 0) return;
    for (const id of n.inputs) if (!defined.has(id)) external.add(id);
    for (const o of n.outputs) {
      if (o.type.kind !== 'tensor' || !isStaticShape(o.type.shape) || numElements(o.type.shape) > EAGER_FOLD_LIMIT) return;
      defined.add(o.id);
    }
  }
  const consts: Node[] = [];
  for (const id of external) {
    const t = known.constant(id);
    if (!t) return;
    consts.push({ op: { kind: 'constant', value: t }, inputs: [], outputs: [{ id, type: tensorType(t.dtype, t.shape) }] });
  }
  // Small results can still be expensive (a convolution of a constant input): fold only cheap groups.
  const sizes = new Map<ValueId, number>();
  for (const c of consts) sizes.set(c.outputs[0]!.id, (c.op as { value: HostTensor }).value.data.length);
  let work = 0;
  for (const n of nodes) {
    work += evalCost(n, (id) => sizes.get(id)) ?? Infinity;
    for (const o of n.outputs) if (o.type.kind === 'tensor' && isStaticShape(o.type.shape)) sizes.set(o.id, numElements(o.type.shape));
  }
  if (work > FOLD_WORK_LIMIT) return;
  const wanted = outs.filter((id) => defined.has(id));
  let values: Record<string, unknown>;
  try {
    values = interpret({ inputs: [], nodes: [...consts, ...nodes], outputs: wanted.map((id) => ({ name: String(id), value: id })) }, {});
  } catch {
    return; // leave it to run time, where the same error will be reported with the data
  }
  for (const id of wanted) known.setConstant(id, values[String(id)] as HostTensor);
}

/** Errors raised deep in the builder know no ONNX node; add it. */
function withLocation(e: unknown, where: { node: string; opType: string }): CompileError {
  if (e instanceof CompileError) {
    return e.node === undefined && e.opType === undefined ? new CompileError(e.code, e.message, where) : e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new CompileError('INTERNAL', `converter failed: ${msg}`, where);
}

function constantValue(attrs: Attributes, where: { node: string; opType: string }): HostTensor {
  const t = attrs.tensor('value');
  if (t) return t;
  const f = attrs.has('value_float') ? attrs.float('value_float') : undefined;
  if (f !== undefined) return { dtype: 'float32', shape: [], data: Float64Array.of(Math.fround(f)) };
  const fs = attrs.floats('value_floats');
  if (fs) return { dtype: 'float32', shape: [fs.length], data: Float64Array.from(fs, Math.fround) };
  const i = attrs.has('value_int') ? attrs.int('value_int') : undefined;
  if (i !== undefined) return { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(i)) };
  const is = attrs.ints('value_ints');
  if (is) return { dtype: 'int64', shape: [is.length], data: BigInt64Array.from(is, (v) => BigInt(v)) };
  const s = attrs.string('value_string');
  if (s !== undefined) return { dtype: 'string', shape: [], data: [s] };
  const ss = attrs.strings('value_strings');
  if (ss) return { dtype: 'string', shape: [ss.length], data: [...ss] };
  if (attrs.has('sparse_value')) throw new CompileError('UNSUPPORTED_ATTRIBUTE', 'sparse_value constants are not supported', where);
  throw new CompileError('INVALID_MODEL', 'Constant has no value attribute', where);
}

function checkShape(shape: readonly Dim[], what: string, where?: { node: string; opType: string }): void {
  let n = 1;
  for (const d of shape) {
    if (typeof d === 'number') {
      if (!Number.isSafeInteger(d) || d < 0) throw new CompileError('SHAPE_ERROR', `${what} has an invalid dim ${d}`, where);
      n *= d;
    }
  }
  if (n > MAX_ELEMENTS) throw new CompileError('LIMIT_EXCEEDED', `${what} would have ${n} elements (limit ${MAX_ELEMENTS})`, where);
}
