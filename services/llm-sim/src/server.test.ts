import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClassifyReply, extractJson } from '@hyperdesk/shared';
import { SCENARIO_HEADER } from './completions';
import { postStream, startSim, streamedText, userMessage, type RunningSim } from './test-helpers';

let sim: RunningSim;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.app.close();
});
beforeEach(async () => {
  await fetch(`${sim.baseURL.replace(/\/v1$/, '')}/sim/reset`, { method: 'POST' });
});

const classify = { 'x-hyperdesk-stage': 'classify' };

type Choice = { delta: { role?: string; content?: string }; finish_reason: string | null };
const choicesOf = (chunk: Record<string, unknown>) => chunk.choices as Choice[];

describe('streaming', () => {
  it('sends chat.completion.chunk events, a finish chunk, a usage chunk and [DONE]', async () => {
    const result = await postStream(
      sim.baseURL,
      { ...userMessage('a markdown notes app'), stream_options: { include_usage: true } },
      classify,
    );
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(result.done).toBe(true);

    const [first, ...rest] = result.chunks;
    expect(first).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'hyperdesk-sim',
      usage: null,
    });
    expect(choicesOf(first!)[0]).toMatchObject({
      delta: { role: 'assistant', content: '' },
      finish_reason: null,
    });

    const usageChunk = rest.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    const usage = usageChunk.usage as {
      prompt_tokens: number;
      completion_tokens: number;
      total_tokens: number;
    };
    expect(usage.prompt_tokens).toBe(Math.ceil('a markdown notes app'.length / 4));
    expect(usage.completion_tokens).toBeGreaterThan(5);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);

    const finish = rest.at(-2)!;
    expect(choicesOf(finish)[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });

    const text = streamedText(result.chunks);
    const parsed = extractJson(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(ClassifyReply.parse(parsed.value).title).toBe('Markdown Notes');
  });

  it('omits usage unless asked for', async () => {
    const result = await postStream(sim.baseURL, userMessage('notes'), classify);
    expect(result.chunks.every((c) => !('usage' in c))).toBe(true);
    expect(choicesOf(result.chunks.at(-1)!)[0]?.finish_reason).toBe('stop');
  });

  it('answers without streaming in the chat.completion shape', async () => {
    const response = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...classify },
      body: JSON.stringify({ model: 'custom-model', ...userMessage('a csv of planets') }),
    });
    const body = (await response.json()) as {
      object: string;
      model: string;
      choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
      usage: { completion_tokens: number };
    };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('custom-model');
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(JSON.parse(body.choices[0]!.message.content)).toMatchObject({
      intent: 'virtual_response',
      contentType: 'text/csv',
    });
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
  });
});

describe('stage matching', () => {
  it('reads the stage from the header', async () => {
    const result = await postStream(sim.baseURL, userMessage('please build the benchmark app'), {
      'x-hyperdesk-stage': 'app_generate',
    });
    expect(result.headers.get(SCENARIO_HEADER)).toBe('benchmark-app');
    expect(streamedText(result.chunks)).toMatch(
      /^<!DOCTYPE html>[\s\S]*Sprint Board[\s\S]*<\/html>\n?$/,
    );
  });

  it('reads the stage from metadata.stage when there is no header', async () => {
    const result = await postStream(sim.baseURL, {
      ...userMessage('benchmark app'),
      metadata: { stage: 'app_generate' },
    });
    expect(result.headers.get(SCENARIO_HEADER)).toBe('benchmark-app');
  });

  it('does not apply a scenario to another stage', async () => {
    const result = await postStream(sim.baseURL, userMessage('benchmark app'), classify);
    expect(result.headers.get(SCENARIO_HEADER)).toBe('fallback');
    expect(JSON.parse(streamedText(result.chunks))).toMatchObject({
      intent: 'new_app',
      title: 'Benchmark',
    });
  });
});

