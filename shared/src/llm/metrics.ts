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
}

export interface CallTiming {
  stage: LlmStage;
  model: string;
  /** Epoch ms when the call began. */
  startedAt: number;
  /** ms from the start to the first generated text (content or reasoning); null if none came. */
  ttftMs: number | null;
  durationMs: number;
  promptChars: number;
  completionChars: number;
}

/**
 * One call's metrics. Token counts come from the provider's usage report when it sent one,
 * else they are estimated; tokens/s is measured over the generation time (after the first token).
 */
export function callMetrics(timing: CallTiming, usage: ReportedUsage | null): LlmCallMetrics {
  const completionTokens = usage?.completionTokens ?? tokensForChars(timing.completionChars);
  const generationMs = timing.ttftMs === null ? 0 : timing.durationMs - timing.ttftMs;
  return {
    stage: timing.stage,
    model: timing.model,
    startedAt: timing.startedAt,
    ttftMs: timing.ttftMs === null ? null : Math.round(timing.ttftMs),
    durationMs: Math.round(timing.durationMs),
    promptTokens: usage?.promptTokens ?? tokensForChars(timing.promptChars),
    completionTokens,
    tokensPerS:
      generationMs >= 1 && completionTokens > 0
        ? Math.round((completionTokens / generationMs) * 1000 * 10) / 10
        : null,
  };
}
