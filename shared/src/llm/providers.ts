import { z } from 'zod';
import { LlmRequestEnv, resolveRequestSettings, type RequestSettings } from './request-settings';

export const LlmProvider = z.enum([
  'cerebras',
  'groq',
  'openai',
  'openrouter',
  'ollama',
  'vllm',
  'llamacpp',
  'sim',
]);
export type LlmProvider = z.infer<typeof LlmProvider>;

/** An unset variable and one set to "" (common in compose files) mean the same. */
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

/**
 * The LLM settings, as a fragment to merge into a service's env schema:
 * `z.object({ ...BaseEnv.shape, ...LlmEnv.shape })`. The default provider is a local Ollama;
 * `npm run demo` sets `LLM_PROVIDER=sim`.
 */
export const LlmEnv = z.object({
  LLM_PROVIDER: LlmProvider.default('ollama'),
  /** Overrides the provider's base URL (the one that ends in /v1). */
  LLM_BASE_URL: optionalUrl,
  /** Overrides the provider's own key variable. */
  LLM_API_KEY: optionalText,
  /** Overrides the provider's default model. */
  LLM_MODEL: optionalText,
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  CEREBRAS_API_KEY: optionalText,
  GROQ_API_KEY: optionalText,
  OPENAI_API_KEY: optionalText,
  OPENROUTER_API_KEY: optionalText,
  ...LlmRequestEnv.shape,
});
export type LlmEnv = z.infer<typeof LlmEnv>;

type KeyVariable = 'CEREBRAS_API_KEY' | 'GROQ_API_KEY' | 'OPENAI_API_KEY' | 'OPENROUTER_API_KEY';

/** How a provider departs from the OpenAI API. */
export interface ProviderQuirks {
  /** Accepts `stream_options: {include_usage: true}` (others may report usage unasked, or not at all). */
  streamUsage: boolean;
  /** The request field that caps the answer length. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Refuses requests without an API key. */
  needsApiKey: boolean;
  /** Runs on this machine or network, so "is it running?" is the first question when it fails. */
  local: boolean;
}

export interface ProviderPreset {
  baseURL: string;
  model: string;
  keyVariable: KeyVariable | null;
  quirks: ProviderQuirks;
  /** What to do when the provider cannot be reached; shown in error messages. */
  hint: string;
}

const hosted = {
  needsApiKey: true,
  local: false,
} as const;

const selfHosted = {
  streamUsage: true,
  maxTokensField: 'max_tokens',
  needsApiKey: false,
  local: true,
} as const;

export const PROVIDER_PRESETS: Record<LlmProvider, ProviderPreset> = {
  cerebras: {
    baseURL: 'https://api.cerebras.ai/v1',
    model: 'gpt-oss-120b',
    keyVariable: 'CEREBRAS_API_KEY',
    quirks: { ...hosted, streamUsage: false, maxTokensField: 'max_completion_tokens' },
    hint: 'Check CEREBRAS_API_KEY and https://status.cerebras.ai.',
  },
  groq: {
    baseURL: 'https://api.groq.com/openai/v1',
    model: 'openai/gpt-oss-120b',
    keyVariable: 'GROQ_API_KEY',
    quirks: { ...hosted, streamUsage: false, maxTokensField: 'max_completion_tokens' },
    hint: 'Check GROQ_API_KEY and https://groqstatus.com.',
  },
  openai: {
    baseURL: 'https://api.openai.com/v1',
    model: 'gpt-4.1-mini',
    keyVariable: 'OPENAI_API_KEY',
    quirks: { ...hosted, streamUsage: true, maxTokensField: 'max_completion_tokens' },
    hint: 'Check OPENAI_API_KEY and https://status.openai.com.',
  },
  openrouter: {
    baseURL: 'https://openrouter.ai/api/v1',
    model: 'openai/gpt-oss-120b',
    keyVariable: 'OPENROUTER_API_KEY',
    quirks: { ...hosted, streamUsage: true, maxTokensField: 'max_tokens' },
    hint: 'Check OPENROUTER_API_KEY and the model name on https://openrouter.ai/models.',
  },
  ollama: {
    baseURL: 'http://127.0.0.1:11434/v1',
    model: 'qwen2.5-coder:7b',
    keyVariable: null,
    quirks: selfHosted,
    hint: 'Start Ollama (`ollama serve`) and pull the model (`ollama pull <LLM_MODEL>`), or set LLM_PROVIDER.',
  },
  vllm: {
    baseURL: 'http://127.0.0.1:8000/v1',
    model: 'Qwen/Qwen2.5-Coder-7B-Instruct',
    keyVariable: null,
    quirks: selfHosted,
    hint: 'Start the vLLM server (`vllm serve <LLM_MODEL>`) or set LLM_BASE_URL to where it runs.',
  },
  llamacpp: {
    baseURL: 'http://127.0.0.1:8080/v1',
    model: 'default',
    keyVariable: null,
    quirks: { ...selfHosted, streamUsage: false },
    hint: 'Start llama.cpp (`llama-server -m <model.gguf> --port 8080`) or set LLM_BASE_URL.',
  },
  sim: {
    baseURL: 'http://127.0.0.1:4010/v1',
    model: 'hyperdesk-sim',
    keyVariable: null,
    quirks: selfHosted,
    hint: 'Start the simulator (`npm start -w @hyperdesk/llm-sim`) or set LLM_BASE_URL to where it runs.',
  },
};

export interface LlmConfig {
  provider: LlmProvider;
  baseURL: string;
  /** null for local servers that need none. */
  apiKey: string | null;
  model: string;
  /** The model is the simulator; the UI labels its output as such. */
  simulated: boolean;
  quirks: ProviderQuirks;
  hint: string;
  timeoutMs: number;
  maxRetries: number;
  /** Output caps, reasoning effort, temperature and JSON mode per stage (request-settings.ts). */
  requests: RequestSettings;
}

/**
 * Turns the LLM settings into a client configuration: the provider's preset, with
 * LLM_BASE_URL / LLM_API_KEY / LLM_MODEL taking precedence. Throws, naming the variable to
 * set, when a hosted provider has no key.
 */
export function resolveLlmConfig(env: LlmEnv): LlmConfig {
  const preset = PROVIDER_PRESETS[env.LLM_PROVIDER];
  const apiKey = env.LLM_API_KEY ?? (preset.keyVariable ? env[preset.keyVariable] : undefined);
  if (preset.quirks.needsApiKey && !apiKey && !env.LLM_BASE_URL) {
    throw new Error(
      `LLM_PROVIDER=${env.LLM_PROVIDER} needs an API key: set ${preset.keyVariable ?? 'LLM_API_KEY'} (or LLM_API_KEY).`,
    );
  }
  return {
    provider: env.LLM_PROVIDER,
    baseURL: (env.LLM_BASE_URL ?? preset.baseURL).replace(/\/+$/, ''),
    apiKey: apiKey ?? null,
    model: env.LLM_MODEL ?? preset.model,
    simulated: env.LLM_PROVIDER === 'sim',
    quirks: preset.quirks,
    hint: preset.hint.replaceAll('<LLM_MODEL>', env.LLM_MODEL ?? preset.model),
    timeoutMs: env.LLM_TIMEOUT_MS,
    maxRetries: env.LLM_MAX_RETRIES,
    requests: resolveRequestSettings(env),
  };
}
