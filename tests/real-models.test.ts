import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppView, RunEvent, RunView, ToolVersion } from '@hyperdesk/shared/contracts';
import type { LoggedRequest } from '@hyperdesk/llm-sim/src/request-log';
import { api, replayEvents, runToEnd } from './support/client';
import { startStack, type Stack } from './support/stack';

/**
 * What real models do, taught to the simulator and sent through the whole pipeline (every
 * service a process): reasoning in a field or inline, rate limits named only by reset
 * headers, a model that refuses `temperature`, and a request the tool library already serves.
 */

const SECRET = 'SECRET-REASONING';
const reasoning = (n: number) =>
  `The person wants a small app ${SECRET}-${n}. <b>Draft</b>: {"intent": "tool_only"} maybe? No.`;

const classify = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    intent: 'new_app',
    title: 'Thought app',
    tools: [],
    needsNewTools: false,
    ...extra,
  });
const page = (title: string) =>
  `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1><p id="out">ready</p></body></html>`;

const WORDS_CODE = [
  'import json',
  'import sys',
  '',
  'args = json.load(sys.stdin)',
  'print(json.dumps({"count": len(args["text"].split())}))',
].join('\n');
const WORDS_PLAN = JSON.stringify({
  use: [],
  create: [
    {
      name: 'rm_words',
      description: 'Counts the words of a text.',
      args: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      returns: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      examples: [
        { args: { text: 'a b' }, result: { count: 2 } },
        { args: { text: 'one' }, result: { count: 1 } },
      ],
    },
  ],
  change: [],
});

const CLASSIFY_RESPONSE = { content: classify() };

const scenarios = [
  // Reasoning in its own delta field, on the classification and the app.
  {
    stage: 'classify',
    match: 'rm-field',
    responses: [{ ...CLASSIFY_RESPONSE, reasoning: reasoning(1) }],
  },
  {
    stage: 'app_generate',
    match: 'rm-field',
    responses: [
      { content: page('Field'), reasoning: reasoning(2), reasoningAs: 'reasoning_content' },
    ],
  },
  // Inline <think>, its tags cut across chunks, on every stage of a request with a new tool.
  {
    stage: 'classify',
    match: 'rm-think',
    responses: [
      { content: classify({ needsNewTools: true }), reasoning: reasoning(3), reasoningAs: 'think' },
    ],
  },
  {
    stage: 'plan_tools',
    match: 'rm-think',
    responses: [{ content: WORDS_PLAN, reasoning: reasoning(4), reasoningAs: 'think' }],
  },
  {
    stage: 'tool_write',
    match: 'rm_words',
    responses: [{ content: WORDS_CODE, reasoning: reasoning(5), reasoningAs: 'think' }],
  },
  {
    stage: 'app_generate',
    match: 'rm-think',
    responses: [{ content: page('Think'), reasoning: reasoning(6), reasoningAs: 'think' }],
  },
  {
    stage: 'app_ask',
    match: 'rm-ask',
    responses: [{ content: 'A plain answer.', reasoning: reasoning(7), reasoningAs: 'think' }],
  },
  // Rate limits named only by x-ratelimit-reset-* headers.
  {
    stage: 'classify',
    match: 'rm-limit-passing',
    responses: [{ fault: '429', times: 2, resetRequests: '1s', ...CLASSIFY_RESPONSE }],
  },
  { stage: 'app_generate', match: 'rm-limit-passing', responses: [{ content: page('Limit') }] },
  {
    stage: 'classify',
    match: 'rm-limit-persisting',
    responses: [{ fault: '429', resetTokens: '6m0s' }],
  },
  // A model that refuses temperature, as OpenAI's reasoning models do.
  {
    stage: 'classify',
    match: 'rm-no-temperature',
    responses: [{ ...CLASSIFY_RESPONSE, rejects: ['temperature'] }],
  },
  {
    stage: 'app_generate',
    match: 'rm-no-temperature',
    responses: [{ content: page('No temperature') }],
  },
];

let stack: Stack;
let dir: string;

const run = (prompt: string): Promise<RunView> => runToEnd(stack.baseUrl, { prompt }, 120_000);

async function simRequests(token: string): Promise<LoggedRequest[]> {
  const all = (await (await fetch(`${stack.simUrl}/sim/requests`)).json()) as LoggedRequest[];
  return all.filter((r) => r.user.includes(token));
}

