import { readFileSync } from 'node:fs';
import type { CheckResult } from './checks';
import { formatRate, type RepeatSummary } from './pass-at-k';
import type { Provenance } from './provenance';
import type { EvalKind } from './types';

/** What one request did, as written to the result file. */
export interface RequestResult {
  id: string;
  kind: EvalKind;
  prompt: string;
  runId: string | null;
  /** The run's terminal state, or why there was none. */
  state: string;
  error?: string;
  timedOut: boolean;
  /** `success`: the run ended DONE and every check passed. */
  outcome: 'success' | 'failed' | 'skipped';
  /** A deliberate failure case: it should end FAILED with a reason a person can act on. */
  expectedFailure: boolean;
  /** For deliberate failures: it did. */
  failedCleanly?: boolean;
  appRepairs: number;
  toolRepairs: number;
  /** Every model call of the run, re-asks and repairs included. */
  modelCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** From the request to the first streamed token of the app or content. */
  firstPixelMs: number | null;
  /** The first app call's tokens written before its <body> showed anything (null: no app, or it never did). */
  tokensBeforeVisible?: number | null;
  /** From the request to the terminal state. */
  doneMs: number | null;
  costUsd: number | null;
  stages: string[];
  tools: string[];
  appId?: string;
  checks: CheckResult[];
  /** With `--repeat k`: which of the request's k samples this is (0-based). */
  sample?: number;
}

export interface Price {
  input: number;
  output: number;
}

/**
 * The price per million tokens for a provider and model: EVAL_PRICE_INPUT /
 * EVAL_PRICE_OUTPUT, else evals/prices.json (`provider/model`, then `provider/*`), else none.
 */
export function priceFor(
  provider: string,
  model: string,
  env: NodeJS.ProcessEnv = process.env,
  file = new URL('./prices.json', import.meta.url),
): Price | null {
  if (env.EVAL_PRICE_INPUT !== undefined || env.EVAL_PRICE_OUTPUT !== undefined) {
    const input = Number(env.EVAL_PRICE_INPUT ?? 0);
    const output = Number(env.EVAL_PRICE_OUTPUT ?? 0);
    if (!Number.isFinite(input) || !Number.isFinite(output) || input < 0 || output < 0) {
      throw new Error(
        'EVAL_PRICE_INPUT and EVAL_PRICE_OUTPUT must be non-negative numbers (USD per million tokens).',
      );
    }
    return { input, output };
  }
  const table = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const entry = table[`${provider}/${model}`] ?? table[`${provider}/*`];
  if (!entry || typeof entry !== 'object') return null;
  const { input, output } = entry as Record<string, unknown>;
  if (typeof input !== 'number' || typeof output !== 'number') {
    throw new Error(`evals/prices.json: ${provider}/${model} needs numeric "input" and "output".`);
  }
  return { input, output };
}

export function costOf(
  price: Price | null,
  promptTokens: number,
  completionTokens: number,
): number | null {
  if (!price) return null;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? null)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export interface Summary {
  requests: number;
  /** Requests expected to work (deliberate failures and skipped requests are not scored). */
  scored: number;
  successFirstTime: number;
  successAfterRepair: number;
  failed: number;
  skipped: number;
  successRateFirstTime: number | null;
  successRate: number | null;
  repairsPerSuccess: number | null;
  modelCallsPerRequest: number | null;
  promptTokensPerRequest: number | null;
  completionTokensPerRequest: number | null;
  medianFirstPixelMs: number | null;
  /** Median over the requests that wrote an app. */
  medianTokensBeforeVisible: number | null;
  medianDoneMs: number | null;
  costUsd: number | null;
  costPerRequestUsd: number | null;
  deliberateFailures: number;
  failedCleanly: number;
  byKind: Record<string, { scored: number; success: number }>;
}

const repairs = (r: RequestResult) => r.appRepairs + r.toolRepairs;

