// The activation functions ONNX's RNN, GRU and LSTM accept by name (case-insensitive), as scalar expressions,
// with their alpha/beta parameters from activation_alpha / activation_beta.

import { type DType, type ScalarExpr, bin, lit, select, un } from '@tensorc/ir';
import type { ConvertContext } from './context.js';

export function activation(ctx: ConvertContext, name: string, alpha: number | undefined, beta: number | undefined, dt: DType, x: ScalarExpr): ScalarExpr {
  const c = (v: number) => lit(v, dt);
  switch (name.toLowerCase()) {
    case 'sigmoid': return un('sigmoid', x);
    case 'tanh': return un('tanh', x);
    case 'relu': return bin('max', x, c(0));
    case 'affine': return bin('add', bin('mul', c(alpha ?? 1), x), c(beta ?? 0));
    case 'leakyrelu': return select(bin('lt', x, c(0)), bin('mul', c(alpha ?? 0.01), x), x);
    case 'thresholdedrelu': return select(bin('gt', x, c(alpha ?? 1)), x, c(0));
    case 'scaledtanh': return bin('mul', c(alpha ?? 1), un('tanh', bin('mul', c(beta ?? 1), x)));
    case 'hardsigmoid': return bin('max', c(0), bin('min', c(1), bin('add', bin('mul', c(alpha ?? 0.2), x), c(beta ?? 0.5))));
    case 'elu': return select(bin('lt', x, c(0)), bin('mul', c(alpha ?? 1), bin('sub', un('exp', x), c(1))), x);
    case 'softsign': return bin('div', x, bin('add', c(1), un('abs', x)));
    case 'softplus': return un('log', bin('add', c(1), un('exp', x)));
    default: return ctx.attrs.unsupported('activations', `"${name}"`);
  }
}

/** The activation triple/pair of direction d: explicit attribute values or the op's defaults. */
export function activationsFor(ctx: ConvertContext, defaults: readonly string[], numDirections: number, d: number): { names: string[]; alphas: (number | undefined)[]; betas: (number | undefined)[] } {
  const names = ctx.attrs.strings('activations');
  const k = defaults.length;
  if (names && names.length !== k * numDirections && names.length !== k) ctx.attrs.unsupported('activations', `${names.length} names for ${numDirections} direction(s)`);
  const offset = names && names.length === k * numDirections ? d * k : 0;
  const alphas = ctx.attrs.floats('activation_alpha');
  const betas = ctx.attrs.floats('activation_beta');
  const chosen = names ? names.slice(offset, offset + k) : [...defaults];
  // alpha/beta lists give one value per activation that takes one, in order.
  const takesAlpha = (n: string) => ['affine', 'leakyrelu', 'thresholdedrelu', 'scaledtanh', 'hardsigmoid', 'elu'].includes(n.toLowerCase());
  const takesBeta = (n: string) => ['affine', 'scaledtanh', 'hardsigmoid'].includes(n.toLowerCase());
  let ai = names ? (names.slice(0, offset).filter(takesAlpha).length) : 0;
  let bi = names ? (names.slice(0, offset).filter(takesBeta).length) : 0;
  return {
    names: chosen,
    alphas: chosen.map((n) => (takesAlpha(n) ? alphas?.[ai++] : undefined)),
    betas: chosen.map((n) => (takesBeta(n) ? betas?.[bi++] : undefined)),
  };
}
