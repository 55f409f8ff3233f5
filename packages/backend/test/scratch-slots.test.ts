// Per-worker scratch slots sized by the thread cap (BackendOptions.maxThreads, scratch-slots.ts): each
// implicit-GEMM convolution and attention kernel reserves exactly `cap` slots (one without threaded
// variants), the manifest's maxThreads never exceeds the cap, a session asking for more threads runs on the
// cap with correct results, and a worker index past the last slot traps instead of writing past the buffer.

import { describe, expect, it } from 'vitest';
import { CompileError, GraphBuilder, type Graph, type HostTensor, OPTIMIZE_PIPELINE, interpret, runPipeline, tensorType } from '@tensorc/ir';
import { InferenceSession } from '@tensorc/runtime';
import { compileGraph, lowerGraph } from '../src/index.js';
import { scratchSlotBytes } from '../src/wasm/emit-gemm.js';
import { DEFAULT_MAX_THREADS } from '../src/wasm/scratch-slots.js';
import { toTensor } from './feeds.js';
import { buildAttention } from '../../ir/test/attention-arbitraries.js';

const wave = (n: number, f: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * f) * 2));

function convGraph(): { graph: Graph; feeds: Record<string, HostTensor> } {
  const b = new GraphBuilder();
  const x = b.input('x', tensorType('float32', [1, 4, 20, 20]));
  const w = b.constant({ dtype: 'float32', shape: [8, 4, 3, 3], data: wave(288, 0.7) });
  b.output('y', b.conv({ x, w, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 }));
  return { graph: b.build(), feeds: { x: { dtype: 'float32', shape: [1, 4, 20, 20], data: wave(1600, 0.31) } } };
}

function attentionGraph(): { graph: Graph; feeds: Record<string, HostTensor> } {
  const c = buildAttention({ batch: 2, heads: 3, sq: 40, sk: 24, d: 8, layout: 1, scale: 1, mask: 0, seed: 3 });
  return { graph: runPipeline(c.graph, OPTIMIZE_PIPELINE).graph, feeds: c.feeds };
}

/** Scratch buffers of the plan with their element counts and the slot size (bytes) they hold. */
function scratches(g: Graph, slots?: number): { elements: number; slotBytes: number; kernelSlots: number }[] {
  const plan = lowerGraph(g, slots === undefined ? {} : { scratchSlots: slots });
  const size = (id: number) => (plan.types.get(id)!.shape as number[]).reduce((a, b) => a * b, 1);
  return plan.kernels.flatMap((k) => {
    if (k.kind === 'gemm' && k.bScratch !== undefined) return [{ elements: size(k.bScratch), slotBytes: scratchSlotBytes(k), kernelSlots: k.scratchSlots! }];
    if (k.kind === 'attention') return [{ elements: size(k.scratch), slotBytes: k.slotBytes, kernelSlots: k.slots }];
    return [];
  });
}

describe('scratch slots by the thread cap', () => {
  for (const [name, make] of [['convolution', convGraph], ['attention', attentionGraph]] as const) {
    it(`${name}: one slot per thread of the cap, and the manifest's maxThreads within it`, () => {
      const { graph } = make();
      for (const cap of [undefined, 1, 3, 8, 32]) {
        const s = scratches(graph, cap);
        expect(s.length).toBe(1);
        expect(s[0]!.kernelSlots).toBe(cap ?? DEFAULT_MAX_THREADS);
        expect(s[0]!.elements * 4).toBe((cap ?? DEFAULT_MAX_THREADS) * s[0]!.slotBytes);
        if (cap === undefined) continue;
        const par = compileGraph(graph, { maxThreads: cap, parallelMinMacs: 0 }).manifest.parallel!;
        expect(par.maxThreads).toBe(Math.min(cap, Math.max(...par.steps.map((st) => st.iterations))));
      }
    });
  }

  it('a smaller cap means a smaller memory plan for attention', () => {
    const { graph } = attentionGraph();
    const peak = (maxThreads: number) => compileGraph(graph, { maxThreads }).manifest.memory.peakBytes;
    expect(peak(2)).toBeLessThan(peak(32));
  });

  it('a session asking for more threads than the cap runs on the cap, says so, and gives the right results', async () => {
    for (const { graph, feeds } of [convGraph(), attentionGraph()]) {
      const want = interpret(graph, feeds);
      const art = compileGraph(graph, { maxThreads: 2, parallelMinMacs: 0 });
      expect(art.manifest.parallel!.maxThreads).toBe(2);
      const warnings: string[] = [];
      const s = await InferenceSession.create(art, { numThreads: 4, onWarning: (m) => warnings.push(m) });
      await s.threadsReady();
      try {
        expect(s.numThreads).toBe(2);
        expect(warnings.join('\n')).toMatch(/numThreads=4 was requested, but this artifact runs on at most 2 threads/);
        const got = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTensor(v)])));
        for (const [k, w] of Object.entries(want)) {
          const t = w as HostTensor;
          t.data.forEach((y, i) => expect(Math.abs(Number(got[k]!.data[i]) - Number(y))).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(Number(y)))));
        }
      } finally {
        await s.release();
      }
    }
  }, 60_000);

  it('a worker index past the last slot traps instead of writing past the scratch', async () => {
    for (const { graph } of [convGraph(), attentionGraph()]) {
      const cap = 3;
      const art = compileGraph(graph, { maxThreads: cap, parallelMinMacs: 0 });
      const steps = art.manifest.parallel!.steps;
      const step = steps.findIndex((s) => /_(conv_gemm|attention)$/.test(s.kernel));
      expect(step).toBeGreaterThanOrEqual(0);
      const module = await WebAssembly.compile(art.wasmVariants['model.mt.wasm']!);
      const memory = new WebAssembly.Memory({ initial: art.manifest.memory.pages, maximum: art.manifest.memory.pages, shared: true });
      const math = Object.fromEntries(WebAssembly.Module.imports(module).filter((i) => i.module === 'math').map((i) => [i.name, (x: number) => x]));
      const inst = await WebAssembly.instantiate(module, { env: { memory }, math });
      const runRange = inst.exports['run_range'] as (step: number, begin: number, end: number, worker: number) => void;
      expect(() => runRange(step, 0, 1, cap - 1)).not.toThrow();
      expect(() => runRange(step, 0, 1, cap)).toThrow(WebAssembly.RuntimeError);
    }
  });

  it('a cap that is not a positive integer is a CompileError', () => {
    const { graph } = convGraph();
    for (const bad of [0, -2, 1.5]) expect(() => compileGraph(graph, { maxThreads: bad })).toThrow(CompileError);
  });
});
