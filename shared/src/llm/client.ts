import { BadRequestError, OpenAI } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { z } from 'zod';
import type { LlmCallMetrics, LlmStage } from '../contracts/run';
import { jobLogger } from '../job-log';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../keys';
import type { Logger } from '../logger';
import { RatePacer, rateLimitedFetch } from './rate-limits';
import { recordLlmCall, recordLlmFailure } from '../metrics';
import { unavailableError } from './failures';
import { chatJsonWithReask, type ReplyCheck } from './json-reply';
import { callMetrics, tokensForChars, type ReportedUsage } from './metrics';
import type { LlmConfig } from './providers';
import { ReasoningSplitter, type StreamPiece } from './reasoning-stream';
import { refusedField, requestFields, type RefusableField } from './request-settings';
import { STAGE_HEADER } from './stages';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  stage: LlmStage;
  messages: ChatMessage[];
  /** Called for every piece of answer text (never reasoning), with the answer tokens so far. */
  onDelta?: (text: string, totalTokens: number) => void;
  /** Called while the model reasons before (or between) its answer, with the reasoning tokens so far. */
  onReasoning?: (reasoningTokens: number) => void;
  signal?: AbortSignal;
  /** Overrides the stage's output cap (request-settings.ts). */
  maxTokens?: number;
  /** Overrides the stage's temperature; dropped for models that refuse it. */
  temperature?: number;
}

export interface ChatResult {
  text: string;
  metrics: LlmCallMetrics;
  /** "stop", "length" (cut off at the token limit), …; null if the stream ended without one. */
  finishReason: string | null;
}

export interface ChatJsonResult<T> {
  value: T;
  /** Metrics of every call made: one, or two after a re-ask. */
  calls: LlmCallMetrics[];
  /** The answer the value was read from. */
  text: string;
}

export interface LlmClient {
  provider: string;
  model: string;
  simulated: boolean;
  /** One streamed completion. Rejects with LlmUnavailableError, or the abort reason when aborted. */
  chat(options: ChatOptions): Promise<ChatResult>;
  /** A completion read as JSON and checked against the schema, with one targeted re-ask. */
  chatJson<T>(
    options: ChatOptions & { schema: z.ZodType<T>; check?: ReplyCheck<T> },
  ): Promise<ChatJsonResult<T>>;
  /** Whether the model server answers `GET /models` within a few seconds. */
  ping(): Promise<boolean>;
}

const PING_TIMEOUT_MS = 3000;

/** Generated text in a chunk: the answer itself and any separate reasoning stream. */
function chunkText(chunk: ChatCompletionChunk): { content: string; reasoning: string } {
  const delta = chunk.choices[0]?.delta as
    { content?: string | null; reasoning?: unknown; reasoning_content?: unknown } | undefined;
  const reasoning = delta?.reasoning_content ?? delta?.reasoning;
  return {
    content: delta?.content ?? '',
    reasoning: typeof reasoning === 'string' ? reasoning : '',
  };
}

/** Usage as OpenAI reports it, or in Groq's `x_groq` extension. */
function chunkUsage(chunk: ChatCompletionChunk): ReportedUsage | null {
  const usage = chunk.usage ?? (chunk as { x_groq?: { usage?: typeof chunk.usage } }).x_groq?.usage;
  if (!usage) return null;
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    ...(typeof reasoningTokens === 'number' ? { reasoningTokens } : {}),
  };
}

interface StreamTally {
  /** The answer as the model wrote it (inline reasoning included: the parsers read it). */
  text: string;
  /** Characters of answer and reasoning text, for token estimates. */
  generatedChars: number;
  reasoningChars: number;
  /** First answer text (reasoning excluded). */
  ttftMs: number | null;
  firstReasoningMs: number | null;
  finishReason: string | null;
  usage: ReportedUsage | null;
}

/**
 * Reads a completion stream to its end, passing answer text on as it arrives. Reasoning,
 * whether in its own field or inline as `<think>`, is never passed on as answer text.
 */
async function readStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  t0: number,
  onChunk: () => void,
  options: Pick<ChatOptions, 'onDelta' | 'onReasoning'>,
): Promise<StreamTally> {
  const tally: StreamTally = {
    text: '',
    generatedChars: 0,
    reasoningChars: 0,
    ttftMs: null,
    firstReasoningMs: null,
    finishReason: null,
    usage: null,
  };
  const splitter = new ReasoningSplitter();
  let answerChars = 0;
  const take = ({ content, reasoning }: StreamPiece): void => {
    if (reasoning !== '') {
      tally.firstReasoningMs ??= performance.now() - t0;
      tally.reasoningChars += reasoning.length;
      options.onReasoning?.(tokensForChars(tally.reasoningChars));
    }
    if (content !== '') {
      tally.ttftMs ??= performance.now() - t0;
      answerChars += content.length;
      options.onDelta?.(content, tokensForChars(answerChars));
    }
  };
  for await (const chunk of stream) {
    onChunk();
    tally.usage = chunkUsage(chunk) ?? tally.usage;
    tally.finishReason = chunk.choices[0]?.finish_reason ?? tally.finishReason;
    const { content, reasoning } = chunkText(chunk);
    tally.generatedChars += content.length + reasoning.length;
    tally.text += content;
    if (reasoning !== '') take({ content: '', reasoning });
    if (content !== '') take(splitter.push(content));
  }
  take(splitter.end());
  return tally;
}