describe('faults', () => {
  it('429 twice with retry-after, then the answer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await postStream(sim.baseURL, userMessage('sim:rate-limit'), classify);
      statuses.push(result.status);
      if (result.status === 429) {
        expect(result.headers.get('retry-after-ms')).toBe('100');
        expect(result.headers.get('retry-after')).toBe('1');
      }
    }
    expect(statuses).toEqual([429, 429, 200]);
  });

  it('500 with an OpenAI-style error body', async () => {
    const response = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...classify },
      body: JSON.stringify(userMessage('sim:server-down')),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { type: 'server_error' } });
  });

  it('hang holds the request until the client aborts', async () => {
    const started = Date.now();
    const request = fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...classify },
      body: JSON.stringify({ stream: true, ...userMessage('sim:hang') }),
      signal: AbortSignal.timeout(300),
    });
    await expect(request).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const health = await fetch(`${sim.baseURL.replace(/\/v1$/, '')}/health`);
    expect(health.status).toBe(200);
  });

  it('truncate stops halfway with finish_reason length, then the next answer is whole', async () => {
    const app = { 'x-hyperdesk-stage': 'app_generate' };
    const cut = await postStream(sim.baseURL, userMessage('sim:truncated-app'), app);
    const whole = await postStream(sim.baseURL, userMessage('sim:truncated-app'), app);
    expect(choicesOf(cut.chunks.at(-1)!)[0]?.finish_reason).toBe('length');
    expect(streamedText(cut.chunks)).not.toContain('</html>');
    expect(streamedText(whole.chunks)).toContain('</html>');
    const ratio = streamedText(cut.chunks).length / streamedText(whole.chunks).length;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.7);
  });

  it('malformed drops the closing brace and adds prose; the second answer is fine', async () => {
    const first = streamedText(
      (await postStream(sim.baseURL, userMessage('sim:malformed-classify'), classify)).chunks,
    );
    const second = streamedText(
      (await postStream(sim.baseURL, userMessage('sim:malformed-classify'), classify)).chunks,
    );
    expect(first).toMatch(/^Sure! Here is the JSON/);
    expect(extractJson(first).ok).toBe(false);
    expect(JSON.parse(second)).toMatchObject({ title: 'Malformed Demo' });
  });

  it('fence wraps the answer in a json fence with prose', async () => {
    const text = streamedText(
      (await postStream(sim.baseURL, userMessage('sim:fenced-classify'), classify)).chunks,
    );
    expect(text).toMatch(/^Here is the result:\n\n```json\n\{/);
    expect(extractJson(text)).toMatchObject({ ok: true, value: { title: 'Fenced Demo' } });
  });

  it('think prepends a reasoning block', async () => {
    const text = streamedText(
      (await postStream(sim.baseURL, userMessage('sim:think-classify'), classify)).chunks,
    );
    expect(text).toMatch(/^<think>\n[\s\S]*<\/think>\n\n\{/);
    expect(extractJson(text)).toMatchObject({ ok: true, value: { title: 'Thinking Demo' } });
  });

  it('honours max_tokens with finish_reason length', async () => {
    const result = await postStream(
      sim.baseURL,
      { ...userMessage('benchmark app'), max_tokens: 10 },
      {
        'x-hyperdesk-stage': 'app_generate',
      },
    );
    const usageless = result.chunks;
    expect(choicesOf(usageless.at(-1)!)[0]?.finish_reason).toBe('length');
    expect(streamedText(usageless).length).toBeLessThan(80);
  });
});

describe('other routes and bad input', () => {
  const root = () => sim.baseURL.replace(/\/v1$/, '');

  it('lists the model and reports health', async () => {
    const models = (await (await fetch(`${sim.baseURL}/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(['hyperdesk-sim']);
    const health = (await (await fetch(`${root()}/health`)).json()) as {
      status: string;
      scenarios: number;
    };
    expect(health.status).toBe('ok');
    expect(health.scenarios).toBeGreaterThan(5);
  });

  it('rejects invalid JSON with 400 and an OpenAI-style body', async () => {
    const response = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"messages": [',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('rejects a request without messages', async () => {
    const response = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', messages: [] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/messages/);
  });

  it('answers unknown routes with 404', async () => {
    const response = await fetch(`${root()}/v1/embeddings`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
