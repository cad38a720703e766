import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, ToolCallEntry, ToolVersion } from '@hyperdesk/shared/contracts';
import { launchBrowser } from './support/browser';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const ADMIN_PASSWORD = 'correct horse battery';
const PASSWORD = 'member password 1';

/** A tool body for `POST /api/tools`, with one example (and its result, when given). */
function tool(
  name: string,
  code: string,
  args: Record<string, unknown>,
  example: object,
  result?: unknown,
) {
  return {
    name,
    description: `test tool ${name}`,
    args: { type: 'object', properties: args, required: Object.keys(args) },
    returns: { type: 'object' },
    examples: [{ args: example, ...(result === undefined ? {} : { result }) }],
    code,
  };
}

/** Connects to a loopback port (only possible with a network grant) and says whether it could. */
const netCode = (version: number, payload: string) =>
  [
    'import json, socket, sys',
    'a = json.load(sys.stdin)',
    'try:',
    '    s = socket.create_connection(("127.0.0.1", a["port"]), timeout=2)',
    `    s.sendall(b"${payload}\\n")`,
    '    s.close()',
    '    net = True',
    'except OSError:',
    '    net = False',
    `print(json.dumps({"v": ${version}, "net": net}))`,
  ].join('\n');

describe('tool versions: authored, pinned per person, granted per version, audited', () => {
  let stack: Stack;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let dave: Session;
  let listener: Server;
  let port = 0;
  let received = '';
  const workspaces = mkdtempSync(path.join(tmpdir(), 'hd-ws-'));

  beforeAll(async () => {
    listener = createServer((socket) => {
      socket.on('data', (chunk) => (received += chunk.toString()));
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    stack = await startStack('toolver', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: workspaces,
      AUTH_MODE: 'accounts',
      HYPERDESK_ADMIN_USER: 'admin',
      HYPERDESK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REQUESTS_PER_MINUTE: '1000',
    });
    admin = await Session.login(stack.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const created = await admin.call('/api/admin/users', { body: { name, password: PASSWORD } });
      expect(created.status).toBe(201);
    }
    const login = (name: string) => Session.login(stack.baseUrl, name, PASSWORD);
    [alice, bob, carol, dave] = [
      await login('alice'),
      await login('bob'),
      await login('carol'),
      await login('dave'),
    ];
  });
  afterAll(async () => {
    await stack?.stop();
    listener?.close();
  });

  async function register(as: Session, body: object): Promise<number> {
    const created = await as.call<{ version: number }>('/api/tools', { body });
    expect(created.status).toBe(201);
    return created.body.version;
  }

  async function audit(): Promise<string[]> {
    const reply = await admin.call<{ entries: AuditEntry[] }>('/api/admin/audit');
    return reply.body.entries.map((e) =>
      [e.actor, e.action, e.target, e.detail].filter(Boolean).join(' '),
    );
  }

  it("runs a member's new version of a granted tool neither as the admin nor with network", async () => {
    const args = { port: { type: 'integer' } };
    expect(await register(admin, tool('net_x', netCode(1, 'v1'), args, { port: 9 }))).toBe(1);
    const granted = await admin.call('/api/tools/net_x/grant', { body: { network: true } });
    expect(granted.body).toMatchObject({ name: 'net_x', network: true });
    expect((await admin.call('/api/mono/net_x', { body: { port } })).body).toEqual({
      v: 1,
      net: true,
    });

    // A member writes version 2, which would send the admin's data out.
    expect(await register(bob, tool('net_x', netCode(2, 'stolen'), args, { port: 9 }))).toBe(2);
    const next = await admin.call('/api/mono/net_x', { body: { port } });
    expect(next.body).toEqual({ v: 1, net: true });
    // Its author runs it, without network: the grant was for version 1.
    expect((await bob.call('/api/mono/net_x', { body: { port } })).body).toEqual({
      v: 2,
      net: false,
    });
    expect(received).not.toContain('stolen');

    // The admin sees the newer version, and accepting it still gives it no network…
    const seen = await admin.call<ToolVersion & { using: number }>('/api/tools/net_x');
    expect(seen.body).toMatchObject({ version: 2, author: 'bob', using: 1, capabilities: [] });
    expect((await admin.call('/api/tools/net_x/accept', { body: {} })).body).toEqual({
      name: 'net_x',
      using: 2,
    });
    expect((await admin.call('/api/mono/net_x', { body: { port } })).body).toEqual({
      v: 2,
      net: false,
    });
    expect(received).not.toContain('stolen');
    // …until the admin grants that version too.
    const regrant = await admin.call('/api/tools/net_x/grant', {
      body: { network: true, version: 2 },
    });
    expect(regrant.body).toEqual({ name: 'net_x', version: 2, network: true });
    expect((await admin.call('/api/mono/net_x', { body: { port } })).body).toEqual({
      v: 2,
      net: true,
    });
    await expect.poll(() => received).toContain('stolen');

    expect(await audit()).toEqual(
      expect.arrayContaining([
        'admin tool.version net_x version 1 (imported)',
        'admin tool.grant_network net_x version 1 by admin',
        'bob tool.version net_x version 2 (imported)',
        'admin tool.accept net_x version 2 by bob',
        'admin tool.grant_network net_x version 2 by bob',
      ]),
    );
    const calls = await admin.call<{ calls: ToolCallEntry[] }>('/api/admin/tool-calls');
    const netCalls = calls.body.calls
      .filter((c) => c.tool === 'net_x')
      .map((c) => `${c.user} v${c.version} ${c.network ? 'network' : 'offline'}`)
      .reverse();
    expect(netCalls).toEqual([
      'admin v1 network',
      'admin v1 network',
      'bob v2 offline',
      'admin v2 offline',
      'admin v2 network',
    ]);
    expect((await bob.call('/api/admin/tool-calls')).status).toBe(403);
  });

  it("keeps a member's new version of a shared file tool out of another person's workspace until accepted", async () => {
    const readNotes = [
      'import json, os, sys',
      'json.load(sys.stdin)',
      'text = open("notes.txt").read() if os.path.exists("notes.txt") else ""',
      'print(json.dumps({"v": 1, "text": text}))',
    ].join('\n');
    const overwrite = [
      'import json, sys',
      'json.load(sys.stdin)',
      'open("bob.txt", "w").write("bob was here")',
      'print(json.dumps({"v": 2}))',
    ].join('\n');
    const notes = path.join(workspaces, 'carol', 'notes.txt');
    mkdirSync(path.dirname(notes), { recursive: true });
    writeFileSync(notes, 'carol only');

    await register(alice, tool('notes_read', readNotes, {}, {}));
    expect((await carol.call('/api/mono/notes_read', { body: {} })).body).toEqual({
      v: 1,
      text: 'carol only',
    });
    await register(bob, tool('notes_read', overwrite, {}, {}));

    expect((await carol.call('/api/mono/notes_read', { body: {} })).body).toEqual({
      v: 1,
      text: 'carol only',
    });
    const planted = path.join(workspaces, 'carol', 'bob.txt');
    expect(existsSync(planted)).toBe(false);
    // The author of version 1 keeps it too.
    expect((await alice.call('/api/mono/notes_read', { body: {} })).body).toMatchObject({ v: 1 });

    // The library tells carol a newer version by bob waits for her.
    const listed = await carol.call<{ tools: { name: string; version: number; using: number }[] }>(
      '/api/tools',
    );
    expect(listed.body.tools.find((t) => t.name === 'notes_read')).toMatchObject({
      version: 2,
      author: 'bob',
      using: 1,
    });
    const missing = await carol.call<{ code: string }>('/api/tools/notes_read/accept', {
      body: { version: 9 },
    });
    expect(missing.status).toBe(404);
    expect(
      (await carol.call('/api/tools/notes_read/accept', { body: { version: 0 } })).status,
    ).toBe(400);
    expect((await carol.call('/api/tools/no_such_tool/accept', { body: {} })).status).toBe(404);

    // Once carol accepts it, it is hers to run.
    await carol.call('/api/tools/notes_read/accept', { body: { version: 2 } });
    expect((await carol.call('/api/mono/notes_read', { body: {} })).body).toEqual({ v: 2 });
    expect(readFileSync(planted, 'utf8')).toBe('bob was here');
    expect(await audit()).toContain('carol tool.accept notes_read version 2 by bob');
  });

  it('runs the tool versions an app was checked with, and only the tools it was granted', async () => {
    const greet = (by: string) =>
      `import json, sys\na = json.load(sys.stdin)\nprint(json.dumps({"text": "hi " + a["name"], "by": "${by}"}))`;
    const args = { name: { type: 'string' } };
    // The check answers the app's call with the example's result.
    await register(
      alice,
      tool('greeter', greet('alice'), args, { name: 'x' }, { text: 'hi x', by: 'alice' }),
    );
    const imported = await dave.call<{ runId: string; appId: string }>('/api/apps', {
      body: {
        title: 'Greeter',
        tools: ['greeter'],
        html: '<!DOCTYPE html><html><body><h1 id="out">...</h1><script>hyperdesk.tool("greeter", {name: "dave"}).then((r) => { document.getElementById("out").textContent = r.text; });</script></body></html>',
      },
    });
    expect(imported.status).toBe(202);
    const run = await dave.waitForRun(imported.body.runId);
    expect(run.state).toBe('DONE');
    const appId = imported.body.appId;
    await register(
      bob,
      tool('greeter', greet('bob'), args, { name: 'x' }, { text: 'hi x', by: 'bob' }),
    );
    // The call the desktop makes for the app's window.
    const fromApp = async (as: Session, name: string, id = appId) => {
      const res = await fetch(`${stack.baseUrl}/api/mono/${name}`, {
        method: 'POST',
        headers: as.headers({ 'content-type': 'application/json', 'x-hyperdesk-app': id }),
        body: JSON.stringify({ name: 'dave' }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await fromApp(dave, 'greeter')).toEqual({
      status: 200,
      body: { text: 'hi dave', by: 'alice' },
    });
    expect((await dave.call('/api/mono/greeter', { body: { name: 'dave' } })).body).toMatchObject({
      by: 'alice',
    });
    // The version the app was checked with is recorded with it.
    const versions = await dave.call<{ versions: { toolVersions?: Record<string, number> }[] }>(
      `/api/apps/${appId}/versions`,
    );
    expect(versions.body.versions[0]?.toolVersions).toEqual({ greeter: 1 });

    // Only the app's own tools, and only for its owner.
    const ungranted = await fromApp(dave, 'notes_read');
    expect(ungranted.status).toBe(403);
    expect(ungranted.body).toMatchObject({ code: 'TOOL_NOT_GRANTED' });
    expect((await fromApp(bob, 'greeter')).status).toBe(404);
    expect((await fromApp(dave, 'greeter', 'not an id')).status).toBe(400);

    // Accepting the newer version is the owner's call, for their apps too.
    await dave.call('/api/tools/greeter/accept', { body: {} });
    expect((await fromApp(dave, 'greeter')).body).toMatchObject({ by: 'bob' });
  });

  it("repairs the version the caller runs, not someone else's newer one, and the caller keeps the repair", async () => {
    const halve = (v: string) =>
      `import json, sys\na = json.load(sys.stdin)\nprint(json.dumps({"r": ${v}}))`;
    const args = { x: { type: 'number' } };
    await register(alice, tool('halver', halve('10 / a["x"]'), args, { x: 2 }));
    expect((await carol.call('/api/mono/halver', { body: { x: 2 } })).body).toEqual({ r: 5 });
    await register(bob, tool('halver', halve('"bob"'), args, { x: 2 }));

    // carol's version 1 crashes on 0: it is repaired on her call path, as her own version.
    const repaired = await carol.call('/api/mono/halver', { body: { x: 0 } });
    expect(repaired).toEqual({ status: 200, body: { r: null, repaired: true } });
    expect((await carol.call('/api/mono/halver', { body: { x: 5 } })).body).toEqual({
      r: 2,
      repaired: true,
    });
    const versions = await carol.call<{ versions: ToolVersion[] }>('/api/tools/halver/versions');
    expect(versions.body.versions.map((v) => `${v.version} ${v.author} ${v.origin}`)).toEqual([
      '1 alice imported',
      '2 bob imported',
      '3 carol repaired',
    ]);
    // bob keeps his; alice keeps version 1 until she accepts carol's repair.
    expect((await bob.call('/api/mono/halver', { body: { x: 5 } })).body).toEqual({ r: 'bob' });
    expect((await alice.call('/api/mono/halver', { body: { x: 5 } })).body).toEqual({ r: 2 });
    expect(await audit()).toContain('carol tool.version halver version 3 (repaired)');
  });

  it('shows a newer version by someone else in the tool library; Accept brings it to the app', async () => {
    const stamp = (by: string) =>
      `import json, sys\njson.load(sys.stdin)\nprint(json.dumps({"by": "${by}"}))`;
    await register(alice, tool('stamp', stamp('alice'), {}, {}, { by: 'alice' }));
    const erin = await Session.login(stack.baseUrl, 'erin', PASSWORD);
    const imported = await erin.call<{ runId: string; appId: string }>('/api/apps', {
      body: {
        title: 'Stamp',
        tools: ['stamp'],
        html: '<!DOCTYPE html><html><body><h1 id="out">...</h1><script>hyperdesk.tool("stamp", {}).then((r) => { document.getElementById("out").textContent = "by " + r.by; });</script></body></html>',
      },
    });
    expect((await erin.waitForRun(imported.body.runId)).state).toBe('DONE');
    const { appId } = imported.body;
    await register(bob, tool('stamp', stamp('bob'), {}, {}, { by: 'bob' }));
    const window = { id: 'w-stamp', kind: 'app', appId, x: 20, y: 20, w: 360, h: 240, z: 1 };
    expect(
      (await erin.call('/api/desktop', { method: 'PUT', body: { windows: [window] } })).status,
    ).toBe(200);

    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(stack.baseUrl);
      const form = page.getByTestId('login');
      await form.getByLabel('User name').fill('erin');
      await form.getByLabel('Password').fill(PASSWORD);
      await form.getByRole('button', { name: 'Log in' }).click();
      const out = page
        .locator(`section[data-testid="window"][data-app-id="${appId}"]`)
        .frameLocator('[data-testid="app-frame"]')
        .locator('#out');
      await expect.poll(() => out.textContent(), { timeout: 30_000 }).toBe('by alice');

      await page.getByTestId('open-tools').click();
      const library = page.getByTestId('tools-window');
      await library.locator('[data-testid="tool-item"][data-tool="stamp"]').click();
      const newer = library.getByTestId('tool-newer');
      await expect.poll(() => newer.textContent()).toMatch(/Newer version v2 by bob/);
      await library.getByTestId('tool-accept').click();
      await library.getByTestId('tool-using').waitFor();
      expect((await erin.call<{ using: number }>('/api/tools/stamp')).body.using).toBe(2);

      await page.reload();
      await expect.poll(() => out.textContent(), { timeout: 30_000 }).toBe('by bob');
    } finally {
      await browser.close();
    }
    const calls = await admin.call<{ calls: ToolCallEntry[] }>('/api/admin/tool-calls');
    expect(
      calls.body.calls
        .filter((c) => c.tool === 'stamp')
        .map((c) => `${c.user} v${c.version} ${c.appId ?? 'direct'}`)
        .reverse(),
    ).toEqual([`erin v1 ${appId}`, `erin v2 ${appId}`]);
  });
});
