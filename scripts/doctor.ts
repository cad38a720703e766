/**
 * `npm run doctor`: checks the configured model provider for real and prints one table with
 * what Hyperdesk will use: the model is served (`GET /models`), streaming works, JSON mode
 * works, how the model shows its reasoning (a separate field, inline `<think>`, none), time to
 * the first content token and tokens/s. Exit code 0 when the provider can run Hyperdesk, 1
 * when a check failed, 2 when the settings are wrong; every failure is one sentence that says
 * what to do.
 */
import { OpenAI } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import {
  LlmEnv,
  STAGE_HEADER,
  estimateTokens,
  extractJson,
  formatSections,
  parseEnv,
  resolveLlmConfig,
  splitReasoning,
  unavailableError,
  type LlmConfig,
} from '@hyperdesk/shared';

const TIMEOUT_MS = 60_000;

interface Row {
  check: string;
  value: string;
  /** false: this check failed and Hyperdesk cannot run on the provider as configured. */
  ok: boolean;
}

/** A failure that ends the checks: one sentence, no stack trace. */
class DoctorError extends Error {}

function describeFailure(err: unknown, config: LlmConfig): string {
  return unavailableError(err, { config, stage: 'app_ask', stalled: false }).message;
}

interface ModelList {
  ids: string[];
  /** The served model's context length when the server says it (OpenRouter, Groq, vLLM, llama.cpp). */
  contextTokens: number | null;
}

function reportedContext(entry: Record<string, unknown> | undefined): number | null {
  if (!entry) return null;
  const meta = entry.meta as Record<string, unknown> | undefined;
  for (const value of [
    entry.context_length,
    entry.context_window,
    entry.max_model_len,
    meta?.n_ctx,
    meta?.n_ctx_train,
  ]) {
    if (typeof value === 'number' && value > 0) return value;
  }
  return null;
}

