// DepthToSpace (DCR and CRD) and SpaceToDepth: pure permutations of an [N, C, H, W] tensor, lowered as the
// spec writes them — reshape to 6-D, transpose, reshape back — so the backend sees only movement ops it
// already compiles (and fold-movement can merge them with neighbours).

import { type Dim, type ValueId, dimDivExact } from '@tensorc/ir';
import type { ConvertContext } from './context.js';
import { dimMul } from './dim-utils.js';
import type { ConverterTable } from './registry-types.js';
import { reshapeTo } from './shape-ops.js';

function nchw(ctx: ConvertContext): { x: ValueId; n: Dim; c: Dim; h: Dim; w: Dim; bs: number } {
  const x = ctx.input(0);
  const s = ctx.shapeOf(x);
  if (s.length !== 4) ctx.fail('SHAPE_ERROR', `input must be 4-D [N, C, H, W], got rank ${s.length}`);
  const bs = ctx.attrs.requiredInt('blocksize');
  if (!Number.isInteger(bs) || bs < 1) ctx.attrs.unsupported('blocksize', `must be a positive integer, got ${bs}`);
  return { x, n: s[0]!, c: s[1]!, h: s[2]!, w: s[3]!, bs };
}

/** d / k, or a SHAPE_ERROR naming what is not divisible (a symbolic dim must be pinned first). */
function divide(ctx: ConvertContext, d: Dim, k: number, what: string): Dim {
  const q = dimDivExact(d, k);
  if (q === undefined) {
    return ctx.fail('SHAPE_ERROR', typeof d === 'number' ? `${what} ${d} is not divisible by ${k}` : `${what} ${d} is symbolic and must be divisible by ${k}; pin input shapes`);
  }
  return q;
}

function depthToSpace(ctx: ConvertContext): ValueId {
  const { x, n, c, h, w, bs } = nchw(ctx);
  const mode = ctx.attrs.string('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') ctx.attrs.unsupported('mode', `"${mode}" (expected DCR or CRD)`);
  const d = divide(ctx, c, bs * bs, 'channel count');
  // DCR: channel = (bh, bw, d); CRD: channel = (d, bh, bw). Either way y[n, d, h*bs+bh, w*bs+bw].
  const split = mode === 'DCR' ? [n, bs, bs, d, h, w] : [n, d, bs, bs, h, w];
  const perm = mode === 'DCR' ? [0, 3, 4, 1, 5, 2] : [0, 1, 4, 2, 5, 3];
  const t = ctx.emit1({ kind: 'transpose', perm }, [reshapeTo(ctx, x, split)]);
  return reshapeTo(ctx, t, [n, d, dimMul(h, bs), dimMul(w, bs)]);
}

function spaceToDepth(ctx: ConvertContext): ValueId {
  const { x, n, c, h, w, bs } = nchw(ctx);
  const ho = divide(ctx, h, bs, 'height');
  const wo = divide(ctx, w, bs, 'width');
  // y[n, (bh*bs + bw)*C + c, ho, wo] = x[n, c, ho*bs + bh, wo*bs + bw]
  const t = ctx.emit1({ kind: 'transpose', perm: [0, 3, 5, 1, 2, 4] }, [reshapeTo(ctx, x, [n, c, ho, bs, wo, bs])]);
  return reshapeTo(ctx, t, [n, dimMul(c, bs * bs), ho, wo]);
}

export const DEPTH_SPACE: ConverterTable = {
  DepthToSpace: { since: 1, convert: (ctx) => [depthToSpace(ctx)] },
  SpaceToDepth: { since: 1, convert: (ctx) => [spaceToDepth(ctx)] },
};
