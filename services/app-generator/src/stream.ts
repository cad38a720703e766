import type { ChatMessage, LlmClient, LlmStage, RunStore } from '@hyperdesk/shared';
import { TokenFrames } from './token-frames';

const THINKING_EVERY_MS = 1000;

export interface StreamDeps {
  llm: LlmClient;
  runs: RunStore;
  frameMs: number;
}

/**
 * One streamed model call whose text is sent to the run's watchers in frames as it
 * arrives. The call's metrics are recorded on the run.
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
  await deps.runs.recordLlmCall(runId, result.metrics);
  return { text: result.text, finishReason: result.finishReason };
}
