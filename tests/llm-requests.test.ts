import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// The client against the real simulator over HTTP: request settings, reasoning, rate limits.
import {
  LlmEnv,
  createLlmClient,
  resolveLlmConfig,
  type ChatMessage,
  type LlmConfig,
} from '@hyperdesk/shared';
import { buildSim } from '@hyperdesk/llm-sim/src/server';
import { textMatcher, type ResponseStep, type Scenario } from '@hyperdesk/llm-sim/src/scenarios';
import type { LoggedRequest } from '@hyperdesk/llm-sim/src/request-log';

let sim: FastifyInstance;
let simUrl: string;

const REASONING = 'The person wants a <b>list</b>. I will write {"draft": true} first.';
const ANSWER = '<!DOCTYPE html><html><body><ul id="list"></ul></body></html>';

function scenario(token: string, steps: ResponseStep[]): Scenario {
  return {
    name: token,
    source: 'extra',
    file: 'llm-requests.test.ts',
    match: textMatcher(token),
    steps,
  };
}

function config(overrides: Record<string, string> = {}): LlmConfig {
  return resolveLlmConfig(
    LlmEnv.parse({
      LLM_PROVIDER: 'sim',
      LLM_BASE_URL: `${simUrl}/v1`,
      LLM_TIMEOUT_MS: '10000',
      ...overrides,
    }),
  );
}

const ask = (content: string): ChatMessage[] => [
  { role: 'system', content: 'Reply with JSON.' },
  { role: 'user', content },
];

async function requests(): Promise<LoggedRequest[]> {
  return (await fetch(`${simUrl}/sim/requests`)).json() as Promise<LoggedRequest[]>;
}

beforeAll(async () => {
  sim = await buildSim({
    ttftMs: 10,
    tokensPerS: 20_000,
    scenarios: [
      scenario('field-reasoning', [{ content: ANSWER, reasoning: REASONING }]),
      scenario('content-reasoning', [
        { content: ANSWER, reasoning: REASONING, reasoningAs: 'reasoning_content' },
      ]),
      scenario('inline-think', [{ content: ANSWER, reasoning: REASONING, reasoningAs: 'think' }]),
      scenario('no-temperature', [
        { content: '{"intent": "new_app", "title": "T"}', rejects: ['temperature'] },
      ]),
    ],
  });
  await sim.listen({ port: 0, host: '127.0.0.1' });
  const address = sim.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  simUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  await fetch(`${simUrl}/sim/reset`, { method: 'POST' });
});

describe('request settings', () => {
  it('sends the stage’s output cap, temperature and JSON mode', async () => {
    const client = createLlmClient(config());
    await client.chat({ stage: 'classify', messages: ask('a cap please') });
    const [sent] = await requests();
    expect(sent).toMatchObject({
      maxTokens: 2048,
      temperature: 0,
      responseFormat: 'json_object',
      httpStatus: 200,
    });
  });

  it('asks again without a field the model refuses, and leaves it out from then on', async () => {
    const client = createLlmClient(config());
    const first = await client.chat({ stage: 'classify', messages: ask('no-temperature') });
    expect(first.text).toContain('new_app');
    const again = await client.chat({ stage: 'classify', messages: ask('no-temperature') });
    expect(again.text).toContain('new_app');
    const sent = await requests();
    expect(sent.map((r) => [r.httpStatus, r.temperature])).toEqual([
      [400, 0],
      [200, null],
      [200, null],
    ]);
  });
});

describe('reasoning', () => {
  for (const token of ['field-reasoning', 'content-reasoning', 'inline-think']) {
    it(`${token}: no reasoning reaches the answer stream; its time is measured apart`, async () => {
      const client = createLlmClient(config());
      let streamed = '';
      let reasoningTokens = 0;
      const result = await client.chat({
        stage: 'app_generate',
        messages: ask(token),
        onDelta: (text) => (streamed += text),
        onReasoning: (tokens) => (reasoningTokens = tokens),
      });
      expect(streamed).toBe(ANSWER);
      expect(reasoningTokens).toBeGreaterThan(0);
      const m = result.metrics;
      expect(m.firstReasoningMs).toBeDefined();
      expect(m.reasoningMs).toBeGreaterThan(0);
      // The first token is the answer's, not the reasoning's.
      expect(m.ttftMs).toBeGreaterThan(m.firstReasoningMs ?? Infinity);
    });
  }
});
