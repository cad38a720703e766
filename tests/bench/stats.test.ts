import { describe, expect, it } from 'vitest';
import { minus, quantile, summarize } from './stats';

describe('bench statistics', () => {
  it('interpolates quantiles between ranks', () => {
    const sorted = [1, 2, 3, 4];
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 0.5)).toBe(2.5);
    expect(quantile(sorted, 1)).toBe(4);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples and ignores non-finite ones', () => {
    const samples = [...Array.from({ length: 100 }, (_, i) => 100 - i), NaN, Infinity];
    const s = summarize(samples);
    expect(s).toMatchObject({ n: 100, min: 1, max: 100, p50: 50.5, mean: 50.5 });
    expect(s.p95).toBeCloseTo(95.05);
    expect(s.p99).toBeCloseTo(99.01);
  });

  it('subtracts series element by element', () => {
    expect(minus([5, 7], [1, 2])).toEqual([4, 5]);
  });
});
