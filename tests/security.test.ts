import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway';

const PASSWORD = 'a long enough password';

/** A request as a browser or a script sends it; the reply's status and JSON. */
async function call<T = Record<string, unknown>>(
  gw: Gateway,
  path: string,
  init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const res = await fetch(gw.baseUrl + path, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(hasBody ? { body: init.raw ?? JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T };
}

async function login(gw: Gateway, name: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${gw.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, password }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function token(gw: Gateway, cookie: string): Promise<string> {
  const created = await call<{ token: string }>(gw, '/api/auth/tokens', {
    body: { name: 'script' },
    headers: { cookie, origin: gw.baseUrl },
  });
  expect(created.status).toBe(201);
  return created.body.token;
}

/** Opens the WebSocket; resolves with the socket, or the HTTP status that refused it. */
function openSocket(gw: Gateway, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(gw.wsUrl, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

async function openedSocket(gw: Gateway, headers: Record<string, string>): Promise<WebSocket> {
  const socket = await openSocket(gw, headers);
  if (typeof socket === 'number') throw new Error(`socket refused: ${socket}`);
  return socket;
}

/** Resolves with the close code once the server ends the connection. */
function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    socket.once('close', (code) => resolve(code));
  });
}

/** JSON text of objects nested `depth` deep (built as text: too deep for JSON.stringify). */
function nested(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

describe('sessions are bound to the account and its credential generation', () => {
  let gw: Gateway;
  let n = 0;
  /** A new person for each test, so one test's logout cannot touch another's. */
  const person = async () => {
    const name = `p${n++}x${Math.floor(Math.random() * 1e6)}`;
    await gw.deps.users.create(name, PASSWORD, 'member', 'test');
    return name;
  };

  beforeAll(async () => {
    gw = await startGateway({ AUTH_MODE: 'accounts', REQUESTS_PER_MINUTE: '100000' });
    await gw.deps.users.create('boss', PASSWORD, 'admin', 'test');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const me = (cookieOrToken: { cookie?: string; token?: string }) =>
    call(gw, '/api/auth/me', {
      headers: cookieOrToken.cookie
        ? { cookie: cookieOrToken.cookie }
        : { authorization: `Bearer ${cookieOrToken.token ?? ''}` },
    });

  it('ends every session and API token of a person when an admin resets the password', async () => {
    const name = await person();
    const first = await login(gw, name);
    const second = await login(gw, name);
    const script = await token(gw, first);
    const boss = await login(gw, 'boss');
    const reset = await call(gw, `/api/admin/users/${name}/password`, {
      body: { password: 'a brand new password' },
      headers: { cookie: boss, origin: gw.baseUrl },
    });
    expect(reset.status).toBe(200);
    expect((await me({ cookie: first })).status).toBe(401);
    expect((await me({ cookie: second })).status).toBe(401);
    expect((await me({ token: script })).status).toBe(401);
    // The new password works, and the admin who reset it is still logged in.
    const fresh = await login(gw, name, 'a brand new password');
    expect((await me({ cookie: fresh })).body).toMatchObject({ user: { name } });
    expect((await me({ cookie: boss })).status).toBe(200);
  });

  it('does not let an old cookie or token of a removed person read the new person of that name', async () => {
    const name = await person();
    const oldCookie = await login(gw, name);
    const oldToken = await token(gw, oldCookie);
    const putLayout = (cookie: string, title: string) =>
      call(gw, '/api/desktop', {
        method: 'PUT',
        body: {
          windows: [{ id: title, kind: 'app', appId: 'app_x', x: 1, y: 1, w: 300, h: 200, z: 1 }],
        },
        headers: { cookie, origin: gw.baseUrl },
      });
    expect((await putLayout(oldCookie, 'old')).status).toBe(200);
    const boss = await login(gw, 'boss');
    const headers = { cookie: boss, origin: gw.baseUrl };
    expect((await call(gw, `/api/admin/users/${name}`, { method: 'DELETE', headers })).status).toBe(
      200,
    );
    expect(
      (await call(gw, '/api/admin/users', { body: { name, password: PASSWORD }, headers })).status,
    ).toBe(201);
    expect((await me({ cookie: oldCookie })).status).toBe(401);
    expect((await me({ token: oldToken })).status).toBe(401);
    expect((await call(gw, '/api/desktop', { headers: { cookie: oldCookie } })).status).toBe(401);
    // The new person starts empty: nothing of the removed one is theirs.
    const newCookie = await login(gw, name);
    const layout = await call<{ windows: unknown[] }>(gw, '/api/desktop', {
      headers: { cookie: newCookie },
    });
    expect(layout.body.windows).toEqual([]);
  });

  it('logs a person out everywhere: other sessions, API tokens and open sockets end', async () => {
    const name = await person();
    const desktop = await login(gw, name);
    const laptop = await login(gw, name);
    const script = await token(gw, desktop);
    const socketByCookie = await openedSocket(gw, { cookie: laptop });
    const socketByToken = await openedSocket(gw, { authorization: `Bearer ${script}` });
    const ends = [closed(socketByCookie), closed(socketByToken)];
    const out = await call(gw, '/api/auth/logout', {
      body: {},
      headers: { cookie: desktop, origin: gw.baseUrl },
    });
    expect(out.status).toBe(200);
    expect(await Promise.all(ends)).toEqual([4401, 4401]);
    expect((await me({ cookie: desktop })).status).toBe(401);
    expect((await me({ cookie: laptop })).status).toBe(401);
    expect((await me({ token: script })).status).toBe(401);
    expect(await openSocket(gw, { cookie: laptop })).toBe(401);
  });

  it("closes a person's open socket when an admin resets their password or removes them", async () => {
    const boss = await login(gw, 'boss');
    const headers = { cookie: boss, origin: gw.baseUrl };
    const resetOne = await person();
    const removedOne = await person();
    const a = await openedSocket(gw, { cookie: await login(gw, resetOne) });
    const b = await openedSocket(gw, { cookie: await login(gw, removedOne) });
    const ends = [closed(a), closed(b)];
    await call(gw, `/api/admin/users/${resetOne}/password`, {
      body: { password: 'another new password' },
      headers,
    });
    await call(gw, `/api/admin/users/${removedOne}`, { method: 'DELETE', headers });
    expect(await Promise.all(ends)).toEqual([4401, 4401]);
  });

  it('sends nothing more on a socket whose session ended, and refuses its messages', async () => {
    const name = await person();
    const cookie = await login(gw, name);
    const socket = await openedSocket(gw, { cookie });
    const received: string[] = [];
    socket.on('message', (data) => received.push(data.toString()));
    const end = closed(socket);
    // A session that ended without a notice reaching this gateway (its key deleted by hand):
    // the next message the socket sends makes it check again.
    const redis = new Redis(gw.deps.env.REDIS_URL);
    await redis.hincrby(gw.deps.keys.user(name), 'gen', 1);
    redis.disconnect();
    socket.send(JSON.stringify({ type: 'subscribe', runId: 'run_abc', since: 0 }));
    expect(await end).toBe(4401);
    await gw.deps.notices.raise(name, { level: 'info', source: 'x', text: 'secret' });
    expect(received.join('\n')).not.toContain('secret');
  });
});

describe('same-origin: effects need a non-GET request from the desktop’s origin', () => {
  let gw: Gateway;
  let cookie: string;
  let bearer: string;

  beforeAll(async () => {
    gw = await startGateway({
      AUTH_MODE: 'accounts',
      REQUESTS_PER_MINUTE: '100000',
      ALLOWED_ORIGINS: 'https://desk.example.com',
    });
    await gw.deps.users.create('sam', PASSWORD, 'member', 'test');
    cookie = await login(gw, 'sam');
    bearer = await token(gw, cookie);
    await gw.deps.tools.register('build_1', {
      name: 'count_calls',
      description: 'counts',
      args: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      returns: { type: 'object' },
      examples: [{ args: { n: 1 } }],
      code: 'print(1)',
      author: 'sam',
      capabilities: [],
      origin: 'imported',
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** A page on another port of the same host: same site, another origin. */
  const sibling = () => `http://127.0.0.1:${Number(new URL(gw.baseUrl).port) + 1}`;

  it('does not run a tool for GET /api/mono with a session cookie, from any page', async () => {
    const variants: Record<string, string>[] = [
      { cookie }, // an <img> on a sibling port: no Origin, Sec-Fetch-Site same-site
      { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'image' },
      { cookie, 'sec-fetch-site': 'same-origin' },
      { cookie, origin: gw.baseUrl },
    ];
    for (const headers of variants) {
      for (const path of ['/api/mono/count_calls?n=1', '/api/mono/no_such_tool?q=1']) {
        for (const method of ['GET', 'HEAD']) {
          const reply = await call<{ code: string }>(gw, path, { method, headers });
          expect(`${method} ${path} ${JSON.stringify(headers)} → ${reply.status}`).toMatch(
            /→ 405$/,
          );
          if (method === 'GET') expect(reply.body.code).toBe('USE_POST');
        }
      }
    }
    // Nothing ran: no execution was recorded, and no run was started for the unknown tool.
    expect(await gw.deps.tools.activity('count_calls')).toEqual([]);
    expect(await gw.deps.redis.zcard(gw.deps.keys.userRuns('sam'))).toBe(0);
  });

  it('lets a Bearer-token script use GET /api/mono (a browser never sends the token by itself)', async () => {
    const reply = await call<{ code: string }>(gw, '/api/mono/count_calls?n=notanumber', {
      headers: { authorization: `Bearer ${bearer}` },
    });
    // It reached the tool's own validation, past the same-origin rules.
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('INVALID_ARGS');
  });

  it('refuses writes with the cookie from a sibling port, a sibling subdomain or an opaque origin', async () => {
    for (const origin of [
      sibling(),
      'http://127.0.0.1',
      'http://evil.localhost:4000',
      'null',
      'https://desk.example.com.evil.test',
      'not a url',
    ]) {
      const reply = await call(gw, '/api/mono/count_calls', {
        body: { n: 1 },
        headers: { cookie, origin },
      });
      expect(`${origin} → ${reply.status}`).toBe(`${origin} → 403`);
    }
    const loginFromSibling = await call(gw, '/api/auth/login', {
      body: { username: 'sam', password: PASSWORD },
      headers: { origin: sibling() },
    });
    expect(loginFromSibling.status).toBe(403);
    const sameSite = await call(gw, '/api/runs', {
      body: { prompt: 'x' },
      headers: { cookie, 'sec-fetch-site': 'same-site' },
    });
    expect(sameSite.status).toBe(403);
    const allowed = await call(gw, '/api/desktop', {
      method: 'PUT',
      body: { windows: [] },
      headers: { cookie, origin: 'https://desk.example.com' },
    });
    expect(allowed.status).toBe(200);
  });

  it('opens the WebSocket only for the gateway’s own origin, configured ones, or non-browser clients', async () => {
    for (const origin of [sibling(), 'http://evil.example', 'null', 'http://127.0.0.1']) {
      expect(`${origin} → ${String(await openSocket(gw, { cookie, origin }))}`).toBe(
        `${origin} → 403`,
      );
    }
    const accepted: Record<string, string>[] = [
      { cookie, origin: gw.baseUrl },
      { cookie, origin: 'https://desk.example.com' },
      { cookie },
      { authorization: `Bearer ${bearer}` },
    ];
    for (const headers of accepted) {
      const socket = await openSocket(gw, headers);
      expect(typeof socket, JSON.stringify(headers)).toBe('object');
      (socket as WebSocket).close();
    }
  });
});

describe('same-origin in local mode (no login: every browser tab is the admin)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ AUTH_MODE: 'local', REQUESTS_PER_MINUTE: '100000' });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses writes, tool GETs and sockets from another origin, and still serves scripts', async () => {
    const evil = { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' };
    expect((await call(gw, '/api/runs', { body: { prompt: 'x' }, headers: evil })).status).toBe(
      403,
    );
    expect(
      (await call(gw, '/api/desktop', { method: 'PUT', body: { windows: [] }, headers: evil }))
        .status,
    ).toBe(403);
    const img = await call(gw, '/api/mono/anything?x=1', {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' },
    });
    expect(img.status).toBe(405);
    expect(await openSocket(gw, { origin: 'http://evil.example' })).toBe(403);
    // curl and scripts send neither Origin nor Sec-Fetch-Site.
    expect((await call(gw, '/api/desktop', { method: 'PUT', body: { windows: [] } })).status).toBe(
      200,
    );
    expect(await gw.deps.redis.zcard(gw.deps.keys.userRuns('local'))).toBe(0);
  });

  it('answers only requests addressed to a loopback name (a rebound DNS name is refused)', async () => {
    const port = new URL(gw.baseUrl).port;
    for (const host of [`rebound.example:${port}`, `192.168.1.5:${port}`, `evil.com`]) {
      // The page's own origin matches its Host, as a rebound page's does.
      const origin = `http://${host}`;
      for (const [method, url] of [
        ['GET', '/api/apps'],
        ['POST', '/api/runs'],
        ['GET', '/ws'],
      ] as const) {
        const reply = await gw.app.inject({
          method,
          url,
          headers: { host, origin, 'content-type': 'application/json' },
          ...(method === 'POST' ? { payload: '{"prompt":"x"}' } : {}),
        });
        expect(`${method} ${url} via ${host} → ${reply.statusCode}`).toBe(
          `${method} ${url} via ${host} → 403`,
        );
        expect(reply.json()).toMatchObject({ code: 'LOCAL_ONLY' });
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const reply = await gw.app.inject({ method: 'GET', url: '/api/apps', headers: { host } });
      expect(`${host} → ${reply.statusCode}`).toBe(`${host} → 200`);
    }
  });
});

describe('depth and size limits on every JSON input', () => {
  let gw: Gateway;
  let cookie: string;
  let headers: Record<string, string>;
  beforeAll(async () => {
    gw = await startGateway({ AUTH_MODE: 'accounts', REQUESTS_PER_MINUTE: '100000' });
    await gw.deps.users.create('dee', PASSWORD, 'member', 'test');
    cookie = await login(gw, 'dee');
    headers = { cookie, origin: gw.baseUrl };
    await gw.deps.tools.register('build_1', {
      name: 'echo_any',
      description: 'echoes',
      args: { type: 'object' },
      returns: { type: 'object' },
      examples: [{ args: {} }],
      code: 'print(1)',
      author: 'dee',
      capabilities: [],
      origin: 'imported',
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const expectTooDeep = (reply: { status: number; body: unknown }, what: string) => {
    expect(`${what} → ${reply.status}`).toBe(`${what} → 400`);
    expect((reply.body as { code: string }).code, what).toBe('TOO_DEEP');
    expect((reply.body as { error: string }).error, what).toMatch(/nests more than \d+ levels/);
  };

  it('answers deeply nested tool args with a 400, not a runner error', async () => {
    for (const depth of [100_000, 3_000, 65]) {
      expectTooDeep(
        await call(gw, '/api/mono/echo_any', { raw: `{"x":${nested(depth)}}`, headers }),
        `args ${depth} deep`,
      );
    }
    const arrays = '{"x":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}';
    expectTooDeep(await call(gw, '/api/mono/echo_any', { raw: arrays, headers }), 'arrays');
    // An unclosed bracket bomb is refused as too deep before the parser sees it.
    expectTooDeep(
      await call(gw, '/api/mono/echo_any', { raw: '['.repeat(200_000), headers }),
      'unclosed',
    );
    expect((await call(gw, '/api/auth/me', { headers: { cookie } })).status).toBe(200);
  });

  it('answers a deep args schema, returns schema or ask schema with a 400', async () => {
    const tool = {
      name: 'deep_schema',
      description: 'x',
      returns: { type: 'object' },
      examples: [{ args: {} }],
      code: 'print(1)',
    };
    const deepArgs = JSON.stringify(tool).replace(
      /^\{/,
      `{"args":${nested(5000, '{"type":"object"}')},`,
    );
    expectTooDeep(await call(gw, '/api/tools', { raw: deepArgs, headers }), 'POST /api/tools');
    // Just under the body limit but still too deep for the compiler, inside a schema.
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++)
      schema = { type: 'array', items: { type: 'array', items: schema } };
    const inSchema = await call(gw, '/api/tools', {
      body: { ...tool, args: { type: 'object', properties: { a: schema } } },
      headers,
    });
    expectTooDeep(inSchema, 'schema 80 deep');
    expectTooDeep(
      await call(gw, '/api/desktop', {
        method: 'PUT',
        raw: `{"windows":${nested(2000)}}`,
        headers,
      }),
      'PUT /api/desktop',
    );
    expectTooDeep(
      await call(gw, '/api/apps/app_none/ask', {
        raw: `{"prompt":"x","schema":${nested(3000, '{}')}}`,
        headers,
      }),
      'ask schema',
    );
  });

  it('keeps brackets inside strings out of the count', async () => {
    const reply = await call(gw, '/api/desktop', {
      method: 'PUT',
      body: { windows: [], note: '['.repeat(10_000) + '"\\' },
      headers,
    });
    expect(reply.status).not.toBe(400);
  });

  it('answers a deep WebSocket message with an error and keeps the connection', async () => {
    const socket = await openedSocket(gw, { cookie });
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    socket.send('['.repeat(30_000) + ']'.repeat(30_000));
    socket.send(JSON.stringify({ type: 'ping' }));
    await expect.poll(() => replies.some((r) => r.includes('"pong"'))).toBe(true);
    expect(replies[0]).toContain('Invalid message');
    socket.close();
  });

  it('refuses a body over the size limit with a 413', async () => {
    const reply = await call(gw, '/api/desktop', {
      method: 'PUT',
      raw: JSON.stringify({ windows: [], pad: 'x'.repeat(2 * 1024 * 1024) }),
      headers,
    }).catch(() => ({ status: 413, body: null }));
    expect(reply.status).toBe(413);
  });
});

describe('hyperdesk.ask spends past a small allowance only with the person’s consent', () => {
  let gw: Gateway;
  let cookie: string;
  const appId = 'app_asker1';
  beforeAll(async () => {
    gw = await startGateway({
      AUTH_MODE: 'accounts',
      REQUESTS_PER_MINUTE: '100000',
      ASK_FREE_TOKENS_PER_APP: '1000',
    });
    await gw.deps.users.create('ann', PASSWORD, 'member', 'test');
    await gw.deps.users.create('ben', PASSWORD, 'member', 'test');
    cookie = await login(gw, 'ann');
    await gw.deps.apps.saveVersion({
      appId,
      runId: 'imported_1',
      owner: 'ann',
      title: 'Asker',
      prompt: 'asks',
      tools: [],
      html: '<html><body>x</body></html>',
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const ask = () =>
    call(gw, `/api/apps/${appId}/ask`, {
      body: { prompt: 'say something long '.repeat(200) },
      headers: { cookie, origin: gw.baseUrl },
    });
  const usage = async () =>
    (
      await call<{ spent: number; allowance: number }>(gw, `/api/apps/${appId}/ask-usage`, {
        headers: { cookie },
      })
    ).body;

  it('counts what each app spent, and asks consent once it passes its allowance', async () => {
    const first = await ask();
    expect(first.status).toBe(200);
    expect(String(first.body)).toContain('"done"');
    const after = await usage();
    expect(after.spent).toBeGreaterThan(0);
    expect(after.allowance).toBe(1000);
    // Keep asking until the allowance is spent; then the app is stopped, not the budget.
    let refused: { status: number; body: unknown } = first;
    for (let i = 0; i < 50 && refused.status === 200; i++) refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'ASK_CONSENT_NEEDED', limit: 'app_ask_allowance' });
    expect((await usage()).spent).toBeGreaterThanOrEqual(1000);
  });

  it('lets only the person raise it, from the desktop’s origin', async () => {
    const raise = (headers: Record<string, string>) =>
      call(gw, `/api/apps/${appId}/ask-allowance`, { body: { tokens: 5000 }, headers });
    expect((await raise({ cookie, origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await raise({ cookie })).status).toBe(200);
    const ben = await login(gw, 'ben');
    expect((await raise({ cookie: ben, origin: gw.baseUrl })).status).toBe(404);
    expect(
      (await call(gw, `/api/apps/${appId}/ask-usage`, { headers: { cookie: ben } })).status,
    ).toBe(404);
    const raised = await usage();
    expect(raised.allowance).toBe(6000);
    expect((await ask()).status).toBe(200);
  });
});
