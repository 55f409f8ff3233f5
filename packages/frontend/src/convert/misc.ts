// Converters for assorted tensor ops. (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const MISC: ConverterTable = {};
