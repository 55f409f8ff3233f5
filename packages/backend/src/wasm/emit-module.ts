// Assembles the wasm module: imported memory of a fixed size, one function per kernel (and per kernel of an
// If or Loop region, emit-control.ts), `run` calling them in order, host math imports as used; threaded
// variants import shared memory and add `run_range`, which runs a slice of one parallel step
// (parallel-plan.ts). Built with binaryen, validated, optimized (-O2).

import binaryen from 'binaryen';
import { CompileError } from '@tensorc/ir';
import { emitGather, emitSoftmax, forLoop } from './emit-kernels.js';
import { emitIntGemm } from './emit-igemm.js';
import { emitGemm } from './emit-gemm.js';
import { emitDepthwise } from './emit-depthwise.js';
import { emitBorderedCopy } from './emit-bordered-copy.js';
import { emitAttention } from './emit-attention.js';
import { emitAttentionExact } from './emit-attention-exact.js';
import { kernelUnits } from './unit-kernels.js';
import { emitArgReduce, emitGatherElements } from './emit-index-kernels.js';
import { emitTopK } from './emit-topk.js';
import { emitCumulative } from './emit-cumulative.js';
import { emitGatherNd } from './emit-gather-nd.js';
import { emitScatter } from './emit-scatter.js';
import { emitLayerNorm } from './emit-layernorm.js';
import { emitNest } from './emit-nest.js';
import { canVectorizeNest, emitNestSimd } from './emit-nest-simd.js';
import { MathImports, addScalarHelpers } from './emit-scalar.js';
import type { MemoryLayout } from './memory-plan.js';
import type { Kernel, LoopNestKernel } from './kernel-plan.js';
import { emitControl } from './emit-control.js';
import { addWasmMath } from './wasm-math.js';
import { addVectorMath } from './wasm-vector-math.js';
import { type StepPlan, planSteps } from './parallel-plan.js';

export const PAGE = 65536;

export interface EmitOptions {
  /** Relaxed SIMD code (f32x4.relaxed_madd in the GEMM). */
  readonly relaxed?: boolean;
  /**
   * Transcendental functions (exp, erf, sigmoid in softmax and GEMM epilogues) in float64 scalar code that
   * rounds exactly as the reference interpreter, instead of the float32 SIMD approximations (a few ulp).
   * For tests that compare bit for bit across discontinuities (a float cast to int); slower.
   */
  readonly exactMath?: boolean;
  /** Shared memory and a `run_range` export for the runtime's worker threads. */
  readonly threaded?: boolean;
  /** The smallest GEMM (multiply-adds) given a parallel step (default PARALLEL_MIN_MACS). */
  readonly parallelMinMacs?: number;
  /** Also export every kernel by name as a function of no arguments (for profiling tools). */
  readonly exportKernels?: boolean;
}

/** Calls `run` makes to a kernel of units (see there): few enough to cost nothing, enough to leave baseline code early. */
const RUN_SLICES = 16;

