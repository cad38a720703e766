import { z } from 'zod';
import type { LlmStage } from '../contracts/run';
import type { LlmProvider } from './providers';

/**
 * What each model request carries besides its messages, per stage and provider: the output
 * cap, the reasoning effort, the temperature and the JSON mode. One table, so a reader sees
 * every stage's settings in one place, and settings can override any of them.
 */

export const ReasoningEffort = z.enum(['low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;

export interface StageSettings {
  /** The output cap in tokens: the answer plus the reasoning before it. */
  maxTokens: number;
  /** null: the model's own default (the parameter is not sent). */
  reasoningEffort: ReasoningEffort | null;
  /** null: the model's own default. */
  temperature: number | null;
  /** The stage answers one JSON object, so the provider's JSON mode may be asked for. */
  json: boolean;
}

/**
 * Caps leave room for reasoning (gpt-oss reasons before its first visible token) and are
 * still far below a model's context, since some providers (Cerebras) count a request with no
 * cap as the whole context against the tokens-per-minute limit. Low effort where a person
 * waits for the answer: the classification, the generated app and every repair.
 */
export const STAGE_SETTINGS: Record<LlmStage, StageSettings> = {
  classify: { maxTokens: 2_048, reasoningEffort: 'low', temperature: 0, json: true },
  plan_tools: { maxTokens: 8_192, reasoningEffort: null, temperature: 0, json: true },
  tool_write: { maxTokens: 8_192, reasoningEffort: null, temperature: 0.2, json: false },
  tool_repair: { maxTokens: 8_192, reasoningEffort: 'low', temperature: 0.2, json: false },
  app_generate: { maxTokens: 16_384, reasoningEffort: 'low', temperature: null, json: false },
  app_repair: { maxTokens: 16_384, reasoningEffort: 'low', temperature: null, json: false },
  diagnose: { maxTokens: 4_096, reasoningEffort: null, temperature: 0, json: true },
  content: { maxTokens: 16_384, reasoningEffort: null, temperature: null, json: false },
  app_ask: { maxTokens: 4_096, reasoningEffort: 'low', temperature: null, json: false },
};

/** How a provider takes the settings (documented in README, "Request settings"). */
export interface ProviderRequestStyle {
  /** How reasoning effort is sent: OpenAI's `reasoning_effort`, or OpenRouter's `reasoning: {effort}`. */
  reasoning: 'reasoning_effort' | 'reasoning_object';
  /**
   * `response_format: {type: "json_object"}` while streaming. Groq's JSON mode does not
   * stream, nor does Cerebras' with reasoning models: those stay with the tolerant parser.
   */
  jsonMode: boolean;
}

export const PROVIDER_REQUEST_STYLES: Record<LlmProvider, ProviderRequestStyle> = {
  cerebras: { reasoning: 'reasoning_effort', jsonMode: false },
  groq: { reasoning: 'reasoning_effort', jsonMode: false },
  openai: { reasoning: 'reasoning_effort', jsonMode: true },
  openrouter: { reasoning: 'reasoning_object', jsonMode: true },
  ollama: { reasoning: 'reasoning_effort', jsonMode: true },
  vllm: { reasoning: 'reasoning_effort', jsonMode: true },
  llamacpp: { reasoning: 'reasoning_effort', jsonMode: true },
  sim: { reasoning: 'reasoning_effort', jsonMode: true },
};

/** Models that take a reasoning effort: gpt-oss, OpenAI's o-series and gpt-5. */
const EFFORT_MODELS = /(^|\/)(gpt-oss|o[1-9](-|$)|gpt-5)/i;
/** OpenAI reasoning models accept only the default temperature. */
const NO_TEMPERATURE_MODELS = /(^|\/)(o[1-9](-|$)|gpt-5)/i;

const StageOverride = z
  .object({
    maxTokens: z.number().int().positive(),
    reasoningEffort: ReasoningEffort.nullable(),
    temperature: z.number().min(0).max(2).nullable(),
  })
  .partial()
  .strict();

const StageOverrides = z.partialRecord(
  z.enum(Object.keys(STAGE_SETTINGS) as [LlmStage, ...LlmStage[]]),
  StageOverride,
);

/** `LLM_STAGE_SETTINGS`: JSON, e.g. `{"app_generate": {"maxTokens": 32000}}`. */
const StageOverridesJson = z.preprocess((v) => {
  if (v === undefined || v === '') return {};
  try {
    return JSON.parse(String(v));
  } catch {
    return v;
  }
}, StageOverrides);

/** The request settings, merged into `LlmEnv`. */
export const LlmRequestEnv = z.object({
  /** Per-stage overrides of STAGE_SETTINGS. */
  LLM_STAGE_SETTINGS: StageOverridesJson,
  /**
   * `auto`: the stage table, sent only to models that take it; `off`: never sent; an effort:
   * that effort for every stage, sent to any model (for models the name does not reveal).
   */
  LLM_REASONING_EFFORT: z.enum(['auto', 'off', ...ReasoningEffort.options]).default('auto'),
  /** `auto`: JSON mode for JSON stages where the provider streams it; `off`: never. */
  LLM_JSON_MODE: z.enum(['auto', 'off']).default('auto'),
  /** Requests per minute to the provider, shared by every worker (0: only what it refuses). */
  LLM_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  /** The longest one call waits in all for a provider's rate limit before it fails. */
  LLM_RATE_LIMIT_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
});
export type LlmRequestEnv = z.infer<typeof LlmRequestEnv>;

export interface RequestSettings {
  stages: Record<LlmStage, StageSettings>;
  /** null: as the stage table says, for models known to take it. */
  effortOverride: ReasoningEffort | 'off' | null;
  jsonMode: boolean;
  requestsPerMinute: number;
  rateLimitWaitMs: number;
}

export function resolveRequestSettings(env: LlmRequestEnv): RequestSettings {
  const stages = { ...STAGE_SETTINGS };
  for (const [stage, override] of Object.entries(env.LLM_STAGE_SETTINGS)) {
    const name = stage as LlmStage;
    stages[name] = { ...stages[name], ...override };
  }
  return {
    stages,
    effortOverride: env.LLM_REASONING_EFFORT === 'auto' ? null : env.LLM_REASONING_EFFORT,
    jsonMode: env.LLM_JSON_MODE === 'auto',
    requestsPerMinute: env.LLM_REQUESTS_PER_MINUTE,
    rateLimitWaitMs: env.LLM_RATE_LIMIT_WAIT_MS,
  };
}

/** Request fields a provider refused for this model (a 400 naming them); never sent again. */
export type RefusableField = 'temperature' | 'reasoning' | 'response_format';

export interface RequestTarget {
  provider: LlmProvider;
  model: string;
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  settings: RequestSettings;
}

/**
 * The extra body fields of one request: the cap under the provider's name for it, the
 * reasoning effort and temperature where the model takes them, and JSON mode for JSON stages
 * where the provider streams it. `maxTokens` / `temperature` given by the caller win.
 */
export function requestFields(
  target: RequestTarget,
  stage: LlmStage,
  refused: ReadonlySet<RefusableField>,
  given: { maxTokens?: number; temperature?: number } = {},
): Record<string, unknown> {
  const stageSettings = target.settings.stages[stage];
  const style = PROVIDER_REQUEST_STYLES[target.provider];
  const fields: Record<string, unknown> = {
    [target.maxTokensField]: given.maxTokens ?? stageSettings.maxTokens,
  };
  const { effortOverride } = target.settings;
  const effort =
    effortOverride === 'off'
      ? null
      : effortOverride !== null
        ? effortOverride
        : EFFORT_MODELS.test(target.model)
          ? stageSettings.reasoningEffort
          : null;
  if (effort !== null && !refused.has('reasoning')) {
    if (style.reasoning === 'reasoning_object') fields.reasoning = { effort };
    else fields.reasoning_effort = effort;
  }
  const temperature = given.temperature ?? stageSettings.temperature;
  if (
    temperature !== null &&
    !refused.has('temperature') &&
    !NO_TEMPERATURE_MODELS.test(target.model)
  ) {
    fields.temperature = temperature;
  }
  if (
    stageSettings.json &&
    style.jsonMode &&
    target.settings.jsonMode &&
    !refused.has('response_format')
  ) {
    fields.response_format = { type: 'json_object' };
  }
  return fields;
}

/**
 * The field a 400 refuses, from OpenAI's error body (`param`) or its message ("Unsupported
 * parameter: 'temperature'…", "Unrecognized request argument supplied: reasoning_effort").
 */
export function refusedField(param: unknown, message: string): RefusableField | null {
  const text = `${typeof param === 'string' ? param : ''} ${message}`;
  if (/\btemperature\b/i.test(text)) return 'temperature';
  if (/\breasoning(_effort)?\b/i.test(text)) return 'reasoning';
  if (/\bresponse_format\b|\bjson mode\b|\bjson_object\b/i.test(text)) return 'response_format';
  return null;
}
