import {
  estimateTokens,
  tokensBeforeVisible,
  type ChatMessage,
  type LlmClient,
  type LlmStage,
  type RunStore,
} from '@hyperdesk/shared';
import { TokenFrames } from './token-frames';

const THINKING_EVERY_MS = 1000;

export interface StreamDeps {
  llm: LlmClient;
  runs: RunStore;
  frameMs: number;
}

/**
 * One streamed model call whose text is sent to the run's watchers in frames as it
 * arrives. The call's metrics are recorded on the run; an app's with the tokens written
 * before its body showed anything (what its window waited for).
 */
export async function streamToRun(
  deps: StreamDeps,
  runId: string,
  call: { stage: LlmStage; messages: ChatMessage[]; target: 'app' | 'content'; reset: boolean },
): Promise<{ text: string; finishReason: string | null }> {
  let firstAt = 0;
  let first = true;
  const frames = new TokenFrames(async (text, tokens) => {
    const seconds = (Date.now() - firstAt) / 1000;
    await deps.runs.appendEvent({
      type: 'run.token',
      runId,
      at: Date.now(),
      target: call.target,
      text,
      tokens,
      tokensPerS: seconds > 0.05 ? Math.round(tokens / seconds) : null,
      ...(first && call.reset ? { reset: true } : {}),
    });
    first = false;
  }, deps.frameMs);
  // While the model reasons the window says so: at the start, then at most once a second.
  let thoughtAt = 0;
  const onReasoning = (tokens: number): void => {
    if (firstAt || Date.now() - thoughtAt < THINKING_EVERY_MS) return;
    thoughtAt = Date.now();
    void deps.runs
      .appendEvent({ type: 'run.thinking', runId, at: thoughtAt, target: call.target, tokens })
      .catch(() => undefined);
  };
  const result = await deps.llm
    .chat({
      stage: call.stage,
      messages: call.messages,
      onReasoning,
      onDelta: (delta, total) => {
        if (!firstAt) firstAt = Date.now();
        frames.push(delta, total);
      },
    })
    .finally(() => frames.close());
  const metrics =
    call.target === 'app'
      ? {
          ...result.metrics,
          // Of the answer's tokens: a call that reasoned counts its reasoning as completion too.
          tokensBeforeVisible: tokensBeforeVisible(
            result.text,
            result.metrics.reasoningMs === undefined
              ? result.metrics.completionTokens
              : estimateTokens(result.text),
          ),
        }
      : result.metrics;
  await deps.runs.recordLlmCall(runId, metrics);
  return { text: result.text, finishReason: result.finishReason };
}
