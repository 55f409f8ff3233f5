// The claiming protocol of thread-team.ts without threads: two team members on one control block, driven by
// hand from this one thread with zero budgets (work() returns instead of waiting), so every interleaving
// below is deterministic.
import { describe, expect, test } from 'vitest';
import { CONTROL_BYTES, threadTeam } from '../src/thread-team.js';
import type { RunRange, ThreadTeam } from '../src/thread-team.js';

type Call = [step: number, begin: number, end: number, worker: number];

function pair(steps: number[], onCall: (call: Call, calls: Call[]) => void = () => {}) {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  const calls: Call[] = [];
  const runRange: RunRange = (step, begin, end, worker) => {
    const call: Call = [step, begin, end, worker];
    calls.push(call);
    onCall(call, calls);
  };
  const main = threadTeam(control, { index: 0, count: 2, steps, runRange, canWait: false, idleSpinMs: 0 });
  const worker = threadTeam(control, { index: 1, count: 2, steps, runRange, canWait: false, idleSpinMs: 0 });
  return { main, worker, calls };
}

describe('thread team protocol', () => {
  test('nothing can be claimed before the first run', () => {
    const { worker, calls } = pair([4, 1]);
    expect(worker.work(0)).toBe(true);
    expect(calls).toEqual([]);
  });

  test('one thread alone runs every unit in step order', () => {
    const { main, calls } = pair([3, 1, 2]);
    main.beginRun();
    expect(main.work(0)).toBe(true);
    expect(main.waitDone(0)).toBe(true);
    expect(calls).toEqual([[0, 0, 1, 0], [0, 1, 2, 0], [0, 2, 3, 0], [1, 0, 1, 0], [2, 0, 1, 0], [2, 1, 2, 0]]);
    expect(main.trap()).toBeUndefined();
  });

  test('a unit of the next step waits until every unit of the step before it is done', () => {
    let worker!: ThreadTeam;
    const log: string[] = [];
    // While the main thread runs unit 0 of step 0, the worker takes the rest of step 0 and claims step 1's unit,
    // which must wait: unit 0 is still running.
    const t = pair([3, 1, 2], ([step, begin, , w]) => {
      log.push(`${w}:${step}.${begin}`);
      if (w === 0 && step === 0 && begin === 0) expect(worker.work(0)).toBe(false);
    });
    worker = t.worker;
    t.main.beginRun();
    // The main thread finishes unit 0, then claims step 2's first unit, which waits for step 1 (held by the worker).
    expect(t.main.work(0)).toBe(false);
    expect(t.main.waitDone(0)).toBe(false);
    expect(log).toEqual(['0:0.0', '1:0.1', '1:0.2']);
    expect(worker.work(0)).toBe(true); // runs step 1, then claims and runs step 2's second unit
    expect(t.main.work(0)).toBe(true); // now step 2's first unit can go
    expect(t.main.waitDone(0)).toBe(true);
    expect(log).toEqual(['0:0.0', '1:0.1', '1:0.2', '1:1.0', '1:2.1', '0:2.0']);
  });

  test('a trap is recorded once, the remaining units are skipped but counted, and the next run is clean', () => {
    let worker!: ThreadTeam;
    let fail = true;
    const t = pair([4, 1, 4], ([step, begin, , w]) => {
      if (w === 0 && step === 0 && begin === 0) expect(worker.work(0)).toBe(false); // holds step 1, waiting for unit 0
      if (fail && w === 1) throw new WebAssembly.RuntimeError('unreachable');
    });
    worker = t.worker;
    t.main.beginRun();
    expect(t.main.work(0)).toBe(false); // step 2's first unit waits for step 1
    expect(worker.work(0)).toBe(true);
    expect(t.main.work(0)).toBe(true);
    expect(t.main.waitDone(0)).toBe(true);
    // The worker trapped on unit 1; units 2 and 3 and everything after were counted done without running.
    expect(t.calls).toEqual([[0, 0, 1, 0], [0, 1, 2, 1]]);
    expect(t.main.trap()).toEqual({ step: 0, message: 'units [1, 2) on thread 1: unreachable' });

    fail = false;
    t.calls.length = 0;
    t.main.beginRun();
    expect(t.main.work(0)).toBe(false);
    expect(worker.work(0)).toBe(true);
    expect(t.main.work(0)).toBe(true);
    expect(t.main.waitDone(0)).toBe(true);
    expect(t.main.trap()).toBeUndefined();
    expect(t.calls.map(([step, begin]) => `${step}.${begin}`)).toEqual(['0.0', '0.1', '0.2', '0.3', '1.0', '2.1', '2.2', '2.3', '2.0']);
  });

  test('steps with many units are claimed in chunks, shrinking to single units at the end of the step', () => {
    const { main, calls } = pair([1000, 1, 200]);
    main.beginRun();
    expect(main.work(0)).toBe(true);
    for (const [step, n, cap] of [[0, 1000, 15], [2, 200, 3]] as const) {
      // 2 threads: at most floor(n / 64) units per claim, never across the step's end
      const sizes = calls.filter(([k]) => k === step).map(([, b, e]) => e - b);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(sizes[0]).toBe(cap);
      expect(sizes.every((size, i) => size <= cap && (i === 0 || size <= sizes[i - 1]!))).toBe(true);
      expect(sizes.slice(-8)).toEqual(Array(8).fill(1));
    }
    expect(calls.filter(([k]) => k === 1)).toEqual([[1, 0, 1, 0]]);
  });

  test('a member created mid-run (a worker that just started) claims the rest of the run under way', () => {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
    const log: string[] = [];
    let late: ThreadTeam | undefined;
    const runRange: RunRange = (step, begin, _end, w) => {
      log.push(`${w}:${step}.${begin}`);
      if (w === 0 && step === 0 && begin === 1) {
        // The worker comes up while the main thread runs unit 1 of step 0.
        late = threadTeam(control, { index: 1, count: 2, steps: [3, 1, 2], runRange, canWait: false, idleSpinMs: 0 });
        expect(late.work(0)).toBe(false); // took unit 2, ran it, then claimed step 1's unit, which waits for unit 1
      }
    };
    const main = threadTeam(control, { index: 0, count: 2, steps: [3, 1, 2], runRange, canWait: false, idleSpinMs: 0 });
    main.beginRun();
    expect(main.work(0)).toBe(false); // claimed step 2's first unit, which waits for step 1 (held by the worker)
    expect(late!.work(0)).toBe(true);
    expect(main.work(0)).toBe(true);
    expect(main.waitDone(0)).toBe(true);
    expect(log).toEqual(['0:0.0', '0:0.1', '1:0.2', '1:1.0', '1:2.1', '0:2.0']);
    // Created between runs, a member claims nothing until the next run begins.
    const between = threadTeam(control, { index: 1, count: 2, steps: [3, 1, 2], runRange, canWait: false, idleSpinMs: 0 });
    log.length = 0;
    expect(between.work(0)).toBe(true);
    expect(log).toEqual([]);
    main.beginRun();
    expect(between.work(0)).toBe(true);
    expect(main.waitDone(0)).toBe(true);
    expect(log).toEqual(['1:0.0', '1:0.1', '1:0.2', '1:1.0', '1:2.0', '1:2.1']);
  });

  test('after quit, the units of a run in flight are skipped', () => {
    const { main, worker, calls } = pair([4]);
    main.beginRun();
    main.quit();
    expect(worker.work(0)).toBe(true);
    expect(calls).toEqual([]);
  });
});