export function summarize(results: RequestResult[]): Summary {
  const ran = results.filter((r) => r.outcome !== 'skipped');
  const scored = ran.filter((r) => !r.expectedFailure);
  const successes = scored.filter((r) => r.outcome === 'success');
  const first = successes.filter((r) => repairs(r) === 0).length;
  const costs = ran.map((r) => r.costUsd);
  const priced = costs.every((c) => c !== null) && ran.length > 0;
  const cost = priced ? costs.reduce<number>((a, c) => a + (c ?? 0), 0) : null;
  const byKind: Summary['byKind'] = {};
  for (const r of scored) {
    const entry = (byKind[r.kind] ??= { scored: 0, success: 0 });
    entry.scored += 1;
    if (r.outcome === 'success') entry.success += 1;
  }
  const deliberate = ran.filter((r) => r.expectedFailure);
  return {
    requests: results.length,
    scored: scored.length,
    successFirstTime: first,
    successAfterRepair: successes.length - first,
    failed: scored.length - successes.length,
    skipped: results.length - ran.length,
    successRateFirstTime: scored.length ? first / scored.length : null,
    successRate: scored.length ? successes.length / scored.length : null,
    repairsPerSuccess: successes.length
      ? successes.reduce((a, r) => a + repairs(r), 0) / successes.length
      : null,
    modelCallsPerRequest: mean(ran.map((r) => r.modelCalls)),
    promptTokensPerRequest: mean(ran.map((r) => r.promptTokens)),
    completionTokensPerRequest: mean(ran.map((r) => r.completionTokens)),
    medianFirstPixelMs: median(
      ran.flatMap((r) => (r.firstPixelMs === null ? [] : [r.firstPixelMs])),
    ),
    medianTokensBeforeVisible: median(
      ran.flatMap((r) =>
        typeof r.tokensBeforeVisible === 'number' ? [r.tokensBeforeVisible] : [],
      ),
    ),
    medianDoneMs: median(ran.flatMap((r) => (r.doneMs === null ? [] : [r.doneMs]))),
    costUsd: cost,
    costPerRequestUsd: cost !== null && ran.length ? cost / ran.length : null,
    deliberateFailures: deliberate.length,
    failedCleanly: deliberate.filter((r) => r.failedCleanly).length,
    byKind,
  };
}

