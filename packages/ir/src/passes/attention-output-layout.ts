// Values the maps after a fused attention op read (PV's epilogue operands, a row guard's condition and z) are
// numpy broadcasts against the op's result, but PV read them through affine maps over its output loops, and z
// is computed over the op's loops, which may split a head dim: the transposes, reshapes and expands that bring
// them into the result's layout. These operands are per-row or per-head values, so the copies are small.

import { type AffineMap, affineEquals } from '../affine.js';
import type { ValueId } from '../graph.js';
import type { Dim } from '../types.js';
import { broadcastMap } from './fuse-epilogue.js';

/** A movement node (transpose, reshape or expand) to add before a map after the op, with the shape of its result. */
export interface Movement { readonly op: { kind: 'transpose'; perm: number[] } | { kind: 'reshape' } | { kind: 'expand' }; readonly shape: number[] }

/**
 * The transpose and reshape that bring an operand read at `m` (over the output loops) into a numpy broadcast
 * against the output, or undefined: each dim a distinct output loop with unit step, or a constant 0 on a dim of size 1.
 */
export function movesToOutput(shape: readonly Dim[] | undefined, m: AffineMap, outShape: readonly Dim[]): Movement[] | undefined {
  const r = outShape.length;
  if (!shape || !shape.every((d) => typeof d === 'number') || m.length !== shape.length) return undefined;
  const want = broadcastMap(shape, outShape);
  if (want && want.length === m.length && want.every((e, d) => affineEquals(e, m[d]!))) return [];
  const loops = m.map((e) => (e.offset === 0 && e.terms.length === 1 && e.terms[0]!.coeff === 1 && e.terms[0]!.idx < r ? e.terms[0]!.idx : e.terms.length === 0 && e.offset === 0 ? -1 : undefined));
  if (loops.some((l, d) => l === undefined || (l === -1 && shape[d] !== 1)) || new Set(loops.filter((l) => l! >= 0)).size !== loops.filter((l) => l! >= 0).length) return undefined;
  const kept = [...loops.keys()].filter((d) => loops[d]! >= 0).sort((a, b) => loops[a]! - loops[b]!);
  const perm = [...kept, ...[...loops.keys()].filter((d) => loops[d] === -1)];
  const target = outShape.map((_, o) => { const d = loops.indexOf(o); return d < 0 ? 1 : (shape[d] as number); });
  const moves: Movement[] = [];
  if (perm.some((d, i) => d !== i)) moves.push({ op: { kind: 'transpose', perm }, shape: perm.map((d) => shape[d] as number) });
  moves.push({ op: { kind: 'reshape' }, shape: target });
  return moves;
}

/** An operand of a map after the attention op, and the movements that bring it into the output's layout. */
export interface MovedOperand { readonly id: ValueId; readonly moves: Movement[] }

/**
 * The expand and reshape that bring z (over the split loops `wide`, extent 1 where v does not vary) into the merged
 * output layout `merged` (a broadcast there): a merged dim becomes whole where v varies along any of its parts.
 */
export function headsMerged(zShape: readonly Dim[], wide: readonly Dim[], merged: readonly Dim[]): Movement[] | undefined {
  if (![...wide, ...merged].every((d) => typeof d === 'number')) return undefined;
  const full: Dim[] = [...zShape];
  const target: number[] = [];
  let i = 0;
  for (const m of merged) {
    const group = [i++];
    let size = wide[group[0]!] as number;
    while (size !== m && i < wide.length) { size *= wide[i] as number; group.push(i++); }
    if (size !== m) return undefined;
    const varies = group.some((d) => zShape[d] !== 1);
    for (const d of group) full[d] = varies ? wide[d]! : 1;
    target.push(varies ? (m as number) : 1);
  }
  if (i !== wide.length) return undefined;
  const moves: Movement[] = [];
  if (full.some((d, k) => d !== zShape[k])) moves.push({ op: { kind: 'expand' }, shape: full as number[] });
  moves.push({ op: { kind: 'reshape' }, shape: target });
  return moves;
}
