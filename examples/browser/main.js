// Loads the compiled MLP (served under /model/) with @tensorc/runtime, runs it on examples/mlp/input.npy,
// shows the logits with each row's top class, the largest difference to PyTorch's output, and timing.
// Results also land on window.tensorcResult (and body[data-status]) for the end-to-end test.

import { InferenceSession, Tensor } from '@tensorc/runtime';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const threads = Number(params.get('threads') ?? 1);
const runs = Math.max(1, Number(params.get('runs') ?? 50));

/** Minimal .npy reader for the float32, C-order arrays this example ships. */
function readNpyFloat32(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`unsupported .npy header ${header}`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = start + headerLen;
  return { dims: shape, data: new Float32Array(buffer.slice(offset, offset + 4 * shape.reduce((a, b) => a * b, 1))) };
}

async function fetchNpy(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
  return readNpyFloat32(await r.arrayBuffer());
}

function renderLogits(t) {
  const [rows, cols] = t.dims;
  const head = `<tr><th>row</th>${Array.from({ length: cols }, (_, j) => `<th>${j}</th>`).join('')}<th>top class</th></tr>`;
  const body = Array.from({ length: rows }, (_, i) => {
    const row = Array.from(t.data.subarray(i * cols, (i + 1) * cols));
    const top = row.indexOf(Math.max(...row));
    return `<tr><th>${i}</th>${row.map((v, j) => `<td class="${j === top ? 'top' : ''}">${v.toFixed(4)}</td>`).join('')}<td>${top}</td></tr>`;
  }).join('');
  return `<table>${head}${body}</table>`;
}

async function main() {
  let t = performance.now();
  const session = await InferenceSession.create(new URL('/model/', location.href), { numThreads: threads });
  const createMs = performance.now() - t;
  const [input, expected] = await Promise.all([fetchNpy('/data/input.npy'), fetchNpy('/data/expected.npy')]);
  const feeds = { [session.inputNames[0]]: new Tensor('float32', input.data, input.dims) };
  let outputs = await session.run(feeds); // first run also warms the engine up
  const times = [];
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    outputs = await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const logits = outputs[session.outputNames[0]];
  let maxDiffTorch = 0;
  for (let i = 0; i < expected.data.length; i++) maxDiffTorch = Math.max(maxDiffTorch, Math.abs(logits.data[i] - expected.data[i]));
  const result = {
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { type: v.type, dims: [...v.dims], data: Array.from(v.data) }])),
    variant: session.variant, numThreads: session.numThreads, createMs, runs,
    medianMs: times[Math.floor(times.length / 2)], bestMs: times[0], maxDiffTorch,
  };
  await session.release();

  $('outputs').innerHTML = `<p><code>${session.outputNames[0]}</code>: ${logits.type}[${logits.dims.join(', ')}]; ` +
    `max |tensorc − PyTorch| = ${maxDiffTorch.toExponential(2)}</p>${renderLogits(logits)}`;
  $('timing').innerHTML = [
    `session created in ${createMs.toFixed(1)} ms (variant <code>${result.variant}</code>, ${result.numThreads} thread${result.numThreads > 1 ? 's' : ''})`,
    `run: median ${result.medianMs.toFixed(3)} ms, best ${result.bestMs.toFixed(3)} ms over ${runs} runs`,
  ].map((s) => `<li>${s}</li>`).join('');
  $('status').textContent = 'done';
  window.tensorcResult = result;
  document.body.dataset.status = 'done';
}

main().catch((e) => {
  $('status').textContent = `failed: ${e?.message ?? e}`;
  $('status').className = 'error';
  window.tensorcError = String(e?.message ?? e);
  document.body.dataset.status = 'error';
});
