// Every pass, in one explicit registry (no registration by import side effect), and the named pipelines.

import { canonicalizePass } from './canonicalize.js';
import { constFoldPass } from './constfold.js';
import { csePass } from './cse.js';
import { dcePass } from './dce.js';
import { foldAffinePass } from './fold-affine.js';
import { foldAffineProloguePass } from './fold-affine-prologue.js';
import { foldDequantIntoContractPass } from './fold-dequant-into-contract.js';
import { foldMovementIntoContractPass } from './fold-movement-into-contract.js';
import { foldPadIntoContractPass } from './fold-pad-into-contract.js';
import { mergeSiblingContractionsPass } from './merge-sibling-contractions.js';
import { propagateLayoutPass } from './propagate-layout.js';
import { quantAsMapPass } from './quant-as-map.js';
import { fuseElementwisePass } from './fuse-elementwise.js';
import { fuseEpiloguePass } from './fuse-epilogue.js';
import { fuseMultiOutputPass } from './fuse-multi-output.js';
import { fuseReductionPass } from './fuse-reduction.js';
import { inRegions } from './in-regions.js';
import type { Pass } from './pass.js';
import { recognizeAttentionPass } from './recognize-attention.js';
import { recognizeSoftmaxPass } from './recognize-softmax.js';

export const PASSES: readonly Pass[] = [canonicalizePass, constFoldPass, csePass, dcePass, fuseEpiloguePass, fuseElementwisePass, foldAffinePass, foldAffineProloguePass,
  fuseReductionPass, recognizeSoftmaxPass, foldMovementIntoContractPass, foldPadIntoContractPass, propagateLayoutPass, recognizeAttentionPass, fuseMultiOutputPass, mergeSiblingContractionsPass, quantAsMapPass, foldDequantIntoContractPass].map(inRegions);

/** Passes that merge kernels (left out by NO_FUSE_PIPELINE). */
export const FUSION_PASSES: ReadonlySet<string> = new Set(['recognize-softmax', 'recognize-attention', 'fuse-elementwise', 'fuse-multi-output', 'fuse-reduction', 'fuse-epilogue', 'fold-affine', 'fold-affine-prologue', 'fold-movement-into-contract', 'fold-pad-into-contract', 'merge-sibling-contractions', 'fold-dequant-into-contract']);

export function passByName(name: string): Pass | undefined {
  return PASSES.find((p) => p.name === name);
}

// Every registered pass also rewrites region bodies (in-regions.ts), and so does every pipeline below.

/** The default simplification pipeline: quantize / dequantize as maps (so fusion sees them), simplify, fold, then clean up. */
export const SIMPLIFY_PIPELINE: readonly Pass[] = [quantAsMapPass, canonicalizePass, constFoldPass, canonicalizePass, csePass, dcePass].map(inRegions);

/**
 * The default optimization pipeline: quantize / dequantize as maps, large quantized weights kept as codes read by
 * their matrix product (fold-dequant-into-contract, before constant folding would expand them); simplify; recognize spelled-out softmax; merge elementwise maps; let sums
 * absorb the maps they reduce; fuse elementwise consumers into contractions as epilogues; fold per-channel
 * affine epilogues and prologues (BatchNorm after or before a contraction) into constant weights; read windowed operands through their explicit Pads; compute convolution chains in
 * NHWC where that removes boundary transposes; read contract operands through transposes and head splits;
 * fuse QKᵀ -> softmax -> PV into one attention op; merge projections of one activation (Q, K, V) into one;
 * compute maps left apart that read one another or one input in one multi-result pass.
 */
export const OPTIMIZE_PIPELINE: readonly Pass[] = [
  quantAsMapPass, foldDequantIntoContractPass, dcePass, ...SIMPLIFY_PIPELINE, recognizeSoftmaxPass, dcePass, fuseElementwisePass, fuseReductionPass, fuseEpiloguePass, foldAffinePass, foldAffineProloguePass, foldPadIntoContractPass, propagateLayoutPass, foldMovementIntoContractPass, recognizeAttentionPass, mergeSiblingContractionsPass, fuseMultiOutputPass, dcePass,
].map(inRegions);

/** OPTIMIZE_PIPELINE without the fusion passes (for comparisons and the CLI's --no-fuse). */
export const NO_FUSE_PIPELINE: readonly Pass[] = OPTIMIZE_PIPELINE.filter((p) => !FUSION_PASSES.has(p.name));
