// Converters for signal processing: DFT and STFT as contractions with compile-time twiddle tables
// (signal-dft.ts, signal-stft.ts), window functions and the mel filter bank as constants
// (signal-windows.ts, signal-mel.ts).

import type { ConverterTable } from './registry-types.js';
import { convertDft } from './signal-dft.js';
import { convertMelWeightMatrix } from './signal-mel.js';
import { convertStft } from './signal-stft.js';
import { SIGNAL_WINDOWS } from './signal-windows.js';

export const SIGNAL: ConverterTable = {
  DFT: { since: 17, convert: convertDft },
  STFT: { since: 17, convert: convertStft },
  MelWeightMatrix: { since: 17, convert: convertMelWeightMatrix },
  ...SIGNAL_WINDOWS,
};