export function emitModule(layout: MemoryLayout, opts: EmitOptions = {}): { wasm: Uint8Array; pages: number; mathImports: string[] } {
  const m = new binaryen.Module();
  const relaxed = opts.relaxed ?? false;
  const threaded = opts.threaded ?? false;
  try {
    const F = binaryen.Features;
    m.setFeatures(F.MVP | F.SIMD128 | F.NontrappingFPToInt | F.SignExt | F.BulkMemory | F.BulkMemoryOpt | (relaxed ? F.RelaxedSIMD : 0) | (threaded ? F.Atomics : 0));
    const pages = Math.max(1, Math.ceil(layout.totalBytes / PAGE));
    m.setMemory(pages, pages, null, [], threaded, false, '0');
    m.addMemoryImport('0', 'env', 'memory');
    const math = new MathImports(m);
    addWasmMath(m);
    addVectorMath(m, relaxed);
    addScalarHelpers(m, math);
    const address = (id: number) => {
      const a = layout.address.get(id);
      if (a === undefined) throw new CompileError('INTERNAL', `backend: buffer %${id} has no address`);
      return a;
    };
    const emitKernel = (k: Kernel): void => {
      try {
        switch (k.kind) {
          case 'nest': if (canVectorizeNest(k)) emitNestSimd(m, math, k, address); else emitNest(m, math, k, address); break;
          case 'softmax': emitSoftmax(m, math, k, address, opts.exactMath ?? false); break;
          case 'gather': emitGather(m, k, address); break;
          case 'gemm': emitGemm(m, math, k, address, { relaxed, exactMath: opts.exactMath ?? false }); break;
          case 'gather_elements': emitGatherElements(m, k, address); break;
          case 'argreduce': emitArgReduce(m, k, address); break;
          case 'topk': emitTopK(m, k, address); break;
          case 'cumulative': emitCumulative(m, k, address); break;
          case 'scatter': emitScatter(m, k, address); break;
          case 'gather_nd': emitGatherNd(m, k, address); break;
          case 'layernorm': emitLayerNorm(m, k, address); break;
          case 'depthwise': emitDepthwise(m, math, k, address, { relaxed, exactMath: opts.exactMath ?? false }); break;
          case 'attention': if (opts.exactMath) emitAttentionExact(m, math, k, address); else emitAttention(m, math, k, address, relaxed); break;
          case 'bordered_copy': emitBorderedCopy(m, k, address); break;
          case 'igemm': emitIntGemm(m, math, k, address, opts.exactMath ?? false); break;
          case 'if': case 'loop': emitControl(m, k, address, emitKernel, callKernel); break;
        }
      } catch (e) {
        if (e instanceof CompileError) throw e;
        // binaryen reports misuse by aborting with a non-Error object; say which kernel it was.
        throw new CompileError('INTERNAL', `backend: binaryen failed while emitting kernel ${k.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    // A GEMM takes a unit range; elsewhere (run, serial steps, If/Loop regions) it gets all of its units.
    const callKernel = (k: Kernel) => m.call(k.name, kernelUnits(k) !== undefined ? [m.i32.const(0), m.i32.const(kernelUnits(k)!), m.i32.const(0)] : [], binaryen.none);
    const callWhole = (i: number) => callKernel(layout.kernels[i]!);
    for (const k of layout.kernels) emitKernel(k);
    // run: a kernel of units is called over RUN_SLICES slices of them, not once. Engines start a module on
    // baseline code and use optimized code from the next call on (V8 has no on-stack replacement for wasm): a
    // kernel called once would run a session's whole first run on baseline code, 3-5x slower (cnn_224's first
    // run in a fresh process: 160-175 ms, 53-66 ms in slices; later runs the same).
    const sliceStart = 0; // run's local: the first unit of the slice being called
    const inSlices = (k: Kernel): binaryen.ExpressionRef => {
      const n = kernelUnits(k);
      if (n === undefined || n < 2) return callKernel(k);
      const size = Math.ceil(n / Math.min(n, RUN_SLICES));
      const end = () => m.i32.add(m.local.get(sliceStart, binaryen.i32), m.i32.const(size));
      return forLoop(m, `${k.name}_slices`, sliceStart, m.i32.const(0), () => m.i32.const(n), size, [
        m.call(k.name, [m.local.get(sliceStart, binaryen.i32), m.select(m.i32.lt_s(end(), m.i32.const(n)), end(), m.i32.const(n)), m.i32.const(0)], binaryen.none),
      ]);
    };
    m.addFunction('run', binaryen.none, binaryen.none, [binaryen.i32], m.block(null, layout.kernels.map(inSlices)));
    m.addFunctionExport('run', 'run');
    // init: run once by the runtime when a session is created, before any run (and before worker threads start)
    if (layout.initKernels.length > 0) {
      for (const k of layout.initKernels) emitKernel(k);
      m.addFunction('init', binaryen.none, binaryen.none, [], m.block(null, layout.initKernels.map(callKernel)));
      m.addFunctionExport('init', 'init');
    }
    const emitNestKernel = (k: LoopNestKernel) => (canVectorizeNest(k) ? emitNestSimd(m, math, k, address) : emitNest(m, math, k, address));
    if (threaded) addRunRange(m, planSteps(layout.kernels, opts.parallelMinMacs), layout, callWhole, emitNestKernel);
    // Exporting the memory keeps its import alive through optimization even when no kernel touches memory.
    m.addMemoryExport('0', 'memory');
    // every kernel as a function of no arguments (a unit-range kernel over all its units), so a tool can time
    // each in turn: calling them in order does the work of `run`
    if (opts.exportKernels) {
      for (const k of layout.kernels) {
        const internal = kernelUnits(k) === undefined ? k.name : `${k.name}$all`;
        if (internal !== k.name) m.addFunction(internal, binaryen.none, binaryen.none, [], callKernel(k));
        m.addFunctionExport(internal, k.name);
      }
    }
    if (!m.validate()) throw new CompileError('INTERNAL', 'backend: generated module does not validate');
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(1);
    // kernels stay functions of their own (binaryen would inline one called once into `run`): see RUN_SLICES
    const oneCaller = binaryen.getOneCallerInlineMaxSize();
    binaryen.setOneCallerInlineMaxSize(binaryen.getFlexibleInlineMaxSize());
    try {
      m.optimize();
    } finally {
      binaryen.setOneCallerInlineMaxSize(oneCaller);
    }
    return { wasm: m.emitBinary(), pages, mathImports: [...math.used].sort() };
  } finally {
    m.dispose();
  }
}

/** run_range(step, begin, end, worker): a br_table over the steps; a parallel GEMM step runs units [begin, end). */
function addRunRange(m: binaryen.Module, steps: readonly StepPlan[], layout: MemoryLayout, callWhole: (i: number) => binaryen.ExpressionRef,
  emitNestKernel: (k: LoopNestKernel) => void): void {
  const get = (i: number) => m.local.get(i, binaryen.i32);
  const code = steps.map((s, n) => {
    if (s.slices) {
      // iterations [begin, end) of a sliced nest: slice t is its own function
      for (const slice of s.slices) emitNestKernel(slice);
      const t = 4; // local: the slice index
      return m.block(`slices${n}_exit`, [
        m.local.set(t, get(1)),
        m.br_if(`slices${n}_exit`, m.i32.ge_s(get(t), get(2))),
        m.loop(`slices${n}`, m.block(null, [
          ...s.slices.map((slice, i) => m.if(m.i32.eq(get(t), m.i32.const(i)), m.call(slice.name, [], binaryen.none))),
          m.local.set(t, m.i32.add(get(t), m.i32.const(1))),
          m.br_if(`slices${n}`, m.i32.lt_s(get(t), get(2))),
        ])),
      ]);
    }
    return s.iterations > 1
      ? m.call(layout.kernels[s.kernels[0]!]!.name, [get(1), get(2), get(3)], binaryen.none)
      : m.block(null, s.kernels.map(callWhole));
  });
  const labels = steps.map((_, i) => `step${i}`);
  let cur = m.block(labels[0] ?? 'done', [m.switch(labels, 'done', get(0))]);
  steps.forEach((_, i) => {
    cur = m.block(i === steps.length - 1 ? 'done' : labels[i + 1]!, [cur, code[i]!, m.br('done')]);
  });
  if (steps.length === 0) cur = m.nop();
  m.addFunction('run_range', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, [binaryen.i32], cur);
  m.addFunctionExport('run_range', 'run_range');
}
