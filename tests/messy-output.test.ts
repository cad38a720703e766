import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import type { AppView } from '@hyperdesk/shared/contracts';
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
import { pipelineCases, type PipelineCase } from './fixtures/messy/pipeline';
import { variantCases } from './fixtures/messy/variants';
import { api, waitForRun } from './support/client';
import { connect, dropPrefix, testPrefix } from './support/redis';
import { startStack, type Stack } from './support/stack';

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
            expect.soft(outcome, c.name).toEqual({ html: c.closed ?? c.html });
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

/** The first corpus and the variants written apart from it. */
const corpus = [...pipelineCases, ...variantCases];

describe('messy answers through the whole pipeline (every service a process)', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hd-messy-'));
    await writeFile(path.join(dir, 'messy-pipeline.json'), JSON.stringify(pipelineScenarios()));
    stack = await startStack('messy-pipeline', {
      LLM_SIM_SCENARIOS: dir,
      LLM_SIM_TTFT_MS: '0',
      LLM_SIM_TOKENS_PER_S: '200000',
      // Eight runs at once, each polled, are far more than one person starts and reads.
      REQUESTS_PER_MINUTE: '1000000',
      MAX_ACTIVE_RUNS: '16',
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${corpus.length} requests store the right result or fail with the reason; a readable answer costs no extra call`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    const started = Date.now();
    const outcomes = await mapConcurrently(corpus, 8, (c) => runCase(stack, c));
    const wrong = outcomes.filter((o) => !o.right);
    const storedWrong = wrong.filter((o) => o.stored);
    const extra = outcomes.filter((o) => o.calls > o.expectedCalls);
    // Answers that cannot be read (empty, cut off, only reasoning, a tool that ignores its
    // args, a plan without the tool) need their one re-ask or repair; no other answer may.
    const unreadable = corpus.filter((c) => c.calls > baseCalls(c));
    const readable = outcomes.length - unreadable.length;
    const report = {
      cases: outcomes.length,
      right: pct(outcomes.length - wrong.length, outcomes.length),
      storedWrong: pct(storedWrong.length, outcomes.length),
      extraCall: pct(extra.length, outcomes.length),
      extraCallOnReadable: pct(extra.length - unreadable.length, readable),
      unreadable: unreadable.length,
      failedWithReason: outcomes.filter((o) => o.right && !o.stored).length,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`messy pipeline corpus: ${JSON.stringify(report)}`);
    // Every case names what went wrong, so one run shows them all.
    expect(wrong.map((o) => `${o.name}: ${o.problem}`)).toEqual([]);
    // Each case makes exactly the calls its answers need: a readable answer costs no re-ask.
    expect(
      outcomes.filter((o) => o.calls !== o.planned).map((o) => `${o.name}: ${o.calls} calls`),
    ).toEqual([]);
  }, 600_000);
});

/** Every case's answers as simulator scenarios: matched by the case's token, or its tool. */
function pipelineScenarios() {
  return corpus.flatMap((c) => [
    ...Object.entries(c.answers).map(([stage, answers]) => ({
      name: `${c.token} ${stage}`,
      stage,
      match: c.token,
      responses: answers,
    })),
    ...(c.toolAnswers
      ? [
          {
            name: `${c.toolAnswers.tool} write`,
            stage: 'tool_write',
            match: c.toolAnswers.tool,
            responses: c.toolAnswers.write,
          },
          {
            name: `${c.toolAnswers.tool} repair`,
            stage: 'tool_repair',
            match: c.toolAnswers.tool,
            responses: c.toolAnswers.repair ?? c.toolAnswers.write,
          },
        ]
      : []),
  ]);
}

interface CaseOutcome {
  name: string;
  right: boolean;
  /** The run stored something (content, an app version). */
  stored: boolean;
  problem: string;
  calls: number;
  /** Calls without any re-ask or repair. */
  expectedCalls: number;
  /** Calls the case's answers make necessary (an unreadable first answer adds its re-ask). */
  planned: number;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

async function mapConcurrently<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** The calls of a request whose every answer is read at once. */
function baseCalls(c: PipelineCase): number {
  return c.expect.kind === 'tool' ? 4 : 2;
}

async function runCase(stack: Stack, c: PipelineCase): Promise<CaseOutcome> {
  const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
    body: { prompt: c.prompt },
  });
  if (created.status !== 202) throw new Error(`${c.name}: POST /api/runs ${created.status}`);
  const run = await waitForRun(stack.baseUrl, created.body.runId, 120_000);
  if (!run.llm) throw new Error(`${c.name}: GET /api/runs answered ${JSON.stringify(run)}`);
  const outcome = {
    name: c.name,
    calls: run.llm.calls,
    expectedCalls: baseCalls(c),
    planned: c.calls,
    stored: Boolean(run.contentId ?? run.appId),
  };
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const { expect: expected } = c;
  if (expected.kind === 'failed') {
    check(run.state === 'FAILED', `ended ${run.state}, not FAILED`);
    check(expected.error.test(run.error ?? ''), `failed with "${run.error}"`);
  } else {
    check(run.state === 'DONE', `ended ${run.state}: ${run.error ?? ''}`);
  }
  if (expected.kind === 'content' && run.contentId) {
    const res = await fetch(`${stack.baseUrl}/api/content/${run.contentId}`);
    const body = await res.text();
    check(body === expected.body, `stored content ${JSON.stringify(body.slice(0, 200))}`);
    check(
      res.headers.get('content-type')?.startsWith(expected.type) === true,
      `stored as ${res.headers.get('content-type')}`,
    );
  }
  if ((expected.kind === 'app' || expected.kind === 'tool') && run.appId) {
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${run.appId}`);
    check(
      app.body.html === expected.html,
      `stored app ${JSON.stringify(app.body.html.slice(0, 200))}`,
    );
    if (expected.kind === 'tool') {
      check(app.body.tools.includes(expected.tool), `app tools ${JSON.stringify(app.body.tools)}`);
    }
  }
  if (expected.kind === 'tool') {
    const called = await api(stack.baseUrl, `/api/mono/${expected.tool}`, {
      body: expected.probe.args,
    });
    check(
      called.status === 200 &&
        JSON.stringify(called.body) === JSON.stringify(expected.probe.result),
      `the tool answered ${called.status} ${JSON.stringify(called.body)}`,
    );
  }
  return { ...outcome, right: problems.length === 0, problem: problems.join('; ') };
}
