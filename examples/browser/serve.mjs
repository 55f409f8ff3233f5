// A tiny static server for the browser example (node:http only, no dependency). It compiles the MLP example
// into out/mlp/ on first start (or with --rebuild), then serves:
//   /              index.html and main.js from this folder
//   /runtime/      @tensorc/runtime's built ES modules (packages/runtime/dist) — the only library the page loads
//   /model/        the compiled artifact (manifest.json, model*.wasm, weights.bin)
//   /data/         examples/mlp/input.npy and PyTorch's expected.npy
// Usage: node examples/browser/serve.mjs [--port 8080] [--rebuild]. Listens on 127.0.0.1 only. The page is sent
// cross-origin isolated (COOP/COEP), so SharedArrayBuffer and so ?threads=N work.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifactDir = path.join(here, 'out/mlp');
const mlpDir = path.join(here, '../mlp');
const runtimeDir = path.dirname(fileURLToPath(import.meta.resolve('@tensorc/runtime')));

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const port = Number(value('--port', process.env.PORT ?? '8080'));

if (flag('--rebuild') || !fs.existsSync(path.join(artifactDir, 'manifest.json'))) {
  const { compile } = await import('tensorc');
  const t0 = performance.now();
  const artifact = await compile(path.join(mlpDir, 'model.onnx'), { inputShapes: { x: [4, 784] } });
  await artifact.save(artifactDir);
  console.log(`compiled examples/mlp/model.onnx -> ${path.relative(process.cwd(), artifactDir)} in ${(performance.now() - t0).toFixed(0)} ms`);
}

// URL prefix -> folder on disk. Anything else is 404: the page gets nothing it did not ask for by name.
const mounts = [
  ['/runtime/', runtimeDir],
  ['/model/', artifactDir],
  ['/data/', mlpDir],
  ['/', here],
];
const allowed = { '/': ['index.html', 'main.js'], '/data/': ['input.npy', 'expected.npy'] };
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.wasm': 'application/wasm', '.map': 'application/json' };

function resolve(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath.slice(prefix.length));
    if (allowed[prefix] && !allowed[prefix].includes(rel)) return undefined;
    const file = path.resolve(dir, rel);
    // No escaping the mounted folder with ../ or an absolute path.
    return file.startsWith(dir + path.sep) ? file : undefined;
  }
  return undefined;
}

const server = http.createServer((req, res) => {
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = req.method === 'GET' || req.method === 'HEAD' ? resolve(urlPath) : undefined;
  fs.readFile(file ?? '', (err, body) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (!file || err) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      console.log(`404 ${urlPath}`);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
});
server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port N` : e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`serving http://127.0.0.1:${server.address().port}/ (Ctrl-C to stop)`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
