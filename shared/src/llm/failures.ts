import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { LlmCallMetrics, LlmStage } from '../contracts/run';
import { LlmOutputError, LlmUnavailableError } from '../errors';
import type { LlmConfig } from './providers';
import { describeRefusal, readRateLimits } from './rate-limits';

/** The model's answer was unusable even after a re-ask; carries the metrics of every call made. */
export class LlmJsonOutputError extends LlmOutputError {
  constructor(
    message: string,
    raw: string,
    readonly calls: LlmCallMetrics[],
  ) {
    super(message, raw);
  }
}

export interface FailureContext {
  config: LlmConfig;
  stage: LlmStage;
  /** The stream went quiet for longer than the timeout after it had started. */
  stalled: boolean;
}

/** The innermost cause's text, e.g. "connect ECONNREFUSED 127.0.0.1:11434". */
function rootCause(err: unknown): string {
  let current: unknown = err;
  let text = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (current.message) text = current.message;
    if (typeof code === 'string' && !text.includes(code)) text = `${code}: ${text}`;
    current = current.cause;
  }
  return text;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/**
 * Turns a failed call into an error a person can act on: which provider and URL, what
 * happened, and what to try. Retries (429, 5xx, network) have already been made by then.
 */
export function unavailableError(err: unknown, ctx: FailureContext): LlmUnavailableError {
  const { config, stage } = ctx;
  const where = `${config.provider} at ${config.baseURL} (model ${config.model})`;
  const attempts = `${config.maxRetries + 1} attempt${config.maxRetries === 0 ? '' : 's'}`;
  const message = ((): string => {
    if (ctx.stalled) {
      return `${where} stopped sending the ${stage} answer: nothing arrived for ${seconds(config.timeoutMs)}. ${config.hint}`;
    }
    if (err instanceof APIConnectionTimeoutError) {
      return `${where} did not answer the ${stage} request within ${seconds(config.timeoutMs)} (${attempts}). ${config.hint}`;
    }
    if (err instanceof APIConnectionError) {
      return `Cannot reach ${where}: ${rootCause(err)} (${attempts}). ${config.hint}`;
    }
    if (err instanceof APIError && typeof err.status === 'number') {
      const detail = `HTTP ${err.status}: ${err.message}`;
      if (err.status === 401 || err.status === 403) {
        return `${where} refused the API key (${detail}). ${config.hint}`;
      }
      if (err.status === 404) {
        return `${where} does not serve this model or URL (${detail}). Set LLM_MODEL / LLM_BASE_URL. ${config.hint}`;
      }
      if (err.status === 429) {
        const limit = err.headers ? describeRefusal(readRateLimits(err.headers)) : null;
        return limit
          ? `${where} refused the ${stage} request after ${attempts}: ${limit}. Try again then, or lower the load (LLM_REQUESTS_PER_MINUTE paces every worker).`
          : `${where} is rate limiting (${detail}) after ${attempts}. Wait a minute or lower the load.`;
      }
      if (err.status >= 500) {
        return `${where} failed (${detail}) after ${attempts}. ${config.hint}`;
      }
      return `${where} rejected the ${stage} request (${detail}).`;
    }
    return `${where} failed during the ${stage} call: ${rootCause(err)}`;
  })();
  return new LlmUnavailableError(message, { cause: err });
}
