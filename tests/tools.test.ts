import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, ToolVersion } from '@hyperdesk/shared/contracts';
import { api, replayEvents, waitForRun } from './support/client';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

const textArgs = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] };

function tool(name: string, code: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    description: `test tool ${name}`,
    args: textArgs,
    returns: { type: 'object' },
    examples: [{ args: { text: 'ab cd' } }],
    code,
    ...extra,
  };
}

describe('tools: written, tested in the sandbox, repaired, called', () => {
  let stack: Stack;
  const workspaces = mkdtempSync(path.join(tmpdir(), 'hd-ws-'));
  beforeAll(async () => {
    stack = await startStack('tools', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: workspaces,
      RUNNER_WORKSPACE_MB: '8',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A repair on the /api/mono path that worked reached the caller as an info notice. */
  async function expectRepairNotice(text: RegExp): Promise<void> {
    const notices = await api<{ level: string; source: string; text: string }[]>(
      stack.baseUrl,
      '/api/notices',
    );
    expect(notices.body).toContainEqual(
      expect.objectContaining({
        level: 'info',
        source: 'Tools',
        text: expect.stringMatching(text),
      }),
    );
  }

  it('runs a tool_only request: writes the tool, repairs it from the real error, runs it', async () => {
    const { body } = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'tools:count-words in my sentence' },
    });
    const run = await waitForRun(stack.baseUrl, body.runId, 60_000);
    expect(run.error).toBeUndefined();
    expect(run.state).toBe('DONE');
    expect(run.llm.detail.map((c) => c.stage)).toEqual([
      'classify',
      'plan_tools',
      'tool_write',
      'tool_repair',
    ]);
    const content = await api(stack.baseUrl, `/api/content/${run.contentId}`);
    expect(content.body).toEqual({ words: 4 });

    const events = await replayEvents(stack.wsUrl, body.runId);
    const repair = events.find((e) => e.type === 'tool.repair');
    expect(repair?.type === 'tool.repair' && repair.error).toMatch(/SyntaxError/);
    const registered = await api<ToolVersion>(stack.baseUrl, '/api/tools/word_count');
    expect(registered.body).toMatchObject({ version: 1, origin: 'repaired' });
  });

  it("runs a tool_only request in the person's own workspace, not the build's", async () => {
    const { body } = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'tools:note keep a note' },
    });
    const run = await waitForRun(stack.baseUrl, body.runId, 60_000);
    expect(run.error).toBeUndefined();
    expect(run.state).toBe('DONE');
    // The build's test wrote its example line elsewhere; the run sees only its own.
    const content = await api(stack.baseUrl, `/api/content/${run.contentId}`);
    expect(content.body).toEqual({ lines: ['written by my run'] });
    expect(readFileSync(path.join(workspaces, 'local', 'note.txt'), 'utf8')).toBe(
      'written by my run\n',
    );
  });

  it("repairs a call that failed on a file in the caller's workspace, tested there", async () => {
    mkdirSync(path.join(workspaces, 'local'), { recursive: true });
    writeFileSync(path.join(workspaces, 'local', 'number.txt'), 'forty-two');
    const code = [
      'import json, sys',
      'a = json.load(sys.stdin)',
      'if "content" in a:',
      '    with open(a["file"], "w") as f:',
      '        f.write(a["content"])',
      'with open(a["file"]) as f:',
      '    print(json.dumps({"n": int(f.read())}))',
    ].join('\n');
    const created = await api(stack.baseUrl, '/api/tools', {
      body: {
        ...tool('read_number', code),
        args: {
          type: 'object',
          properties: { file: { type: 'string' }, content: { type: 'string' } },
          required: ['file'],
        },
        examples: [{ args: { file: 'example.txt', content: '7' } }],
      },
    });
    expect(created.status).toBe(201);
    // number.txt is only in this person's workspace: the repaired version is judged there.
    const call = await api(stack.baseUrl, '/api/mono/read_number', {
      body: { file: 'number.txt' },
    });
    expect(call.body).toEqual({ n: null });
    expect(call.status).toBe(200);
    const versions = await api<{ versions: ToolVersion[] }>(
      stack.baseUrl,
      '/api/tools/read_number/versions',
    );
    expect(versions.body.versions.map((v) => v.origin)).toEqual(['imported', 'repaired']);
    // The caller is told: no run shows a repair made on the call path.
    await expectRepairNotice(
      /^Tool read_number was repaired \(version 2\) .*invalid literal for int/,
    );
  });

  it('does not send a call that fails on a full workspace to repair, and recovers once freed', async () => {
    const fillArgs = {
      type: 'object',
      properties: { name: { type: 'string' }, mb: { type: 'number' }, remove: { type: 'boolean' } },
      required: ['name'],
    };
    const code = [
      'import json, os, sys',
      'a = json.load(sys.stdin)',
      'if a.get("remove"):',
      '    os.remove(a["name"])',
      'else:',
      '    with open(a["name"], "wb") as f:',
      '        f.write(b"x" * int(a.get("mb", 0) * 1024 * 1024))',
      'print(json.dumps({"files": sorted(os.listdir("."))}))',
    ].join('\n');
    const created = await api(stack.baseUrl, '/api/tools', {
      body: {
        ...tool('fill_workspace', code),
        args: fillArgs,
        examples: [{ args: { name: 'x' } }],
      },
    });
    expect(created.status).toBe(201);
    const fill = (body: Record<string, unknown>) =>
      api<{ error?: string; repair?: string }>(stack.baseUrl, '/api/mono/fill_workspace', { body });

    expect((await fill({ name: 'big.bin', mb: 9 })).status).toBe(200);
    let refused: Awaited<ReturnType<typeof fill>> | undefined;
    await expect
      .poll(async () => {
        refused = await fill({ name: 'more.bin', mb: 1 });
        return refused.status;
      })
      .toBe(502);
    expect(refused?.body.error).toMatch(/over its quota of 8 MB/);
    expect(refused?.body.repair).toMatch(/Not sent to repair/);
    const versions = await api<{ versions: ToolVersion[] }>(
      stack.baseUrl,
      '/api/tools/fill_workspace/versions',
    );
    expect(versions.body.versions.map((v) => v.origin)).toEqual(['imported']);

    // Deleting works on a full workspace; then files may grow again.
    expect((await fill({ name: 'big.bin', remove: true })).status).toBe(200);
    await expect.poll(async () => (await fill({ name: 'more.bin', mb: 1 })).status).toBe(200);
  });

  it.each([
    [
      'missing module',
      tool(
        'broken_import',
        'import json, sys, hyperdesk_no_such_module\nprint(json.dumps({"upper": "x"}))',
        {
          returns: {
            type: 'object',
            properties: { upper: { type: 'string' } },
            required: ['upper'],
          },
        },
      ),
      { text: 'abc' },
      { upper: 'ABC' },
    ],
    [
      'wrong output shape',
      tool(
        'broken_shape',
        'import json, sys\nargs = json.load(sys.stdin)\nprint(json.dumps({"count": "3"}))',
        {
          args: { type: 'object', properties: { items: { type: 'array' } }, required: ['items'] },
          returns: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          examples: [{ args: { items: [1, 2, 3] } }],
        },
      ),
      { items: ['a', 'b'] },
      { n: 2 },
    ],
    [
      'crash on one input',
      tool(
        'broken_empty',
        'import json, sys\nt = json.load(sys.stdin)["text"]\nw = t.split()\nprint(json.dumps({"avg": sum(map(len, w)) / len(w)}))',
        {
          returns: { type: 'object', properties: { avg: { type: 'number' } }, required: ['avg'] },
          examples: [{ args: { text: 'ab cd' } }, { args: { text: '' } }],
        },
      ),
      { text: '' },
      { avg: 0 },
    ],
  ])(
    'repairs a hand-written tool with a %s before registering it',
    async (_kind, input, args, expected) => {
      const created = await api<{ ok: boolean; version: number; attempts: number }>(
        stack.baseUrl,
        '/api/tools',
        { body: input },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ok: true, version: 1, attempts: 2 });
      const stored = await api<ToolVersion>(stack.baseUrl, `/api/tools/${input.name}`);
      expect(stored.body.origin).toBe('repaired');
      const called = await api(stack.baseUrl, `/api/mono/${input.name}`, { body: args });
      expect(called.status).toBe(200);
      expect(called.body).toEqual(expected);
    },
  );

  it('calls tools through /api/mono, repairs a failing call once, and never loops', async () => {
    const divArgs = {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    };
    const created = await api(stack.baseUrl, '/api/tools', {
      body: {
        ...tool(
          'safe_div',
          'import json, sys\na = json.load(sys.stdin)\nprint(json.dumps({"q": a["a"] / a["b"]}))',
        ),
        args: divArgs,
        examples: [{ args: { a: 1, b: 2 } }],
      },
    });
    expect(created.status).toBe(201);
    expect((await api(stack.baseUrl, '/api/mono/safe_div?a=1&b=4')).body).toEqual({ q: 0.25 });

    const invalid = await api<{ error: string }>(stack.baseUrl, '/api/mono/safe_div?a=x&b=1');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/a/);
    expect((await api(stack.baseUrl, '/api/mono/no_such_tool')).status).toBe(404);

    // b=0 crashes: one repair on the call path, then the repaired version answers.
    const repaired = await api(stack.baseUrl, '/api/mono/safe_div', { body: { a: 1, b: 0 } });
    expect(repaired.status).toBe(200);
    expect(repaired.body).toEqual({ q: null });
    const versions = await api<{ versions: ToolVersion[] }>(
      stack.baseUrl,
      '/api/tools/safe_div/versions',
    );
    expect(versions.body.versions.map((v) => v.origin)).toEqual(['imported', 'repaired']);
    // The caller is told: no run shows a repair made on the call path.
    await expectRepairNotice(/^Tool safe_div was repaired \(version 2\) .*ZeroDivisionError/);

    // Revert restores version 1 as a new version.
    const reverted = await api<{ version: number }>(stack.baseUrl, '/api/tools/safe_div/revert', {
      body: { version: 1 },
    });
    expect(reverted.body.version).toBe(3);
    const current = await api<ToolVersion>(stack.baseUrl, '/api/tools/safe_div');
    expect(current.body.code).toBe(versions.body.versions[0]?.code);

    // A repair that does not help: an error JSON, and the same failure is not repaired again.
    await api(stack.baseUrl, '/api/tools', {
      body: {
        ...tool(
          'stubborn',
          'import json, sys\na = json.load(sys.stdin)\nif a.get("x") == 13:\n    raise RuntimeError("unlucky")\nprint(json.dumps({"ok": True}))',
        ),
        args: { type: 'object', properties: { x: { type: 'integer' } } },
        examples: [{ args: { x: 1 } }],
      },
    });
    const first = await api<{ error: string; repair: string }>(
      stack.baseUrl,
      '/api/mono/stubborn?x=13',
    );
    expect(first.status).toBe(502);
    expect(first.body.error).toMatch(/RuntimeError: unlucky/);
    expect(first.body.repair).toMatch(/still fails/);
    const warned = await api<{ level: string; text: string }[]>(stack.baseUrl, '/api/notices');
    expect(warned.body[0]).toMatchObject({
      level: 'warning',
      text: expect.stringMatching(/^A call of tool stubborn failed and a repair did not help: /),
    });
    const second = await api<{ repair: string }>(stack.baseUrl, '/api/mono/stubborn?x=13');
    expect(second.status).toBe(502);
    expect(second.body.repair).toMatch(/already sent to repair/);
    const stubborn = await api<{ versions: ToolVersion[] }>(
      stack.baseUrl,
      '/api/tools/stubborn/versions',
    );
    expect(stubborn.body.versions).toHaveLength(1);
  });

  it('answers an /api/mono path that no tool serves through the classifier', async () => {
    const answered = await api(stack.baseUrl, '/api/mono/planet_facts?name=mars');
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ name: 'mars', moons: 2 });
  });

  it('passes CLI-style args as an argv list, never through a shell', async () => {
    const code = [
      'import argparse, json',
      'p = argparse.ArgumentParser()',
      'p.add_argument("--name", required=True)',
      'p.add_argument("--loud", action="store_true")',
      'a = p.parse_args()',
      'g = "hello " + a.name',
      'print(json.dumps({"greeting": g.upper() if a.loud else g}))',
    ].join('\n');
    const created = await api(stack.baseUrl, '/api/tools', {
      body: {
        ...tool('greet_cli', code, { argv: true }),
        args: {
          type: 'object',
          properties: { name: { type: 'string' }, loud: { type: 'boolean' } },
          required: ['name'],
        },
        examples: [{ args: { name: 'ann' } }],
      },
    });
    expect(created.status).toBe(201);
    const hostile = '; rm -rf / $(id) `id` && echo pwned';
    const called = await api(stack.baseUrl, '/api/mono/greet_cli', { body: { name: hostile } });
    expect(called.body).toEqual({ greeting: `hello ${hostile}` });
    const loud = await api(stack.baseUrl, '/api/mono/greet_cli?name=bo&loud=true');
    expect(loud.body).toEqual({ greeting: 'HELLO BO' });
  });

  it('rejects a hand-written tool with a bad interface, with the reason', async () => {
    const bad = await api<{ error: string }>(stack.baseUrl, '/api/tools', {
      body: { ...tool('bad_schema', 'print(1)'), args: { type: 'not-a-type' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/args is not a valid JSON Schema/);
    const badName = await api<{ error: string }>(stack.baseUrl, '/api/tools', {
      body: tool('Bad Name!', 'print(1)'),
    });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toMatch(/name/);
  });

  it('starts generating the app before the new tool has passed its tests', async () => {
    const { body } = await api<{ runId: string }>(stack.baseUrl, '/api/runs', {
      body: { prompt: 'tools:parallel an adder app' },
    });
    const run = await waitForRun(stack.baseUrl, body.runId, 60_000);
    expect(run.error).toBeUndefined();
    expect(run.state).toBe('DONE');
    const events = await replayEvents(stack.wsUrl, body.runId);
    const at = (pred: (e: RunEvent) => boolean) => events.find(pred)?.at ?? Infinity;
    const appStarted = at((e) => e.type === 'run.state' && e.state === 'GENERATING_APP');
    const toolTested = at((e) => e.type === 'tool.build' && e.status === 'registered');
    expect(appStarted).toBeLessThan(toolTested);
    // The app was ready first and waited for its tool.
    expect(run.history.map((h) => h.state)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'PLANNING_TOOLS',
      'GENERATING_APP',
      'BUILDING_TOOLS',
      'CHECKING_APP',
      'DONE',
    ]);
    const app = await api<{ tools: string[] }>(stack.baseUrl, `/api/apps/${run.appId}`);
    expect(app.body.tools).toEqual(['slow_sum']);
  });
});
