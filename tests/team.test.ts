import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl } from './support/redis';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';

describe('a team server: accounts, isolation, limits, audit', () => {
  let stack: Stack;
  let admin: Session;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    stack = await startStack('team', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MAX_ACTIVE_RUNS: '3',
      REQUESTS_PER_MINUTE: '1000',
      APP_CONCURRENCY: '1',
      CLASSIFY_CONCURRENCY: '1',
    });
    admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const created = await admin.call('/api/admin/users', { body: { name, password: PASSWORD } });
      expect(created.status).toBe(201);
    }
    alice = await Session.login(stack.baseUrl, 'alice', PASSWORD);
    bob = await Session.login(stack.baseUrl, 'bob', PASSWORD);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and refuses anonymous requests', async () => {
    const res = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^hd_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    const anonymous = new Session(stack.baseUrl, {});
    for (const route of ['/api/runs/run_x', '/api/apps', '/api/tools', '/api/desktop']) {
      const reply = await anonymous.call<{ error: string }>(route);
      expect(reply.status).toBe(401);
      expect(reply.body.error).toMatch(/Log in/);
    }
    expect(await anonymous.openSocket(stack.wsUrl)).toBe(401);
    expect((await alice.call('/api/auth/me')).body).toMatchObject({
      user: { name: 'alice', role: 'member' },
    });
  });

  it("keeps one person's runs, apps, content and desktop away from another", async () => {
    const created = await alice.call<{ runId: string }>('/api/runs', {
      body: { prompt: 'e2e:hello a tiny hello app' },
    });
    const run = await alice.waitForRun(created.body.runId);
    expect(run.state).toBe('DONE');
    const appId = String(run.appId);
    const csv = await alice.call<{ runId: string }>('/api/runs', {
      body: { prompt: 'apps:csv planets' },
    });
    const csvRun = await alice.waitForRun(csv.body.runId);
    const contentId = String(csvRun.contentId);
    await alice.call('/api/desktop', {
      method: 'PUT',
      body: { windows: [{ id: 'w', kind: 'app', appId, x: 1, y: 1, w: 300, h: 200, z: 1 }] },
    });

    const forbidden: [string, string, unknown?][] = [
      ['GET', `/api/runs/${run.id}`],
      ['DELETE', `/api/runs/${run.id}`],
      ['GET', `/api/apps/${appId}`],
      ['GET', `/api/apps/${appId}/versions`],
      ['GET', `/api/apps/${appId}/versions/1`],
      ['GET', `/api/apps/${appId}/versions/1/thumbnail`],
      ['POST', `/api/apps/${appId}/revert`, { version: 1 }],
      ['POST', `/api/apps/${appId}/versions`, { html: '<html><body>x</body></html>' }],
      ['DELETE', `/api/apps/${appId}`],
      ['POST', '/api/runs', { prompt: 'make it blue', appId }],
      ['GET', `/api/content/${contentId}`],
    ];
    // The thumbnail is saved just after DONE (the check takes it after its verdict).
    const thumbnail = `/api/apps/${appId}/versions/1/thumbnail`;
    await expect.poll(async () => (await alice.call(thumbnail)).status).toBe(200);
    for (const [method, route, body] of forbidden) {
      const reply = await bob.call(route, { method, ...(body === undefined ? {} : { body }) });
      expect(`${method} ${route} → ${reply.status}`).toBe(`${method} ${route} → 404`);
      // The owner still has it (the 404 is not a missing thing).
      if (method === 'GET') expect((await alice.call(route)).status).toBe(200);
    }
    expect((await bob.call<{ apps: unknown[] }>('/api/apps')).body.apps).toEqual([]);
    expect((await bob.call<{ windows: unknown[] }>('/api/desktop')).body.windows).toEqual([]);

    const socket = (await bob.openSocket(stack.wsUrl)) as WebSocket;
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      socket.once('message', (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)),
    );
    socket.send(JSON.stringify({ type: 'subscribe', runId: run.id, since: 0 }));
    expect(await reply).toMatchObject({
      type: 'error',
      message: `Run ${String(run.id)} was not found.`,
    });
    socket.close();
  });

  it('shares the tool library, with each version recording its author; network grants are for admins', async () => {
    const tool = {
      name: 'team_echo',
      description: 'echoes',
      args: { type: 'object' },
      returns: { type: 'object' },
      examples: [{ args: { a: 1 } }],
      code: 'import json, sys\nprint(json.dumps(json.load(sys.stdin)))',
    };
    expect((await alice.call('/api/tools', { body: tool })).status).toBe(201);
    const seen = await bob.call<{ author: string }>('/api/tools/team_echo');
    expect(seen.body.author).toBe('alice');
    expect((await bob.call('/api/mono/team_echo', { body: { x: 2 } })).body).toEqual({ x: 2 });
    const grant = await bob.call('/api/tools/team_echo/grant', { body: { network: true } });
    expect(grant.status).toBe(403);
    expect(
      (await admin.call('/api/tools/team_echo/grant', { body: { network: true } })).status,
    ).toBe(200);
    expect((await bob.call('/api/admin/users')).status).toBe(403);
    const audit = await admin.call<{
      entries: { action: string; actor: string; target?: string }[];
    }>('/api/admin/audit');
    const actions = audit.body.entries.map((e) =>
      `${e.actor} ${e.action} ${e.target ?? ''}`.trim(),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'admin user.create alice',
        'alice login alice',
        'alice tool.create team_echo',
        'admin tool.grant_network team_echo',
      ]),
    );
  });

  it("runs people's schema patterns in linear time: a ReDoS argument stalls neither the gateway nor the tool-manager", async () => {
    const evil = '^(a+)+$';
    const tool = {
      name: 'team_redos',
      description: 'echoes a word',
      args: {
        type: 'object',
        properties: { word: { type: 'string', pattern: evil } },
        patternProperties: { '^(x+x+)+y$': { type: 'number' } },
      },
      returns: { type: 'object' },
      examples: [{ args: { word: 'aaa' } }],
      code: 'import json, sys\nprint(json.dumps(json.load(sys.stdin)))',
    };
    expect((await alice.call('/api/tools', { body: tool })).status).toBe(201);
    // With a backtracking engine each of these takes longer than the universe has left.
    const attacks = [
      { word: `${'a'.repeat(30_000)}!` },
      { word: `${'a'.repeat(64)}\u0000` },
      { word: 'aa', [`${'x'.repeat(20_000)}`]: 1 },
    ];
    const [first, second, third, bystander] = await Promise.all([
      ...attacks.map((args) => bob.call<{ code?: string }>('/api/mono/team_redos', { body: args })),
      alice.call('/api/auth/me'),
    ]);
    expect(first?.status).toBe(400);
    expect(first?.body.code).toBe('INVALID_ARGS');
    expect(second?.status).toBe(400);
    expect(third?.status).toBe(200);
    expect(bystander?.status).toBe(200);

    // In a tool's example the same pattern would spin the tool-manager; it is refused.
    const spinning = await alice.call<{ code: string; error: string }>('/api/tools', {
      body: {
        ...tool,
        name: 'team_redos_example',
        examples: [{ args: { word: `${'a'.repeat(30_000)}!` } }],
      },
    });
    expect(spinning.status).toBe(422);
    expect(spinning.body.error).toMatch(/pattern/);
    // Patterns RE2 cannot run in linear time (lookaround, backreferences) are refused up front.
    const lookahead = await alice.call<{ error: string }>('/api/tools', {
      body: {
        ...tool,
        name: 'team_redos_look',
        args: { type: 'object', properties: { w: { type: 'string', pattern: '^(?=a)(a|a)*$' } } },
      },
    });
    expect(lookahead.status).toBe(400);
    expect(lookahead.body.error).toMatch(/lookaround and backreferences/);
    expect((await bob.call('/api/auth/me')).status).toBe(200);
  });

  it('bounds every costly schema check (uniqueItems, anyOf through $ref), not only patterns', async () => {
    const defs: Record<string, unknown> = { d30: { type: 'integer' } };
    for (let i = 0; i < 30; i++) {
      defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    }
    const tool = {
      name: 'team_costly',
      description: 'echoes',
      args: {
        type: 'object',
        $defs: defs,
        properties: { rows: { type: 'array', uniqueItems: true }, n: { $ref: '#/$defs/d0' } },
      },
      returns: { type: 'object' },
      examples: [{ args: { rows: [{ a: 1 }, { a: 2 }], n: 1 } }],
      code: 'import json, sys\nprint(json.dumps({"ok": True}))',
    };
    expect((await alice.call('/api/tools', { body: tool })).status).toBe(201);
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ k: [i] }));
    const [unique, exponential, bystander] = await Promise.all([
      bob.call<{ code: string; error: string }>('/api/mono/team_costly', { body: { rows } }),
      bob.call<{ code: string; error: string }>('/api/mono/team_costly', { body: { n: 'x' } }),
      alice.call('/api/auth/me'),
    ]);
    for (const reply of [unique, exponential]) {
      expect(reply?.status).toBe(400);
      expect(reply?.body.code).toBe('INVALID_ARGS');
      expect(reply?.body.error).toMatch(/too costly/);
    }
    expect(bystander?.status).toBe(200);
    expect(
      (await bob.call('/api/mono/team_costly', { body: { rows: [{ a: 1 }], n: 2 } })).body,
    ).toEqual({ ok: true });
  });

  it('throttles a burst of wrong passwords, even for the right one afterwards', async () => {
    const attempt = (password: string) =>
      fetch(`${stack.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'erin', password }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt(`wrong ${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const right = await attempt(PASSWORD);
    expect(right.status).toBe(429);
    expect(((await right.json()) as { error: string }).error).toMatch(/Too many failed logins/);
  });

  it('refuses a cross-site form POST that carries the cookie', async () => {
    const res = await fetch(`${stack.baseUrl}/api/runs`, {
      method: 'POST',
      headers: {
        ...alice.headers(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: 'prompt=steal',
    });
    expect(res.status).toBe(403);
    const noOrigin = await fetch(`${stack.baseUrl}/api/runs`, {
      method: 'POST',
      headers: { ...alice.headers(), 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      body: '{"prompt":"steal"}',
    });
    expect(noOrigin.status).toBe(403);
  });

  it('stops a revoked API token at once', async () => {
    const created = await bob.call<{ id: string; token: string }>('/api/auth/tokens', {
      body: { name: 'laptop script' },
    });
    expect(created.status).toBe(201);
    const viaToken = new Session(stack.baseUrl, { token: created.body.token });
    expect((await viaToken.call('/api/auth/me')).body).toMatchObject({ user: { name: 'bob' } });
    expect(
      (await bob.call<{ tokens: { name: string }[] }>('/api/auth/tokens')).body.tokens,
    ).toEqual([expect.objectContaining({ name: 'laptop script' })]);
    expect(
      (await bob.call(`/api/auth/tokens/${created.body.id}`, { method: 'DELETE' })).status,
    ).toBe(200);
    expect((await viaToken.call('/api/auth/me')).status).toBe(401);
  });

  it('refuses runs past the daily token budget, saying which limit and when it resets', async () => {
    const dave = await Session.login(stack.baseUrl, 'dave', PASSWORD);
    const redis = new Redis(await redisUrl());
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    await redis.set(`${stack.prefix}:user:dave:usage:${day}`, '2000000');
    redis.disconnect();
    const refused = await dave.call<{ error: string; limit: string; resetsAt: string }>(
      '/api/runs',
      {
        body: { prompt: 'e2e:hello' },
      },
    );
    expect(refused.status).toBe(429);
    expect(refused.body.limit).toBe('daily_tokens');
    expect(refused.body.error).toMatch(/budget/);
    expect(Date.parse(refused.body.resetsAt)).toBeGreaterThan(Date.now());
  });

  it('limits the request rate per person (Redis-backed) with a 429 naming the limit', async () => {
    const carol = await Session.login(stack.baseUrl, 'carol', PASSWORD);
    const statuses: number[] = [];
    // 2,100 requests: whichever minute they fall in, one window sees more than 1,000.
    for (let batch = 0; batch < 21; batch++) {
      const replies = await Promise.all(
        Array.from({ length: 100 }, () => carol.call('/api/auth/me')),
      );
      statuses.push(...replies.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const refused = await carol.call<{ limit: string }>('/api/auth/me');
    if (refused.status === 429) expect(refused.body.limit).toBe('requests_per_minute');
    // Someone else is not affected.
    expect((await bob.call('/api/auth/me')).status).toBe(200);
  });

  it("limits runs in progress, and one person's burst does not hold back another's run", async () => {
    const burst: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await alice.call<{ runId: string }>('/api/runs', {
        body: { prompt: `e2e:hello burst ${i}` },
      });
      expect(reply.status).toBe(202);
      burst.push(reply.body.runId);
    }
    const fourth = await alice.call<{ limit: string; error: string }>('/api/runs', {
      body: { prompt: 'e2e:hello one too many' },
    });
    expect(fourth.status).toBe(429);
    expect(fourth.body.limit).toBe('active_runs');
    expect(fourth.body.error).toMatch(/3 runs in progress/);

    const bobs = await bob.call<{ runId: string }>('/api/runs', {
      body: { prompt: 'e2e:hello for bob' },
    });
    const doneAt = async (session: Session, runId: string) => {
      const run = await session.waitForRun(runId, 120_000);
      expect(run.state).toBe('DONE');
      const history = run.history as { state: string; at: number }[];
      return history.at(-1)?.at ?? Infinity;
    };
    const [bobDone, ...aliceDone] = await Promise.all([
      doneAt(bob, bobs.body.runId),
      ...burst.map((id) => doneAt(alice, id)),
    ]);
    // With one app-generator slot, first-come-first-served would finish bob last; fair
    // priorities let him overtake alice's queued runs.
    expect(bobDone).toBeLessThan(Math.max(...aliceDone));
  });
});
