import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRunBody, CreateToolBody, ImportAppBody } from '@hyperdesk/shared';
import { freePort } from './support/ports';
import { Session } from './support/session';
import { startGateway } from './support/gateway';
import { startStack, type Stack } from './support/stack';

/**
 * Property-based fuzzing of every gateway route and of the WebSocket, against the real stack
 * in accounts mode. Whatever arrives, the gateway answers with a 4xx and a message (never a
 * 5xx or a stack trace), stays healthy, answers the next valid request, and never shows one
 * person's runs, apps, content or tokens to another.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';
const MARKER = `zebracorn${SEED}`;

interface Route {
  method: string;
  path: string;
}

/** Every route the gateway's code registers, from the route table of a gateway built here. */
async function gatewayRoutes(): Promise<Route[]> {
  const gateway = await startGateway();
  try {
    return gateway.app.routeTable.map((r) => ({ method: r.method, path: r.url }));
  } finally {
    await gateway.stop();
  }
}

// ---- arbitraries -------------------------------------------------------------------------

const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    'a.b',
    '$where',
    'prompt',
    'appId',
    'html',
    'name',
    'version',
    'windows',
    'password',
  ),
  fc.string({ maxLength: 12 }),
);

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '${process.env}',
    '{{7*7}}',
    "'; DROP TABLE runs; --",
    'run_' + 'x'.repeat(200),
    '\u202e\u0645\u0631\u062d\u0628\u0627',
  ),
  fc.integer({ min: 1, max: 6 }).map((n) => 'y'.repeat(n * 50_000)),
);

/** Values without the huge strings (WebSocket messages have a 64 kB limit of their own). */
const smallValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(0, -1, 1.5, 1e308, true, null, [], {}, '', '\u0000', 'run_' + 'x'.repeat(200)),
  fc.integer(),
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.constantFrom(0, -1, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], {}),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A JSON object written as text, so keys like `__proto__` are sent as they are. */
const objectOf = (values: fc.Arbitrary<unknown>) =>
  fc
    .array(fc.tuple(hostileKey, values), { maxLength: 6 })
    .map(
      (entries) =>
        `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`,
    );
const objectText = objectOf(hostileValue);

interface Body {
  text: string | Buffer | null;
  type: string | null;
}

const contentType = fc.constantFrom<string | null>(
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'a/b/c',
  null,
);

const bodyText: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  { weight: 5, arbitrary: objectText },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  fc.constantFrom(
    '',
    'null',
    '{',
    '{"a":1',
    '{"a":1,}',
    "{'prompt': 'x'}",
    '[1,2,3]',
    '"just a string"',
    '1e999999',
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  ),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 5_000, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.constant(null),
);

const body: fc.Arbitrary<Body> = fc.record({ text: bodyText, type: contentType });

const idSegment = (known: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.constantFrom(...known) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '..',
        '%2e%2e',
        '..%2f..%2fetc%2fpasswd',
        '%',
        '%zz',
        '%00',
        '__proto__',
        'constructor',
        '-1',
        '0',
        '1e3',
        'NaN',
        'x'.repeat(300),
        '%F0%9F%98%80',
        '%E0%A4%A',
      ),
    },
  );

