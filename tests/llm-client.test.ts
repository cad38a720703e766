import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// Test-only: the client is exercised against the real simulator over HTTP.
import {
  LlmOutputError,
  LlmUnavailableError,
  createLlmClient,
  type ChatMessage,
  LlmJsonOutputError,
  LlmEnv,
  resolveLlmConfig,
  type LlmConfig,
  ClassifyReply,
} from '@hyperdesk/shared';
import { buildSim } from '@hyperdesk/llm-sim/src/server';
import { BUILTIN_SCENARIOS_DIR, textMatcher } from '@hyperdesk/llm-sim/src/scenarios';

let sim: FastifyInstance;
let baseURL: string;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}/v1`;
}

function simConfig(overrides: Record<string, string> = {}): LlmConfig {
  return resolveLlmConfig(
    LlmEnv.parse({
      LLM_PROVIDER: 'sim',
      LLM_BASE_URL: baseURL,
      LLM_TIMEOUT_MS: '5000',
      ...overrides,
    }),
  );
}

const ask = (content: string): ChatMessage[] => [
  { role: 'system', content: 'Reply with JSON.' },
  { role: 'user', content },
];

beforeAll(async () => {
  sim = await buildSim({ ttftMs: 20, tokensPerS: 20_000 });
  baseURL = await listen(sim);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await fetch(baseURL.replace(/\/v1$/, '/sim/reset'), { method: 'POST' });
});

describe('chat', () => {
  it('streams deltas and fills the metrics from the reported usage', async () => {
    const client = createLlmClient(simConfig());
    expect(client).toMatchObject({ provider: 'sim', model: 'hyperdesk-sim', simulated: true });
    const deltas: string[] = [];
    const counts: number[] = [];
    const result = await client.chat({
      stage: 'app_generate',
      messages: ask('the benchmark app'),
      onDelta: (text, total) => {
        deltas.push(text);
        counts.push(total);
      },
    });

    const html = await readFile(`${BUILTIN_SCENARIOS_DIR}/benchmark-app.html`, 'utf8');
    expect(result.text).toBe(html);
    expect(result.finishReason).toBe('stop');
    // Streamed in pieces (how many depends on how busy the machine is, not on the client).
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(html);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));

    const m = result.metrics;
    expect(m.stage).toBe('app_generate');
    expect(m.model).toBe('hyperdesk-sim');
    expect(m.startedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(m.ttftMs).toBeGreaterThanOrEqual(15);
    expect(m.durationMs).toBeGreaterThanOrEqual(m.ttftMs ?? 0);
    expect(m.completionTokens).toBeGreaterThan(2500);
    expect(m.promptTokens).toBe(
      Math.ceil(('Reply with JSON.'.length + 'the benchmark app'.length) / 4),
    );
    expect(m.tokensPerS).toBeGreaterThan(0);
  });

  it('sends the stage tag the simulator matches on', async () => {
    const client = createLlmClient(simConfig());
    const asApp = await client.chat({ stage: 'app_generate', messages: ask('benchmark app') });
    const asClassify = await client.chat({ stage: 'classify', messages: ask('benchmark app') });
    expect(asApp.text).toMatch(/^<!DOCTYPE html>/);
    expect(JSON.parse(asClassify.text)).toMatchObject({ intent: 'new_app' });
  });

  it('estimates token counts when the provider reports no usage', async () => {
    const config = simConfig();
    const client = createLlmClient({ ...config, quirks: { ...config.quirks, streamUsage: false } });
    const { text, metrics } = await client.chat({
      stage: 'classify',
      messages: ask('a notes app'),
    });
    expect(metrics.completionTokens).toBe(Math.ceil(text.length / 4));
  });

  it('retries 429 answers (honouring retry-after) and then succeeds', async () => {
    const client = createLlmClient(simConfig());
    const started = Date.now();
    const { value, calls } = await client.chatJson({
      stage: 'classify',
      messages: ask('sim:rate-limit'),
      schema: ClassifyReply,
    });
    expect(value.intent).toBe('new_app');
    expect(calls).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('gives up on a persistent 500 with an error a person can act on', async () => {
    const client = createLlmClient(simConfig({ LLM_MAX_RETRIES: '1' }));
    const failure = client.chat({ stage: 'classify', messages: ask('sim:server-down') });
    await expect(failure).rejects.toBeInstanceOf(LlmUnavailableError);
    await expect(failure).rejects.toThrow(
      `sim at ${baseURL} (model hyperdesk-sim) failed (HTTP 500`,
    );
    await expect(failure).rejects.toThrow(/after 2 attempts/);
    await expect(failure).rejects.toMatchObject({ retryable: true, code: 'LLM_UNAVAILABLE' });
  });

  it('says when the server cannot be reached', async () => {
    const closed = buildSim({ scenarios: [] }).then(async (app) => {
      const url = await listen(app);
      await app.close();
      return url;
    });
    const url = await closed;
    const client = createLlmClient({ ...simConfig({ LLM_MAX_RETRIES: '0' }), baseURL: url });
    await expect(client.chat({ stage: 'classify', messages: ask('x') })).rejects.toThrow(
      new RegExp(
        `Cannot reach sim at ${url.replace(/[.]/g, '\\.')}.*ECONNREFUSED.*Start the simulator`,
      ),
    );
    expect(await client.ping()).toBe(false);
  });

  it('times out a server that never answers', async () => {
    const client = createLlmClient(simConfig({ LLM_MAX_RETRIES: '0', LLM_TIMEOUT_MS: '300' }));
    await expect(client.chat({ stage: 'classify', messages: ask('sim:hang') })).rejects.toThrow(
      /did not answer the classify request within 0\.3s \(1 attempt\)/,
    );
  });

  it('gives up on a stream that stops sending', async () => {
    const stalling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const delta = { choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] };
      res.write(`data: ${JSON.stringify(delta)}\n\n`);
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    const { port } = stalling.address() as AddressInfo;
    try {
      const client = createLlmClient({
        ...simConfig({ LLM_MAX_RETRIES: '0', LLM_TIMEOUT_MS: '300' }),
        baseURL: `http://127.0.0.1:${port}/v1`,
      });
      const deltas: string[] = [];
      await expect(
        client.chat({ stage: 'content', messages: ask('x'), onDelta: (t) => deltas.push(t) }),
      ).rejects.toThrow(/stopped sending the content answer: nothing arrived for 0\.3s/);
      expect(deltas).toEqual(['Hel']);
    } finally {
      stalling.closeAllConnections();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const client = createLlmClient(simConfig());
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await expect(
      client.chat({ stage: 'classify', messages: ask('sim:hang'), signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('rejects with the abort reason when the caller aborts mid-stream', async () => {
    const client = createLlmClient(simConfig());
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const deltas: string[] = [];
    const call = client.chat({
      stage: 'app_generate',
      messages: ask('sim:slow-app'),
      signal: controller.signal,
      onDelta: (text) => {
        deltas.push(text);
        if (deltas.length === 3) controller.abort(reason);
      },
    });
    await expect(call).rejects.toBe(reason);
    expect(deltas).toHaveLength(3);
  });

  it('pings the model server', async () => {
    expect(await createLlmClient(simConfig()).ping()).toBe(true);
  });
});

describe('chatJson', () => {
  it('re-asks once after a malformed answer and returns the fixed value', async () => {
    const client = createLlmClient(simConfig());
    const { value, calls, text } = await client.chatJson({
      stage: 'classify',
      messages: ask('sim:malformed-classify'),
      schema: ClassifyReply,
    });
    expect(value).toEqual({
      intent: 'new_app',
      title: 'Malformed Demo',
      tools: [],
      needsNewTools: false,
    });
    expect(calls).toHaveLength(2);
    expect(text).toMatch(/^\{/);
  });

  it('throws LlmOutputError with every call when the re-ask fails too', async () => {
    const client = createLlmClient(simConfig());
    const failure = client.chatJson({
      stage: 'classify',
      messages: ask('sim:broken-classify'),
      schema: ClassifyReply,
    });
    await expect(failure).rejects.toBeInstanceOf(LlmOutputError);
    await expect(failure).rejects.toThrow(
      /classify answer was unusable even after a re-ask. The JSON starting with/,
    );
    const err = await failure.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmJsonOutputError);
    expect((err as LlmJsonOutputError).calls).toHaveLength(2);
    expect((err as LlmJsonOutputError).raw).toMatch(/^Sure!/);
  });

  it('parses fenced and think-wrapped answers without a re-ask', async () => {
    const client = createLlmClient(simConfig());
    for (const [prompt, title] of [
      ['sim:fenced-classify', 'Fenced Demo'],
      ['sim:think-classify', 'Thinking Demo'],
    ] as const) {
      const { value, calls } = await client.chatJson({
        stage: 'classify',
        messages: ask(prompt),
        schema: ClassifyReply,
      });
      expect(value.title).toBe(title);
      expect(calls).toHaveLength(1);
    }
  });

  it('tells the model which fields were wrong', async () => {
    const app = await buildSim({
      ttftMs: 0,
      tokensPerS: 100_000,
      scenarios: [
        {
          name: 'saw-the-issue',
          source: 'extra',
          file: 'test',
          stage: 'classify',
          match: textMatcher('/could not be used[\\s\\S]*- intent: Invalid option/'),
          steps: [{ content: '{"intent": "new_app", "title": "Re-asked"}' }],
        },
        {
          name: 'wrong-shape',
          source: 'extra',
          file: 'test',
          stage: 'classify',
          match: textMatcher('shape'),
          steps: [{ content: '{"intent": "make_app", "title": "First"}' }],
        },
      ],
    });
    const url = await listen(app);
    try {
      const client = createLlmClient({ ...simConfig(), baseURL: url });
      const { value, calls } = await client.chatJson({
        stage: 'classify',
        messages: ask('shape'),
        schema: ClassifyReply,
      });
      expect(value.title).toBe('Re-asked');
      expect(calls).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});