/** Aborts when `poke()` has not been called for `timeoutMs`. */
function stallWatch(timeoutMs: number, abort: AbortController) {
  let timer: NodeJS.Timeout | undefined;
  const watch = {
    stalled: false,
    poke(): void {
      clearTimeout(timer);
      timer = setTimeout(() => {
        watch.stalled = true;
        abort.abort(new Error('stream stalled'));
      }, timeoutMs);
    },
    stop(): void {
      clearTimeout(timer);
    },
  };
  return watch;
}

export interface LlmClientOptions {
  /** Where every worker's shared request budget lives; without it each client paces alone. */
  redis?: Redis;
  keys?: RedisKeys;
}

export function createLlmClient(
  config: LlmConfig,
  logger?: Logger,
  options: LlmClientOptions = {},
): LlmClient {
  const pacer =
    options.redis && options.keys
      ? new RatePacer(
          options.redis,
          options.keys.llmPace(config.provider, config.model),
          config.requests.requestsPerMinute,
        )
      : null;
  const openai = new OpenAI({
    fetch: rateLimitedFetch({
      pacer,
      maxRetries: config.maxRetries,
      // The wait counts against the request timeout; leave the answer room.
      maxWaitMs: Math.min(config.requests.rateLimitWaitMs, config.timeoutMs / 2),
      onPacerError: (err) =>
        logger?.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'rate pacing skipped',
        ),
    }),
    baseURL: config.baseURL,
    apiKey: config.apiKey ?? 'none',
    organization: null,
    project: null,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
  });
  const labels = { llm: config.provider, model: config.model };
  const log = logger?.child(labels);
  /** Fields this model refused with a 400: left out of every later request. */
  const refused = new Set<RefusableField>();
  const target = {
    provider: config.provider,
    model: config.model,
    maxTokensField: config.quirks.maxTokensField,
    settings: config.requests,
  };

  /**
   * Opens the completion stream with the stage's request settings. A 400 that names one of
   * the optional fields (temperature, reasoning effort, JSON mode) is asked again without it,
   * and the field is not sent again: the model still answers, just without that setting.
   */
  async function createStream(options: ChatOptions, signal: AbortSignal) {
    for (;;) {
      try {
        return await openai.chat.completions.create(
          {
            model: config.model,
            messages: options.messages,
            stream: true,
            ...(config.quirks.streamUsage ? { stream_options: { include_usage: true } } : {}),
            ...requestFields(target, options.stage, refused, options),
          },
          { headers: { [STAGE_HEADER]: options.stage }, signal },
        );
      } catch (err) {
        const field = err instanceof BadRequestError ? refusedField(err.param, err.message) : null;
        if (field === null || refused.has(field)) throw err;
        refused.add(field);
        log?.warn(
          { stage: options.stage, field, err: err instanceof Error ? err.message : '' },
          'model refused a request field; sending without it',
        );
      }
    }
  }

  async function chat(options: ChatOptions): Promise<ChatResult> {
    const { stage, messages, signal } = options;
    signal?.throwIfAborted();
    // Inside a job, the job's logger: its lines carry the run's id.
    const callLog = logger ? jobLogger(logger).child(labels) : undefined;
    const startedAt = Date.now();
    const t0 = performance.now();
    const abort = new AbortController();
    const forwardAbort = (): void => abort.abort(signal?.reason);
    signal?.addEventListener('abort', forwardAbort, { once: true });
    const stall = stallWatch(config.timeoutMs, abort);

    let tally: StreamTally;
    try {
      const stream = await createStream(options, abort.signal);
      stall.poke();
      tally = await readStream(stream, t0, stall.poke, options);
      // The SDK ends the iteration quietly when its signal aborts mid-stream.
      if (abort.signal.aborted) throw abort.signal.reason;
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      const failure = unavailableError(err, { config, stage, stalled: stall.stalled });
      recordLlmFailure(config.provider, stage, config.model);
      callLog?.warn({ stage, err: failure.message }, 'llm call failed');
      throw failure;
    } finally {
      stall.stop();
      signal?.removeEventListener('abort', forwardAbort);
    }

    const promptChars = messages.reduce((sum, m) => sum + m.content.length, 0);
    const metrics = callMetrics(
      {
        stage,
        model: config.model,
        startedAt,
        ttftMs: tally.ttftMs,
        firstReasoningMs: tally.firstReasoningMs,
        durationMs: performance.now() - t0,
        promptChars,
        completionChars: tally.generatedChars,
        reasoningChars: tally.reasoningChars,
      },
      tally.usage,
    );
    recordLlmCall(config.provider, metrics);
    callLog?.debug({ ...metrics, finishReason: tally.finishReason }, 'llm call');
    return { text: tally.text, metrics, finishReason: tally.finishReason };
  }

  return {
    provider: config.provider,
    model: config.model,
    simulated: config.simulated,
    chat,
    chatJson: (options) => chatJsonWithReask(chat, options),
    async ping() {
      try {
        await openai.models.list({ timeout: PING_TIMEOUT_MS, maxRetries: 0 });
        return true;
      } catch (err) {
        log?.debug({ err: err instanceof Error ? err.message : String(err) }, 'llm ping failed');
        return false;
      }
    },
  };
}
