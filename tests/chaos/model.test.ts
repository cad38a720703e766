import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { startStack, type Stack } from '../support/stack';
import { MODEL, SLOW, writeChaosScenarios } from './scenarios';

interface RunView {
  state: string;
  error?: string;
  appId?: string;
  history: { state: string }[];
}

async function run(stack: Stack, prompt: string): Promise<RunView> {
  const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', { body: { prompt } });
  expect(created.status).toBe(202);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = await api<RunView>(stack.baseUrl, `/api/runs/${created.body.runId}`);
    if (['DONE', 'FAILED', 'CANCELLED'].includes(view.body.state) || Date.now() > deadline) {
      return view.body;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a model that hangs, rate-limits or talks nonsense', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('chaos-model', {
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      // A model that goes quiet for 1.5 s is given up on (the default is 2 minutes).
      LLM_TIMEOUT_MS: '1500',
      LLM_MAX_RETRIES: '2',
      MAX_ACTIVE_RUNS: '10',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a model that never answers: the run fails, saying which model did not answer and what to do', async () => {
    const view = await run(stack, `${MODEL.hang} a clock`);
    expect(view.state).toBe('FAILED');
    expect(view.error).toMatch(
      /sim at http:\/\/127\.0\.0\.1:\d+\/v1 \(model [^)]+\) (did not answer|stopped sending) the classify/,
    );
  });

  it('a model that answers 429 every time: the run fails naming the limit and when it resets', async () => {
    const view = await run(stack, `${MODEL.rateLimitedForever} a clock`);
    expect(view.state).toBe('FAILED');
    expect(view.error).toMatch(
      /refused the classify request after 3 attempts: its limit resets in .+ \(at \d\d:\d\d:\d\d UTC\)\. Try again then/,
    );
    // The job was retried too (three attempts of three calls each) before giving up.
    expect(view.history.filter((h) => h.state === 'CLASSIFYING')).toHaveLength(1);
  });

  it('a model that answers 429 for a while: the retries carry the run through to DONE', async () => {
    const view = await run(stack, `${MODEL.rateLimitedThenOk} a clock`);
    expect(view.state, view.error).toBe('DONE');
  });

  it('a classification that is not JSON: one re-ask, then FAILED with what the model said', async () => {
    const view = await run(stack, `${MODEL.garbageClassify} a clock`);
    expect(view.state).toBe('FAILED');
    expect(view.error).toMatch(/classif/i);
    expect(view.error).not.toMatch(/at .*\.ts:\d+|TypeError|undefined/);
  });

  it('an app answer that is not HTML: one re-ask, then FAILED with the reason', async () => {
    const view = await run(stack, `${MODEL.garbageApp} a clock`);
    expect(view.state).toBe('FAILED');
    expect(view.error).toMatch(/did not produce a usable app: .*HTML document/);
  });
});

describe('the watchdog: nothing stays in progress forever', () => {
  let stack: Stack;
  // Long enough for an app check (which sends no events) on a busy machine; the long stream
  // below outlasts it.
  const STALL_MS = 10_000;

  beforeAll(async () => {
    stack = await startStack('chaos-watchdog', {
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      // The model client would wait ten minutes; the watchdog's deadline is much shorter.
      LLM_TIMEOUT_MS: '600000',
      RUN_STALL_MS: String(STALL_MS),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a run stuck past the deadline is moved to FAILED with a reason', async () => {
    const view = await run(stack, `${MODEL.hang} a clock`);
    expect(view.state).toBe('FAILED');
    expect(view.error).toMatch(/stalled in CLASSIFYING for \d+ s and was stopped; try again/);
  });

  it('a run that takes longer than the deadline but keeps streaming is left alone', async () => {
    const view = await run(stack, `${SLOW.longStream} a long board`);
    expect(view.state, view.error).toBe('DONE');
    const generating = view.history.find((h) => h.state === 'GENERATING_APP') as
      { ms: number | null } | undefined;
    // The point of the case: generation alone outlasted the stall deadline.
    expect(generating?.ms ?? 0).toBeGreaterThan(STALL_MS);
  });
});
