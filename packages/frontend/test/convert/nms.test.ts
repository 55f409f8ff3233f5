// NonMaxSuppression beyond the conformance cases: random boxes (both box formats, flipped corners, tied
// scores, several batches and classes, thresholds fed at run time, symbolic sizes) against a direct greedy
// evaluation of ONNX's reference written here in float32 step by step; plus the edge and error cases.

import { describe, expect, it } from 'vitest';
import { CompileError, type HostTensor, interpret } from '@tensorc/ir';
import { lowerModel } from '../../src/import-onnx.js';
import type { LoweringModel, LoweringType } from '../../src/lowering-model.js';

const fr = Math.fround;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Box = readonly number[];

/** ONNX's reference suppression test, float32 after every operation. */
function suppress(a: Box, b: Box, center: boolean, thr: number): boolean {
  const extent = (bx: Box, i: number, j: number): [number, number] =>
    center ? [fr(bx[i]! - fr(bx[j]! / 2)), fr(bx[i]! + fr(bx[j]! / 2))] : [Math.min(bx[i]!, bx[j]!), Math.max(bx[i]!, bx[j]!)];
  const [ax0, ax1] = center ? extent(a, 0, 2) : extent(a, 1, 3);
  const [bx0, bx1] = center ? extent(b, 0, 2) : extent(b, 1, 3);
  const [ay0, ay1] = center ? extent(a, 1, 3) : extent(a, 0, 2);
  const [by0, by1] = center ? extent(b, 1, 3) : extent(b, 0, 2);
  const ix0 = Math.max(ax0, bx0);
  const ix1 = Math.min(ax1, bx1);
  if (ix1 <= ix0) return false;
  const iy0 = Math.max(ay0, by0);
  const iy1 = Math.min(ay1, by1);
  if (iy1 <= iy0) return false;
  const inter = fr(fr(ix1 - ix0) * fr(iy1 - iy0));
  if (inter <= 0) return false;
  const areaA = fr(fr(ax1 - ax0) * fr(ay1 - ay0));
  const areaB = fr(fr(bx1 - bx0) * fr(by1 - by0));
  const union = fr(fr(areaA + areaB) - inter);
  if (areaA <= 0 || areaB <= 0 || union <= 0) return false;
  return fr(inter / union) > thr;
}

function reference(boxes: HostTensor, scores: HostTensor, maxOut: number, iou: number, scoreThr: number | undefined, center: boolean): number[] {
  const [B, N] = boxes.shape as [number, number];
  const C = scores.shape[1]!;
  const bd = boxes.data as Float64Array;
  const sd = scores.data as Float64Array;
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const score = (i: number) => sd[(b * C + c) * N + i]!;
      const cands = [...Array(N).keys()].filter((i) => scoreThr === undefined || score(i) > scoreThr);
      cands.sort((i, j) => score(j) - score(i) || i - j);
      const kept: number[] = [];
      for (const i of cands) {
        if (kept.length >= maxOut) break;
        const box = (k: number) => Array.from(bd.subarray((b * N + k) * 4, (b * N + k) * 4 + 4));
        if (kept.every((j) => !suppress(box(i), box(j), center, iou))) {
          kept.push(i);
          out.push(b, c, i);
        }
      }
    }
  }
  return out;
}

interface Spec { readonly center?: number; readonly inputs?: number; readonly dims?: readonly (number | string)[]; readonly scoreBoxes?: number }

function model(B: number, C: number, N: number, spec: Spec = {}): LoweringModel {
  const [b, c, n] = spec.dims ?? [B, C, N];
  const t = (dtype: 'float32' | 'int64', shape: (number | string)[]): LoweringType => ({ kind: 'tensor', dtype, shape });
  const all = [
    { name: 'boxes', type: t('float32', [b!, n!, 4]) }, { name: 'scores', type: t('float32', [b!, c!, spec.scoreBoxes ?? n!]) },
    { name: 'max_out', type: t('int64', [1]) }, { name: 'iou', type: t('float32', [1]) }, { name: 'score_thr', type: t('float32', []) },
  ];
  const inputs = all.slice(0, spec.inputs ?? 5);
  return {
    irVersion: 9, producer: 'test', opsets: new Map([['', 11]]),
    graph: {
      name: 'g', initializers: [], valueInfo: new Map(), inputs,
      outputs: [{ name: 'sel', type: t('int64', ['K', 3]) }],
      nodes: [{
        opType: 'NonMaxSuppression', domain: '', name: 'nms', inputs: inputs.map((i) => i.name), outputs: ['sel'],
        attributes: new Map(spec.center === undefined ? [] : [['center_point_box', { kind: 'int', value: spec.center }]]),
      }],
    },
  };
}

