import {
  HyperdeskError,
  askMessages,
  errorMessage,
  extractJson,
  reaskMessage,
  checkSchema,
  tokensForChars,
  utcDay,
  type AppMeta,
  type AskBody,
  type AskLine,
  type AskUsage,
  type ChatMessage,
  type LlmCallMetrics,
} from '@hyperdesk/shared';
import { TooManyRequestsError, countInMinute } from './auth';
import type { GatewayDeps } from './deps';

/** Refuses an app's ask past its per-minute limit (429, limit `app_asks_per_minute`). */
export async function checkAskRate(deps: GatewayDeps, appId: string): Promise<void> {
  const limit = deps.env.ASKS_PER_APP_PER_MINUTE;
  await countInMinute(deps, (minute) => deps.keys.appAskRate(appId, minute), limit, {
    limit: 'app_asks_per_minute',
    message: (resetsAt) =>
      `This app asked the model ${limit} times this minute, its limit; it resets at ${resetsAt}.`,
  });
}

/** What an app's asks spent today and what it may spend before the person is asked again. */
export async function askUsage(deps: GatewayDeps, appId: string): Promise<AskUsage> {
  const day = utcDay();
  const [spent, granted] = await deps.redis.mget(
    deps.keys.appAskUsage(appId, day),
    deps.keys.appAskGranted(appId, day),
  );
  return {
    appId,
    day,
    spent: Number(spent ?? 0),
    allowance: deps.env.ASK_FREE_TOKENS_PER_APP + Number(granted ?? 0),
  };
}

/**
 * Past its daily allowance an app's ask is refused (429, `ASK_CONSENT_NEEDED`) until the
 * person lets it spend more (the window asks them), so an app left open cannot spend the
 * person's whole budget on its own.
 */
export async function checkAskAllowance(deps: GatewayDeps, appId: string): Promise<void> {
  const usage = await askUsage(deps, appId);
  if (usage.spent < usage.allowance) return;
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  throw new TooManyRequestsError(
    `This app has spent ${usage.spent} model tokens on hyperdesk.ask today, its allowance is ${usage.allowance}; the person must allow it more.`,
    'app_ask_allowance',
    midnight.getTime(),
    'ASK_CONSENT_NEEDED',
  );
}

/** The person lets an app spend `tokens` more today (the window's consent). */
export async function grantAskTokens(
  deps: GatewayDeps,
  appId: string,
  tokens: number,
): Promise<AskUsage> {
  const key = deps.keys.appAskGranted(appId, utcDay());
  await deps.redis
    .multi()
    .incrby(key, tokens)
    .expire(key, 2 * 86_400)
    .exec();
  return askUsage(deps, appId);
}

/**
 * The run an app's asks are recorded on: the newest run that wrote a version of it, so the
 * calls show in that run's timeline. Null for an app with no run left (then only the
 * person's token usage counts them).
 */
export async function askRunId(deps: GatewayDeps, appId: string): Promise<string | null> {
  const versions = await deps.apps.versions(appId);
  for (const version of versions.reverse()) {
    if (version.runId?.startsWith('run_') && (await deps.runs.get(version.runId))) {
      return version.runId;
    }
  }
  return null;
}

export interface AskInput {
  user: string;
  app: AppMeta;
  body: AskBody;
  signal: AbortSignal;
  send: (line: AskLine) => void;
}

/**
 * One `hyperdesk.ask`: streams the answer as lines, checks a structured answer against the
 * app's schema (one re-ask when it does not match), and records every model call, an
 * aborted one included, on the app's run and the person's token usage. Never throws: a
 * failure is an `error` line (nothing is sent once the app has gone).
 */
export async function answerAsk(deps: GatewayDeps, input: AskInput): Promise<void> {
  const { body, signal, send } = input;
  const runId = await askRunId(deps, input.app.id);
  const record = (call: LlmCallMetrics) =>
    recordAskCall(deps, input.user, input.app.id, runId, call);
  const messages: ChatMessage[] = askMessages({
    prompt: body.prompt,
    appTitle: input.app.title,
    ...(body.system ? { system: body.system } : {}),
    ...(body.schema ? { schema: body.schema } : {}),
  });
  let conversation = messages;
  let tokens = 0;
  try {
    for (const attempt of [0, 1]) {
      const startedAt = Date.now();
      let streamed = 0;
      // The answer as the app received it: the client passes on no reasoning.
      let answer = '';
      let result;
      try {
        result = await deps.llm.chat({
          stage: 'app_ask',
          messages: conversation,
          signal,
          onDelta: (text, total) => {
            streamed = total;
            answer += text;
            send({ type: 'token', text });
          },
        });
      } catch (err) {
        if (signal.aborted) await record(abortedCall(deps, conversation, startedAt, streamed));
        throw err;
      }
      await record(result.metrics);
      tokens += result.metrics.completionTokens;
      if (!body.schema) {
        send({ type: 'done', text: answer, tokens });
        return;
      }
      const problem = await structuredProblem(result.text, body.schema);
      if (problem === null) {
        const parsed = extractJson(result.text);
        send({ type: 'done', text: answer, value: parsed.ok ? parsed.value : null, tokens });
        return;
      }
      if (attempt === 1) {
        send({
          type: 'error',
          code: 'MODEL_OUTPUT_INVALID',
          error: `The model's answer did not match the app's schema, even after a re-ask: ${problem}`,
        });
        return;
      }
      send({ type: 'retry', problem });
      conversation = [
        ...messages,
        { role: 'assistant', content: answer },
        { role: 'user', content: reaskMessage(problem) },
      ];
    }
  } catch (err) {
    if (signal.aborted) return;
    deps.logger.warn({ appId: input.app.id, err: errorMessage(err) }, 'ask failed');
    send({
      type: 'error',
      code: err instanceof HyperdeskError ? err.code : 'INTERNAL',
      error:
        err instanceof HyperdeskError
          ? err.message
          : 'The model call failed unexpectedly; see the gateway log.',
    });
  }
}

/** Null when the text holds JSON matching the schema, else what is wrong with it. */
export async function structuredProblem(
  text: string,
  schema: Record<string, unknown>,
): Promise<string | null> {
  const parsed = extractJson(text);
  if (!parsed.ok) return parsed.error;
  const errors = await checkSchema(schema, parsed.value, "the app's schema");
  return errors ? `The JSON does not match the schema: ${errors}` : null;
}

function abortedCall(
  deps: GatewayDeps,
  messages: ChatMessage[],
  startedAt: number,
  completionTokens: number,
): LlmCallMetrics {
  const promptChars = messages.reduce((sum, m) => sum + m.content.length, 0);
  return {
    stage: 'app_ask',
    model: deps.llm.model,
    startedAt,
    ttftMs: null,
    durationMs: Date.now() - startedAt,
    promptTokens: tokensForChars(promptChars),
    completionTokens,
    tokensPerS: null,
  };
}

async function recordAskCall(
  deps: GatewayDeps,
  user: string,
  appId: string,
  runId: string | null,
  call: LlmCallMetrics,
): Promise<void> {
  const appUsage = deps.keys.appAskUsage(appId, utcDay());
  await deps.redis
    .multi()
    .incrby(appUsage, call.promptTokens + call.completionTokens)
    .expire(appUsage, 3 * 86_400)
    .exec();
  if (runId) {
    await deps.runs.recordLlmCall(runId, call);
    return;
  }
  const usage = deps.keys.userTokenUsage(user, utcDay());
  await deps.redis
    .multi()
    .incrby(usage, call.promptTokens + call.completionTokens)
    .expire(usage, 3 * 86_400)
    .exec();
}
