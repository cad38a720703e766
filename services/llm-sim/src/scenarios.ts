import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LlmStage } from '@hyperdesk/shared';

export const BUILTIN_SCENARIOS_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

export const Fault = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.enum(['429', '500', 'hang', 'truncate', 'malformed', 'fence', 'think']),
);
export type Fault = z.infer<typeof Fault>;

/** How reasoning is streamed: in its own delta field, or inline in the content as `<think>`. */
export const ReasoningShape = z.enum(['reasoning', 'reasoning_content', 'think']);
export type ReasoningShape = z.infer<typeof ReasoningShape>;

/** Request fields a response can refuse with a 400, as a model that does not take them. */
export const RejectableField = z.enum(['temperature', 'reasoning_effort', 'response_format']);
export type RejectableField = z.infer<typeof RejectableField>;

/** A provider's reset duration: `1s`, `6m0s`, `120ms`, `2m59.56s`. */
const RateLimitDuration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration like 1s, 6m0s or 120ms');

const ScenarioResponseFile = z
  .object({
    content: z.string().optional(),
    contentFile: z.string().min(1).optional(),
    fault: Fault.optional(),
    times: z.number().int().positive().optional(),
    ttftMs: z.number().min(0).optional(),
    tokensPerS: z.number().positive().optional(),
    retryAfterMs: z.number().min(0).optional(),
    finishReason: z.enum(['stop', 'length']).optional(),
    reasoning: z.string().min(1).optional(),
    reasoningAs: ReasoningShape.optional(),
    rejects: z.array(RejectableField).min(1).optional(),
    resetRequests: RateLimitDuration.optional(),
    resetTokens: RateLimitDuration.optional(),
  })
  .strict()
  .refine((r) => !(r.content !== undefined && r.contentFile !== undefined), {
    message: 'give content or contentFile, not both',
  })
  .refine((r) => r.times === undefined || r.fault === '429' || r.fault === '500', {
    message: 'times only applies to the 429 and 500 faults',
    path: ['times'],
  })
  .refine((r) => (r.resetRequests ?? r.resetTokens) === undefined || r.fault === '429', {
    message: 'resetRequests / resetTokens only apply to the 429 fault',
    path: ['resetRequests'],
  });

const ScenarioFileEntry = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    stage: LlmStage.optional(),
    match: z.string().min(1).optional(),
    matchSystem: z.string().min(1).optional(),
    responses: z.array(ScenarioResponseFile).min(1),
  })
  .strict()
  .refine((s) => Boolean(s.stage ?? s.match ?? s.matchSystem), {
    message: 'a scenario needs a stage, a match or a matchSystem',
  });

/** A file holds one scenario or a list of them. */
const ScenarioFile = z.array(ScenarioFileEntry).min(1, 'the file lists no scenarios');

/** One answer as served: a fault, content (none = the stage's fallback answer), or both. */
export interface ResponseStep {
  content?: string;
  fault?: Fault;
  ttftMs?: number;
  tokensPerS?: number;
  retryAfterMs?: number;
  /** The finish reason sent with the whole content (`length`: as if cut at the token limit). */
  finishReason?: 'stop' | 'length';
  /** Reasoning streamed before the answer, as `reasoningAs` says (default `reasoning`). */
  reasoning?: string;
  reasoningAs?: ReasoningShape;
  /** A request carrying any of these fields gets a 400 naming it. */
  rejects?: RejectableField[];
  /** With a 429: `x-ratelimit-reset-requests` / `-tokens` instead of `retry-after`. */
  resetRequests?: string;
  resetTokens?: string;
}

export type TextMatcher = (text: string) => boolean;

export interface Scenario {
  name: string;
  source: 'builtin' | 'extra';
  file: string;
  stage?: LlmStage;
  match?: TextMatcher;
  matchSystem?: TextMatcher;
  /** Served in order; the last one repeats. */
  steps: ResponseStep[];
}

/** `/regex/flags` is a regular expression; anything else a case-insensitive substring. */
export function textMatcher(pattern: string): TextMatcher {
  const regex = /^\/(.+)\/([dgimsuvy]*)$/s.exec(pattern);
  if (regex?.[1] !== undefined) {
    const re = new RegExp(regex[1], (regex[2] ?? '').replace('g', ''));
    return (text) => re.test(text);
  }
  const needle = pattern.toLowerCase();
  return (text) => text.toLowerCase().includes(needle);
}

