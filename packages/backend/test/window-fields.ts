// The window geometry fields every convolution/pool test draws (kernel size, strides, dilations, pads), to
// spread into an fc.record.

import fc from 'fast-check';

export function windowFields(kh: number, kw: number) {
  return {
    kh: fc.integer({ min: 1, max: kh }),
    kw: fc.integer({ min: 1, max: kw }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    pads: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  };
}
