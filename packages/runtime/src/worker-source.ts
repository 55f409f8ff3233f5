// The code each thread worker runs, shipped as source text (no separate worker file to locate or bundle).
// `workerMain` is stringified, so it must be self-contained: it may use only its parameters and globals.
// Protocol: main posts {type:'init', module, memory, control, joined, index, count, steps, idleSpinMs} and does not wait
// for an answer. The worker instantiates the threaded variant on the shared memory (or posts 'error'), joins
// by setting joined[index] from 0 to 1 (then posts 'joined', which only wakes callers awaiting the workers'
// start), and from then on never returns to its event loop: it serves runs through the shared control block
// (thread-team.ts), starting with the run in flight if there is one, until told to quit. If main set
// joined[index] to -1 first (it gave up on this worker after a failure report), the worker stays out.
// A worker may instantiate while the caller runs the model, which is safe because instantiating writes no memory:
// tensorc's threaded variants have neither data segments nor a start function (weights come from weights.bin).

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
      serve = team(new Int32Array(m.control), { index: m.index, count: m.count, steps: m.steps, runRange, canWait: true, idleSpinMs: m.idleSpinMs }).serve;
    } catch (e) {
      port.post({ type: 'error', message: `its instance of the model failed: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    // Join: from here on this thread may claim units, even of a run already under way.
    if (Atomics.compareExchange(new Int32Array(m.joined), m.index, 0, 1) !== 0) return;
    port.post({ type: 'joined' });
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
