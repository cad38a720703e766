/**
 * Markdown helpers and the writer of BENCHMARKS.md. The file keeps a hand-written intro at
 * the top (everything above GENERATED_MARK is left as it is); below it the machine section
 * and one section per benchmark are rewritten. A benchmark not run this time (`--only`)
 * keeps its section from the previous file.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Summary } from './stats';

export const GENERATED_MARK =
  '<!-- Everything below this line is written by `npm run bench`; edit the intro above it. -->';

const DEFAULT_INTRO = `# Benchmarks

How fast Hyperdesk is between the model and the pixel, measured on one machine with the
whole system running as real processes (\`npm run demo\`'s launcher: gateway, planner,
tool-manager, app-generator, python-runner, the LLM simulator) against a real Redis, and
for the desktop a real headless Chromium.

\`npm run bench\` reruns everything and rewrites the sections below (nine benchmarks, each
against its own freshly started system);
\`npm run bench -- --only <name>\` reruns one benchmark and keeps the others' sections (the
names: \`new-app\`, \`new-app-tool\`, \`tool-calls\`, \`scale-out\`, \`fan-out\`, \`gateway\`,
\`footprint\`, \`model-calls\`, \`cost\`); \`--quick\` uses fewer repetitions and shorter windows (for
trying changes, not for the figures here). Raw samples go to \`test-artifacts/bench/\`; the
latency chart of sections 1 and 2 is \`docs/bench/latency.svg\`, drawn from
\`docs/bench/latency.json\`. Model answers beyond the simulator's built-in ones (the new
tool, the other request types) are in \`tests/bench/scenarios/\`.

Each benchmark starts its own system on free ports with a private Redis prefix, the
python-runner with bubblewrap and a private workspace, and the gateway's per-person limits
(requests per minute, runs in progress, daily tokens) raised so that no call is refused;
their checks still run on every request.

The figures are medians and percentiles over repeated runs on a shared, noisy machine with
two cores: compare them with each other and with the model-time bounds beside them rather
than as absolutes. Nothing here is asserted by the test suite.
`;

export interface SectionText {
  name: string;
  title: string;
  markdown: string;
}

const begin = (name: string) => `<!-- bench:begin ${name} -->`;
const end = (name: string) => `<!-- bench:end ${name} -->`;

/** The previous file's intro and its sections by name. */
async function readPrevious(
  path: string,
): Promise<{ intro: string; sections: Map<string, string> }> {
  const sections = new Map<string, string>();
  if (!existsSync(path)) return { intro: DEFAULT_INTRO, sections };
  const text = await readFile(path, 'utf8');
  const markAt = text.indexOf(GENERATED_MARK);
  const intro = markAt >= 0 ? text.slice(0, markAt).trimEnd() + '\n' : DEFAULT_INTRO;
  for (const match of text.matchAll(
    /<!-- bench:begin (\S+) -->\n([\s\S]*?)<!-- bench:end \1 -->/g,
  )) {
    if (match[1] && match[2] !== undefined) sections.set(match[1], match[2]);
  }
  return { intro, sections };
}

/**
 * Writes the report: `order` lists every benchmark's name and title in the order they
 * appear; `fresh` holds the sections measured now.
 */
export async function writeReport(
  path: string,
  machine: string,
  order: readonly { name: string; title: string }[],
  fresh: readonly SectionText[],
): Promise<void> {
  const previous = await readPrevious(path);
  const parts = [previous.intro, GENERATED_MARK, '', '## Machine', '', machine.trimEnd(), ''];
  order.forEach(({ name, title }, index) => {
    const now = fresh.find((s) => s.name === name);
    const body = now
      ? `## ${index + 1}. ${title}\n\n${now.markdown.trimEnd()}\n`
      : previous.sections.get(name);
    if (!body) return;
    parts.push(begin(name), body.trimEnd(), end(name), '');
  });
  await writeFile(path, parts.join('\n'));
}

/** A GitHub-flavoured Markdown table; `align` is 'l' or 'r' per column (default: first left). */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const alignment = align ?? 'l' + 'r'.repeat(headers.length - 1);
  const rule = headers.map((_, i) => (alignment[i] === 'r' ? '---:' : ':---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

/** Milliseconds with sensible precision: 0.1 ms below 100 ms, whole ms above. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A signed difference, e.g. "+12.3". */
export function signed(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return (value >= 0 ? '+' : '−') + ms(Math.abs(value));
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

/** p50 / p95 / p99 / max cells of a summary. */
export function percentileCells(s: Summary): string[] {
  return [ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
}

export function verdict(met: boolean): string {
  return met ? '**met**' : '**not met**';
}

/** The command that reproduces one benchmark's figures. */
export function command(name: string): string {
  return `npm run bench -- --only ${name}`;
}

export function measuredLine(name: string, quick: boolean): string {
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return `Measured ${when} with \`${command(name)}\`${quick ? ' (**--quick**: few repetitions)' : ''}.`;
}
