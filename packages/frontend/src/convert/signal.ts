// Converters for signal processing (DFT, STFT, windows). (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const SIGNAL: ConverterTable = {};