/** A 429/500 with `times: N` fails N times, then answers normally. */
function toSteps(response: z.infer<typeof ScenarioResponseFile>, content?: string): ResponseStep[] {
  const answer: ResponseStep = {
    ...(content !== undefined ? { content } : {}),
    ...(response.ttftMs !== undefined ? { ttftMs: response.ttftMs } : {}),
    ...(response.tokensPerS !== undefined ? { tokensPerS: response.tokensPerS } : {}),
    ...(response.finishReason !== undefined ? { finishReason: response.finishReason } : {}),
    ...(response.reasoning !== undefined ? { reasoning: response.reasoning } : {}),
    ...(response.reasoningAs !== undefined ? { reasoningAs: response.reasoningAs } : {}),
    ...(response.rejects !== undefined ? { rejects: response.rejects } : {}),
  };
  if (!response.fault) return [answer];
  const failing: ResponseStep = {
    fault: response.fault,
    ...(response.retryAfterMs !== undefined ? { retryAfterMs: response.retryAfterMs } : {}),
    ...(response.resetRequests !== undefined ? { resetRequests: response.resetRequests } : {}),
    ...(response.resetTokens !== undefined ? { resetTokens: response.resetTokens } : {}),
  };
  if (response.times === undefined) return [{ ...answer, ...failing }];
  return [...Array.from({ length: response.times }, () => failing), answer];
}

async function loadFile(file: string, source: Scenario['source']): Promise<Scenario[]> {
  const where = `scenario file ${file}`;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `${where} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const isList = Array.isArray(raw);
  const parsed = ScenarioFile.safeParse(isList ? raw : [raw]);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const at = isList ? i.path : i.path.slice(1);
      return `  ${at.join('.') || '(scenario)'}: ${i.message}`;
    });
    throw new Error(`${where} is invalid:\n${issues.join('\n')}`);
  }
  const entries = parsed.data;
  const base = path.basename(file, '.json');
  return Promise.all(
    entries.map(async (entry, index) => {
      const steps: ResponseStep[] = [];
      for (const response of entry.responses) {
        const content = response.contentFile
          ? await readFile(path.resolve(path.dirname(file), response.contentFile), 'utf8')
          : response.content;
        steps.push(...toSteps(response, content));
      }
      return {
        name: entry.name ?? (entries.length > 1 ? `${base}#${index + 1}` : base),
        source,
        file,
        ...(entry.stage ? { stage: entry.stage } : {}),
        ...(entry.match ? { match: textMatcher(entry.match) } : {}),
        ...(entry.matchSystem ? { matchSystem: textMatcher(entry.matchSystem) } : {}),
        steps,
      };
    }),
  );
}

/** Every `*.json` scenario file of a folder, in file name order. */
export async function loadScenarioDir(
  dir: string,
  source: Scenario['source'],
): Promise<Scenario[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(
      `Cannot read the scenario folder ${dir}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const loaded = await Promise.all(names.map((n) => loadFile(path.join(dir, n), source)));
  return loaded.flat();
}

/** Built-in scenarios, plus those of an extra folder (LLM_SIM_SCENARIOS) when given. */
export async function loadScenarios(extraDir?: string): Promise<Scenario[]> {
  const builtin = await loadScenarioDir(BUILTIN_SCENARIOS_DIR, 'builtin');
  const extra = extraDir ? await loadScenarioDir(path.resolve(extraDir), 'extra') : [];
  return [...extra, ...builtin];
}

export interface MatchInput {
  stage: LlmStage | null;
  /** Every user message; `match` may hit any of them, so a re-ask still matches its scenario. */
  users: readonly string[];
  /** All system messages, joined. */
  system: string;
}

/** Higher is preferred: a text match beats stage-only, then a stage beats any-stage, then extra beats built-in. */
function specificity(s: Scenario): number {
  return (s.match || s.matchSystem ? 4 : 0) + (s.stage ? 2 : 0) + (s.source === 'extra' ? 1 : 0);
}

export function matches(s: Scenario, input: MatchInput): boolean {
  if (s.stage && s.stage !== input.stage) return false;
  if (s.match && !input.users.some((text) => s.match?.(text))) return false;
  if (s.matchSystem && !s.matchSystem(input.system)) return false;
  return true;
}

export interface Selection {
  scenario: Scenario;
  step: ResponseStep;
  /** 1-based count of requests this scenario has served, this one included. */
  call: number;
}

/** The scenarios of one simulator, with a per-scenario counter for ordered responses. */
export class ScenarioBook {
  private readonly served = new Map<Scenario, number>();
  private readonly ranked: Scenario[];

  constructor(readonly scenarios: readonly Scenario[]) {
    // Array.prototype.sort is stable, so equal specificity keeps load order.
    this.ranked = [...scenarios].sort((a, b) => specificity(b) - specificity(a));
  }

  /** The most specific matching scenario and its next response; null when none matches. */
  select(input: MatchInput): Selection | null {
    const scenario = this.ranked.find((s) => matches(s, input));
    if (!scenario) return null;
    const call = (this.served.get(scenario) ?? 0) + 1;
    this.served.set(scenario, call);
    const step = scenario.steps[Math.min(call, scenario.steps.length) - 1] as ResponseStep;
    return { scenario, step, call };
  }

  reset(): void {
    this.served.clear();
  }
}
