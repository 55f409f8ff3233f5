// How a model's kernels are split into the runtime's parallel steps (manifest `parallel`): a large GEMM is a
// step of its own whose iterations are its work units (row strips or column panels, see emit-gemm.ts);
// consecutive other kernels share one serial step, so a run of small kernels costs one barrier, not many.

import { gemmUnits } from './emit-gemm.js';
import type { Kernel } from './kernel-plan.js';

/** Below this many multiply-adds a GEMM runs inside a serial step: splitting it costs more than it saves. */
export const PARALLEL_MIN_MACS = 1 << 16;

export interface StepPlan {
  /** Kernel indices the step runs, in order. */
  readonly kernels: readonly number[];
  /** 1 for a serial step; the GEMM's unit count for a parallel one. */
  readonly iterations: number;
}

function isParallelGemm(k: Kernel, minMacs: number): boolean {
  return k.kind === 'gemm' && gemmUnits(k).total > 1 && k.batch * k.m * k.n * k.k >= minMacs;
}

/** `minMacs`: the smallest GEMM (in multiply-adds) worth a parallel step of its own. */
export function planSteps(kernels: readonly Kernel[], minMacs = PARALLEL_MIN_MACS): StepPlan[] {
  const steps: StepPlan[] = [];
  let serial: number[] = [];
  const flush = () => { if (serial.length > 0) steps.push({ kernels: serial, iterations: 1 }); serial = []; };
  kernels.forEach((k, i) => {
    if (k.kind === 'gemm' && isParallelGemm(k, minMacs)) {
      flush();
      steps.push({ kernels: [i], iterations: gemmUnits(k).total });
    } else {
      serial.push(i);
    }
  });
  flush();
  return steps;
}
