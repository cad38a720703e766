import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fallbackAnswer } from './fallback';
import { applyContentFault, isContentFault } from './faults';
import { answerDurationMs, pacedBatches, TICK_MS, tokenize, wait, type Pace } from './pacing';
import { ChatRequest, readConversation, type Conversation } from './request';
import type { RequestLog } from './request-log';
import type { ResponseStep, ScenarioBook } from './scenarios';

export const SIM_MODEL = 'hyperdesk-sim';
/** Response headers naming what answered, for people and tests reading the traffic. */
export const SCENARIO_HEADER = 'x-hyperdesk-sim-scenario';

export interface CompletionDeps {
  book: ScenarioBook;
  pace: Pace;
  log: RequestLog;
}

export function openAiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

/** Aborts when the client goes away before the response is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

interface Answer {
  tokens: string[];
  finishReason: 'stop' | 'length';
  /** Deltas streamed before the answer: reasoning in its field, or inline `<think>` pieces. */
  reasoning: { field: 'reasoning' | 'reasoning_content' | 'content'; pieces: string[] } | null;
}

/**
 * The reasoning deltas, one small piece each, so a `<think>` tag arrives split across chunks
 * as real streams split it (`<thi`, `nk>`).
 */
function reasoningDeltas(step: ResponseStep): Answer['reasoning'] {
  if (step.reasoning === undefined) return null;
  const pieces = tokenize(step.reasoning);
  if (step.reasoningAs === 'think') {
    return { field: 'content', pieces: ['<thi', 'nk>\n', ...pieces, '\n</th', 'ink>\n\n'] };
  }
  return { field: step.reasoningAs ?? 'reasoning', pieces };
}

function shapeAnswer(step: ResponseStep, conversation: Conversation): Answer {
  let content = step.content ?? fallbackAnswer(conversation);
  if (isContentFault(step.fault)) content = applyContentFault(content, step.fault);
  let tokens = tokenize(content);
  let finishReason: Answer['finishReason'] = step.finishReason ?? 'stop';
  if (step.fault === 'truncate') {
    tokens = tokens.slice(0, Math.ceil(tokens.length / 2));
    finishReason = 'length';
  }
  if (conversation.maxTokens !== null && tokens.length > conversation.maxTokens) {
    tokens = tokens.slice(0, conversation.maxTokens);
    finishReason = 'length';
  }
  return { tokens, finishReason, reasoning: reasoningDeltas(step) };
}

function usage(conversation: Conversation, completionTokens: number) {
  const promptTokens = Math.ceil(conversation.promptChars / 4);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

interface StreamInput {
  id: string;
  model: string;
  answer: Answer;
  conversation: Conversation;
  includeUsage: boolean;
  pace: Pace;
  startedAt: number;
  signal: AbortSignal;
  scenario: string;
}

/** Server-sent events in the chat.completion.chunk shape, paced like a real model. */
async function streamAnswer(reply: FastifyReply, input: StreamInput): Promise<void> {
  const { id, model, answer, includeUsage } = input;
  const created = Math.floor(Date.now() / 1000);
  const envelope = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: SIM_MODEL,
  };
  const chunk = (delta: object, finishReason: string | null = null) => ({
    ...envelope,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const send = (data: object | string): void => {
    reply.raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };

  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    [SCENARIO_HEADER]: input.scenario,
  });
  let first = true;
  if (answer.reasoning) {
    send(chunk({ role: 'assistant', content: '' }));
    first = false;
    for (const piece of answer.reasoning.pieces) {
      if (!(await wait(TICK_MS, input.signal))) break;
      send(chunk({ [answer.reasoning.field]: piece }));
    }
  }
  for await (const batch of pacedBatches(
    answer.tokens,
    input.pace,
    input.startedAt,
    input.signal,
  )) {
    if (first) send(chunk({ role: 'assistant', content: '' }));
    first = false;
    send(chunk({ content: batch.join('') }));
  }
  if (input.signal.aborted) {
    reply.raw.destroy();
    return;
  }
  if (first) send(chunk({ role: 'assistant', content: '' }));
  send(chunk({}, answer.finishReason));
  if (includeUsage) {
    send({ ...envelope, choices: [], usage: usage(input.conversation, answer.tokens.length) });
  }
  send('[DONE]');
  reply.raw.end();
}

