// FunctionProto (a model-local function) -> RawFunction: formal inputs/outputs, attribute names and
// defaults (attribute_proto), and the body nodes, whose attributes may refer to the caller's (ref_attr_name).

import { decodeAttribute } from './decode-attribute.js';
import { decodeNode } from './decode-graph.js';
import { decodeValueInfo } from './decode-type.js';
import { normalizeDomain, type DecodeContext, type RawAttr, type RawFunction, type RawNode, type RawValueInfo } from './raw-model.js';
import { readBytes, readString, walkMessage } from './wire.js';

export function decodeFunction(bytes: Uint8Array, ctx: DecodeContext): RawFunction {
  const what = 'FunctionProto';
  let name = '';
  let domain = '';
  let overload = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributeNames: string[] = [];
  const defaultBytes: Uint8Array[] = [];
  const nodes: RawNode[] = [];
  const valueInfo: RawValueInfo[] = [];
  walkMessage(bytes, what, (field, wire, r) => {
    switch (field) {
      case 1: name = readString(r, wire, what); return true;
      case 4: inputs.push(readString(r, wire, what)); return true;
      case 5: outputs.push(readString(r, wire, what)); return true;
      case 6: attributeNames.push(readString(r, wire, what)); return true;
      case 7: nodes.push(decodeNode(readBytes(r, wire, what), ctx, 0, nodes.length)); return true;
      case 10: domain = readString(r, wire, what); return true;
      case 11: defaultBytes.push(readBytes(r, wire, what)); return true;
      case 12: valueInfo.push(decodeValueInfo(readBytes(r, wire, what))); return true;
      case 13: overload = readString(r, wire, what); return true;
      default: return false;
    }
  });
  const defaults: RawAttr[] = [];
  for (const b of defaultBytes) {
    const a = decodeAttribute(b, ctx, 0, { node: name, opType: `function ${domain}:${name}` });
    if (a !== undefined && a.value !== undefined) defaults.push(a);
  }
  return { domain: normalizeDomain(domain), name, overload, inputs, outputs, defaults, attributeNames, nodes, valueInfo };
}
