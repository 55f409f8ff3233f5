// AffineGrid (opset 20, 2-D and 3-D): the base grid of normalized coordinates is a compile-time constant
// [positions, k+1] (homogeneous, innermost axis first as GridSample expects), so the op is one contraction
// with theta [N, k, k+1], computed in float64 as the reference does and rounded to theta's dtype once.

import { type ValueId, arg, cast } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { checkShapeSize, checkTableSize } from './limits.js';
import { reshapeTo } from './shape-ops.js';

/** Normalized coordinate of position i of an axis of extent d. */
function baseCoord(i: number, d: number, alignCorners: boolean): number {
  if (alignCorners) return d === 1 ? -1 : -1 + (i * 2) / (d - 1);
  const step = 2 / d;
  return -1 + step / 2 + i * step;
}

export function affineGrid(ctx: ConvertContext): ValueId[] {
  const theta = ctx.input(0);
  const size = ctx.constInts(1, 'AffineGrid size');
  const alignCorners = ctx.attrs.int('align_corners', 0) === 1;
  const k = size.length - 2;
  const ts = ctx.shapeOf(theta);
  if (k < 2 || k > 3 || ts.length !== 3 || ts[1] !== k || ts[2] !== k + 1) {
    ctx.fail('SHAPE_ERROR', `AffineGrid size [${size}] needs theta [N, ${k}, ${k + 1}], got [${ts.join(',')}]`);
  }
  if (ts[0] !== size[0] && typeof ts[0] === 'number') ctx.fail('SHAPE_ERROR', `AffineGrid batch ${ts[0]} differs from size[0] = ${size[0]}`);
  const spatial = size.slice(2);
  checkShapeSize(ctx, size, 'AffineGrid size');
  const P = spatial.reduce((a, d) => a * d, 1);
  checkTableSize(ctx, P * (k + 1), 'AffineGrid base grid');
  const base = new Float64Array(P * (k + 1));
  for (let p = 0; p < P; p++) {
    let rem = p;
    for (let a = k - 1; a >= 0; a--) {
      const d = spatial[a]!;
      base[p * (k + 1) + (k - 1 - a)] = baseCoord(rem % d, d, alignCorners);
      rem = Math.floor(rem / d);
    }
    base[p * (k + 1) + k] = 1;
  }
  const dt = ctx.tensorTypeOf(theta).dtype;
  const t64 = dt === 'float64' ? theta : ctx.emit1({ kind: 'map', expr: cast('float64', arg(0)) }, [theta]);
  const b = ctx.b.constant({ dtype: 'float64', shape: [P, k + 1], data: base });
  const g = ctx.b.einsum('nij,pj->npi', [t64, b]);
  const y = dt === 'float64' ? g : ctx.emit1({ kind: 'map', expr: cast(dt, arg(0)) }, [g]);
  return [reshapeTo(ctx, y, [ts[0]!, ...spatial, k])];
}
