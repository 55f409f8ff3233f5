// Assembles the wasm module: imported memory of a fixed size, one function per kernel, `run` calling them
// in order, host math imports as used. Built with binaryen, validated, optimized (-O2), emitted.

import binaryen from 'binaryen';
import { CompileError } from '@tensorc/ir';
import { emitGather, emitGemm, emitSoftmax } from './emit-kernels.js';
import { emitArgReduce, emitGatherElements } from './emit-index-kernels.js';
import { emitTopK } from './emit-topk.js';
import { emitNest } from './emit-nest.js';
import { MathImports, addScalarHelpers } from './emit-scalar.js';
import type { MemoryLayout } from './memory-plan.js';
import { addWasmMath } from './wasm-math.js';

export const PAGE = 65536;

/** `exportKernels` also exports every kernel function by name (for profiling tools). */
export function emitModule(layout: MemoryLayout, exportKernels = false): { wasm: Uint8Array; pages: number; mathImports: string[] } {
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt | binaryen.Features.BulkMemory);
    const pages = Math.max(1, Math.ceil(layout.totalBytes / PAGE));
    m.setMemory(pages, pages, null, [], false, false, '0');
    m.addMemoryImport('0', 'env', 'memory');
    const math = new MathImports(m);
    addWasmMath(m);
    addScalarHelpers(m, math);
    const address = (id: number) => {
      const a = layout.address.get(id);
      if (a === undefined) throw new CompileError('INTERNAL', `backend: buffer %${id} has no address`);
      return a;
    };
    for (const k of layout.kernels) {
      try {
        switch (k.kind) {
          case 'nest': emitNest(m, math, k, address); break;
          case 'softmax': emitSoftmax(m, math, k, address); break;
          case 'gather': emitGather(m, k, address); break;
          case 'gemm': emitGemm(m, math, k, address); break;
          case 'gather_elements': emitGatherElements(m, k, address); break;
          case 'argreduce': emitArgReduce(m, k, address); break;
          case 'topk': emitTopK(m, k, address); break;
        }
      } catch (e) {
        if (e instanceof CompileError) throw e;
        // binaryen reports misuse by aborting with a non-Error object; say which kernel it was.
        throw new CompileError('INTERNAL', `backend: binaryen failed while emitting kernel ${k.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    m.addFunction('run', binaryen.none, binaryen.none, [], m.block(null, layout.kernels.map((k) => m.call(k.name, [], binaryen.none))));
    m.addFunctionExport('run', 'run');
    // Exporting the memory keeps its import alive through optimization even when no kernel touches memory.
    m.addMemoryExport('0', 'memory');
    if (exportKernels) for (const k of layout.kernels) m.addFunctionExport(k.name, k.name);
    if (!m.validate()) throw new CompileError('INTERNAL', 'backend: generated module does not validate');
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(1);
    m.optimize();
    return { wasm: m.emitBinary(), pages, mathImports: [...math.used].sort() };
  } finally {
    m.dispose();
  }
}
