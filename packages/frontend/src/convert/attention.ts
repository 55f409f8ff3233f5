// Converters for Attention-family ops (Attention, RotaryEmbedding, ...). (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const ATTENTION: ConverterTable = {};
