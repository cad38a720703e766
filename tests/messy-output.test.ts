import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ClassifyReply,
  DiagnoseReply,
  LlmEnv,
  LlmOutputError,
  RunStore,
  ToolPlan,
  checkJsonReply,
  createLlmClient,
  extractCode,
  extractContent,
  extractHtml,
  redisKeys,
  resolveLlmConfig,
  type LlmCallMetrics,
  type LlmStage,
} from '@hyperdesk/shared';
// The real parsing path of the services: the app-generator's streamed document.
import { streamDocument } from '@hyperdesk/app-generator/src/generate';
import { buildSim } from '@hyperdesk/llm-sim/src/server';
import { textMatcher, type Scenario } from '@hyperdesk/llm-sim/src/scenarios';
import {
  classify,
  diagnose,
  messyJsonCases,
  planTools,
  type JsonStageCorpus,
} from './fixtures/messy/json-stages';
import { codeCases, contentCases, htmlCases } from './fixtures/messy/text-stages';
import { connect, dropPrefix, testPrefix } from './support/redis';

/**
 * Every stage's answer, written the messy ways real models write it, goes through the
 * parsing the services use. Each one is read to the expected value or fails with an error a
 * person (or the re-ask) can act on; none throws anything else.
 */

/** Runs `read` and fails the test with the case name if it throws anything at all. */
function safely<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new Error(`${name}: parsing threw ${String(err)}`);
  }
}

/** The metrics of a call that never happened: only the answer is under test here. */
const metrics = (stage: LlmStage): LlmCallMetrics => ({
  stage,
  model: 'none',
  startedAt: 0,
  ttftMs: null,
  durationMs: 0,
  promptTokens: 0,
  completionTokens: 0,
  tokensPerS: null,
});

const jsonStages: [LlmStage, JsonStageCorpus, z.ZodType][] = [
  ['classify', classify, ClassifyReply],
  ['plan_tools', planTools, ToolPlan],
  ['diagnose', diagnose, DiagnoseReply],
];

describe('messy answers of the JSON stages', () => {
  for (const [stage, corpus, schema] of jsonStages) {
    const cases = messyJsonCases(corpus);
    it(`${stage}: ${cases.length} answers are read or refused with the reason`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(30);
      for (const c of cases) {
        const checked = safely(c.name, () =>
          checkJsonReply(
            { text: c.answer, finishReason: c.finishReason ?? 'stop', metrics: metrics(stage) },
            schema,
          ),
        );
        if (c.error) {
          expect.soft(checked.ok, c.name).toBe(false);
          if (!checked.ok) expect.soft(checked.problem, c.name).toMatch(c.error);
        } else {
          expect.soft(checked, c.name).toEqual({ ok: true, value: c.value });
        }
      }
      // Keys like __proto__ in an answer never reach Object.prototype.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
});

describe('messy answers of the tool stages (tool_write, tool_repair)', () => {
  it(`${codeCases.length} answers give the code, or none (the model is told)`, () => {
    expect(codeCases.length).toBeGreaterThanOrEqual(30);
    for (const c of codeCases) {
      const { code, truncated } = safely(c.name, () => extractCode(c.answer, 'python'));
      if (c.code === null) {
        // The tool-manager refuses an answer without code ("answered without any Python code").
        expect.soft(code.trim(), c.name).toBe('');
      } else {
        expect.soft(code, c.name).toBe(c.code);
        expect.soft(truncated, c.name).toBe(c.truncated ?? false);
      }
    }
  });
});

describe('messy answers of the app stages (app_generate, app_repair)', () => {
  it(`${htmlCases.length} answers give the document or say what is wrong`, () => {
    expect(htmlCases.length).toBeGreaterThanOrEqual(30);
    for (const c of htmlCases) {
      const parsed = safely(c.name, () => extractHtml(c.answer));
      expect.soft(parsed.html, c.name).toBe(c.html);
      expect.soft(parsed.truncated, c.name).toBe(c.truncated ?? false);
    }
  });

  describe('streamed from the simulator through the app-generator', () => {
    let sim: FastifyInstance;
    let redis: Redis;
    let runs: RunStore;
    let baseURL: string;
    const prefix = testPrefix('messy');
    const streamed = htmlCases.filter((c) => c.answer.length < 200_000);
    const stages: LlmStage[] = ['app_generate', 'app_repair'];
    const scenarios: Scenario[] = stages.flatMap((stage) =>
      streamed.map((c, i) => ({
        name: `${stage}-${i}`,
        source: 'extra' as const,
        file: 'messy-output.test.ts',
        stage,
        match: textMatcher(`messy-case-${i}.`),
        steps: [
          {
            content: c.answer,
            ttftMs: 0,
            tokensPerS: 1_000_000,
            ...(c.finishReason ? { finishReason: c.finishReason } : {}),
          },
        ],
      })),
    );

    beforeAll(async () => {
      sim = await buildSim({ scenarios, ttftMs: 0, tokensPerS: 1_000_000 });
      await sim.listen({ port: 0, host: '127.0.0.1' });
      const address = sim.server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      baseURL = `http://127.0.0.1:${address.port}/v1`;
      redis = await connect();
      runs = new RunStore(redis, redisKeys(prefix));
    });
    afterAll(async () => {
      await sim?.close();
      if (redis) {
        await dropPrefix(redis, prefix);
        redis.disconnect();
      }
    });

    for (const stage of stages) {
      it(`${stage}: ${streamed.length} answers end in a document or an LlmOutputError`, async () => {
        const llm = createLlmClient(
          resolveLlmConfig(LlmEnv.parse({ LLM_PROVIDER: 'sim', LLM_BASE_URL: baseURL })),
        );
        for (const [i, c] of streamed.entries()) {
          const run = await runs.create({ owner: 'messy', prompt: c.name });
          const outcome = await streamDocument({ llm, runs, frameMs: 20 }, run.id, stage, [
            { role: 'system', content: 'Write one HTML document.' },
            { role: 'user', content: `Request: messy-case-${i}.` },
          ]).then(
            (html) => ({ html }),
            (err: unknown) => ({ err }),
          );
          if (c.problem) {
            expect.soft('err' in outcome, c.name).toBe(true);
            const err = (outcome as { err: unknown }).err;
            expect(err, `${c.name}: ${String(err)}`).toBeInstanceOf(LlmOutputError);
            expect
              .soft((err as Error).message, c.name)
              .toMatch(/did not produce a usable app|empty answer|no content/i);
            expect.soft((err as Error).message, c.name).not.toMatch(/TypeError|undefined/);
          } else {
            expect.soft(outcome, c.name).toEqual({ html: c.html });
          }
        }
      });
    }
  });
});

describe('messy answers of the content stage', () => {
  it(`${contentCases.length} answers are stored as the content itself, or refused with the reason`, () => {
    expect(contentCases.length).toBeGreaterThanOrEqual(30);
    for (const c of contentCases) {
      const read = safely(c.name, () => extractContent(c.answer, c.type, c.finishReason ?? 'stop'));
      if (c.body === null) {
        expect.soft(read.ok, c.name).toBe(false);
        if (!read.ok) expect.soft(read.problem, c.name).toMatch(c.problem ?? /./);
      } else {
        expect.soft(read, c.name).toEqual({ ok: true, body: c.body });
      }
    }
  });
});