export interface ResultFile {
  harness: 1;
  suite: string;
  provider: string;
  model: string;
  baseURL: string;
  startedAt: string;
  finishedAt: string | null;
  /** False while the suite runs (and for good if it was interrupted). */
  complete: boolean;
  price: Price | null;
  summary: Summary;
  requests: RequestResult[];
  /** The settings, git commit and prompts the result was measured with. */
  provenance?: Provenance;
  /** `--repeat k`: pass@1 and pass@k with their intervals. */
  repeat?: RepeatSummary;
  /** `--record`: where every model call was saved; `--replay`: the recording that answered. */
  recordedTo?: string;
  replayOf?: string;
}

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)} %`);
const num = (x: number | null, digits = 1) => (x === null ? '–' : x.toFixed(digits));
const secs = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const usd = (x: number | null) =>
  x === null ? '–' : x === 0 ? '$0' : `$${x.toFixed(x < 0.01 ? 5 : 3)}`;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownSummary(file: ResultFile): string {
  const s = file.summary;
  const lines = [
    `# Eval: ${file.provider} / ${file.model} — suite ${file.suite}`,
    '',
    `Started ${file.startedAt}${file.finishedAt ? `, finished ${file.finishedAt}` : ''}${file.complete ? '' : ' (incomplete)'}.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| success, first time | ${s.successFirstTime}/${s.scored} (${pct(s.successRateFirstTime)}) |`,
    `| success, after repair | ${s.successFirstTime + s.successAfterRepair}/${s.scored} (${pct(s.successRate)}) |`,
    `| repairs per success | ${num(s.repairsPerSuccess, 2)} |`,
    `| model calls per request | ${num(s.modelCallsPerRequest)} |`,
    `| tokens per request (prompt / completion) | ${num(s.promptTokensPerRequest, 0)} / ${num(s.completionTokensPerRequest, 0)} |`,
    `| median time to first pixel | ${secs(s.medianFirstPixelMs)} |`,
    `| median tokens before an app shows anything | ${num(s.medianTokensBeforeVisible ?? null, 0)} |`,
    `| median time to DONE | ${secs(s.medianDoneMs)} |`,
    `| cost | ${usd(s.costUsd)} (${usd(s.costPerRequestUsd)} per request)${file.price ? '' : ' — no price configured'} |`,
    `| deliberate failures that failed cleanly | ${s.failedCleanly}/${s.deliberateFailures} |`,
    ...(s.skipped ? [`| skipped | ${s.skipped} |`] : []),
    ...(file.repeat
      ? [
          `| pass@1 (each sample) | ${formatRate(file.repeat.passAt1)} |`,
          `| pass@${file.repeat.k} (any of ${file.repeat.k} samples) | ${formatRate(file.repeat.passAtK)} |`,
        ]
      : []),
    ...(file.provenance
      ? [
          `| code | ${file.provenance.git ? `${file.provenance.git.commit.slice(0, 12)}${file.provenance.git.dirty ? ' (with uncommitted changes)' : ''}` : '–'} |`,
          `| prompts (sha256) | ${file.provenance.prompts.sha256.slice(0, 16)} |`,
        ]
      : []),
    ...(file.replayOf ? [`| replayed from | ${cell(file.replayOf)} |`] : []),
    ...(file.recordedTo ? [`| recorded to | ${cell(file.recordedTo)} |`] : []),
    '',
    '| kind | success |',
    '|---|---|',
    ...Object.entries(s.byKind).map(([kind, k]) => `| ${kind} | ${k.success}/${k.scored} |`),
    '',
    '## Requests',
    '',
    '| id | kind | state | outcome | repairs (app/tool) | calls | tokens | tokens before visible | first pixel | done | problems |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...file.requests.map((r) => {
      const failedChecks = r.checks
        .filter((c) => !c.ok)
        .map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name));
      const outcome = r.expectedFailure
        ? `${r.outcome}${r.failedCleanly ? ' (as intended)' : ' (not as intended)'}`
        : r.outcome;
      const problems = [...(r.error && r.outcome !== 'success' ? [r.error] : []), ...failedChecks];
      return `| ${r.id} | ${r.kind} | ${r.state} | ${outcome} | ${r.appRepairs}/${r.toolRepairs} | ${r.modelCalls} | ${r.promptTokens + r.completionTokens} | ${num(r.tokensBeforeVisible ?? null, 0)} | ${secs(r.firstPixelMs)} | ${secs(r.doneMs)} | ${cell(problems.join('; ').slice(0, 300))} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

/** One row per result file, newest first. */
export function comparisonTable(files: { name: string; result: ResultFile }[]): string {
  const rows = [...files].sort((a, b) => b.result.startedAt.localeCompare(a.result.startedAt));
  if (rows.length === 0) return 'No result files yet: run `npm run eval -- --provider <preset>`.';
  return [
    '| result | provider | model | suite | requests | success first time | success after repair | repairs / success | calls / request | tokens / request | median first pixel | median DONE | cost / request |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(({ name, result: r }) => {
      const s = r.summary;
      const tokens =
        s.promptTokensPerRequest === null
          ? null
          : s.promptTokensPerRequest + (s.completionTokensPerRequest ?? 0);
      return `| [${name}](${name.replace(/\.json$/, '.md')})${r.complete ? '' : ' (incomplete)'} | ${r.provider} | ${cell(r.model)} | ${r.suite} | ${s.requests} | ${pct(s.successRateFirstTime)} | ${pct(s.successRate)} | ${num(s.repairsPerSuccess, 2)} | ${num(s.modelCallsPerRequest)} | ${num(tokens, 0)} | ${secs(s.medianFirstPixelMs)} | ${secs(s.medianDoneMs)} | ${usd(s.costPerRequestUsd)} |`;
    }),
  ].join('\n');
}
