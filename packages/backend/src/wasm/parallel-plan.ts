// How a model's kernels are split into the runtime's parallel steps (manifest `parallel`): a large GEMM or
// depthwise convolution is a step of its own whose iterations are its work units (unit-kernels.ts); a
// large loop nest is a step of NEST_CHUNKS iterations, each a copy of the nest over a slice of its first
// non-trivial output loop (disjoint outputs, so the slices need no synchronization); consecutive other
// kernels share one serial step, so a run of small kernels costs one barrier, not many.

import { type Kernel, type LoopNestKernel, subNest } from './kernel-plan.js';
import { canVectorizeNest } from './emit-nest-simd.js';
import { kernelMacs, kernelUnits } from './unit-kernels.js';

/** Slices of a parallel loop nest: enough for the workers to balance, few enough to keep the code small. */
export const NEST_CHUNKS = 8;

/**
 * Below this many multiply-adds (about 25 microseconds on one core) a GEMM runs inside a serial step: a
 * barrier between workers costs some microseconds, so splitting smaller work loses more than it gains.
 */
export const PARALLEL_MIN_MACS = 1 << 18;
/** The same threshold for loop nests, in loop points (a few nanoseconds each). */
export const PARALLEL_MIN_POINTS = 1 << 17;

export interface StepPlan {
  /** Kernel indices the step runs, in order. */
  readonly kernels: readonly number[];
  /** 1 for a serial step; the GEMM's unit count or the number of nest slices for a parallel one. */
  readonly iterations: number;
  /** For a sliced loop nest: one kernel per iteration. */
  readonly slices?: readonly LoopNestKernel[];
}

/**
 * The nest cut into up to `n` slices along its first output loop of extent >= 2, or undefined when it has
 * no such loop or fewer than `minPoints` loop points (then splitting costs more than it saves).
 */
export function sliceNest(k: LoopNestKernel, n: number, minPoints: number): LoopNestKernel[] | undefined {
  const l = k.extents.slice(0, k.numOutLoops).findIndex((e) => e >= 2);
  if (l < 0 || k.extents.reduce((p, e) => p * e, 1) < minPoints) return undefined;
  const ext = k.extents[l]!;
  // vector code runs along the last output loop: slices of it keep 4 points or more, else they run as scalar code
  const most = l === k.numOutLoops - 1 && canVectorizeNest(k) ? Math.floor(ext / 4) : ext;
  if (Math.min(n, most) < 2) return undefined;
  const size = Math.ceil(ext / Math.min(n, most));
  const slices: LoopNestKernel[] = [];
  for (let start = 0; start < ext; start += size) {
    const len = Math.min(size, ext - start);
    slices.push(subNest(k, l, start, len, `${k.name}_s${slices.length}`));
  }
  return slices;
}

/** A GEMM or depthwise convolution of two or more units and at least `minMacs` multiply-adds. */
function isParallelUnits(k: Kernel, minMacs: number): boolean {
  return (kernelUnits(k) ?? 0) > 1 && kernelMacs(k) >= minMacs;
}

/**
 * `minWork`: the smallest GEMM (in multiply-adds) and loop nest (in points) worth a parallel step of its own;
 * by default PARALLEL_MIN_MACS and PARALLEL_MIN_POINTS (tests pass 0 to split everything splittable).
 */
export function planSteps(kernels: readonly Kernel[], minWork?: number): StepPlan[] {
  const minMacs = minWork ?? PARALLEL_MIN_MACS;
  const minPoints = minWork ?? PARALLEL_MIN_POINTS;
  const steps: StepPlan[] = [];
  let serial: number[] = [];
  const flush = () => { if (serial.length > 0) steps.push({ kernels: serial, iterations: 1 }); serial = []; };
  kernels.forEach((k, i) => {
    if (isParallelUnits(k, k.kind === 'bordered_copy' ? minPoints : minMacs)) {
      flush();
      steps.push({ kernels: [i], iterations: kernelUnits(k)! });
      return;
    }
    const slices = k.kind === 'nest' ? sliceNest(k, NEST_CHUNKS, minPoints) : undefined;
    if (slices && slices.length > 1) {
      flush();
      steps.push({ kernels: [i], iterations: slices.length, slices });
    } else {
      serial.push(i);
    }
  });
  flush();
  return steps;
}
