import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LlmStage } from '../contracts/run';

/**
 * Recorded transcripts: with LLM_RECORD_DIR set, every model call is appended as one JSON
 * line to `<dir>/calls-<pid>.jsonl` (one file per process, so services never interleave
 * writes). The simulator replays such a folder (LLM_SIM_REPLAY), so one evaluation against a
 * real provider becomes a regression suite that runs offline.
 */
export const RecordedCall = z.object({
  /** Epoch ms when the call began; replay serves a request's answers in this order. */
  at: z.number(),
  stage: LlmStage,
  /** The provider and model asked; `servedModel` / `servedBy` say what answered (OpenRouter routes). */
  provider: z.string(),
  model: z.string(),
  servedModel: z.string().nullable(),
  servedBy: z.string().nullable(),
  messages: z.array(z.object({ role: z.string(), content: z.string() })),
  content: z.string(),
  reasoning: z.string(),
  finishReason: z.string().nullable(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }).nullable(),
  /** `x-ratelimit-*`, `retry-after*` and the like, as the provider sent them. */
  rateLimit: z.record(z.string(), z.string()),
});
export type RecordedCall = z.infer<typeof RecordedCall>;

const RATE_LIMIT_HEADER = /^(x-ratelimit-|retry-after|ratelimit-)/i;

/** The response headers that describe rate limits. */
export function rateLimitHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (RATE_LIMIT_HEADER.test(name)) kept[name.toLowerCase()] = value;
  });
  return kept;
}

/** Folders this process has already made: made once, not before every call. */
const made = new Set<string>();

export async function recordCall(dir: string, call: RecordedCall): Promise<void> {
  if (!made.has(dir)) {
    await mkdir(dir, { recursive: true });
    made.add(dir);
  }
  await appendFile(path.join(dir, `calls-${process.pid}.jsonl`), `${JSON.stringify(call)}\n`);
}
