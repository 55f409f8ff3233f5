// Pass infrastructure and the passes.
export { type Pass, type PassStats, bump } from './pass.js';
export { FUSION_PASSES, NO_FUSE_PIPELINE, OPTIMIZE_PIPELINE, PASSES, SIMPLIFY_PIPELINE, passByName } from './registry.js';
export { type PassReport, type PipelineOptions, runPipeline } from './pipeline.js';
export { inRegions, topLevelOnly } from './in-regions.js';
export { CANONICAL_RULES, type Rule, type RuleContext, type Rewrite, applyRules } from './canonicalize.js';
export { substArgs } from './scalar-rewrite.js';
export { FOLD_ELEMENT_LIMIT } from './constfold.js';
export * from './graph-walk.js';
export { type LayoutPolicy, type PropagateLayoutOptions, makePropagateLayoutPass, propagateLayoutPass } from './propagate-layout.js';
