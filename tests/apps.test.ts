import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppView, RunEvent, RunView } from '@hyperdesk/shared/contracts';
import { api, replayEvents, runToEnd, waitForRun } from './support/client';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));

describe('apps: checked in a real browser, repaired, refined, diagnosed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('apps', {
      LLM_SIM_SCENARIOS: scenarios,
      RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const run = (prompt: string, extra: Record<string, unknown> = {}): Promise<RunView> =>
    runToEnd(stack.baseUrl, { prompt, ...extra }, 60_000);

  const states = (r: RunView) => r.history.map((h) => h.state);

  it('repairs an app whose first version throws before the run is DONE', async () => {
    const done = await run('apps:throws a counter');
    expect(done.error).toBeUndefined();
    expect(states(done)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'GENERATING_APP',
      'CHECKING_APP',
      'REPAIRING_APP',
      'CHECKING_APP',
      'DONE',
    ]);
    expect(done.llm.detail.map((c) => c.stage)).toEqual(['classify', 'app_generate', 'app_repair']);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${done.appId}`);
    expect(app.body.version).toBe(2);
    expect(app.body.html).toContain('const startValue');
    // The thumbnail is taken from the check's render and saved after the transition: the run
    // is DONE without waiting for it, and it arrives after DONE, announced on the run.
    const thumbnailSaved = async () => {
      const events = await replayEvents(stack.wsUrl, done.id);
      const saved = events.find(
        (e): e is Extract<RunEvent, { type: 'run.thumbnail' }> =>
          e.type === 'run.thumbnail' && e.version === 2,
      );
      const doneAt = events.find((e) => e.type === 'run.state' && e.state === 'DONE');
      return saved && doneAt ? { after: saved.seq > doneAt.seq, appId: saved.appId } : null;
    };
    await expect.poll(thumbnailSaved).not.toBeNull();
    expect(await thumbnailSaved()).toEqual({ after: true, appId: done.appId });
    const thumb = await fetch(`${stack.baseUrl}/api/apps/${done.appId}/versions/2/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const bytes = new Uint8Array(await thumb.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
  });

  it('refines an app into a new version, then reverts it', async () => {
    const first = await run('e2e:hello a tiny hello app');
    expect(first.state).toBe('DONE');
    const refined = await run('apps:refine make it say goodbye', { appId: first.appId });
    expect(refined.error).toBeUndefined();
    expect(refined).toMatchObject({ state: 'DONE', intent: 'update_app', appId: first.appId });
    const v2 = await api<AppView>(stack.baseUrl, `/api/apps/${first.appId}`);
    expect(v2.body).toMatchObject({ version: 2, title: 'Goodbye' });
    expect(v2.body.html).toContain('Goodbye from Hyperdesk');

    const versions = await api<{ versions: { version: number }[] }>(
      stack.baseUrl,
      `/api/apps/${first.appId}/versions`,
    );
    expect(versions.body.versions.map((v) => v.version)).toEqual([1, 2]);
    const reverted = await api<{ version: number }>(
      stack.baseUrl,
      `/api/apps/${first.appId}/revert`,
      {
        body: { version: 1 },
      },
    );
    expect(reverted.body.version).toBe(3);
    const v3 = await api<AppView>(stack.baseUrl, `/api/apps/${first.appId}`);
    expect(v3.body.html).toContain('Hello from Hyperdesk');
    const bad = await api(stack.baseUrl, `/api/apps/${first.appId}/revert`, {
      body: { version: 99 },
    });
    expect(bad.status).toBe(404);
  });

  it('checks a hand-edited version like a generated one', async () => {
    const first = await run('e2e:hello a tiny hello app');
    const edited = await api<{ runId: string; version: number }>(
      stack.baseUrl,
      `/api/apps/${first.appId}/versions`,
      { body: { html: '<!DOCTYPE html><html><body><h1>Edited by hand</h1></body></html>' } },
    );
    expect(edited.status).toBe(202);
    expect(edited.body.version).toBe(2);
    const checked = await waitForRun(stack.baseUrl, edited.body.runId, 60_000);
    expect(states(checked)).toEqual(['RECEIVED', 'CHECKING_APP', 'DONE']);
    const events = await replayEvents(stack.wsUrl, edited.body.runId);
    expect(events.find((e) => e.type === 'run.app')).toMatchObject({
      appId: first.appId,
      version: 2,
    });
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${first.appId}`);
    expect(app.body.html).toContain('Edited by hand');
  });

  it('diagnoses an app fault from reported errors and repairs the app', async () => {
    const first = await run('e2e:hello a tiny hello app');
    const fixed = await run('apps:app-fault fix the errors', {
      appId: first.appId,
      errors: ["TypeError: Cannot read properties of null (reading 'textContent')"],
    });
    expect(fixed.error).toBeUndefined();
    expect(states(fixed)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'DIAGNOSING',
      'REPAIRING_APP',
      'CHECKING_APP',
      'DONE',
    ]);
    const app = await api<AppView>(stack.baseUrl, `/api/apps/${first.appId}`);
    expect(app.body.html).toContain('Fixed after diagnosis');
  });

  it('diagnoses a tool fault and rebuilds the tool through tool-manager', async () => {
    const shout = {
      name: 'shout',
      description: 'Upper-cases a text.',
      args: { type: 'object', properties: { text: { type: 'string' } } },
      returns: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      examples: [{ args: { text: 'hi' } }],
      code: 'import json, sys\na = json.load(sys.stdin)\nprint(json.dumps({"text": a["text"].upper()}))',
    };
    expect((await api(stack.baseUrl, '/api/tools', { body: shout })).status).toBe(201);
    const imported = await api<{ runId: string; appId: string }>(stack.baseUrl, '/api/apps', {
      body: {
        title: 'Shouter',
        tools: ['shout'],
        html: '<!DOCTYPE html><html><body><h1 id="out">...</h1><script>hyperdesk.tool("shout", {text: "hey"}).then((r) => { document.getElementById("out").textContent = r.text; });</script></body></html>',
      },
    });
    expect(imported.status).toBe(202);
    const checked = await waitForRun(stack.baseUrl, imported.body.runId, 60_000);
    expect(checked.error).toBeUndefined();
    expect(states(checked)).toEqual(['RECEIVED', 'CHECKING_APP', 'DONE']);

    const fixed = await run('apps:tool-fault the shouter breaks', {
      appId: imported.body.appId,
      errors: ["Tool shout failed: KeyError: 'text'"],
    });
    expect(fixed.error).toBeUndefined();
    expect(states(fixed)).toEqual([
      'RECEIVED',
      'CLASSIFYING',
      'DIAGNOSING',
      'BUILDING_TOOLS',
      'CHECKING_APP',
      'DONE',
    ]);
    const versions = await api<{ versions: { version: number }[] }>(
      stack.baseUrl,
      '/api/tools/shout/versions',
    );
    expect(versions.body.versions).toHaveLength(2);
    const call = await api(stack.baseUrl, '/api/mono/shout', { body: {} });
    expect(call.body).toEqual({ text: '!' });
  });

  it('serves raw content (a CSV) as a download with its type', async () => {
    const done = await run('apps:csv of the inner planets');
    expect(done).toMatchObject({ state: 'DONE', intent: 'virtual_response' });
    const res = await fetch(`${stack.baseUrl}/api/content/${done.contentId}?download`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="Planets\.csv"/);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('planet,moons');
    expect(lines).toHaveLength(5);
  });

  it.each([['apps:chart moons'], ['apps:three a cube']])(
    'checks an app that uses a local library without repairs (%s)',
    async (prompt) => {
      const done = await run(prompt);
      expect(done.error).toBeUndefined();
      expect(states(done)).toEqual([
        'RECEIVED',
        'CLASSIFYING',
        'GENERATING_APP',
        'CHECKING_APP',
        'DONE',
      ]);
    },
  );

  it('serves the common libraries locally', async () => {
    for (const file of ['three.module.js', 'three.core.js', 'chart.umd.min.js', 'd3.min.js']) {
      const res = await fetch(`${stack.baseUrl}/vendor/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
    expect((await fetch(`${stack.baseUrl}/vendor/..%2Fpackage.json`)).status).toBe(404);
  });
});