async function listModels(config: LlmConfig): Promise<ModelList> {
  let response: Response;
  try {
    response = await fetch(`${config.baseURL}/models`, {
      headers: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause =
      err instanceof Error
        ? ((err.cause as Error | undefined)?.message ?? err.message)
        : String(err);
    throw new DoctorError(
      `Cannot reach ${config.provider} at ${config.baseURL}: ${cause}. ${config.hint}`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new DoctorError(
      `${config.provider} at ${config.baseURL} refused the API key (HTTP ${response.status}). ${config.hint}`,
    );
  }
  if (!response.ok) {
    throw new DoctorError(
      `${config.provider} at ${config.baseURL} answered GET /models with HTTP ${response.status}. Check LLM_BASE_URL (it ends in /v1). ${config.hint}`,
    );
  }
  const body = (await response.json().catch(() => null)) as { data?: unknown } | null;
  const data = Array.isArray(body?.data) ? (body.data as Record<string, unknown>[]) : [];
  const ids = data.flatMap((m) => (typeof m.id === 'string' ? [m.id] : []));
  return { ids, contextTokens: reportedContext(data.find((m) => m.id === config.model)) };
}

interface StreamProbe {
  content: string;
  reasoningField: string | null;
  reasoningChars: number;
  firstReasoningMs: number | null;
  firstContentMs: number | null;
  endMs: number;
  completionTokens: number | null;
  finishReason: string | null;
}

async function streamProbe(
  openai: OpenAI,
  config: LlmConfig,
  user: string,
  extra: Record<string, unknown> = {},
): Promise<StreamProbe> {
  const t0 = performance.now();
  const stream = await openai.chat.completions.create(
    {
      model: config.model,
      messages: [
        { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
        { role: 'user', content: user },
      ],
      stream: true,
      ...(config.quirks.streamUsage ? { stream_options: { include_usage: true } } : {}),
      ...extra,
    },
    { headers: { [STAGE_HEADER]: 'app_ask' } },
  );
  const probe: StreamProbe = {
    content: '',
    reasoningField: null,
    reasoningChars: 0,
    firstReasoningMs: null,
    firstContentMs: null,
    endMs: 0,
    completionTokens: null,
    finishReason: null,
  };
  for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
    const now = performance.now() - t0;
    const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
    probe.finishReason = chunk.choices[0]?.finish_reason ?? probe.finishReason;
    probe.completionTokens = chunk.usage?.completion_tokens ?? probe.completionTokens;
    for (const field of ['reasoning_content', 'reasoning']) {
      const text = delta?.[field];
      if (typeof text === 'string' && text !== '') {
        probe.reasoningField ??= field;
        probe.reasoningChars += text.length;
        probe.firstReasoningMs ??= now;
      }
    }
    const content = delta?.content;
    if (typeof content === 'string' && content !== '') {
      probe.content += content;
      probe.firstContentMs ??= now;
    }
  }
  probe.endMs = performance.now() - t0;
  return probe;
}

function ms(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} ms`;
}

function reasoningShape(probe: StreamProbe): string {
  if (probe.reasoningField) return `separate field (\`${probe.reasoningField}\`)`;
  const split = splitReasoning(probe.content);
  if (split.answer.trim() !== probe.content.trim()) return 'inline (<think> in the content)';
  return 'none seen';
}

function tokensPerS(probe: StreamProbe): string {
  const first = probe.firstReasoningMs ?? probe.firstContentMs;
  if (first === null) return '–';
  const tokens =
    probe.completionTokens ?? estimateTokens(probe.content) + Math.ceil(probe.reasoningChars / 4);
  const seconds = (probe.endMs - first) / 1000;
  if (seconds <= 0) return '–';
  const measured = probe.completionTokens === null ? ' (estimated from the text)' : '';
  return `${Math.round(tokens / seconds)}${measured}`;
}

async function jsonProbe(openai: OpenAI, config: LlmConfig): Promise<Row> {
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' }, population: { type: 'integer' } },
    required: ['city', 'population'],
  };
  const user = formatSections({
    Request: 'Name the largest city of France and its population, as JSON.',
    'JSON Schema': JSON.stringify(schema),
  });
  try {
    const probe = await streamProbe(openai, config, user, {
      response_format: { type: 'json_object' },
    });
    const parsed = extractJson(splitReasoning(probe.content).answer);
    const value = parsed.ok ? (parsed.value as Record<string, unknown>) : null;
    const ok = value !== null && typeof value.city === 'string';
    return {
      check: 'JSON mode',
      value: ok
        ? 'works (response_format json_object, streamed)'
        : `answered, but not the JSON asked for: ${JSON.stringify(probe.content.slice(0, 80))}`,
      ok,
    };
  } catch (err) {
    // A server without JSON mode still works: the tolerant parser and the re-ask cover it.
    return {
      check: 'JSON mode',
      value: `not available (${describeFailure(err, config).split('. ')[0]}); plain answers are parsed`,
      ok: true,
    };
  }
}

function printTable(rows: Row[]): void {
  const width = Math.max(...rows.map((r) => r.check.length));
  for (const row of rows) {
    console.log(`${row.ok ? ' ' : '✗'} ${row.check.padEnd(width)}  ${row.value}`);
  }
}

export async function doctor(source: NodeJS.ProcessEnv): Promise<{ rows: Row[]; ok: boolean }> {
  let config: LlmConfig;
  try {
    config = resolveLlmConfig(parseEnv(LlmEnv, source));
  } catch (err) {
    throw new DoctorError((err as Error).message);
  }
  const rows: Row[] = [
    { check: 'provider', value: config.provider, ok: true },
    { check: 'base URL', value: config.baseURL, ok: true },
    {
      check: 'key',
      value: config.apiKey ? `set (…${config.apiKey.slice(-4)})` : 'none',
      ok: true,
    },
  ];
  const finish = () => ({ rows, ok: rows.every((r) => r.ok) });
  try {
    const models = await listModels(config);
    const listed = models.ids.includes(config.model);
    // llama.cpp serves whatever file it loaded, under any name.
    const anyName = config.provider === 'llamacpp' || config.provider === 'sim';
    rows.push({
      check: 'model',
      value: listed
        ? `${config.model} (listed by /models)`
        : anyName
          ? `${config.model} (the server answers any name; it lists ${models.ids.join(', ') || 'nothing'})`
          : `${config.model} is not served here. Set LLM_MODEL to one of: ${models.ids.slice(0, 12).join(', ') || '(the list is empty)'}`,
      ok: listed || anyName,
    });
    const reported = models.contextTokens;
    rows.push({
      check: 'context window',
      value:
        config.contextTokens === null
          ? `unknown, not checked${reported ? ` (the server reports ${reported})` : ''}; set LLM_CONTEXT_TOKENS`
          : `${config.contextTokens} tokens${reported ? ` (the server reports ${reported})` : ''}`,
      ok: config.contextTokens === null || reported === null || config.contextTokens <= reported,
    });
    if (!listed && !anyName) return finish();
  } catch (err) {
    if (!(err instanceof DoctorError)) throw err;
    rows.push({ check: 'model', value: err.message, ok: false });
    return finish();
  }

  const openai = new OpenAI({
    baseURL: config.baseURL,
    apiKey: config.apiKey ?? 'none',
    organization: null,
    project: null,
    timeout: TIMEOUT_MS,
    maxRetries: 1,
  });
  let probe: StreamProbe;
  try {
    probe = await streamProbe(openai, config, 'Count from 1 to 40, separated by spaces.');
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    // OpenRouter and others list their models to anyone: a bad key shows only here.
    const check = status === 401 || status === 403 ? 'API key' : 'streaming';
    rows.push({ check, value: describeFailure(err, config), ok: false });
    return finish();
  }
  const streamed = probe.firstContentMs !== null;
  rows.push(
    {
      check: 'streaming',
      value: streamed
        ? `works (finish reason ${probe.finishReason ?? 'none'}; usage ${probe.completionTokens === null ? 'not reported' : 'reported'})`
        : 'the stream ended without any answer text',
      ok: streamed,
    },
    { check: 'reasoning', value: reasoningShape(probe), ok: true },
    {
      check: 'first content token',
      value: `${ms(probe.firstContentMs)}${probe.firstReasoningMs === null ? '' : ` (first reasoning token ${ms(probe.firstReasoningMs)})`}`,
      ok: true,
    },
    { check: 'tokens/s', value: tokensPerS(probe), ok: true },
  );
  rows.push(await jsonProbe(openai, config));
  return finish();
}

async function main(): Promise<void> {
  const result = await doctor(process.env);
  printTable(result.rows);
  console.log(
    result.ok
      ? '\ndoctor: the provider can run Hyperdesk with these settings.'
      : '\ndoctor: fix the ✗ rows above, then run `npm run doctor` again.',
  );
  process.exit(result.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  if (err instanceof DoctorError) {
    console.error(`doctor: ${err.message}`);
    process.exit(2);
  }
  console.error(`doctor: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
