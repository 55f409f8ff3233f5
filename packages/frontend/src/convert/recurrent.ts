// Converters for recurrent layers (RNN, LSTM, GRU). (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const RECURRENT: ConverterTable = {};
