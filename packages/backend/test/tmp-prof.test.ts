import { it } from 'vitest';
import fs from 'node:fs';
import { importOnnx } from '@tensorc/frontend';
import { type HostTensor, type ValueId, SIMPLIFY_PIPELINE, runPipeline } from '@tensorc/ir';
import { hostMathImports } from '../../runtime/src/host-math.js';
import { lowerGraph } from '../src/wasm/lower.js';
import { planMemory } from '../src/wasm/memory-plan.js';
import { emitModule } from '../src/wasm/emit-module.js';
it('prof', async () => {
  const name = process.env['MODEL'] ?? 'transformer_block';
  const g0 = importOnnx(new Uint8Array(fs.readFileSync(`/work/shared/bench-models/${name}.onnx`)));
  const g = runPipeline(g0, SIMPLIFY_PIPELINE).graph;
  const plan = lowerGraph(g);
  const consts = new Map<ValueId, HostTensor>();
  for (const n of g.nodes) if (n.op.kind === 'constant') consts.set(n.outputs[0]!.id, n.op.value);
  const layout = planMemory(g, plan, consts);
  const { wasm, pages } = emitModule(layout, true);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  new Uint8Array(memory.buffer).set(layout.weights, layout.weightsOffset);
  const { instance } = await WebAssembly.instantiate(wasm, { env: { memory }, math: hostMathImports() });
  const ex = instance.exports as Record<string, () => void>;
  for (let w = 0; w < 3; w++) ex['run']!();
  const rows: [string, number][] = [];
  for (const k of layout.kernels) {
    const t0 = performance.now();
    for (let r = 0; r < 5; r++) ex[k.name]!();
    rows.push([k.name + (k.kind === 'nest' ? ` ext=[${k.extents.join(',')}] r=${k.numOutLoops} ${JSON.stringify(k.combiner).slice(0, 80)} epi=${k.epilogue ? 'y' : 'n'}` : k.kind === 'gemm' ? ` ${k.batch}x${k.m}x${k.n}x${k.k} packed=${k.bPacked}` : ''), (performance.now() - t0) / 5]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  console.log(rows.slice(0, 15).map(([n, t]) => `${t.toFixed(3)} ms  ${n}`).join('\n'));
  console.log('total', rows.reduce((a, r) => a + r[1], 0).toFixed(2));
}, 120000);
