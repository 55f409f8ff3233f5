// Every converter, in one explicit table per ONNX domain, keyed by op type. Families live in their own
// files; adding one means adding it here. A missing domain or op is reported by the importer as
// UNSUPPORTED_OP. A converter's `since` counts in its own domain's opset versions.

import { ATTENTION } from './attention.js';
import { PREVIEW } from './attention-flex.js';
import { CONTRACTION } from './contraction.js';
import { CONTROL_FLOW } from './control-flow.js';
import { DEPTH_SPACE } from './depth-space.js';
import { DET } from './det.js';
import { ELEMENTWISE } from './elementwise.js';
import { LOSSES } from './losses.js';
import { MISC } from './misc.js';
import { ML } from './ml.js';
import { MOVEMENT } from './movement.js';
import { NMS } from './nms.js';
import { NORMALIZATION } from './normalization.js';
import { POOLING } from './pooling.js';
import { QUANT } from './quant.js';
import { RECURRENT } from './recurrent.js';
import { REDUCTIONS } from './reductions.js';
import { REVERSE_SEQUENCE } from './reverse-sequence.js';
import type { Converter, ConverterTable } from './registry-types.js';
import { SEQUENCES } from './sequences.js';
import { SHAPE_OPS } from './shape-ops.js';
import { SIGNAL } from './signal.js';
import { SPATIAL } from './spatial.js';
import { STRINGS } from './strings.js';
import { TENSOR_SCATTER } from './tensor-scatter.js';
import { UNIQUE } from './unique.js';
import { TRAINING } from './training.js';

const FAMILIES: readonly ConverterTable[] = [
  ELEMENTWISE, SHAPE_OPS, MOVEMENT, REDUCTIONS, CONTRACTION, POOLING, NORMALIZATION, QUANT,
  ATTENTION, MISC, SPATIAL, RECURRENT, LOSSES, SIGNAL, CONTROL_FLOW, SEQUENCES,
  NMS, UNIQUE, STRINGS, DEPTH_SPACE, REVERSE_SEQUENCE, TENSOR_SCATTER, DET,
];

/** Families of the other domains, by domain name (ONNX's spelling). */
const DOMAIN_FAMILIES: readonly (readonly [string, readonly ConverterTable[]])[] = [
  ['', FAMILIES],
  ['ai.onnx.ml', [ML]],
  ['ai.onnx.preview.training', [TRAINING]],
  ['ai.onnx.preview', [PREVIEW]],
];

function merge(domain: string, families: readonly ConverterTable[]): ReadonlyMap<string, Converter> {
  const m = new Map<string, Converter>();
  for (const family of families) {
    for (const [op, conv] of Object.entries(family)) {
      if (m.has(op)) throw new Error(`converter for ${domain ? `${domain}:` : ''}${op} is defined twice`);
      m.set(op, conv);
    }
  }
  return m;
}

/** Converter tables by domain ('' is the default domain; the decoder maps 'ai.onnx' to ''). */
export const DOMAIN_CONVERTERS: ReadonlyMap<string, ReadonlyMap<string, Converter>> = new Map(
  DOMAIN_FAMILIES.map(([domain, families]) => [domain, merge(domain, families)]),
);

export const DEFAULT_DOMAIN_CONVERTERS: ReadonlyMap<string, Converter> = DOMAIN_CONVERTERS.get('')!;
