import type { z } from 'zod';
import { LlmJsonOutputError } from './llm/failures';
import type { ChatOptions, LlmClient } from './llm/client';
import type { ReplyCheck } from './llm/json-reply';
import type { RunStore } from './runs';

/**
 * A JSON model call made for a run: every call's metrics (the re-ask included, and also when
 * the answer stays unusable) are recorded on the run.
 */
export async function chatJsonForRun<T>(
  llm: LlmClient,
  runs: RunStore,
  runId: string,
  options: ChatOptions & { schema: z.ZodType<T>; check?: ReplyCheck<T> },
): Promise<T> {
  try {
    const { value, calls } = await llm.chatJson(options);
    for (const call of calls) await runs.recordLlmCall(runId, call);
    return value;
  } catch (err) {
    if (err instanceof LlmJsonOutputError) {
      for (const call of err.calls) await runs.recordLlmCall(runId, call);
    }
    throw err;
  }
}
