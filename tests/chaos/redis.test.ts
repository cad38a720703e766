import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnedRedis, RunFollower, eventually, sequenceProblems } from '../support/chaos';
import { Session } from '../support/session';
import { startStack, type Stack } from '../support/stack';
import { SLOW, writeChaosScenarios } from './scenarios';

const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';

const ECHO_TOOL = {
  name: 'chaos_upper',
  description: 'Upper-cases a text.',
  args: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  returns: { type: 'object', properties: { upper: { type: 'string' } }, required: ['upper'] },
  examples: [{ args: { text: 'hi' }, result: { upper: 'HI' } }],
  code: 'import json, sys\nargs = json.load(sys.stdin)\nprint(json.dumps({"upper": args["text"].upper()}))\n',
};

describe('Redis restarts (AOF, everysec): nothing is lost and the services carry on', () => {
  let redis: OwnedRedis;
  let stack: Stack;
  let admin: Session;
  let alice: Session;
  const runIds: string[] = [];

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    stack = await startStack('chaos-redis', {
      REDIS_URL: redis.url,
      LLM_SIM_SCENARIOS: writeChaosScenarios(),
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MAX_ACTIVE_RUNS: '10',
      WORKER_LOCK_MS: '3000',
      WORKER_STALLED_INTERVAL_MS: '1000',
    });
    admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const name of ['alice', 'bob']) {
      const created = await admin.call('/api/admin/users', { body: { name, password: PASSWORD } });
      expect(created.status).toBe(201);
    }
    alice = await Session.login(stack.baseUrl, 'alice', PASSWORD);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  async function completedRun(session: Session, prompt: string, appId?: string) {
    const created = await session.call<{ runId: string }>('/api/runs', {
      body: { prompt, ...(appId ? { appId } : {}) },
    });
    expect(created.status).toBe(202);
    runIds.push(created.body.runId);
    const run = await session.waitForRun(created.body.runId, 90_000);
    expect(run.state, String(run.error)).toBe('DONE');
    return run as { id: string; appId: string };
  }

  /** Everything a person can see, through the API. */
  async function snapshot() {
    const users = await admin.call<{ users: unknown[] }>('/api/admin/users');
    const apps = await alice.call<{ apps: { id: string }[] }>('/api/apps');
    const appVersions = await Promise.all(
      apps.body.apps.map(async (a) => (await alice.call(`/api/apps/${a.id}/versions`)).body),
    );
    const tools = await alice.call<{ tools: { name: string }[] }>('/api/tools');
    const toolVersions = await Promise.all(
      tools.body.tools.map(async (t) => (await alice.call(`/api/tools/${t.name}/versions`)).body),
    );
    const runs = await Promise.all(
      runIds.map(async (id) => (await alice.call(`/api/runs/${id}`)).body),
    );
    const desktop = await alice.call('/api/desktop');
    return {
      users: users.body,
      apps: apps.body,
      appVersions,
      tools: tools.body,
      toolVersions,
      runs,
      desktop: desktop.body,
    };
  }

  async function waitHealthy() {
    await eventually(
      'the gateway to see Redis again',
      async () => (await fetch(`${stack.baseUrl}/health`).catch(() => null))?.status === 200,
    );
  }

  it('keeps users, sessions, runs, apps, tools and versions across a SHUTDOWN and a kill -9', async () => {
    const first = await completedRun(alice, 'a notes app');
    const reverted = await alice.call(`/api/apps/${first.appId}/revert`, { body: { version: 1 } });
    expect(reverted.status).toBe(200);
    const tool = await alice.call('/api/tools', { body: ECHO_TOOL });
    expect(tool.status, JSON.stringify(tool.body)).toBe(201);
    const toolRevert = await alice.call('/api/tools/chaos_upper/revert', { body: { version: 1 } });
    expect(toolRevert.status).toBe(200);
    const layout = await alice.call('/api/desktop', {
      method: 'PUT',
      body: { windows: [], theme: 'light' },
    });
    expect(layout.status).toBe(200);
    const before = await snapshot();
    expect(before.toolVersions).toHaveLength(1);
    expect(JSON.stringify(before.desktop)).toContain('light');
    expect(JSON.stringify(before.appVersions)).toContain('"version":2');

    // 1. A clean restart: SHUTDOWN flushes the AOF.
    await redis.shutdown();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    await waitHealthy();
    expect(await snapshot()).toEqual(before);

    // 2. A crash a moment after the last write (everysec: at most a second is unsynced).
    const second = await completedRun(alice, 'a todo app');
    const beforeCrash = await snapshot();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();
    await waitHealthy();
    expect(await snapshot()).toEqual(beforeCrash);
    expect(second.appId).toBeTruthy();

    // The services reconnected: a new run completes and a new tool is built and registered.
    const after = await completedRun(alice, 'a timer app');
    expect(after.appId).toBeTruthy();
    const another = await alice.call('/api/tools', {
      body: { ...ECHO_TOOL, name: 'chaos_upper_2' },
    });
    expect(another.status, JSON.stringify(another.body)).toBe(201);
    // Logins work (the session store) and existing sessions are still valid.
    expect((await Session.login(stack.baseUrl, 'bob', PASSWORD)).auth.cookie).toBeTruthy();
  });

  it('a run streaming while Redis restarts still ends, with one app version', async () => {
    const follower = new RunFollower(stack.wsUrl, alice.headers());
    await follower.open();
    const created = await alice.call<{ runId: string }>('/api/runs', {
      body: { prompt: `${SLOW.app} a kanban board` },
    });
    follower.follow(created.body.runId);
    await eventually('tokens to stream', () =>
      follower.events(created.body.runId).some((e) => e.type === 'run.token'),
    );
    await redis.shutdown();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    const run = await alice.waitForRun(created.body.runId, 90_000);
    await eventually(
      'the watcher to see the end',
      () => follower.ended(created.body.runId),
      10_000,
    );
    follower.close();
    const history = run.history as { state: string; ms: number | null }[];
    const resets = follower
      .events(created.body.runId)
      .filter((e) => e.type === 'run.token' && e.reset === true).length;
    console.log(
      `run across the Redis restart: ${history.map((h) => `${h.state} ${h.ms ?? ''}`).join(' → ')}; streams started: ${resets}`,
    );
    expect(run.state, String(run.error)).toBe('DONE');
    // The watcher's socket stayed open through the restart and still saw every event once.
    const events = follower.events(created.body.runId);
    expect(follower.ended(created.body.runId)).toBe('DONE');
    expect(sequenceProblems(events)).toEqual({ gaps: [], repeats: [] });
    const versions = await alice.call<{ versions: unknown[] }>(
      `/api/apps/${String(run.appId)}/versions`,
    );
    expect(versions.body.versions).toHaveLength(1);
  });
});
