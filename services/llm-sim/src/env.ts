import { z } from 'zod';
import { BaseEnv, parseEnv } from '@hyperdesk/shared';

export const SimEnv = z.object({
  LLM_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  LLM_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  /** Time to first token, ms. */
  LLM_SIM_TTFT_MS: z.coerce.number().min(0).default(150),
  /** Generation speed after the first token. */
  LLM_SIM_TOKENS_PER_S: z.coerce.number().positive().default(1000),
  /** An extra folder of scenario files, loaded beside (and preferred over) the built-in ones. */
  LLM_SIM_SCENARIOS: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** A recorded transcript folder to replay instead of the scenarios (`npm run eval -- --replay`). */
  LLM_SIM_REPLAY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  /** A context window: longer prompts are cut from the top, as Ollama and llama.cpp do. */
  LLM_SIM_CONTEXT_TOKENS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().positive().optional(),
  ),
  /** Completions need this key (`/v1/models` still answers without one, as OpenRouter's does). */
  LLM_SIM_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  LOG_LEVEL: BaseEnv.shape.LOG_LEVEL,
});
export type SimEnv = z.infer<typeof SimEnv>;

export function loadSimEnv(source: NodeJS.ProcessEnv = process.env): SimEnv {
  return parseEnv(SimEnv, source);
}
