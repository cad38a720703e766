import { describe, expect, it } from 'vitest';
import { barEnd, latencySvg, tickStep, type ChartGroup } from './chart';

const groups: ChartGroup[] = [
  {
    name: 'new-app',
    title: '1. New app <no tool>',
    bars: [
      {
        label: 'desktop',
        offsetMs: 0,
        segments: [
          { label: 'classify', modelMs: 185, otherMs: 20 },
          { label: 'app_generate', modelMs: 2947, otherMs: 12 },
          { label: 'check', modelMs: 0, otherMs: 1400 },
        ],
      },
      {
        label: 'tool branch',
        offsetMs: 500,
        segments: [{ label: 'tool_write', modelMs: 400, otherMs: NaN }],
      },
    ],
  },
];

describe('latency chart', () => {
  it('picks round tick steps', () => {
    expect(tickStep(4564)).toBe(1000);
    expect(tickStep(800)).toBe(100);
    expect(tickStep(1500)).toBe(200);
    expect(tickStep(0)).toBe(1);
  });

  it('ends a bar after its offset and every finite segment', () => {
    expect(barEnd(groups[0]!.bars[0]!)).toBe(4564);
    expect(barEnd(groups[0]!.bars[1]!)).toBe(900);
  });

  it('draws one rectangle per non-empty model or other part, to scale, with escaped text', () => {
    const svg = latencySvg(groups, 'caption & more');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const parts = [
      ...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)</g),
    ];
    // classify ×2, app_generate ×2, check (other only), tool_write (model only; NaN dropped)
    expect(parts.map((m) => m[3])).toEqual([
      'classify: model 185 ms',
      'classify: other 20 ms',
      'app_generate: model 2947 ms',
      'app_generate: other 12 ms',
      'check: other 1400 ms',
      'tool_write: model 400 ms',
    ]);
    const width = (i: number) => Number(parts[i]?.[2]);
    expect(width(2) / width(0)).toBeCloseTo(2947 / 185, 1);
    // The tool branch starts at its offset: 500 ms after the first bar's start.
    const x = (i: number) => Number(parts[i]?.[1]);
    expect((x(5) - x(0)) / width(0)).toBeCloseTo(500 / 185, 1);
    expect(svg).toContain('1. New app &lt;no tool&gt;');
    expect(svg).toContain('caption &amp; more');
  });
});
