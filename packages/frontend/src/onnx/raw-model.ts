// The decoder's intermediate form: GraphProto/NodeProto/FunctionProto as read from the wire, before local
// functions are inlined. It differs from LoweringGraph only where inlining needs more: attributes may still
// be references (ref_attr_name) to the calling node's attributes, and nodes keep their raw (possibly empty) names.

import type { HostTensor } from '@tensorc/ir';
import type { AttrValue } from '../convert/attributes.js';
import type { LoweringType } from '../lowering-model.js';

export type RawAttrValue =
  | Exclude<AttrValue, { kind: 'graph' | 'graphs' }>
  | { readonly kind: 'graph'; readonly value: RawGraph }
  | { readonly kind: 'graphs'; readonly value: readonly RawGraph[] };

export interface RawAttr {
  readonly name: string;
  /** ref_attr_name: inside a function body, take the value of this attribute of the calling node. */
  readonly ref: string | undefined;
  /** undefined only for a reference (or an ignored kind such as TYPE_PROTO, which is dropped before this). */
  readonly value: RawAttrValue | undefined;
}

export interface RawNode {
  readonly opType: string;
  /** '' for the default domain ('ai.onnx' already normalized). */
  readonly domain: string;
  readonly overload: string;
  /** As written in the model; may be ''. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly RawAttr[];
}

export interface RawValueInfo {
  readonly name: string;
  readonly type: LoweringType;
}

export interface RawGraph {
  readonly name: string;
  readonly initializers: readonly { readonly name: string; readonly value: HostTensor }[];
  readonly inputs: readonly RawValueInfo[];
  readonly outputs: readonly RawValueInfo[];
  readonly valueInfo: readonly RawValueInfo[];
  readonly nodes: readonly RawNode[];
}

export interface RawFunction {
  readonly domain: string;
  readonly name: string;
  readonly overload: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Default values of attributes (attribute_proto); attributes without a default are in `attributeNames` only. */
  readonly defaults: readonly RawAttr[];
  readonly attributeNames: readonly string[];
  readonly nodes: readonly RawNode[];
  readonly valueInfo: readonly RawValueInfo[];
}

/** Normalizes an ONNX domain: 'ai.onnx' and '' both mean the default domain. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** How functions are looked up: by domain, name and overload. */
export function functionKey(domain: string, name: string, overload: string): string {
  return JSON.stringify([normalizeDomain(domain), name, overload]);
}

/** Shared state while decoding one model. */
export interface DecodeContext {
  /** Folder external-data locations are relative to. */
  readonly baseDir: string | undefined;
}

/** Subgraphs and nested types deeper than this are refused (protects the stack from crafted input). */
export const MAX_NESTING = 64;
