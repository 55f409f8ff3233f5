// The code each thread worker runs, shipped as source text (no separate worker file to locate or bundle).
// `workerMain` is stringified, so it must be self-contained: it may use only its parameters and globals.
// Protocol: main posts {type:'init', module, memory, control, index, count, steps} -> the worker instantiates
// the threaded variant on the shared memory and posts 'ready' (or 'error'), then never returns to its event
// loop: it serves runs through the shared control block (thread-team.ts) until it is told to quit.

import { hostMathImports } from './host-math.js';
import type { WorkerHost } from './features.js';
import { threadTeam } from './thread-team.js';
import type { RunRange } from './thread-team.js';

interface Port {
  on(handler: (message: any) => void): void; // messages are the protocol above, untyped across the boundary
  post(message: unknown): void;
}

function workerMain(port: Port, buildMath: () => WebAssembly.ModuleImports, team: typeof threadTeam): void {
  port.on((m) => {
    if (m.type !== 'init') return;
    let serve: () => void;
    try {
      const instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory }, math: buildMath() });
      const runRange = instance.exports.run_range as RunRange;
      serve = team(new Int32Array(m.control), { index: m.index, count: m.count, steps: m.steps, runRange, canWait: true }).serve;
    } catch (e) {
      port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    port.post({ type: 'ready' });
    serve();
    port.post({ type: 'quit' });
  });
}

// How each host hands the worker its port. Node's goes through import(), which works whether the worker's
// eval'd code is taken as CommonJS or as a module (workers inherit flags such as --input-type=module).
const START: { readonly [K in WorkerHost]: string } = {
  node: "import('node:worker_threads').then(({ parentPort }) =>\n" +
    "  start({ on: (f) => parentPort.on('message', f), post: (m) => parentPort.postMessage(m) }));",
  web: 'start({ on: (f) => { self.onmessage = (e) => f(e.data); }, post: (m) => self.postMessage(m) });',
};

/** Complete worker script for a host. `__name` guards against keep-names helpers some transpilers insert. */
export function workerScript(host: WorkerHost): string {
  return `'use strict';\nconst __name = (f) => f;\n` +
    `const start = (port) => (${workerMain.toString()})(port, ${hostMathImports.toString()}, ${threadTeam.toString()});\n${START[host]}\n`;
}
