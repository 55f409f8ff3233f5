// Model-local function inlining: RawGraph -> LoweringGraph. Every node whose (domain, op_type, overload)
// names a FunctionProto of the model is replaced by the function's body, recursively (also inside subgraphs):
// formal inputs/outputs bound to the call's actual names, every other value renamed under the call node's
// name, and attribute references (ref_attr_name) resolved against the call's attributes, then the defaults.

import { CompileError } from '@tensorc/ir';
import type { AttrValue } from '../convert/attributes.js';
import type { LoweringGraph, LoweringNode, LoweringType } from '../lowering-model.js';
import { functionKey, MAX_NESTING, type RawAttrValue, type RawFunction, type RawGraph, type RawNode } from './raw-model.js';

/** Calls nested deeper than this are refused (a local function that calls itself would never end). */
export const MAX_INLINE_DEPTH = 32;
/** Caps the node count after inlining (functions calling functions can multiply it exponentially). */
export const MAX_INLINED_NODES = 1_000_000;

interface Scope {
  /** Attributes that ref_attr_name can name: the calling node's and the defaults; null outside functions. */
  readonly attrs: ReadonlyMap<string, AttrValue> | null;
  /** Maps a value name as written in this scope to its name in the output graph. */
  readonly rename: (name: string) => string;
  /** Prepended to node names: '' at the top, '<call name>/' inside an inlined body. */
  readonly prefix: string;
  /** How many inlined calls enclose this scope. */
  readonly depth: number;
}

const TOP_SCOPE: Scope = { attrs: null, rename: (n) => n, prefix: '', depth: 0 };

class Inliner {
  private nodeCount = 0;
  /** Graphs (the main one and subgraphs) being inlined right now, outermost first. */
  private nesting = 0;
  private readonly usedPrefixes = new Set<string>();

  constructor(private readonly functions: ReadonlyMap<string, RawFunction>) {}

  graph(raw: RawGraph, scope: Scope): LoweringGraph {
    // Each function body was decoded with its own nesting budget; inlined into one another they can nest
    // far deeper than the decoder allows, so the combined depth is checked here.
    if (++this.nesting > MAX_NESTING) {
      throw new CompileError('LIMIT_EXCEEDED', `subgraphs are nested deeper than ${MAX_NESTING} levels once local functions are inlined`);
    }
    try {
      return this.graphBody(raw, scope);
    } finally {
      this.nesting--;
    }
  }

  private graphBody(raw: RawGraph, scope: Scope): LoweringGraph {
    const valueInfo = new Map<string, LoweringType>();
    for (const v of raw.valueInfo) valueInfo.set(scope.rename(v.name), v.type);
    const nodes: LoweringNode[] = [];
    this.emit(raw.nodes, scope, nodes, valueInfo);
    return {
      name: raw.name,
      initializers: raw.initializers.map((i) => ({ name: scope.rename(i.name), value: i.value })),
      inputs: raw.inputs.map((v) => ({ name: scope.rename(v.name), type: v.type })),
      outputs: raw.outputs.map((v) => ({ name: scope.rename(v.name), type: v.type })),
      nodes,
      valueInfo,
    };
  }

  private emit(raw: readonly RawNode[], scope: Scope, out: LoweringNode[], valueInfo: Map<string, LoweringType>): void {
    raw.forEach((node, index) => {
      const name = scope.prefix + (node.name || `${node.opType}_${index}`);
      const attributes = this.attributes(node, scope);
      const inputs = node.inputs.map(scope.rename);
      const outputs = node.outputs.map(scope.rename);
      const fn = this.functions.get(functionKey(node.domain, node.opType, node.overload));
      if (fn !== undefined) {
        this.inline(fn, { name, opType: node.opType, domain: node.domain, inputs, outputs, attributes }, scope.depth + 1, out, valueInfo);
        return;
      }
      if (++this.nodeCount > MAX_INLINED_NODES) {
        throw new CompileError('LIMIT_EXCEEDED', `the model has more than ${MAX_INLINED_NODES} nodes after inlining local functions`);
      }
      out.push({ opType: node.opType, domain: node.domain, name, inputs, outputs, attributes });
    });
  }

  private attributes(node: RawNode, scope: Scope): Map<string, AttrValue> {
    const m = new Map<string, AttrValue>();
    for (const a of node.attributes) {
      if (a.ref !== undefined) {
        // A reference the caller does not set (and that has no default) leaves the attribute unset.
        const v = scope.attrs?.get(a.ref);
        if (v !== undefined) m.set(a.name, v);
      } else if (a.value !== undefined) {
        m.set(a.name, this.attrValue(a.value, scope));
      }
    }
    return m;
  }

  private attrValue(v: RawAttrValue, scope: Scope): AttrValue {
    switch (v.kind) {
      case 'graph': return { kind: 'graph', value: this.graph(v.value, scope) };
      case 'graphs': return { kind: 'graphs', value: v.value.map((g) => this.graph(g, scope)) };
      default: return v;
    }
  }

  private uniquePrefix(callName: string): string {
    let prefix = `${callName}/`;
    for (let k = 2; this.usedPrefixes.has(prefix); k++) prefix = `${callName}#${k}/`;
    this.usedPrefixes.add(prefix);
    return prefix;
  }

  private inline(
    fn: RawFunction,
    call: LoweringNode,
    depth: number,
    out: LoweringNode[],
    valueInfo: Map<string, LoweringType>,
  ): void {
    const where = { node: call.name, opType: call.opType };
    if (depth > MAX_INLINE_DEPTH) {
      throw new CompileError('LIMIT_EXCEEDED', `local functions call each other more than ${MAX_INLINE_DEPTH} deep (recursive function "${fn.name}"?)`, where);
    }
    if (call.inputs.length > fn.inputs.length || call.outputs.length > fn.outputs.length) {
      throw new CompileError('INVALID_MODEL',
        `calls local function "${fn.name}" with ${call.inputs.length} inputs and ${call.outputs.length} outputs; it has ${fn.inputs.length} and ${fn.outputs.length}`, where);
    }
    const prefix = this.uniquePrefix(call.name);
    const binding = new Map<string, string>();
    fn.inputs.forEach((formal, i) => binding.set(formal, call.inputs[i] ?? ''));
    // An output the caller omits still gets a (private) name: other body nodes may read it.
    fn.outputs.forEach((formal, i) => binding.set(formal, call.outputs[i] || prefix + formal));
    const rename = (n: string): string => (n === '' ? '' : binding.get(n) ?? prefix + n);

    const attrs = new Map<string, AttrValue>();
    const defaultsScope: Scope = { attrs: null, rename, prefix, depth };
    for (const d of fn.defaults) if (d.value !== undefined) attrs.set(d.name, this.attrValue(d.value, defaultsScope));
    for (const [k, v] of call.attributes) attrs.set(k, v);

    const body: Scope = { attrs, rename, prefix, depth };
    for (const v of fn.valueInfo) {
      const n = rename(v.name);
      if (!valueInfo.has(n)) valueInfo.set(n, v.type);
    }
    this.emit(fn.nodes, body, out, valueInfo);
  }
}

/** Inlines the model's local functions into `graph` and its subgraphs. */
export function inlineFunctions(graph: RawGraph, functions: readonly RawFunction[]): LoweringGraph {
  const table = new Map<string, RawFunction>();
  for (const f of functions) table.set(functionKey(f.domain, f.name, f.overload), f);
  return new Inliner(table).graph(graph, TOP_SCOPE);
}
