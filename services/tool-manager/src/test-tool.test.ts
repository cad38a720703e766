import { describe, expect, it } from 'vitest';
import { sameJson } from './test-tool';

describe('sameJson', () => {
  it('compares JSON values regardless of key order, numbers within 1e-6', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameJson({ r: 0.30000000000000004 }, { r: 0.3 })).toBe(true);
    expect(sameJson({ r: 20 }, { r: 20.0 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    // Keys the expected result does not name are the returns schema's business.
    expect(sameJson({ sum: 5, python: '3.11.7' }, { sum: 5 })).toBe(true);
    expect(sameJson({ sum: 6, python: '3.11.7' }, { sum: 5 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: null }, { a: 0 })).toBe(false);
    expect(sameJson('3', 3)).toBe(false);
  });
});
