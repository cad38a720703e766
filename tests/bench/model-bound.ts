/**
 * The pure model-time bound along a run's critical path: what the milestones would cost if
 * nothing but the model took time. Per sequential call: time to first token + tokens / rate
 * (the simulator's configured pacing), summed over the calls one after another.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunView } from '@hyperdesk/shared/contracts';
import { tokenize } from '@hyperdesk/llm-sim/src/pacing';

export interface Pace {
  ttftMs: number;
  tokensPerS: number;
}

/** The simulator's built-in benchmark app (about 2,800 tokens), matched by "benchmark app". */
export const BENCHMARK_APP_HTML = readFileSync(
  fileURLToPath(new URL('../../services/llm-sim/scenarios/benchmark-app.html', import.meta.url)),
  'utf8',
);

/**
 * Characters of `html` needed before <body> shows something: through the first complete
 * start tag inside it, or its first non-blank character of text. −1 while that has not come.
 */
export function bodyContentEnd(html: string): number {
  const body = /<body[^>]*>/i.exec(html);
  if (!body) return -1;
  let i = body.index + body[0].length;
  while (i < html.length && /\s/.test(html[i] ?? '')) i++;
  if (i >= html.length) return -1;
  if (html[i] !== '<') return i + 1;
  const close = html.indexOf('>', i);
  return close < 0 ? -1 : close + 1;
}

/** Tokens the simulator sends before the benchmark app's body has content. */
export function tokensBeforeBody(html: string = BENCHMARK_APP_HTML): number {
  const end = bodyContentEnd(html);
  return end < 0 ? NaN : tokenize(html.slice(0, end)).length;
}

export interface Bounds {
  /** First app token: every call before the app call, then its time to first token. */
  firstToken: number;
  /** Body content: as firstToken, plus the tokens up to the first content in <body>. */
  firstBody: number;
  /** Every sequential call in full: the bound on the app being complete and on DONE. */
  complete: number;
  /** ttft + tokens / rate per call, in call order. */
  calls: { stage: string; tokens: number; boundMs: number }[];
}

const APP_STAGES = ['app_generate', 'app_repair'];

export function modelBounds(view: RunView, pace: Pace, bodyTokens: number): Bounds {
  const calls = view.llm.detail.map((call) => ({
    stage: call.stage,
    tokens: call.completionTokens,
    boundMs: pace.ttftMs + (call.completionTokens / pace.tokensPerS) * 1000,
  }));
  const appCall = calls.findIndex((c) => APP_STAGES.includes(c.stage));
  const before = calls.slice(0, appCall < 0 ? calls.length : appCall);
  const beforeMs = before.reduce((sum, c) => sum + c.boundMs, 0);
  const firstToken = beforeMs + pace.ttftMs;
  return {
    firstToken,
    firstBody: firstToken + (bodyTokens / pace.tokensPerS) * 1000,
    complete: calls.reduce((sum, c) => sum + c.boundMs, 0),
    calls,
  };
}
