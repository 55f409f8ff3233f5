// IR graph -> kernel plan: the dispatch saying which lowering each node kind goes to. Contractions try, in
// order, the convolution kernels (lower-conv.ts), the SIMD GEMM (lower-gemm.ts), the bordered-copy pool
// (lower-window.ts), then a generic affine loop nest (lower-affine-nests.ts), as do maps, reductions and data
// movement. Unsupported ops fail with a CompileError naming the node.

import { CompileError, type Graph, type HostTensor, type Node, type TensorType, type ValueId, isStaticShape, nextFreeId, useCounts } from '@tensorc/ir';
import type { Kernel } from './kernel-plan.js';
import { type LowerResult, SUPPORTED_DTYPES, staticType, where } from './lower-common.js';
import {
  type UnnamedNest, concatNests, constantPadNest, contractNest, expandNest, mapNest, reduceNest, sliceNest, transposeNest,
} from './lower-affine-nests.js';
import { argreduceKernel, gatherElementsKernel, gatherKernel, softmaxKernel, topkKernel } from './lower-axis-kernels.js';
import { findConvPools } from './conv-pools.js';
import { lowerIntGemm } from './lower-igemm.js';
import { splitFullReduce } from './lower-full-reduce.js';
import { lowerConv } from './lower-conv.js';
import { lowerConvNhwc } from './lower-conv-nhwc.js';
import { lowerDepthwiseNhwc } from './lower-depthwise-nhwc.js';
import { lowerGemm } from './lower-gemm.js';
import { lowerPaddedWindow } from './lower-window.js';
import { lowerAttention } from './lower-attention.js';
import { findLayerNorms } from './lower-layernorm.js';
import { lowerBitcast } from './lower-bitcast.js';
import { type ControlContext, lowerControl } from './lower-control.js';
import { lowerCumulative, lowerGatherNd, lowerScatter } from './lower-index-ops.js';
import { lowerPadModes } from './lower-pad.js';
import { lowerQuant } from './lower-quant.js';
import { softmaxNests } from './lower-softmax.js';
import { DEFAULT_MAX_THREADS } from './scratch-slots.js';

export { SUPPORTED_DTYPES, type LowerResult } from './lower-common.js';

/** What a multi-kernel lowering hands back: new value types and the kernels in order, each named by a suffix. */
interface Lowered {
  readonly newTypes: Iterable<readonly [ValueId, TensorType]>;
  readonly kernels: readonly { kernel: Omit<Kernel, 'name'>; suffix: string }[];
}

export interface LowerOptions {
  /** Per-worker scratch slots of convolution and attention kernels: the artifact's thread cap (scratch-slots.ts). */
  readonly scratchSlots?: number;
}