/** Holds the request open, answering nothing, until the client gives up. */
async function hang(reply: FastifyReply, signal: AbortSignal): Promise<void> {
  reply.hijack();
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  reply.raw.destroy();
}

/** POST /v1/chat/completions */
export async function handleCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CompletionDeps,
): Promise<unknown> {
  const startedAt = performance.now();
  const parsed = ChatRequest.safeParse(request.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return reply
      .code(400)
      .send(
        openAiError(
          `Invalid request: ${where}${issue?.message ?? 'bad body'}`,
          'invalid_request_error',
        ),
      );
  }
  const body = parsed.data;
  const conversation = readConversation(request.headers, body);
  const selection = deps.book.select(conversation);
  const step: ResponseStep = selection?.step ?? {};
  const scenario = selection?.scenario.name ?? 'fallback';
  request.log.info(
    {
      stage: conversation.stage,
      scenario,
      call: selection?.call,
      fault: step.fault,
      stream: body.stream === true,
    },
    'completion',
  );
  const signal = clientGone(reply);
  const logged = deps.log.start({
    stage: conversation.stage,
    scenario,
    user: conversation.user,
    maxTokens: conversation.maxTokens,
    temperature: body.temperature ?? null,
    reasoningEffort: body.reasoning_effort ?? null,
    responseFormat: body.response_format?.type ?? null,
  });
  reply.raw.on('close', () => {
    logged.status = reply.raw.writableFinished ? 'done' : 'aborted';
  });

  const refused = step.rejects?.find((field) => body[field] !== undefined && body[field] !== null);
  if (refused) {
    logged.httpStatus = 400;
    reply.header(SCENARIO_HEADER, scenario);
    return reply.code(400).send({
      error: {
        message: `Unsupported parameter: '${refused}' is not supported with this model.`,
        type: 'invalid_request_error',
        param: refused,
        code: 'unsupported_parameter',
      },
    });
  }

  if (step.fault === '429' || step.fault === '500') {
    logged.httpStatus = Number(step.fault);
    const resets = step.resetRequests !== undefined || step.resetTokens !== undefined;
    // Cerebras and Groq name when each limit resets and send no retry-after.
    if (step.resetRequests !== undefined) {
      reply.header('x-ratelimit-limit-requests', '30');
      reply.header('x-ratelimit-remaining-requests', '0');
      reply.header('x-ratelimit-reset-requests', step.resetRequests);
    }
    if (step.resetTokens !== undefined) {
      reply.header('x-ratelimit-limit-tokens', '60000');
      reply.header('x-ratelimit-remaining-tokens', '0');
      reply.header('x-ratelimit-reset-tokens', step.resetTokens);
    }
    const retryAfterMs = step.retryAfterMs ?? (step.fault === '429' && !resets ? 100 : undefined);
    if (retryAfterMs !== undefined) {
      reply.header('retry-after-ms', String(retryAfterMs));
      reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    reply.header(SCENARIO_HEADER, scenario);
    return step.fault === '429'
      ? reply
          .code(429)
          .send(
            openAiError(
              'Rate limit reached (simulated). Please retry after a short wait.',
              'rate_limit_error',
              'rate_limit_exceeded',
            ),
          )
      : reply
          .code(500)
          .send(
            openAiError(
              'The server had an error while processing your request (simulated).',
              'server_error',
            ),
          );
  }
  if (step.fault === 'hang') return hang(reply, signal);

  const answer = shapeAnswer(step, conversation);
  const pace: Pace = {
    ttftMs: step.ttftMs ?? deps.pace.ttftMs,
    tokensPerS: step.tokensPerS ?? deps.pace.tokensPerS,
  };
  const id = `chatcmpl-sim-${randomUUID().slice(0, 13)}`;
  const model = body.model ?? SIM_MODEL;

  if (body.stream) {
    return streamAnswer(reply, {
      id,
      model,
      answer,
      conversation,
      includeUsage: body.stream_options?.include_usage === true,
      pace,
      startedAt,
      signal,
      scenario,
    });
  }

  const delay = answerDurationMs(answer.tokens.length, pace) - (performance.now() - startedAt);
  if (!(await wait(delay, signal))) {
    reply.hijack();
    reply.raw.destroy();
    return;
  }
  reply.header(SCENARIO_HEADER, scenario);
  return reply.send({
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: SIM_MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.tokens.join(''), refusal: null },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: usage(conversation, answer.tokens.length),
  });
}
