import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// The client against the real simulator over HTTP: request settings, reasoning, rate limits.
import {
  LlmEnv,
  LlmUnavailableError,
  createLlmClient,
  parseDuration,
  redisKeys,
  resolveLlmConfig,
  type ChatMessage,
  type LlmConfig,
} from '@hyperdesk/shared';
import { buildSim } from '@hyperdesk/llm-sim/src/server';
import { textMatcher, type ResponseStep, type Scenario } from '@hyperdesk/llm-sim/src/scenarios';
import type { LoggedRequest } from '@hyperdesk/llm-sim/src/request-log';
import { connect, dropPrefix, testPrefix } from './support/redis';

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
      scenario('reset-in-a-second', [
        { fault: '429', resetRequests: '1s' },
        { fault: '429', resetTokens: '1s' },
        { content: '{"ok": true}' },
      ]),
      scenario('tokens-used-up', [{ fault: '429', resetTokens: '6m0s' }]),
      scenario('shared-first', [{ fault: '429', resetRequests: '2s' }, { content: '{"a": 1}' }]),
      scenario('shared-second', [{ content: '{"b": 2}' }]),
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

describe('rate limits', () => {
  it('reads the providers’ reset durations', () => {
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('120ms')).toBe(120);
    expect(parseDuration('2m59.56s')).toBe(179_560);
    expect(parseDuration('32.5')).toBe(32_500);
    expect(parseDuration('soon')).toBeNull();
  });

  it('waits out x-ratelimit-reset-* without retry-after, then succeeds', async () => {
    const client = createLlmClient(config());
    const result = await client.chat({ stage: 'classify', messages: ask('reset-in-a-second') });
    expect(result.text).toBe('{"ok": true}');
    const sent = await requests();
    expect(sent.map((r) => r.httpStatus)).toEqual([429, 429, 200]);
    // Each retry came after the reset the provider named, not on the SDK's shorter backoff.
    expect((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((sent[2]?.at ?? 0) - (sent[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('fails at once, naming the limit and when it resets, when the reset is too far off', async () => {
    const client = createLlmClient(config());
    const failure = await client
      .chat({ stage: 'classify', messages: ask('tokens-used-up') })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LlmUnavailableError);
    expect((failure as Error).message).toMatch(
      /refused the classify request .*its tokens \(60000\) limit resets in 6 min \(at \d\d:\d\d:\d\d UTC\)/,
    );
    expect((await requests()).length).toBe(1);
  });

  it('holds every worker back while the provider’s limit is used up (one budget in Redis)', async () => {
    const redis = await connect();
    const prefix = testPrefix('pace');
    const keys = redisKeys(prefix);
    try {
      const a = createLlmClient(config(), undefined, { redis, keys });
      const b = createLlmClient(config(), undefined, { redis, keys });
      const first = a.chat({ stage: 'classify', messages: ask('shared-first') });
      // The second worker asks once the first one's refusal is known to the budget.
      await waitFor(async () => (await requests()).some((r) => r.httpStatus === 429));
      const second = await b.chat({ stage: 'classify', messages: ask('shared-second') });
      expect(second.text).toBe('{"b": 2}');
      expect((await first).text).toBe('{"a": 1}');
      const sent = await requests();
      const refused = sent.find((r) => r.httpStatus === 429);
      const other = sent.find((r) => r.user.includes('shared-second'));
      expect((other?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    } finally {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}
