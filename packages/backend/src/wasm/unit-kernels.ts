// Kernels whose function takes a range of independent work units and a worker, `(begin, end, worker)`:
// the GEMM (row strips or column panels), the depthwise convolution (output planes), attention (blocks of
// query rows, lower-attention.ts), the bordered copy (output rows) and LayerNorm (rows). `run` calls them over
// slices of their units (emit-module.ts RUN_SLICES); a threaded variant gives each a parallel step of its own
// when the work is large enough.

import { borderedCopyUnits } from './emit-bordered-copy.js';
import { depthwiseUnits } from './emit-depthwise.js';
import { attentionMacs, attentionUnits } from './lower-attention.js';
import { gemmUnits } from './emit-gemm.js';
import type { Kernel } from './kernel-plan.js';

/** The unit count of a unit-range kernel, undefined for the other kernels (they take no arguments). */
export function kernelUnits(k: Kernel): number | undefined {
  if (k.kind === 'gemm') return gemmUnits(k).total;
  if (k.kind === 'depthwise') return depthwiseUnits(k);
  if (k.kind === 'attention') return attentionUnits(k);
  if (k.kind === 'bordered_copy') return borderedCopyUnits(k);
  if (k.kind === 'layernorm') return k.rows;
  return undefined;
}

/** Multiply-adds of a unit-range kernel (0 for others): what decides whether splitting it pays. */
export function kernelMacs(k: Kernel): number {
  if (k.kind === 'gemm') return k.batch * k.m * k.n * k.k;
  if (k.kind === 'depthwise') return k.batch * k.channels * k.mult * k.oh * k.ow * k.kh * k.kw;
  if (k.kind === 'attention') return attentionMacs(k);
  // a copied element costs about what a loop-nest point does: parallel-plan.ts compares this with its nest threshold
  if (k.kind === 'bordered_copy') return k.planes * k.hp * k.wp;
  // about 3 ns per element (three scalar passes, float64 sums; transformer_block's 128 x 256 rows: 0.1 ms),
  // the time of some 30 multiply-adds in a GEMM
  if (k.kind === 'layernorm') return 30 * k.rows * k.n;
  return 0;
}
