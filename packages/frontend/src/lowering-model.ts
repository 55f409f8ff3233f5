// The decoded model the lowering works on: ONNX's ModelProto reduced to what the converters need, with
// tensors already turned into HostTensors (raw_data, typed fields, packed sub-byte codes, external data)
// and model-local functions already inlined. Subgraph attributes (If/Loop/Scan bodies) are LoweringGraphs.

import type { DType, HostTensor } from '@tensorc/ir';
import type { AttrValue } from './convert/attributes.js';

/** A declared value type from ValueInfoProto; shape null = unknown rank; a dim null = unknown, string = named symbol. */
export type LoweringType =
  | { readonly kind: 'tensor'; readonly dtype: DType; readonly shape: readonly (number | string | null)[] | null }
  | { readonly kind: 'sequence'; readonly elem: LoweringType | null }
  | { readonly kind: 'optional'; readonly elem: LoweringType | null }
  | { readonly kind: 'unknown' };

export interface LoweringNode {
  readonly opType: string;
  /** '' for the default domain (also when the model wrote 'ai.onnx'). */
  readonly domain: string;
  /** The node's name, or a generated `<opType>_<index>` when the model left it empty. */
  readonly name: string;
  /** '' marks an omitted optional input/output. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttrValue>;
}

export interface LoweringGraph {
  readonly name: string;
  readonly initializers: readonly { readonly name: string; readonly value: HostTensor }[];
  readonly inputs: readonly { readonly name: string; readonly type: LoweringType }[];
  readonly nodes: readonly LoweringNode[];
  readonly outputs: readonly { readonly name: string; readonly type: LoweringType }[];
  /** value_info entries (intermediate types declared by the exporter), by name. */
  readonly valueInfo: ReadonlyMap<string, LoweringType>;
}

export interface LoweringModel {
  readonly irVersion: number;
  readonly producer: string;
  /** Opset version by domain ('' for the default domain; 'ai.onnx' is normalized to ''). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: LoweringGraph;
}

export { toLoweringModel } from './onnx/decode-model.js';
