// Times single convolution layers (3x3 or 1x1 conv + bias + ReLU, optionally followed by a 2x2 max pool) laid
// out NCHW (the implicit GEMM with gathered panels, the pool fused into it) and NHWC (the gather-free GEMM that
// reads windows in place; the pool fused too), each with its input already in that layout, and what a boundary
// transpose costs per element: the numbers behind propagate-layout's 'auto' rule. Interleaved runs in one
// process, median per layer.
// Run after `npx tsc -b` at the repository root:
//   node --experimental-wasm-relaxed-simd examples/nhwc-cnn/compare-layers.mjs [threads] [runs]

import { GraphBuilder, arg, bin, lit, tensorType } from '@tensorc/ir';
import { compileGraph } from '@tensorc/backend';
import { InferenceSession, Tensor } from '@tensorc/runtime';

const [threadsArg = '1', runsArg = '15'] = process.argv.slice(2);
const threads = Number(threadsArg);
const wave = (n, f) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f));
const idx = (i) => ({ terms: [{ idx: i, coeff: 1 }], offset: 0 });
const win = (o, r, s, p) => ({ terms: [{ idx: o, coeff: s }, { idx: r, coeff: 1 }], offset: -p });

// [name, C, M, H, k, stride, pad, pool]: cnn_224's three layers, then the layers of cnn_nhwc_56 (make-model.py)
const LAYERS = [
  ['cnn_224 conv1 + pool', 3, 32, 224, 3, 1, 1, true],
  ['cnn_224 conv2 + pool', 32, 64, 112, 3, 1, 1, true],
  ['cnn_224 conv3 + pool', 64, 128, 56, 3, 1, 1, true],
  ['cnn_224 conv1', 3, 32, 224, 3, 1, 1, false],
  ['cnn_224 conv2', 32, 64, 112, 3, 1, 1, false],
  ['cnn_224 conv3', 64, 128, 56, 3, 1, 1, false],
  ['56x56 16->32', 16, 32, 56, 3, 1, 1, false],
  ['56x56 32->32', 32, 32, 56, 3, 1, 1, false],
  ['56x56 32->64 stride 2', 32, 64, 56, 3, 2, 1, false],
  ['28x28 64->64 1x1', 64, 64, 28, 1, 1, 0, false],
];

function build(layout, [, C, M, H, k, s, p, pool]) {
  const O = Math.floor((H + 2 * p - k) / s) + 1;
  const b = new GraphBuilder();
  const relu = (y, bias) => b.map(bin('max', bin('add', arg(0), arg(1)), lit(0, 'float32')), [y, bias]);
  if (layout === 'nchw') {
    const x = b.input('x', tensorType('float32', [1, C, H, H]));
    const w = b.constant({ dtype: 'float32', shape: [M, C, k, k], data: wave(M * C * k * k, 0.7) });
    let y = relu(b.conv({ x, w, strides: [s, s], dilations: [1, 1], pads: [p, p, p, p], group: 1 }), b.constant({ dtype: 'float32', shape: [M, 1, 1], data: wave(M, 0.3) }));
    if (pool) {
      const map = [idx(0), idx(1), { terms: [{ idx: 2, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 3, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }];
      y = b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null }, [y], [tensorType('float32', [1, M, O / 2, O / 2])]);
    }
    b.output('y', y);
    return { g: b.build(), shape: [1, C, H, H] };
  }
  const x = b.input('x', tensorType('float32', [1, H, H, C]));
  const w = b.constant({ dtype: 'float32', shape: [M, C, k, k], data: wave(M * C * k * k, 0.7) });
  // loops n, oh, ow, m | kh, kw, c; weights read [m, c, kh, kw]
  const conv = b.add1({
    kind: 'contract', reductionExtents: [k, k, C], maps: [[idx(0), win(1, 4, s, p), win(2, 5, s, p), idx(6)], [idx(3), idx(6), idx(4), idx(5)]],
    padValues: [p > 0 ? 0 : null, null], combiner: bin('mul', arg(0), arg(1)), reducer: 'add', accDtype: 'float32', epilogue: null,
  }, [x, w], [tensorType('float32', [1, O, O, M])]);
  let y = relu(conv, b.constant({ dtype: 'float32', shape: [M], data: wave(M, 0.3) }));
  if (pool) {
    const map = [idx(0), { terms: [{ idx: 1, coeff: 2 }, { idx: 4, coeff: 1 }], offset: 0 }, { terms: [{ idx: 2, coeff: 2 }, { idx: 5, coeff: 1 }], offset: 0 }, idx(3)];
    y = b.add1({ kind: 'contract', reductionExtents: [2, 2], maps: [map], padValues: [-Infinity], combiner: arg(0), reducer: 'max', accDtype: 'float32', epilogue: null }, [y], [tensorType('float32', [1, O / 2, O / 2, M])]);
  }
  b.output('y', y);
  return { g: b.build(), shape: [1, H, H, C] };
}

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`layer | NCHW ms | NHWC ms | NHWC/NCHW | kernels NCHW ; NHWC   (${threads} thread(s))`);
for (const layer of LAYERS) {
  const runs = [];
  for (const layout of ['nchw', 'nhwc']) {
    const { g, shape } = build(layout, layer);
    const art = compileGraph(g, {});
    const session = await InferenceSession.create(art, { numThreads: threads });
    const x = new Tensor('float32', wave(shape.reduce((a, b) => a * b, 1), 0.31), shape);
    await session.run({ x });
    runs.push({ session, x, times: [], kernels: art.manifest.kernels.map((k) => k.name.replace(/^k\d+_/, '')).join(',') });
  }
  for (let i = 0; i < Number(runsArg); i++) for (const r of runs) { const t = performance.now(); await r.session.run({ x: r.x }); r.times.push(performance.now() - t); }
  const [a, c] = runs.map((r) => median(r.times));
  console.log(`${layer[0]} | ${a.toFixed(2)} | ${c.toFixed(2)} | ${(c / a).toFixed(2)} | ${runs[0].kernels} ; ${runs[1].kernels}`);
  for (const r of runs) await r.session.release();
}

// What a boundary transpose costs: NCHW -> NHWC copies of layer-sized tensors (ns per element).
console.log('transpose NCHW -> NHWC | ms | ns/element');
for (const [C, H] of [[3, 224], [32, 112], [64, 56], [128, 28]]) {
  const b = new GraphBuilder();
  b.output('y', b.add1({ kind: 'transpose', perm: [0, 2, 3, 1] }, [b.input('x', tensorType('float32', [1, C, H, H]))]));
  const session = await InferenceSession.create(compileGraph(b.build(), {}), { numThreads: threads });
  const x = new Tensor('float32', wave(C * H * H, 0.31), [1, C, H, H]);
  const times = [];
  for (let i = 0; i <= Number(runsArg); i++) { const t = performance.now(); await session.run({ x }); if (i > 0) times.push(performance.now() - t); }
  console.log(`[1,${C},${H},${H}] | ${median(times).toFixed(3)} | ${(median(times) * 1e6 / (C * H * H)).toFixed(2)}`);
  await session.release();
}
