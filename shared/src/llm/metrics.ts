import type { LlmCallMetrics, LlmStage } from '../contracts/run';

/** Rough token count of text, ~4 characters a token, as BPE tokenizers average on English and code. */
export function estimateTokens(text: string): number {
  return tokensForChars(text.length);
}

export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface ReportedUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of the completion tokens, those spent reasoning (OpenAI's `completion_tokens_details`). */
  reasoningTokens?: number;
}

export interface CallTiming {
  stage: LlmStage;
  model: string;
  /** Epoch ms when the call began. */
  startedAt: number;
  /** ms from the start to the first answer text (reasoning excluded); null if none came. */
  ttftMs: number | null;
  /** ms from the start to the first reasoning text; null if the model did not reason. */
  firstReasoningMs?: number | null;
  durationMs: number;
  promptChars: number;
  /** Characters of everything generated, reasoning included. */
  completionChars: number;
  /** Characters of reasoning among them. */
  reasoningChars?: number;
}

/** Answer tokens: the completion without its reasoning, reported or estimated. */
function answerTokens(timing: CallTiming, usage: ReportedUsage | null, completion: number): number {
  const reasoningChars = timing.reasoningChars ?? 0;
  if (usage?.reasoningTokens !== undefined) return completion - usage.reasoningTokens;
  if (reasoningChars === 0) return completion;
  const share = (timing.completionChars - reasoningChars) / timing.completionChars;
  return Math.round(completion * share);
}

/**
 * One call's metrics. Token counts come from the provider's usage report when it sent one,
 * else they are estimated; tokens/s counts answer tokens over the time after the first answer
 * token, so reasoning neither hides a blank window nor inflates the rate.
 */
export function callMetrics(timing: CallTiming, usage: ReportedUsage | null): LlmCallMetrics {
  const completionTokens = usage?.completionTokens ?? tokensForChars(timing.completionChars);
  const answer = answerTokens(timing, usage, completionTokens);
  const generationMs = timing.ttftMs === null ? 0 : timing.durationMs - timing.ttftMs;
  const reasonedAt = timing.firstReasoningMs ?? null;
  return {
    stage: timing.stage,
    model: timing.model,
    startedAt: timing.startedAt,
    ttftMs: timing.ttftMs === null ? null : Math.round(timing.ttftMs),
    durationMs: Math.round(timing.durationMs),
    promptTokens: usage?.promptTokens ?? tokensForChars(timing.promptChars),
    completionTokens,
    tokensPerS:
      generationMs >= 1 && answer > 0 ? Math.round((answer / generationMs) * 1000 * 10) / 10 : null,
    ...(reasonedAt === null
      ? {}
      : {
          firstReasoningMs: Math.round(reasonedAt),
          reasoningMs: Math.round((timing.ttftMs ?? timing.durationMs) - reasonedAt),
        }),
  };
}
