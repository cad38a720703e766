/**
 * The latency-breakdown chart of the new-app benchmarks, drawn as plain SVG text: one bar
 * per run kind (and per parallel branch), each made of its stages one after another, every
 * stage split into model time and everything else. The new-app benchmarks each store their
 * bars in docs/bench/latency.json, and the chart is redrawn from all stored bars, so a
 * benchmark run alone (`--only`) keeps the other's bars.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Segment {
  /** The stage, e.g. `classify` or `queue hop`. */
  label: string;
  /** ms of pure model time (time to first token + tokens ÷ rate) in this stage. */
  modelMs: number;
  /** ms of everything else in this stage. */
  otherMs: number;
}

export interface Bar {
  label: string;
  /** ms after submit where the bar starts (a parallel branch starts later). */
  offsetMs: number;
  segments: Segment[];
}

export interface ChartGroup {
  /** The benchmark's name, which orders the groups and replaces its earlier bars. */
  name: string;
  title: string;
  /** Measured with --quick (few repetitions): said in the chart's caption. */
  quick?: boolean;
  bars: Bar[];
}

const WIDTH = 960;
const LEFT = 210;
const RIGHT = 30;
const BAR_HEIGHT = 26;
const BAR_GAP = 22;
const GROUP_GAP = 12;
const TOP = 84;
const MODEL_COLOURS = ['#2b5fa8', '#3f77c4'];
const OTHER_COLOURS = ['#e3a33b', '#f0c26e'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function tickStep(max: number, count = 8): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

const num = (x: number) => (Number.isFinite(x) ? Math.max(0, x) : 0);

/** The end of a bar, ms after submit. */
export function barEnd(bar: Bar): number {
  return num(bar.offsetMs) + bar.segments.reduce((t, s) => t + num(s.modelMs) + num(s.otherMs), 0);
}

/** The chart as SVG text. */
export function latencySvg(groups: readonly ChartGroup[], caption: string): string {
  const maxMs = Math.max(1, ...groups.flatMap((g) => g.bars.map(barEnd)));
  const step = tickStep(maxMs);
  const axisMax = Math.ceil(maxMs / step) * step;
  const scale = (WIDTH - LEFT - RIGHT) / axisMax;
  const x = (ms: number) => LEFT + ms * scale;
  const parts: string[] = [];
  let y = TOP;
  for (const group of groups) {
    parts.push(
      `<text x="10" y="${y + 4}" font-weight="bold" font-size="13">${escape(group.title)}</text>`,
    );
    y += 14;
    for (const bar of group.bars) {
      parts.push(
        `<text x="${LEFT - 8}" y="${y + BAR_HEIGHT / 2 + 4}" text-anchor="end">${escape(bar.label)}</text>`,
      );
      let at = num(bar.offsetMs);
      bar.segments.forEach((segment, i) => {
        const start = at;
        const pieces: [number, string, string][] = [
          [num(segment.modelMs), MODEL_COLOURS[i % 2] ?? '#2b5fa8', 'model'],
          [num(segment.otherMs), OTHER_COLOURS[i % 2] ?? '#e3a33b', 'other'],
        ];
        for (const [ms, colour, kind] of pieces) {
          if (ms <= 0) continue;
          parts.push(
            `<rect x="${x(at).toFixed(1)}" y="${y}" width="${(ms * scale).toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}"><title>${escape(`${segment.label}: ${kind} ${Math.round(ms)} ms`)}</title></rect>`,
          );
          at += ms;
        }
        const width = (at - start) * scale;
        // Stage names go below the bar when they fit, so the bar itself stays readable.
        if (width >= 34) {
          parts.push(
            `<text x="${(x(start) + width / 2).toFixed(1)}" y="${y + BAR_HEIGHT + 11}" text-anchor="middle" font-size="10" fill="#444">${escape(segment.label)}</text>`,
          );
        }
      });
      parts.push(
        `<text x="${(x(at) + 4).toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 4}" font-size="10" fill="#444">${Math.round(at)}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  const axisY = y + 6;
  const ticks: string[] = [];
  for (let ms = 0; ms <= axisMax + 1e-9; ms += step) {
    ticks.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${TOP - 6}" x2="${x(ms).toFixed(1)}" y2="${axisY}" stroke="#ddd"/>`,
      `<text x="${x(ms).toFixed(1)}" y="${axisY + 14}" text-anchor="middle" font-size="10">${ms}</text>`,
    );
  }
  const height = axisY + 52;
  const legendY = axisY + 36;
  const legend = [
    `<rect x="${LEFT}" y="${legendY - 10}" width="12" height="12" fill="${MODEL_COLOURS[0]}"/>`,
    `<text x="${LEFT + 18}" y="${legendY}">model time (time to first token + tokens ÷ rate)</text>`,
    `<rect x="${LEFT + 330}" y="${legendY - 10}" width="12" height="12" fill="${OTHER_COLOURS[0]}"/>`,
    `<text x="${LEFT + 348}" y="${legendY}">everything else (queues, transitions, storage, browser, checks)</text>`,
    `<text x="${LEFT - 8}" y="${axisY + 14}" text-anchor="end" font-size="10">ms after submit</text>`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Where the time goes: model time against everything else, stage by stage (p50)</text>`,
    ...caption
      .split('; ')
      .map(
        (line, i) =>
          `<text x="10" y="${38 + 13 * i}" font-size="11" fill="#555">${escape(line)}${i < caption.split('; ').length - 1 ? ';' : ''}</text>`,
      ),
    ...ticks,
    ...parts,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_PATH = 'docs/bench/latency.svg';
const DATA_PATH = 'docs/bench/latency.json';
/** The order of the groups in the chart. */
const ORDER = ['new-app', 'new-app-tool'];

/** Stores one benchmark's bars and redraws the chart from every stored group. */
export async function updateLatencyChart(group: ChartGroup): Promise<void> {
  await mkdir(`${root}docs/bench`, { recursive: true });
  let groups: ChartGroup[] = [];
  if (existsSync(`${root}${DATA_PATH}`)) {
    groups = JSON.parse(await readFile(`${root}${DATA_PATH}`, 'utf8')) as ChartGroup[];
  }
  groups = [...groups.filter((g) => g.name !== group.name), group].sort(
    (a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name),
  );
  await writeFile(`${root}${DATA_PATH}`, JSON.stringify(groups, null, 1) + '\n');
  const quick = groups.filter((g) => g.quick).map((g) => g.name);
  const caption = `Simulator at 150 ms to first token and 1000 tokens/s; p50 of each stage over the desktop runs of npm run bench (new-app, new-app-tool)${quick.length ? `; ${quick.join(', ')} measured with --quick (few runs)` : ''}. Hover a bar for its stage.`;
  await writeFile(`${root}${CHART_PATH}`, latencySvg(groups, caption));
}

/** The Markdown that shows the chart in BENCHMARKS.md. */
export const CHART_MARKDOWN = `![Latency breakdown of a new app with and without a new tool: model time against everything else, stage by stage](${CHART_PATH})`;