const queryString = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(hostileKey, hostileString), { maxLength: 5 })
    .map(
      (pairs) =>
        '?' +
        pairs
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.slice(0, 2000))}`)
          .join('&'),
    ),
  fc.constantFrom(
    '?',
    '?&&&',
    '?a[b][c]=1',
    '?__proto__[polluted]=1',
    '?constructor[prototype][polluted]=1',
    '?a=%ZZ',
    '?%',
    '?a=1&a=2&a=3',
    '?download',
    '?since=-1',
    `?x=${'q'.repeat(6000)}`,
  ),
);

// ---- the test ----------------------------------------------------------------------------

interface Reply {
  status: number;
  text: string;
}

describe('fuzzing every API body, query and WebSocket message', () => {
  let stack: Stack;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  /** What belongs to alice only: none of it may appear in an answer to bob. */
  const secrets: string[] = [];
  const known: string[] = [];

  async function send(
    who: Session | null,
    method: string,
    url: string,
    b: Body | null = null,
  ): Promise<Reply> {
    const headers: Record<string, string> = who ? who.headers() : {};
    if (b?.type) headers['content-type'] = b.type;
    const res = await fetch(stack.baseUrl + url, {
      method,
      headers,
      ...(b?.text !== null && b?.text !== undefined && method !== 'GET' ? { body: b.text } : {}),
    });
    return { status: res.status, text: await res.text() };
  }

  /** The properties every answer must have; returns a description of the first broken one. */
  function judge(who: string, request: string, reply: Reply, sent = ''): void {
    const where = `${who} ${request} → ${reply.status} ${reply.text.slice(0, 300)}`;
    expect(reply.status, where).toBeGreaterThanOrEqual(200);
    expect(reply.status, where).toBeLessThan(500);
    if (reply.status >= 400) {
      const parsed = JSON.parse(reply.text) as { error?: unknown };
      expect(typeof parsed.error, where).toBe('string');
      expect(String(parsed.error).length, where).toBeGreaterThan(0);
    }
    expect(reply.text, where).not.toMatch(
      /node_modules|at [\w.<>]+ \(|\.ts:\d+:\d+|TypeError|ReferenceError/,
    );
    if (who === 'bob' || who === 'anonymous') {
      // An id the request itself carried may be echoed ("App app_x was not found").
      const asked = `${request} ${sent}`;
      for (const secret of secrets) {
        if (asked.includes(secret)) continue;
        expect(reply.text.includes(secret), `${where} leaks ${secret}`).toBe(false);
      }
    }
  }

  async function stillHealthy(): Promise<void> {
    expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(200);
    const me = await bob.call<{ user: { name: string } }>('/api/auth/me');
    expect(me.body.user.name).toBe('bob');
  }

  /** The routes to fuzz, read from the gateway's own route table. */
  let allRoutes: Route[] = [];

  beforeAll(async () => {
    allRoutes = await gatewayRoutes();
    stack = await startStack('fuzz', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REQUESTS_PER_MINUTE: '1000000',
      MAX_ACTIVE_RUNS: '50',
      TOOL_WAIT_MS: '20000',
      // Its own runner: the launcher's default port may be another stack's.
      RUNNER_PORT: String(await freePort()),
    });
    admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const name of ['alice', 'bob']) {
      expect(
        (await admin.call('/api/admin/users', { body: { name, password: PASSWORD } })).status,
      ).toBe(201);
    }
    alice = await Session.login(stack.baseUrl, 'alice', PASSWORD);
    bob = await Session.login(stack.baseUrl, 'bob', PASSWORD);

    // Alice's things: a run with its app, raw content, a token and her desktop.
    const created = await alice.call<{ runId: string }>('/api/runs', {
      body: { prompt: `e2e:hello a tiny hello app ${MARKER}` },
    });
    const run = await alice.waitForRun(created.body.runId);
    expect(run.state).toBe('DONE');
    const csv = await alice.call<{ runId: string }>('/api/runs', {
      body: { prompt: `apps:csv planets ${MARKER}` },
    });
    const csvRun = await alice.waitForRun(csv.body.runId);
    const token = await alice.call<{ id: string; token: string }>('/api/auth/tokens', {
      body: { name: `t${MARKER}` },
    });
    await alice.call('/api/desktop', {
      method: 'PUT',
      body: {
        windows: [
          {
            id: `w${MARKER}`,
            kind: 'app',
            appId: String(run.appId),
            x: 1,
            y: 1,
            w: 300,
            h: 200,
            z: 1,
          },
        ],
      },
    });
    secrets.push(
      created.body.runId,
      String(run.appId),
      csv.body.runId,
      String(csvRun.contentId),
      token.body.id,
      token.body.token,
      MARKER,
    );
    known.push(...secrets.slice(0, 5));
    expect(secrets.every((s) => s && s !== 'undefined')).toBe(true);

    // A team tool for /api/mono to call.
    const tool = await admin.call('/api/tools', {
      body: {
        name: 'fuzz_echo',
        description: 'Echoes its args.',
        args: { type: 'object', properties: { text: { type: 'string' }, n: { type: 'integer' } } },
        returns: { type: 'object' },
        examples: [{ args: { text: 'hi', n: 1 } }],
        code: 'import json, sys\nprint(json.dumps({"echo": json.load(sys.stdin)}))',
      },
    });
    expect(tool.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The route's path with its parameters filled from the fuzzed ids. */
  function fill(route: Route, ids: string[]): string {
    let i = 0;
    return route.path.replace(/:\w+/g, () => ids[i++ % ids.length] ?? 'x');
  }

  /**
   * Bodies that would start real work (a run, a tool build, an app check) are left to the few
   * valid requests below; the fuzzer sends everything else.
   */
  function costly(route: Route, b: Body): boolean {
    if (typeof b.text !== 'string') return false;
    let value: unknown;
    try {
      value = JSON.parse(b.text);
    } catch {
      return false;
    }
    if (route.method === 'POST' && route.path === '/api/runs')
      return CreateRunBody.safeParse(value).success;
    if (route.method === 'POST' && route.path === '/api/tools')
      return CreateToolBody.safeParse(value).success;
    if (route.method === 'POST' && route.path === '/api/apps')
      return ImportAppBody.safeParse(value).success;
    return false;
  }

  it('finds every route of the gateway to fuzz', () => {
    const routes = allRoutes;
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'POST /api/runs',
      'GET /api/runs/:id',
      'DELETE /api/runs/:id',
      'POST /api/apps',
      'POST /api/tools',
      'GET /api/mono/:tool',
      'POST /api/mono/:tool',
      'PUT /api/desktop',
      'GET /ws',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it('answers bad bodies, ids and queries on every route as another user with a 4xx', async () => {
    const routes = allRoutes.filter((r) => r.path !== '/ws' && r.path !== '/api/auth/logout');
    for (const route of routes) {
      const mono = route.path.startsWith('/api/mono');
      const ids = mono
        ? fc.oneof(fc.constant('fuzz_echo'), idSegment(['fuzz_echo', 'FUZZ', '_x']))
        : idSegment(known);
      await fc.assert(
        fc.asyncProperty(
          fc.array(ids, { minLength: 1, maxLength: 2 }),
          queryString,
          body,
          async (id, query, b) => {
            fc.pre(!costly(route, b));
            const url = fill(route, id) + query;
            const reply = await send(bob, route.method, url, route.method === 'GET' ? null : b);
            judge('bob', `${route.method} ${url}`, reply, String(b.text));
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: 60_000 },
      );
    }
    await stillHealthy();
  });

  it('answers every route without credentials, or with forged ones, with a 401', async () => {
    const routes = allRoutes.filter(
      (r) =>
        r.path.startsWith('/api/') && !['/api/auth/login', '/api/auth/logout'].includes(r.path),
    );
    const credentials = fc.constantFrom<Record<string, string>>(
      {},
      { cookie: 'hd_session=forged' },
      { cookie: `hd_session=${'a'.repeat(5000)}` },
      { cookie: 'hd_session=' },
      { authorization: 'Bearer forged' },
      { authorization: 'Bearer ' },
      { authorization: 'Basic YWxpY2U6cGFzcw==' },
      { authorization: `Bearer ${'\u00ff'.repeat(10)}` },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        credentials,
        idSegment(known),
        async (route, headers, id) => {
          const url = fill(route, [id]);
          const res = await fetch(stack.baseUrl + url, { method: route.method, headers });
          const reply = { status: res.status, text: await res.text() };
          judge('anonymous', `${route.method} ${url}`, reply);
          // A URL that cannot be read (400: bad percent-encoding, 414: too long) is refused
          // before anything else.
          expect([400, 401, 414], `${route.method} ${url}`).toContain(reply.status);
        },
      ),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });

  it('answers fuzzed logins and admin requests with a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        judge('anonymous', 'POST /api/auth/login', await send(null, 'POST', '/api/auth/login', b));
        judge(
          'anonymous',
          'POST /api/auth/logout',
          await send(null, 'POST', '/api/auth/logout', b),
        );
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    const userName = idSegment(['carol', 'x', 'Admin', 'a'.repeat(40)]);
    await fc.assert(
      fc.asyncProperty(userName, body, async (name, b) => {
        fc.pre(!['alice', 'bob', 'admin'].includes(name.toLowerCase()));
        judge('admin', 'POST /api/admin/users', await send(admin, 'POST', '/api/admin/users', b));
        judge(
          'admin',
          `POST /api/admin/users/${name}/password`,
          await send(admin, 'POST', `/api/admin/users/${name}/password`, b),
        );
        judge(
          'admin',
          `DELETE /api/admin/users/${name}`,
          await send(admin, 'DELETE', `/api/admin/users/${name}`),
        );
        judge(
          'admin',
          `POST /api/tools/${name}/grant`,
          await send(admin, 'POST', `/api/tools/${name}/grant`, b),
        );
        const asBob = await send(bob, 'POST', '/api/admin/users', b);
        expect(
          asBob.status === 403 || asBob.status === 400 || asBob.status === 415,
          asBob.text,
        ).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    await stillHealthy();
  });

  it('runs a tool through /api/mono with fuzzed args, or refuses them', async () => {
    const args = fc.dictionary(
      fc.constantFrom('text', 'n', '__proto__', 'constructor', 'extra'),
      hostileValue,
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(args, queryString, async (a, query) => {
        const reply = await send(bob, 'POST', `/api/mono/fuzz_echo${query}`, {
          text: JSON.stringify(a),
          type: 'application/json',
        });
        judge('bob', 'POST /api/mono/fuzz_echo', reply);
        if (reply.status === 200)
          expect(Object.keys(JSON.parse(reply.text) as object)).toEqual(['echo']);
        else expect(reply.status, reply.text).toBe(400);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts a few odd but valid runs and keeps them to their owner', async () => {
    const bodies = [
      { prompt: `  ${'\u{1F600}'.repeat(50)} e2e:hello odd  `, errors: [] },
      {
        prompt: 'e2e:hello with errors',
        errors: Array.from({ length: 50 }, (_, i) => `E${i} ${'x'.repeat(3000)}`),
      },
      { prompt: 'e2e:hello <script>alert(1)</script> ${process.env.REDIS_URL} {{7*7}}' },
    ];
    // A body that tries to set the prototype is refused as a whole, saying why.
    const proto = await send(bob, 'POST', '/api/runs', {
      text: `{"prompt": "e2e:hello proto", "__proto__": {"appId": "${String(secrets[1])}"}}`,
      type: 'application/json',
    });
    expect(proto.status, proto.text).toBe(400);
    expect(proto.text).toMatch(/__proto__/);
    for (const b of bodies) {
      const created = await bob.call<{ runId: string }>('/api/runs', { body: b });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const run = await bob.waitForRun(created.body.runId);
      expect(['DONE', 'FAILED']).toContain(run.state);
      expect(JSON.stringify(run)).not.toContain(String(secrets[1]));
      expect((await alice.call(`/api/runs/${created.body.runId}`)).status).toBe(404);
    }
    await stillHealthy();
  });

  it('answers arbitrary WebSocket messages with an error and keeps the connection usable', async () => {
    const socket = await openAs(bob, stack.wsUrl);
    const received: string[] = [];
    let pongs = 0;
    socket.on('message', (data) => {
      received.push(data.toString());
      if (data.toString().includes('"pong"')) pongs++;
    });
    const message = fc.oneof(
      { weight: 4, arbitrary: objectOf(smallValue) },
      {
        weight: 2,
        arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      },
      { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
      {
        weight: 3,
        arbitrary: fc
          .record({
            type: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'SUBSCRIBE', '', '__proto__'),
            runId: fc.oneof(smallValue, fc.constantFrom(...known)),
            since: smallValue,
          })
          .map((m) => JSON.stringify(m)),
      },
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const before = pongs;
        socket.send(m, { binary: Buffer.isBuffer(m) });
        socket.send(JSON.stringify({ type: 'ping' }));
        const deadline = Date.now() + 10_000;
        while (pongs === before && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        expect(pongs, `no pong after ${String(m).slice(0, 200)}`).toBeGreaterThan(before);
        expect(socket.readyState).toBe(WebSocket.OPEN);
      }),
      { seed: SEED, numRuns: RUNS * 4 },
    );
    expect(socket.readyState).toBe(WebSocket.OPEN);
    for (const raw of received) {
      const parsed = JSON.parse(raw) as { type: string; seq?: number; message?: string };
      expect(
        ['pong', 'error', 'subscribed', 'unsubscribed'].includes(parsed.type) ||
          typeof parsed.seq === 'number',
        raw,
      ).toBe(true);
      // Bob asking for alice's runs hears only that they were not found.
      if (secrets.some((secret) => raw.includes(secret)))
        expect(parsed, raw).toMatchObject({
          type: 'error',
          message: expect.stringMatching(/not found/),
        });
    }
    socket.close();

    // A message over the size limit closes that socket only; the gateway stays up.
    const big = await openAs(bob, stack.wsUrl);
    const closed = new Promise<number>((resolve) => big.once('close', resolve));
    big.send('x'.repeat(200_000));
    expect(await closed).toBe(1009);
    await stillHealthy();
  });

  it('answers malformed HTTP the same way: bad paths, huge bodies and headers', async () => {
    const cases: [string, string, Body | null][] = [
      ['GET', '/api/runs/%E0%A4%A', null],
      ['GET', '/api/apps/..%2F..%2Fetc%2Fpasswd', null],
      ['GET', `/api/runs/${'r'.repeat(10_000)}`, null],
      ['POST', '/api/runs', { text: 'x'.repeat(2 * 1024 * 1024), type: 'application/json' }],
      [
        'POST',
        '/api/runs',
        { text: `{"prompt": "${'p'.repeat(1024 * 1024)}"}`, type: 'application/json' },
      ],
      [
        'PUT',
        '/api/desktop',
        { text: JSON.stringify({ windows: Array(1000).fill({}) }), type: 'application/json' },
      ],
      ['POST', '/api/runs', { text: '{"prompt": "x"}', type: 'application/json; charset=utf-16' }],
      [
        'POST',
        '/api/runs',
        { text: Buffer.from([0xff, 0xfe, 0x00, 0x7b]), type: 'application/json' },
      ],
      ['PATCH', '/api/desktop', { text: '{}', type: 'application/json' }],
      ['OPTIONS', '/api/runs', null],
    ];
    for (const [method, url, b] of cases) {
      const reply = await send(bob, method, url, b).catch((err: unknown) => {
        // Over the body limit the gateway answers 413 without reading the rest, and may close
        // the connection while the client is still writing: the client then sees the close,
        // not the answer. Refusing that way is fine; what follows checks the gateway is up.
        if ((b?.text?.length ?? 0) > BODY_LIMIT && closedWhileSending(err)) return null;
        throw err;
      });
      if (reply) judge('bob', `${method} ${url.slice(0, 80)}`, reply);
    }
    await stillHealthy();
  });

  it('answers JSON nested too deep with a 400 TOO_DEEP on every route that reads a body', async () => {
    const routes = allRoutes.filter((r) => r.method !== 'GET');
    /** JSON text nested `depth` deep in one of a few shapes, built as text. */
    const deep = fc.record({
      depth: fc.oneof(
        fc.integer({ min: 65, max: 3_000 }),
        fc.integer({ min: 3_000, max: 150_000 }),
      ),
      shape: fc.constantFrom('object', 'array', 'mixed', 'unclosed', 'inField'),
    });
    const text = ({ depth, shape }: { depth: number; shape: string }) => {
      switch (shape) {
        case 'object':
          return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        case 'array':
          return '['.repeat(depth) + ']'.repeat(depth);
        case 'mixed':
          return '{"x":['.repeat(depth / 2) + 'null' + ']}'.repeat(depth / 2);
        case 'unclosed':
          return '{"a":['.repeat(depth);
        default:
          return `{"prompt":"x","args":${'{"k":'.repeat(depth)}0${'}'.repeat(depth)}}`;
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        deep,
        fc.constantFrom('x', ...known),
        async (route, d, id) => {
          const who = route.path.startsWith('/api/admin') ? admin : bob;
          const url = fill(route, [id]);
          const reply = await send(who, route.method, url, {
            text: text(d),
            type: 'application/json',
          });
          judge('bob', `${route.method} ${url} (${d.shape} ${d.depth} deep)`, reply);
          // A body is read only once the caller is known: a path that cannot be read, or a
          // route refused to this person before its body matters, answers first.
          if (![404, 405, 413, 414].includes(reply.status)) {
            expect(reply.status, `${route.method} ${url}`).toBe(400);
            expect(JSON.parse(reply.text), `${route.method} ${url}`).toMatchObject({
              code: 'TOO_DEEP',
            });
          }
        },
      ),
      { seed: SEED, numRuns: RUNS * 4 },
    );
    // Every route, once each, with the deepest object body.
    for (const route of routes) {
      const who = route.path.startsWith('/api/admin') ? admin : bob;
      const reply = await send(who, route.method, fill(route, ['x']), {
        text: text({ depth: 100_000, shape: 'object' }),
        type: 'application/json',
      });
      expect(`${route.method} ${route.path} → ${reply.status}`).toMatch(/→ (400|404)$/);
      if (reply.status === 400) expect(JSON.parse(reply.text)).toMatchObject({ code: 'TOO_DEEP' });
    }
    await stillHealthy();
  });
});

/** The gateway's request body limit (bytes). */
const BODY_LIMIT = 1024 * 1024;

function closedWhileSending(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

function openAs(who: Session, url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: who.headers() });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}
