// Converters for resampling and spatial ops (Resize, Upsample, ConvTranspose, ...). (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const SPATIAL: ConverterTable = {};
