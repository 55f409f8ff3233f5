// Fusion inside control-flow bodies reaches the wasm backend: a Loop body computing relu(h @ W + b) with outer
// weights, and an elementwise chain, compiles to fewer kernels than with the passes on the top level only
// (topLevelOnly), and every code variant still matches the reference interpreter on the original graph.
// Also a Scan body (unrolled by the backend) and an If nested in the Loop body.

import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, type ValueId, arg, bin, lit, runPipeline, tensorType, topLevelOnly, un,
} from '@tensorc/ir';
import { lowerGraph } from '../src/index.js';
import type { Kernel } from '../src/wasm/kernel-plan.js';
import { unrollScans } from '../src/wasm/unroll-scan.js';
import { expectAllFlavoursAgree } from './variants-harness.js';

const F = (shape: number[]) => tensorType('float32', shape);
const f32 = (shape: number[], seed: number, scale = 1): HostTensor => ({
  dtype: 'float32', shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.7 + seed) * scale)),
});

/** Kernels of the lowered graph (Scans unrolled as the backend does), those inside If/Loop regions included. */
function kernelCount(g: Graph): number {
  const count = (ks: readonly Kernel[]): number => ks.reduce((s, k) => s + 1 + ('regions' in k ? (k.regions as readonly (readonly Kernel[])[]).reduce((t, r) => t + count(r), 0) : 0), 0);
  return count(lowerGraph(unrollScans(g)).kernels);
}

const relu = (b: GraphBuilder, v: ValueId) => b.map(bin('max', arg(0), lit(0, 'float32')), [v]);

/** h -> relu(h @ W + b) three times (W, b outer constants); scanned: 2 * tanh(h) - 1 as two maps; an If on the parity in the body. */
function loopGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', F([8, 16]));
  const w = b.constant(f32([16, 16], 3, 0.3));
  const bias = b.constant(f32([16], 4));
  const I64 = tensorType('int64', []);
  const body = b.region([I64, tensorType('bool', []), F([8, 16])], ([i, c, h]) => {
    const next = relu(b, b.map(bin('add', arg(0), arg(1)), [b.matmul(h!, w), bias]));
    const scanned = b.map(bin('sub', arg(0), lit(1, 'float32')), [b.map(bin('mul', un('tanh', arg(0)), lit(2, 'float32')), [next])]);
    const even = b.map(bin('eq', bin('mod', arg(0), lit(2n, 'int64')), lit(0n, 'int64')), [i!]);
    const thenBranch = b.region([], () => [b.map(un('neg', arg(0)), [b.map(bin('mul', arg(0), arg(0)), [next])])]);
    const elseBranch = b.region([], () => [next]);
    const [picked] = b.add({ kind: 'if', thenBranch, elseBranch }, [even]);
    return [c!, next, scanned, picked!];
  });
  const trips = b.constant({ dtype: 'int64', shape: [], data: BigInt64Array.of(3n) });
  const [last, all, picks] = b.add({ kind: 'loop', hasMaxTrip: true, hasCond: false, body }, [trips, x], [F([8, 16]), F([3, 8, 16]), F([3, 8, 16])]);
  b.output('last', last!);
  b.output('all', all!);
  b.output('picks', picks!);
  return b.build();
}

/** A Scan over the rows of xs: state s -> relu(s @ W + row) (W outer), scanned s * 0.5 + 1 as two maps. */
function scanGraph(): Graph {
  const b = new GraphBuilder();
  const xs = b.input('xs', F([4, 2, 8]));
  const s0 = b.input('s0', F([2, 8]));
  const w = b.constant(f32([8, 8], 5, 0.4));
  const body = b.region([F([2, 8]), F([2, 8])], ([s, row]) => {
    const next = relu(b, b.map(bin('add', arg(0), arg(1)), [b.matmul(s!, w), row!]));
    return [next, b.map(bin('add', arg(0), lit(1, 'float32')), [b.map(bin('mul', arg(0), lit(0.5, 'float32')), [next])])];
  });
  const [fin, ys] = b.add({ kind: 'scan', numScanInputs: 1, scanInputAxes: [0], scanInputReverse: [false], scanOutputAxes: [0], scanOutputReverse: [false], body },
    [s0, xs], [F([2, 8]), F([4, 2, 8])]);
  b.output('fin', fin!);
  b.output('ys', ys!);
  return b.build();
}

/** Kernels the region-aware pipeline saves over the same passes on the top level only (logged). */
function kernelsSaved(g: Graph, name: string): number {
  const fused = runPipeline(g, OPTIMIZE_PIPELINE, { verifyEach: true }).graph;
  const topOnly = runPipeline(g, OPTIMIZE_PIPELINE.map(topLevelOnly), { verifyEach: true }).graph;
  const [n, before] = [kernelCount(fused), kernelCount(topOnly)];
  console.log(`[region fusion] ${name}: ${before} kernels with top-level passes only, ${n} with region bodies optimized`);
  return before - n;
}

describe('fusion inside control-flow bodies, compiled', () => {
  it('a Loop body with matmul + bias + ReLU (and an If nested in it) compiles to fewer kernels and matches the interpreter', async () => {
    const g = loopGraph();
    // body: contract + 2 maps -> 1 contraction; 2 maps -> 1; the If's then branch: 2 maps -> 1
    expect(kernelsSaved(g, 'loop graph')).toBeGreaterThanOrEqual(4);
    const names = await expectAllFlavoursAgree(g, { x: f32([8, 16], 1) }, 1e-5);
    expect(names.some((k) => k.endsWith('_loop'))).toBe(true);
  }, 180_000);

  it('a Scan body (unrolled by the backend) fuses its GEMM epilogue and maps, and matches the interpreter', async () => {
    const g = scanGraph();
    expect(kernelsSaved(g, 'scan graph')).toBeGreaterThanOrEqual(4 * 2); // per row: contract + 2 maps -> 1, 2 maps -> 1
    await expectAllFlavoursAgree(g, { xs: f32([4, 2, 8], 2), s0: f32([2, 8], 6) }, 1e-5);
  }, 180_000);
});
