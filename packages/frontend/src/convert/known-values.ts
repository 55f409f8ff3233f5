// Values known at compile time: constant tensors, and small int64 tensors whose elements are known as
// (possibly symbolic) dims. Shape(x) of f32[N,128] is known as [N, 128] even though N is a symbol, so a
// Reshape target built from it by Gather/Concat/Mul resolves to a static or symbolic shape.

import type { Dim, HostTensor, ValueId } from '@tensorc/ir';

export class KnownValues {
  private readonly constants = new Map<ValueId, HostTensor>();
  private readonly dimValues = new Map<ValueId, readonly Dim[]>();

  setConstant(id: ValueId, t: HostTensor): void {
    this.constants.set(id, t);
  }
  constant(id: ValueId): HostTensor | undefined {
    return this.constants.get(id);
  }

  /** Records the elements of a 0-D or 1-D integer tensor as dims. */
  setDims(id: ValueId, dims: readonly Dim[]): void {
    this.dimValues.set(id, dims);
  }

  /** Elements of a 0-D/1-D integer value as dims: from recorded shape arithmetic or from a constant. */
  dims(id: ValueId): readonly Dim[] | undefined {
    const d = this.dimValues.get(id);
    if (d) return d;
    const c = this.constants.get(id);
    if (!c || c.shape.length > 1 || c.dtype === 'string' || c.dtype === 'bool') return undefined;
    if (c.dtype.startsWith('float') || c.dtype === 'bfloat16') return undefined;
    return Array.from(c.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
}