/** Every text the run streamed to its window. */
function streamed(events: RunEvent[]): string {
  return events.map((e) => (e.type === 'run.token' ? e.text : '')).join('');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hd-real-models-'));
  await writeFile(path.join(dir, 'real-models.json'), JSON.stringify(scenarios));
  stack = await startStack('real-models', {
    LLM_SIM_SCENARIOS: dir,
    LLM_SIM_TTFT_MS: '0',
    LLM_SIM_TOKENS_PER_S: '20000',
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reasoning', () => {
  it('reasoning in a field reaches no window or app; the window hears the model is thinking', async () => {
    const done = await run('rm-field a small notes app');
    expect(done.state, done.error).toBe('DONE');
    const events = await replayEvents(stack.wsUrl, done.id);
    expect(streamed(events)).toContain('<h1>Field</h1>');
    expect(streamed(events)).not.toContain(SECRET);
    expect(events.some((e) => e.type === 'run.thinking' && e.target === 'app')).toBe(true);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${done.appId}`);
    expect(app.body.html).toContain('<h1>Field</h1>');
    expect(app.body.html).not.toContain(SECRET);
    // The timeline's figures: reasoning time apart from the first answer token.
    const generate = done.llm.detail.find((c) => c.stage === 'app_generate');
    expect(generate?.reasoningMs).toBeGreaterThan(0);
    expect(generate?.ttftMs).toBeGreaterThan(generate?.firstReasoningMs ?? Infinity);
  }, 180_000);

  it('inline <think> split across chunks reaches no app, tool file or ask answer', async () => {
    const done = await run('rm-think a word counter app');
    expect(done.state, done.error).toBe('DONE');
    const events = await replayEvents(stack.wsUrl, done.id);
    expect(streamed(events)).toContain('<h1>Think</h1>');
    expect(streamed(events)).not.toMatch(/SECRET|<\/?th|nk>/);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${done.appId}`);
    expect(app.body.html).not.toContain(SECRET);
    const tool = await api<ToolVersion>(stack.baseUrl, '/api/tools/rm_words');
    expect(tool.body.code).toContain('len(args["text"].split())');
    expect(tool.body.code).not.toMatch(/SECRET|think>/);
    expect(
      (await api(stack.baseUrl, '/api/mono/rm_words', { body: { text: 'x y z' } })).body,
    ).toEqual({
      count: 3,
    });

    const res = await fetch(`${stack.baseUrl}/api/apps/${done.appId}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'rm-ask what is this?' }),
    });
    const lines = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; text?: string });
    const tokens = lines
      .filter((l) => l.type === 'token')
      .map((l) => l.text)
      .join('');
    expect(tokens).toBe('A plain answer.');
    expect(lines.at(-1)).toMatchObject({ type: 'done', text: 'A plain answer.' });
  }, 240_000);
});

describe('request settings', () => {
  it('a model that refuses temperature still answers: the run succeeds', async () => {
    const done = await run('rm-no-temperature a tiny app');
    expect(done.state, done.error).toBe('DONE');
    const classified = (await simRequests('rm-no-temperature')).filter(
      (r) => r.stage === 'classify',
    );
    expect(classified.map((r) => [r.httpStatus, r.temperature])).toEqual([
      [400, 0],
      [200, null],
    ]);
  }, 180_000);

  it('a request an existing tool serves makes two model calls: classify and generate', async () => {
    const tool = {
      name: 'rm_disk_free',
      description: 'Free space of the disk, in bytes.',
      args: { type: 'object', properties: {} },
      returns: { type: 'object', properties: { free: { type: 'integer' } }, required: ['free'] },
      examples: [{ args: {} }],
      code: 'import json, shutil\nprint(json.dumps({"free": shutil.disk_usage("/").free}))',
    };
    expect((await api(stack.baseUrl, '/api/tools', { body: tool })).status).toBe(201);
    const done = await run('rm-existing an app showing the free disk space');
    expect(done.state, done.error).toBe('DONE');
    const calls = await simRequests('rm-existing');
    expect(calls.map((c) => c.stage)).toEqual(['classify', 'app_generate']);
    expect(done.llm.calls).toBe(2);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${done.appId}`);
    expect(app.body.tools).toEqual(['rm_disk_free']);
  }, 180_000);
});

describe('rate limits', () => {
  it('x-ratelimit-reset-* without retry-after: paced retries, then the run succeeds', async () => {
    const done = await run('rm-limit-passing a tiny app');
    expect(done.state, done.error).toBe('DONE');
    const classified = (await simRequests('rm-limit-passing')).filter(
      (r) => r.stage === 'classify',
    );
    expect(classified.map((r) => r.httpStatus)).toEqual([429, 429, 200]);
    // Each retry waited for the reset the provider named.
    expect((classified[1]?.at ?? 0) - (classified[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  }, 180_000);

  // Last: the used-up limit holds every worker of this stack back until it resets.
  it('a limit that persists fails the run naming the limit and when it resets', async () => {
    const failed = await run('rm-limit-persisting a tiny app');
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(
      /its tokens \(60000\) limit resets in 6 min \(at \d\d:\d\d:\d\d UTC\)/,
    );
  }, 180_000);
});
