// GraphProto / NodeProto -> RawGraph / RawNode: initializers (as HostTensors), inputs (for IR < 4 these
// also list the initializers; they are kept, the importer skips them), outputs, value_info and nodes with
// their attributes. Subgraph nesting is capped so crafted input cannot exhaust the stack.

import { CompileError, type HostTensor } from '@tensorc/ir';
import { decodeAttribute } from './decode-attribute.js';
import { decodeTensor } from './decode-tensor.js';
import { decodeValueInfo } from './decode-type.js';
import {
  MAX_NESTING, normalizeDomain, type DecodeContext, type RawAttr, type RawGraph, type RawNode, type RawValueInfo,
} from './raw-model.js';
import { readBytes, readString, walkMessage } from './wire.js';

/** Decodes a NodeProto; `index` (its position in the graph) names it in errors when it has no name. */
export function decodeNode(bytes: Uint8Array, ctx: DecodeContext, depth: number, index: number): RawNode {
  const what = 'NodeProto';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attrBytes: Uint8Array[] = [];
  let name = '';
  let opType = '';
  let domain = '';
  let overload = '';
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: inputs.push(readString(r, wire, what)); return true;
      case 2: outputs.push(readString(r, wire, what)); return true;
      case 3: name = readString(r, wire, what); return true;
      case 4: opType = readString(r, wire, what); return true;
      case 5: attrBytes.push(readBytes(r, wire, what)); return true;
      case 7: domain = readString(r, wire, what); return true;
      case 8: overload = readString(r, wire, what); return true;
      default: return false;
    }
  });
  // Attributes are decoded after the node's own fields so errors can name the node whatever the field order.
  if (opType === '') throw new CompileError('INVALID_MODEL', `node ${index}${name ? ` ("${name}")` : ''} has no op_type`);
  const where = { node: name || `${opType}_${index}`, opType };
  const attributes: RawAttr[] = [];
  for (const b of attrBytes) {
    const a = decodeAttribute(b, ctx, depth, where);
    if (a !== undefined) attributes.push(a);
  }
  return { opType, domain: normalizeDomain(domain), overload, name, inputs, outputs, attributes };
}

/** Decodes a GraphProto at subgraph nesting `depth` (0 for the model's main graph). */
export function decodeGraph(bytes: Uint8Array, ctx: DecodeContext, depth: number): RawGraph {
  const what = 'GraphProto';
  if (depth > MAX_NESTING) {
    throw new CompileError('LIMIT_EXCEEDED', `subgraphs are nested deeper than ${MAX_NESTING} levels`);
  }
  let name = '';
  const nodes: RawNode[] = [];
  const initializers: { name: string; value: HostTensor }[] = [];
  const inputs: RawValueInfo[] = [];
  const outputs: RawValueInfo[] = [];
  const valueInfo: RawValueInfo[] = [];
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: nodes.push(decodeNode(readBytes(r, wire, what), ctx, depth, nodes.length)); return true;
      case 2: name = readString(r, wire, what); return true;
      case 5: initializers.push(decodeTensor(readBytes(r, wire, what), ctx, `initializer ${initializers.length}`)); return true;
      case 11: inputs.push(decodeValueInfo(readBytes(r, wire, what))); return true;
      case 12: outputs.push(decodeValueInfo(readBytes(r, wire, what))); return true;
      case 13: valueInfo.push(decodeValueInfo(readBytes(r, wire, what))); return true;
      case 15:
        throw new CompileError('UNSUPPORTED_ATTRIBUTE', `graph "${name}" has a sparse initializer, which tensorc does not support`);
      default: return false;
    }
  });
  return { name, initializers, inputs, outputs, valueInfo, nodes };
}
