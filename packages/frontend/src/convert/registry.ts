// Every converter, in one explicit table keyed by ONNX op type (default domain). Families live in their
// own files; adding one means adding it here. A missing op is reported by the importer as UNSUPPORTED_OP.

import { ATTENTION } from './attention.js';
import { CONTRACTION } from './contraction.js';
import { CONTROL_FLOW } from './control-flow.js';
import { ELEMENTWISE } from './elementwise.js';
import { LOSSES } from './losses.js';
import { MISC } from './misc.js';
import { MOVEMENT } from './movement.js';
import { NORMALIZATION } from './normalization.js';
import { POOLING } from './pooling.js';
import { QUANT } from './quant.js';
import { RECURRENT } from './recurrent.js';
import { REDUCTIONS } from './reductions.js';
import type { Converter, ConverterTable } from './registry-types.js';
import { SEQUENCES } from './sequences.js';
import { SHAPE_OPS } from './shape-ops.js';
import { SIGNAL } from './signal.js';
import { SPATIAL } from './spatial.js';

const FAMILIES: readonly ConverterTable[] = [
  ELEMENTWISE, SHAPE_OPS, MOVEMENT, REDUCTIONS, CONTRACTION, POOLING, NORMALIZATION, QUANT,
  ATTENTION, MISC, SPATIAL, RECURRENT, LOSSES, SIGNAL, CONTROL_FLOW, SEQUENCES,
];

export const DEFAULT_DOMAIN_CONVERTERS: ReadonlyMap<string, Converter> = (() => {
  const m = new Map<string, Converter>();
  for (const family of FAMILIES) {
    for (const [op, conv] of Object.entries(family)) {
      if (m.has(op)) throw new Error(`converter for ${op} is defined twice`);
      m.set(op, conv);
    }
  }
  return m;
})();
