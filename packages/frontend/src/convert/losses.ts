// Converters for training losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss). (Being written: empty until its owner fills it in.)

import type { ConverterTable } from './registry-types.js';

export const LOSSES: ConverterTable = {};