export function lowerGraph(g: Graph, opts: LowerOptions = {}): LowerResult {
  const slots = opts.scratchSlots ?? DEFAULT_MAX_THREADS;
  const types = new Map<ValueId, TensorType>();
  const consts = new Map<ValueId, HostTensor>();
  const derived = new Map<ValueId, HostTensor>();
  const aliases = new Map<ValueId, ValueId>();
  let kernels: Kernel[] = []; // the list being filled: the graph's, or an If/Loop region's (lowerRegion)
  const initKernels: Kernel[] = []; // run once at session creation, wherever the node that needs them is
  // fresh ids past every value, region values included
  let nextId = Math.max(1, nextFreeId(g));
  const fresh = () => nextId++;
  for (const i of g.inputs) {
    if (i.value.type.kind !== 'tensor' || !isStaticShape(i.value.type.shape)) throw new CompileError('UNSUPPORTED_OP', `backend: input "${i.name}" needs a static tensor shape; pin it with inputShapes`);
    types.set(i.value.id, i.value.type);
  }
  const tt = (id: ValueId) => types.get(id)!;
  const uses = useCounts(g);
  const layerNorms = findLayerNorms(g, uses);
  // max pools fused into the convolution they read (conv-pools.ts), and those a convolution's kernel wrote
  const convPools = findConvPools(g, uses, 'nchw');
  const nhwcPools = findConvPools(g, uses, 'nhwc');
  const fusedPools = new Set<ValueId>();
  let count = 0;
  // the model node of the IR node being lowered, for every kernel it makes (profiling reports name them)
  const kernelNodes = new Map<string, string>();
  let origin: string | undefined;
  const named = (suffix: string): string => {
    const name = `k${count++}_${suffix}`;
    if (origin !== undefined) kernelNodes.set(name, origin);
    return name;
  };
  const emit = (kernel: Omit<Kernel, 'name'>, suffix: string) => { kernels.push({ ...kernel, name: named(suffix) } as Kernel); };
  const emitAll = (l: Lowered) => {
    for (const [id, ty] of l.newTypes) types.set(id, ty);
    for (const { kernel, suffix } of l.kernels) emit(kernel, suffix);
  };
  const nest = (n: Node, k: UnnamedNest) => {
    const split = splitFullReduce(k, fresh);
    if (!split) { emit(k, n.op.kind); return; }
    types.set(...split.partial);
    emit(split.kernels[0], `${n.op.kind}_lanes`);
    emit(split.kernels[1], n.op.kind);
  };
  const control: ControlContext = {
    types, consts, derived, aliases, dtypes: SUPPORTED_DTYPES, fresh, name: named,
    lowerRegion: (nodes) => { const outer = kernels; kernels = []; try { nodes.forEach(lowerNode); return kernels; } finally { kernels = outer; } },
  };
  const lowerNode = (n: Node): void => {
    const outer = origin;
    origin = n.origin?.node ?? outer; // a region's nodes without one of their own belong to the If/Loop node
    try {
      lowerOne(n);
    } finally {
      origin = outer;
    }
  };
  const lowerOne = (n: Node): void => {
    const op = n.op;
    if (op.kind === 'constant') {
      types.set(n.outputs[0]!.id, n.outputs[0]!.type as TensorType);
      consts.set(n.outputs[0]!.id, op.value);
      return;
    }
    if (op.kind === 'if' || op.kind === 'loop') { kernels.push(...lowerControl(n, control)); return; }
    const t = staticType(n, 0);
    const out = n.outputs[0]!.id;
    types.set(out, t);
    // LayerNorm's mean and rstd live inside its row kernel; the map that combines them emits it.
    if (layerNorms.absorbed.has(out) || fusedPools.has(out)) return;
    const ln = layerNorms.kernels.get(out);
    if (ln) { emit(ln, 'layernorm'); return; }
    switch (op.kind) {
      case 'reshape':
        if (n.inputs.length !== 1) throw new CompileError('UNSUPPORTED_OP', 'backend: reshape with a run-time shape', where(n));
        aliases.set(out, n.inputs[0]!);
        break;
      case 'contract': {
        const cv = lowerConv(n, t, tt, fresh, slots, convPools.get(out));
        if (cv) {
          if (cv.fusedPool) fusedPools.add(cv.fusedPool.outputs[0]!.id);
          for (const [id, value] of cv.derived) derived.set(id, value);
          emitAll(cv);
          break;
        }
        const nhwc = lowerConvNhwc(n, t, tt, consts, fresh, nhwcPools.get(out)) ?? lowerDepthwiseNhwc(n, t, tt, consts, fresh);
        if (nhwc) {
          if (nhwc.fusedPool) fusedPools.add(nhwc.fusedPool.outputs[0]!.id);
          for (const [id, value] of nhwc.derived) derived.set(id, value);
          emitAll(nhwc);
          break;
        }
        const ig = lowerIntGemm(n, t, tt, consts, fresh);
        if (ig) {
          for (const [id, value] of ig.derived) derived.set(id, value);
          for (const k of ig.init) initKernels.push({ ...k, name: named('expand_weights') });
          emitAll(ig);
          break;
        }
        const gemm = lowerGemm(n, t, tt, consts, derived, fresh);
        if (gemm) {
          for (const k of gemm.init) initKernels.push({ ...k, name: named('expand_weights') });
          emitAll(gemm);
          break;
        }
        // a pool over a padded input reads a bordered copy (no bounds checks per read)
        const win = lowerPaddedWindow(n, t, tt, fresh);
        if (win) { emitAll(win); break; }
        nest(n, contractNest(n, t, tt));
        break;
      }
      case 'map': nest(n, mapNest(n, t, tt)); break;
      case 'multimap':
        n.outputs.forEach((o, i) => types.set(o.id, staticType(n, i)));
        nest(n, mapNest(n, t, tt, (id) => (uses.get(id) ?? 0) === 0));
        break;
      case 'reduce': nest(n, reduceNest(n, t, tt)); break;
      case 'transpose': nest(n, transposeNest(n, t, tt)); break;
      case 'slice': nest(n, sliceNest(n, t, tt)); break;
      case 'expand': nest(n, expandNest(n, t, tt)); break;
      case 'pad':
        if (op.mode !== 'constant') { for (const k of lowerPadModes(n, t, tt(n.inputs[0]!))) emit(k, `pad_${op.mode}`); break; }
        nest(n, constantPadNest(n, t, tt));
        break;
      case 'concat': for (const k of concatNests(n, t, tt)) nest(n, k); break;
      case 'softmax':
        if (t.dtype !== 'float32') { emitAll(softmaxNests(n.inputs[0]!, out, t.dtype, t.shape, op.axis, op.log, fresh)); break; }
        emit(softmaxKernel(n, t), 'softmax');
        break;
      case 'gather': emit(gatherKernel(n, t, tt), 'gather'); break;
      case 'gather_elements': emit(gatherElementsKernel(n, t, tt), 'gather_elements'); break;
      case 'topk':
        types.set(n.outputs[1]!.id, n.outputs[1]!.type as TensorType);
        emit(topkKernel(n, tt), 'topk');
        break;
      case 'argreduce': emit(argreduceKernel(n, tt), 'argreduce'); break;
      case 'cumulative': emit(lowerCumulative(n, t), 'cumulative'); break;
      case 'scatter_elements': case 'scatter_nd': emit(lowerScatter(n, t, tt), op.kind); break;
      case 'gather_nd': emit(lowerGatherNd(n, t, tt), 'gather_nd'); break;
      case 'quantize': case 'dequantize': for (const k of lowerQuant(n, t, tt)) emit(k, op.kind); break;
      case 'bitcast': {
        const bc = lowerBitcast(n, t, tt(n.inputs[0]!), (d) => SUPPORTED_DTYPES.has(d), fresh);
        emitAll(bc);
        if (bc.aliasOf !== undefined) aliases.set(out, bc.aliasOf);
        break;
      }
      case 'attention': {
        const at = lowerAttention(n, t, tt, consts, fresh, named('attention'), slots);
        for (const [id, ty] of at.newTypes) types.set(id, ty);
        kernels.push(at.kernel);
        break;
      }
      default:
        throw new CompileError('UNSUPPORTED_OP', `backend: op ${op.kind} is not supported yet`, where(n));
    }
  };
  g.nodes.forEach(lowerNode);
  return { kernels, initKernels, aliases, derived, kernelNodes, types: new Map([...types, ...[...derived].map(([id, v]) => [id, { kind: 'tensor', dtype: v.dtype, shape: v.shape }] as const)]) };
}
