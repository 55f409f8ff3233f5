// The reference interpreter: evaluates a graph node by node on host tensors. It is the oracle every other
// stage is tested against, so it is written to be obviously right, not fast. Symbolic dims are bound from
// the feeds and from results as they appear (a region gets its own scope, since per-iteration shapes vary);
// every result is checked against its declared type.

import { evalDim } from '../dims.js';
import { CompileError } from '../errors.js';
import { MAX_HOST_ELEMENTS } from '../numeric/index.js';
import type { Graph, Node, Region, ValueId } from '../graph.js';
import type { OpKind } from '../ops.js';
import type { HostTensor, RuntimeValue } from '../tensor.js';
import type { Dim, ValueType } from '../types.js';
import { KERNELS } from './kernels.js';
import type { InterpContext, Kernel } from './kernel-types.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Scope {
  readonly values = new Map<ValueId, RuntimeValue>();
  readonly symbols: Map<string, number>;
  constructor(readonly parent?: Scope) {
    this.symbols = new Map(parent?.symbols);
  }
  get(id: ValueId): RuntimeValue {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.values.has(id)) return s.values.get(id)!;
    }
    throw new CompileError('RUNTIME_ERROR', `value %${id} has no value (not computed yet)`);
  }
}

function describe(v: RuntimeValue): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return `sequence of ${v.length}`;
  const t = v as HostTensor;
  return `${t.dtype}[${t.shape.join(',')}]`;
}

/** Binds identifier dims of `type` from `v`'s shape and checks every other dim; returns an error text or undefined. */
function bindAndCheck(type: ValueType, v: RuntimeValue, symbols: Map<string, number>): string | undefined {
  if (type.kind === 'optional') return v === null ? undefined : bindAndCheck(type.elem, v, symbols);
  if (type.kind === 'sequence') {
    if (!Array.isArray(v)) return `expected a sequence, got ${describe(v)}`;
    for (const t of v as HostTensor[]) {
      // Elements of a sequence may differ in shape: check dtype and rank only.
      if (t.dtype !== type.elem.dtype || t.shape.length !== type.elem.shape.length) return `sequence element ${describe(t)} does not match ${type.elem.dtype}[${type.elem.shape.join(',')}]`;
    }
    return undefined;
  }
  if (v === null || Array.isArray(v)) return `expected a tensor, got ${describe(v)}`;
  const t = v as HostTensor;
  if (t.dtype !== type.dtype) return `dtype ${t.dtype}, type says ${type.dtype}`;
  if (t.shape.length !== type.shape.length) return `shape [${t.shape.join(',')}], type says [${type.shape.join(',')}]`;
  for (let i = 0; i < t.shape.length; i++) {
    const d: Dim = type.shape[i]!;
    const actual = t.shape[i]!;
    if (typeof d === 'string' && IDENT.test(d) && !symbols.has(d)) {
      symbols.set(d, actual);
      continue;
    }
    const want = evalDim(d, symbols);
    if (want === undefined) continue; // an expression over a symbol not bound yet: nothing to check
    if (want !== actual) return `shape [${t.shape.join(',')}], type says [${type.shape.join(',')}] (dim ${i} should be ${want})`;
  }
  return undefined;
}

function nodeName(node: Node): string {
  return node.origin ? `${node.op.kind} (${node.origin.opType} node "${node.origin.node}")` : node.op.kind;
}

/** Refuses a node whose declared results (with the dims known so far) exceed the host tensor limit, before its kernel allocates. */
function checkResultSizes(node: Node, symbols: ReadonlyMap<string, number>, where: string): void {
  for (const o of node.outputs) {
    if (o.type.kind !== 'tensor') continue;
    let n = 1;
    for (const d of o.type.shape) n *= evalDim(d, symbols) ?? 1;
    if (n > MAX_HOST_ELEMENTS) {
      throw new CompileError('LIMIT_EXCEEDED', `${where}: result [${o.type.shape.join(', ')}] would have ${n} elements, over the interpreter's limit of ${MAX_HOST_ELEMENTS}`, node.origin ?? {});
    }
  }
}

function runNodes(nodes: readonly Node[], scope: Scope): void {
  for (const node of nodes) {
    const where = nodeName(node);
    const ctx: InterpContext = {
      where,
      dim: (d) => {
        const v = evalDim(d, scope.symbols);
        if (v === undefined) throw new CompileError('RUNTIME_ERROR', `${where}: dim "${String(d)}" is not known at this point`);
        return v;
      },
      shape: (dims) => dims.map((d) => ctx.dim(d)),
      runRegion: (r, params) => runRegion(r, params, scope),
    };
    checkResultSizes(node, scope.symbols, where);
    const kernel = KERNELS[node.op.kind] as Kernel<OpKind>;
    let outs: RuntimeValue[];
    try {
      outs = kernel(node.op as never, node.inputs.map((id) => scope.get(id)), node.outputs.map((o) => o.type), ctx);
    } catch (e) {
      if (e instanceof CompileError && e.node === undefined && node.origin) throw new CompileError(e.code, `${node.op.kind}: ${e.message}`, node.origin);
      if (e instanceof CompileError) throw e;
      throw new CompileError('INTERNAL', `${where}: ${e instanceof Error ? e.message : String(e)}`, node.origin ?? {});
    }
    if (outs.length !== node.outputs.length) throw new CompileError('INTERNAL', `${where}: kernel gave ${outs.length} results for ${node.outputs.length}`);
    node.outputs.forEach((o, i) => {
      const err = bindAndCheck(o.type, outs[i]!, scope.symbols);
      if (err) throw new CompileError('RUNTIME_ERROR', `${where}: result ${i}: ${err}`, node.origin ?? {});
      scope.values.set(o.id, outs[i]!);
    });
  }
}

function runRegion(r: Region, params: readonly RuntimeValue[], parent: Scope): RuntimeValue[] {
  const scope = new Scope(parent);
  if (params.length !== r.params.length) throw new CompileError('INTERNAL', `region takes ${r.params.length} params, got ${params.length}`);
  r.params.forEach((p, i) => {
    const err = bindAndCheck(p.type, params[i]!, scope.symbols);
    if (err) throw new CompileError('RUNTIME_ERROR', `region param ${i}: ${err}`);
    scope.values.set(p.id, params[i]!);
  });
  runNodes(r.nodes, scope);
  return r.results.map((id) => scope.get(id));
}

/** Evaluates `g` on `feeds` (by graph input name); returns every graph output by name. */
export function interpret(g: Graph, feeds: Readonly<Record<string, RuntimeValue>>): Record<string, RuntimeValue> {
  const scope = new Scope();
  for (const input of g.inputs) {
    if (!Object.hasOwn(feeds, input.name)) throw new CompileError('INVALID_INPUT', `missing feed for input "${input.name}"`);
    const v = feeds[input.name]!;
    const err = bindAndCheck(input.value.type, v, scope.symbols);
    if (err) throw new CompileError('INVALID_INPUT', `input "${input.name}": ${err}`);
    scope.values.set(input.value.id, v);
  }
  for (const name of Object.keys(feeds)) {
    if (!g.inputs.some((i) => i.name === name)) throw new CompileError('INVALID_INPUT', `"${name}" is not an input of the graph`);
  }
  runNodes(g.nodes, scope);
  const out: Record<string, RuntimeValue> = {};
  for (const o of g.outputs) out[o.name] = scope.get(o.value);
  return out;
}
