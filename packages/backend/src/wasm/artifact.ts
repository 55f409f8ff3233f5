// The compiled artifact (model.wasm + manifest.json + weights.bin, format "tensorc-wasm" v1 as defined in
// @tensorc/runtime's manifest.ts) and the entry point that builds it from an IR graph.

import fs from 'node:fs';
import path from 'node:path';
import { type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, runPipeline, verify } from '@tensorc/ir';
import type { ArtifactManifest } from '@tensorc/runtime';
import { emitModule } from './emit-module.js';
import { lowerGraph } from './lower.js';
import { planMemory } from './memory-plan.js';

export interface Artifact {
  readonly manifest: ArtifactManifest;
  readonly wasm: Uint8Array;
  readonly weights: Uint8Array;
  /** Writes model.wasm, manifest.json and weights.bin into `dir` (created if needed). */
  save(dir: string): Promise<void>;
}

export interface BackendOptions {
  /** Run the optimization pipeline (simplification and epilogue fusion) first (default true). */
  readonly simplify?: boolean;
  readonly modelName?: string;
}

export function compileGraph(graph: Graph, opts: BackendOptions = {}): Artifact {
  const g = opts.simplify === false ? graph : runPipeline(graph, OPTIMIZE_PIPELINE).graph;
  verify(g);
  const plan = lowerGraph(g);
  const consts = new Map<ValueId, HostTensor>();
  for (const n of g.nodes) if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
  const layout = planMemory(g, plan, consts);
  const { wasm, pages } = emitModule(layout);
  const manifest: ArtifactManifest = {
    format: 'tensorc-wasm',
    version: 1,
    producer: 'tensorc 0.1.0',
    ...(opts.modelName ? { modelName: opts.modelName } : {}),
    inputs: layout.inputs.map((i) => ({ name: i.name, dtype: i.type.dtype as never, shape: i.type.shape as number[], offset: i.offset, byteLength: i.byteLength })),
    outputs: layout.outputs.map((o) => ({ name: o.name, dtype: o.type.dtype as never, shape: o.type.shape as number[], offset: o.offset, byteLength: o.byteLength })),
    memory: { pages, arena: layout.arena, peakBytes: layout.peakBytes },
    weights: { byteLength: layout.weights.length, offset: layout.weightsOffset, alignment: 16, tensors: layout.weightEntries },
    variants: [{ file: 'model.wasm', requires: ['simd128'] }],
    kernels: layout.kernels.map((k) => ({ name: k.name })),
  };
  const weights = layout.weights;
  return {
    manifest,
    wasm,
    weights,
    async save(dir: string) {
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.writeFile(path.join(dir, 'model.wasm'), wasm);
      await fs.promises.writeFile(path.join(dir, 'weights.bin'), weights);
      await fs.promises.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
    },
  };
}
