// The kernel table: one reference kernel per op kind (a missing kind is a compile error).

import type { OpKind } from '../ops.js';
import { ATTENTION_KERNELS } from './kernels-attention.js';
import { COMPUTE_KERNELS } from './kernels-compute.js';
import { CONTROL_KERNELS } from './kernels-control.js';
import type { KernelTable } from './kernel-types.js';
import { MOVEMENT_KERNELS } from './kernels-movement.js';
import { MULTIMAP_KERNELS } from './kernels-multimap.js';
import { QUANT_KERNELS } from './kernels-quant.js';
import { STRING_KERNELS } from './kernels-strings.js';

export const KERNELS: KernelTable<OpKind> = { ...COMPUTE_KERNELS, ...MULTIMAP_KERNELS, ...ATTENTION_KERNELS, ...MOVEMENT_KERNELS, ...QUANT_KERNELS, ...CONTROL_KERNELS, ...STRING_KERNELS };
