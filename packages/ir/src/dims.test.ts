import { describe, expect, it } from 'vitest';
import { canonicalDim, dimAdd, dimDivExact, dimEquals, dimFloorDiv, dimMul, dimSub, evalDim } from './dims.js';

describe('symbolic dims', () => {
  it('canonicalizes polynomials so equal dims are equal strings', () => {
    expect(canonicalDim('N + N')).toBe('2*N');
    expect(canonicalDim('3 - 3 + N')).toBe('N');
    expect(canonicalDim('2*2')).toBe(4);
    expect(canonicalDim('S*N + 1 + N*S')).toBe('2*N*S+1');
    expect(canonicalDim('-N+5')).toBe('-N+5');
  });
  it('adds, subtracts and multiplies', () => {
    expect(dimAdd('N', 1)).toBe('N+1');
    expect(dimAdd('N', dimSub(0, 'N'))).toBe(0);
    expect(dimMul('N', 4)).toBe('4*N');
    expect(dimMul(dimAdd('N', 1), 'N')).toBe('N*N+N');
    expect(dimMul(3, 4)).toBe(12);
  });
  it('divides exactly or says it cannot', () => {
    expect(dimDivExact('4*N', 2)).toBe('2*N');
    expect(dimDivExact('4*N*S', 'N')).toBe('4*S');
    expect(dimDivExact('4*N+1', 2)).toBeUndefined();
    expect(dimDivExact('N', 'S')).toBeUndefined();
    expect(dimDivExact(12, 4)).toBe(3);
  });
  it('floor-divides into an opaque atom that still evaluates and compares', () => {
    const d = dimFloorDiv(dimAdd('H', 1), 2);
    expect(d).toBe('(H+1)//2');
    expect(dimEquals(dimAdd(d, 1), dimAdd(1, d))).toBe(true);
    expect(evalDim(dimAdd(d, 1), new Map([['H', 6]]))).toBe(4);
    expect(dimFloorDiv('2*H', 2)).toBe('H');
  });
  it('evaluates with bound symbols and reports unbound ones', () => {
    expect(evalDim('2*N*S+1', new Map([['N', 3], ['S', 5]]))).toBe(31);
    expect(evalDim('N+1', new Map())).toBeUndefined();
  });
  it('rejects malformed dims', () => {
    expect(() => canonicalDim('N+')).toThrow(/invalid symbolic dim/);
  });
});
