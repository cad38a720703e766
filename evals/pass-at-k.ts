import type { RequestResult } from './figures';

/** A rate with its 95 % Wilson score interval. */
export interface Rate {
  rate: number;
  low: number;
  high: number;
  /** Out of how many (samples for pass@1, requests for pass@k). */
  n: number;
}

/** The 95 % Wilson score interval of `successes` out of `n`. */
export function wilson(successes: number, n: number): Rate {
  if (n === 0) return { rate: 0, low: 0, high: 0, n };
  const z = 1.96;
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), n };
}

export interface RepeatSummary {
  k: number;
  /** Each sample on its own: the chance one attempt works. */
  passAt1: Rate;
  /** The share of requests with at least one working sample among their k. */
  passAtK: Rate;
}

/** pass@1 and pass@k over the scored requests, each run `k` times. */
export function repeatSummary(results: RequestResult[], k: number): RepeatSummary {
  const scored = results.filter((r) => !r.expectedFailure && r.outcome !== 'skipped');
  const byRequest = new Map<string, RequestResult[]>();
  for (const r of scored) byRequest.set(r.id, [...(byRequest.get(r.id) ?? []), r]);
  const successes = scored.filter((r) => r.outcome === 'success').length;
  const anyWorked = [...byRequest.values()].filter((samples) =>
    samples.some((r) => r.outcome === 'success'),
  ).length;
  return {
    k,
    passAt1: wilson(successes, scored.length),
    passAtK: wilson(anyWorked, byRequest.size),
  };
}

export function formatRate(rate: Rate): string {
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  return `${pct(rate.rate)} (95 % interval ${pct(rate.low)}–${pct(rate.high)}, n = ${rate.n})`;
}
