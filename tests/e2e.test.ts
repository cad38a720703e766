import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppView, RunEvent, RunView } from '@hyperdesk/shared/contracts';
import { api, waitForRun, WsClient } from './support/client';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

describe('prompt → app, end to end (every service a process, simulator as the model)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('e2e', { LLM_SIM_SCENARIOS: scenarios });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streams an app over the WebSocket, stores it, and replays from `since`', async () => {
    const ws = await WsClient.open(stack.wsUrl);
    const created = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'e2e:hello a tiny hello app' },
    });
    expect(created.status).toBe(202);
    const { runId } = created.body;
    ws.send({ type: 'subscribe', runId, since: 0 });
    expect(await ws.untilEnded(runId)).toBe('DONE');

    const events = ws.events(runId);
    // Numbered from 1 without gaps or repeats, whatever was replayed and what came live.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const states = events.flatMap((e) => (e.type === 'run.state' ? [e.state] : []));
    expect(states).toEqual(['RECEIVED', 'CLASSIFYING', 'GENERATING_APP', 'CHECKING_APP', 'DONE']);

    const tokens = events.filter(
      (e): e is Extract<RunEvent, { type: 'run.token' }> => e.type === 'run.token',
    );
    expect(tokens.length).toBeGreaterThan(3); // batched into frames, but streamed
    const appEvent = events.find((e) => e.type === 'run.app');
    expect(appEvent?.type === 'run.app' && appEvent.version).toBe(1);
    const appId = appEvent?.type === 'run.app' ? appEvent.appId : '';

    const app = await api<AppView>(stack.baseUrl, `/api/apps/${appId}`);
    expect(app.status).toBe(200);
    expect(app.body.html).toMatch(/^<!DOCTYPE html>/);
    expect(app.body.html).toContain('Hello from Hyperdesk');
    expect(tokens.map((t) => t.text).join('')).toContain(app.body.html.trim());

    const run = await api<RunView>(stack.baseUrl, `/api/runs/${runId}`);
    expect(run.body).toMatchObject({ state: 'DONE', intent: 'new_app', appId });
    expect(run.body.llm.calls).toBe(2); // classify + generate: two sequential model calls
    expect(run.body.llm.detail.map((c) => c.stage)).toEqual(['classify', 'app_generate']);
    expect(run.body.llm.completionTokens).toBeGreaterThan(100);
    expect(run.body.history.at(-1)?.state).toBe('DONE');

    // The thumbnail follows DONE, announced as the run's last event.
    await ws.until((m) => m.some((x) => x.type === 'run.thumbnail' && x.runId === runId));
    const all = ws.events(runId);
    expect(all.at(-1)?.type).toBe('run.thumbnail');

    // A second client that missed the start gets exactly the events after `since`.
    const late = await WsClient.open(stack.wsUrl);
    late.send({ type: 'subscribe', runId, since: 3 });
    await late.until((m) => m.some((x) => x.type === 'subscribed'));
    expect(late.events(runId).map((e) => e.seq)).toEqual(
      all.filter((e) => e.seq > 3).map((e) => e.seq),
    );
    ws.close();
    late.close();
  });

  it('fails a run whose model output stays unusable after the re-ask, with a reason', async () => {
    const { body } = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'e2e:garbage please' },
    });
    const run = await waitForRun(stack.baseUrl, body.runId);
    expect(run.state).toBe('FAILED');
    expect(run.error).toMatch(/model/i);
    expect(run.llm.calls).toBe(2); // the answer and the one targeted re-ask
  });

  it('answers bad HTTP input with a 4xx and a message', async () => {
    const bad = [
      await api<{ error: string }>(stack.baseUrl, '/api/runs', { raw: '{"prompt": ' }),
      await api<{ error: string }>(stack.baseUrl, '/api/runs', { body: { prompt: '   ' } }),
      await api<{ error: string }>(stack.baseUrl, '/api/runs', { body: { prompt: 42 } }),
      await api<{ error: string }>(stack.baseUrl, '/api/runs', { body: [] }),
      await api<{ error: string }>(stack.baseUrl, '/api/runs', {
        body: { prompt: 'x'.repeat(2_000_000) },
      }),
    ];
    for (const reply of bad) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(reply.body.error.length).toBeGreaterThan(5);
    }
    expect(bad[1]?.body.error).toMatch(/prompt/);
    const missing = await api<{ error: string }>(stack.baseUrl, '/api/runs/run_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/run_nope/);
    const missingApp = await api(stack.baseUrl, '/api/apps/app_nope');
    expect(missingApp.status).toBe(404);
    const refineMissing = await api(stack.baseUrl, '/api/runs', {
      body: { prompt: 'make it blue', appId: 'app_nope' },
    });
    expect(refineMissing.status).toBe(404);
  });

  it('answers bad WebSocket messages with an error event and keeps the connection', async () => {
    const ws = await WsClient.open(stack.wsUrl);
    ws.send('not json');
    ws.send({ type: 'subscribe' });
    ws.send({ type: 'subscribe', runId: 'run_unknown' });
    ws.send({ type: 'ping' });
    await ws.until(
      (m) => m.some((x) => x.type === 'pong') && m.filter((x) => x.type === 'error').length >= 3,
    );
    const errors = ws.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(3);
    expect(String(errors[0]?.message)).toMatch(/subscribe/);
    expect(errors.find((e) => e.runId === 'run_unknown')?.message).toMatch(/not found/);
    ws.close();
  });

  it('reports health with the simulated model', async () => {
    const health = await api<Record<string, unknown>>(stack.baseUrl, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', redis: true, llm: true, simulated: true });
  });
});

describe('desktop layout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('desktop');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('saves and returns the layout, refusing a malformed one', async () => {
    expect((await api(stack.baseUrl, '/api/desktop')).body).toEqual({ windows: [], theme: 'dark' });
    const layout = {
      theme: 'light',
      windows: [
        {
          id: 'w1',
          kind: 'app',
          appId: 'app_1',
          x: 10,
          y: 20,
          w: 640,
          h: 480,
          z: 3,
          minimized: false,
          maximized: true,
        },
      ],
    };
    const saved = await api(stack.baseUrl, '/api/desktop', { method: 'PUT', body: layout });
    expect(saved.status).toBe(200);
    expect((await api(stack.baseUrl, '/api/desktop')).body).toEqual(layout);
    const bad = await api<{ error: string }>(stack.baseUrl, '/api/desktop', {
      method: 'PUT',
      body: { windows: [{ id: 'w1', kind: 'app', x: 'left' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/windows\.0\.x/);
  });
});
