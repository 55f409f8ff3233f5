// Every pass, in one explicit registry (no registration by import side effect), and the named pipelines.

import { canonicalizePass } from './canonicalize.js';
import { constFoldPass } from './constfold.js';
import { csePass } from './cse.js';
import { dcePass } from './dce.js';
import { foldAffinePass } from './fold-affine.js';
import { fuseElementwisePass } from './fuse-elementwise.js';
import { fuseEpiloguePass } from './fuse-epilogue.js';
import type { Pass } from './pass.js';

export const PASSES: readonly Pass[] = [canonicalizePass, constFoldPass, csePass, dcePass, fuseEpiloguePass, fuseElementwisePass, foldAffinePass];

export function passByName(name: string): Pass | undefined {
  return PASSES.find((p) => p.name === name);
}

/** The default simplification pipeline: simplify, fold, then clean up. */
export const SIMPLIFY_PIPELINE: readonly Pass[] = [canonicalizePass, constFoldPass, canonicalizePass, csePass, dcePass];

/**
 * The default optimization pipeline: simplify, merge elementwise maps, fuse them into contractions as epilogues,
 * then fold per-channel affine epilogues (BatchNorm) into constant weights.
 */
export const OPTIMIZE_PIPELINE: readonly Pass[] = [...SIMPLIFY_PIPELINE, fuseElementwisePass, fuseEpiloguePass, foldAffinePass, dcePass];
