// The code each thread worker runs, shipped as source text (no separate worker file to locate or bundle).
// `workerMain` is stringified, so it must be self-contained: it may use only its parameters and globals.
// Protocol: main posts {type:'init', module, memory, control, index, count, steps} -> worker posts 'ready' or
// 'error'; main posts {type:'run'} -> worker runs its share of every step, meeting the others at a barrier
// between steps, then posts {type:'done', error?}. A trap sets the shared abort flag; the others skip the
// remaining work but keep meeting at barriers, so nobody deadlocks.

import { hostMathImports } from './host-math.js';
import type { WorkerHost } from './features.js';

interface Port {
  on(handler: (message: any) => void): void; // messages are the protocol above, untyped across the boundary
  post(message: unknown): void;
}

/** Control words in the shared Int32Array. */
export const CONTROL_WORDS = 4; // [0] barrier arrivals, [1] barrier generation, [2] abort flag

function workerMain(port: Port, buildMath: () => WebAssembly.ModuleImports): void {
  const ARRIVED = 0, GENERATION = 1, ABORT = 2;
  let runRange: (step: number, begin: number, end: number, worker: number) => void = () => {};
  let control = new Int32Array(4);
  let index = 0, count = 1;
  let steps: number[] = [];
  const barrier = (): void => {
    const generation = Atomics.load(control, GENERATION);
    if (Atomics.add(control, ARRIVED, 1) === count - 1) {
      Atomics.store(control, ARRIVED, 0);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
    } else {
      while (Atomics.load(control, GENERATION) === generation) Atomics.wait(control, GENERATION, generation);
    }
  };
  const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  port.on((m) => {
    if (m.type === 'init') {
      try {
        const instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory }, math: buildMath() });
        runRange = instance.exports.run_range as typeof runRange;
        control = new Int32Array(m.control);
        index = m.index;
        count = m.count;
        steps = m.steps;
        port.post({ type: 'ready' });
      } catch (e) {
        port.post({ type: 'error', message: text(e) });
      }
    } else if (m.type === 'run') {
      let error: string | undefined;
      for (let k = 0; k < steps.length; k++) {
        const n = steps[k]!;
        const begin = Math.floor((n * index) / count), end = Math.floor((n * (index + 1)) / count);
        if (begin < end && Atomics.load(control, ABORT) === 0) {
          try {
            runRange(k, begin, end, index);
          } catch (e) {
            error = `step ${k} [${begin}, ${end}): ${text(e)}`;
            Atomics.store(control, ABORT, 1);
          }
        }
        if (k < steps.length - 1) barrier();
      }
      port.post({ type: 'done', error });
    }
  });
}

const PRELUDE: { readonly [K in WorkerHost]: string } = {
  node: "const { parentPort } = require('node:worker_threads');\n" +
    "const port = { on: (f) => parentPort.on('message', f), post: (m) => parentPort.postMessage(m) };",
  web: 'const port = { on: (f) => { self.onmessage = (e) => f(e.data); }, post: (m) => self.postMessage(m) };',
};

/** Complete worker script for a host. `__name` guards against keep-names helpers some transpilers insert. */
export function workerScript(host: WorkerHost): string {
  return `'use strict';\nconst __name = (f) => f;\n${PRELUDE[host]}\n(${workerMain.toString()})(port, ${hostMathImports.toString()});\n`;
}