const f32 = (shape: number[], v: Iterable<number>): HostTensor => ({ dtype: 'float32', shape, data: Float64Array.from(v, fr) });

describe('NonMaxSuppression against a direct greedy evaluation', () => {
  const random = rng(11);
  for (const center of [0, 1]) {
    for (const [B, C, N] of [[1, 1, 8], [2, 3, 12], [3, 2, 20]] as const) {
      it(`center_point_box=${center}, ${B} batches, ${C} classes, ${N} boxes`, () => {
        for (let trial = 0; trial < 4; trial++) {
          // Coordinates on a 0.25 grid (exact in float32), corners in either order; scores with ties.
          const boxes = f32([B, N, 4], Array.from({ length: B * N * 4 }, (_, i) => {
            const v = Math.floor(random() * 24) / 4;
            return center && i % 4 >= 2 ? v / 2 + 0.25 : v;
          }));
          const scores = f32([B, C, N], Array.from({ length: B * C * N }, () => Math.floor(random() * 8) / 8));
          const maxOut = [0, 1, 3, 100][trial]!;
          const iou = [0.5, 0.2, 0, 0.7][trial]!;
          const thr = trial % 2 ? undefined : 0.3;
          const g = lowerModel(model(B, C, N, { center, inputs: thr === undefined ? 4 : 5 }));
          const feeds: Record<string, HostTensor> = {
            boxes, scores, max_out: { dtype: 'int64', shape: [1], data: BigInt64Array.of(BigInt(maxOut)) }, iou: f32([1], [iou]),
          };
          if (thr !== undefined) feeds['score_thr'] = f32([], [thr]);
          const y = interpret(g, feeds)['sel'] as HostTensor;
          const want = reference(boxes, scores, maxOut, fr(iou), thr === undefined ? undefined : fr(thr), center === 1);
          expect(y.shape).toEqual([want.length / 3, 3]);
          expect(Array.from(y.data as BigInt64Array, Number)).toEqual(want);
        }
      });
    }
  }

  it('handles symbolic batch, class and box counts', () => {
    const g = lowerModel(model(2, 1, 3, { dims: ['B', 'C', 'N'] }));
    const boxes = f32([2, 3, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 5, 5, 6, 6, 0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1]);
    const scores = f32([2, 1, 3], [0.9, 0.8, 0.7, 0.1, 0.2, 0.3]);
    const y = interpret(g, {
      boxes, scores, max_out: { dtype: 'int64', shape: [1], data: BigInt64Array.of(10n) }, iou: f32([1], [0.5]), score_thr: f32([], [0]),
    })['sel'] as HostTensor;
    expect(Array.from(y.data as BigInt64Array, Number)).toEqual([0, 0, 0, 0, 0, 2, 1, 0, 2, 1, 0, 1]);
  });

  it('keeps a box whose IoU equals the threshold exactly (suppression needs IoU > threshold)', () => {
    const g = lowerModel(model(1, 1, 3));
    // IoU(box0, box1) = 1 / 2; box2 covers box0 with IoU 2/3.
    const boxes = f32([1, 3, 4], [0, 0, 2, 1, 0, 0, 1, 1, 0, 0, 3, 1]);
    const run = (iou: number) => interpret(g, {
      boxes, scores: f32([1, 1, 3], [0.9, 0.8, 0.7]), max_out: { dtype: 'int64', shape: [1], data: BigInt64Array.of(3n) },
      iou: f32([1], [iou]), score_thr: f32([], [0]),
    })['sel'] as HostTensor;
    expect(Array.from(run(0.5).data as BigInt64Array, Number)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(run(0.49).data as BigInt64Array, Number)).toEqual([0, 0, 0]);
  });

  it('selects nothing without max_output_boxes_per_class', () => {
    const g = lowerModel(model(1, 1, 2, { inputs: 2 }));
    const y = interpret(g, { boxes: f32([1, 2, 4], [0, 0, 1, 1, 2, 2, 3, 3]), scores: f32([1, 1, 2], [0.5, 0.6]) })['sel'] as HostTensor;
    expect(y.shape).toEqual([0, 3]);
  });

  it('names the node and the reason for unsupported inputs', () => {
    const err = (m: LoweringModel): CompileError => {
      try {
        lowerModel(m);
      } catch (e) {
        if (e instanceof CompileError) return e;
        throw e;
      }
      throw new Error('expected a CompileError');
    };
    const e = err(model(1, 1, 2, { center: 2 }));
    expect([e.code, e.node, e.opType]).toEqual(['UNSUPPORTED_ATTRIBUTE', 'nms', 'NonMaxSuppression']);
    expect(e.message).toMatch(/center_point_box: 2/);
    expect(err(model(1, 1, 2, { scoreBoxes: 3 })).code).toBe('SHAPE_ERROR');
  });
});
