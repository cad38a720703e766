import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppView, DesktopWindow, Notice, RunView } from '@hyperdesk/shared/contracts';
import { api, waitForRun } from './support/client';
import { launchBrowser } from './support/browser';
import { connect } from './support/redis';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const fixture = (name: string) => readFileSync(path.join(scenarios, name), 'utf8');

/** How long a poll waits for the desktop, an app or a run to get there (a slow machine). */
const EVENTUALLY = { timeout: 30_000 };

interface SimRequest {
  stage: string | null;
  user: string;
  status: 'answering' | 'done' | 'aborted';
}

interface Imported {
  appId: string;
  runId: string;
  title: string;
}

/** Apps that use the model, the shared desktop context and notices, in a real desktop. */
describe('apps with AI inside, shared context, notices', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let redis: Redis;
  let simUrl = '';
  const pageErrors: string[] = [];
  let lab: Imported;

  beforeAll(async () => {
    [stack, browser, redis] = await Promise.all([
      startStack('ai-apps', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      }),
      launchBrowser(),
      connect(),
    ]);
    simUrl = stack.simUrl;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    lab = await importApp('AI lab', 'ai-lab-app.html');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    redis?.disconnect();
  });

  /** Imports an app; it is checked like a generated one before it is ready. */
  async function importApp(title: string, file: string): Promise<Imported> {
    const { status, body } = await api<{ runId: string; appId: string }>(
      stack.baseUrl,
      '/api/apps',
      { body: { title, html: fixture(file), tools: [] } },
    );
    expect(status).toBe(202);
    const run = await waitForRun(stack.baseUrl, body.runId, 60_000);
    expect(run.state).toBe('DONE');
    return { ...body, title };
  }

  /** Saves a desktop with these app windows, side by side, and loads it in the page. */
  async function openDesktop(apps: Imported[]): Promise<void> {
    const windows: DesktopWindow[] = apps.map((app, i) => ({
      id: `w-${app.appId}`,
      kind: 'app',
      appId: app.appId,
      runId: app.runId,
      title: app.title,
      x: 20 + i * 420,
      y: 20,
      w: 400,
      h: 420,
      z: i + 1,
      minimized: false,
      maximized: false,
    }));
    // Leave the desktop first: it saves its own layout as it goes (then no more).
    await page.goto('about:blank');
    await settledLayout();
    const saved = await api(stack.baseUrl, '/api/desktop', {
      method: 'PUT',
      body: { windows, theme: 'dark' },
    });
    expect(saved.status).toBe(200);
    await page.goto(stack.baseUrl);
    for (const app of apps) await frameReady(app);
  }

  /** Waits until the stored layout stops changing (a closing page's last save has landed). */
  async function settledLayout(): Promise<void> {
    const read = async () => JSON.stringify((await api(stack.baseUrl, '/api/desktop')).body);
    let previous = await read();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const current = await read();
      if (current === previous) return;
      previous = current;
    }
  }

  const windowOf = (app: Imported): Locator =>
    page.locator(`main section[data-testid="window"][data-app-id="${app.appId}"]`);
  const frameOf = (app: Imported) => windowOf(app).frameLocator('[data-testid="app-frame"]');

  async function frameReady(app: Imported): Promise<void> {
    await windowOf(app).locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    await frameOf(app).locator('body').waitFor();
  }

  async function askInLab(prompt: string, button = '#ask'): Promise<void> {
    const frame = frameOf(lab);
    await frame.locator('#prompt').fill(prompt);
    // The button's own click event: under a loaded suite a pointer click computed at one
    // moment once landed on the neighbouring button (the app then asked without a schema).
    await frame.locator(button).dispatchEvent('click');
  }

  async function simRequests(): Promise<SimRequest[]> {
    return (await (await fetch(`${simUrl}/sim/requests`)).json()) as SimRequest[];
  }

  it('streams an answer from the model into the app, recorded on the app’s run', async () => {
    await openDesktop([lab]);
    await askInLab('sim:ask-story tell me a story');
    const frame = frameOf(lab);
    await expect.poll(() => frame.locator('#status').textContent(), EVENTUALLY).toBe('done');
    const out = await frame.locator('#out').textContent();
    expect(out).toMatch(/^Once upon a time a small window .* until it was done\.$/);
    // The text arrived in pieces, each shown as it came.
    expect(Number(await frame.locator('#pieces').textContent())).toBeGreaterThan(1);
    // The call is a model call of the app's run: its timeline shows it, its tokens count.
    const run = (await api<RunView>(stack.baseUrl, `/api/runs/${lab.runId}`)).body;
    const asks = run.llm.detail.filter((c) => c.stage === 'app_ask');
    expect(asks).toHaveLength(1);
    expect(asks[0]?.completionTokens).toBeGreaterThan(0);
  });

  it('pauses a live loop while its window is minimized, and resumes it on restore', async () => {
    const frame = frameOf(lab);
    const count = async (id: string) => Number(await frame.locator(id).textContent());
    await frame.locator('#live').click();
    await expect.poll(() => count('#ticks'), EVENTUALLY).toBeGreaterThan(1);

    await windowOf(lab).getByTestId('minimize').click();
    // The desktop told the app it is hidden; the live loop stops at its next turn.
    await expect.poll(() => frame.locator('#hidden').textContent(), EVENTUALLY).toBe('true');
    const paused = await count('#ticks');
    // Forty more turns of the app's own 50 ms clock: several live periods, and no tick.
    const clock = await count('#clock');
    await expect.poll(() => count('#clock'), EVENTUALLY).toBeGreaterThan(clock + 40);
    expect(await count('#ticks')).toBe(paused);

    const windowId = (await windowOf(lab).getAttribute('data-window-id')) ?? '';
    await page.locator(`[data-testid="taskbar-window"][data-window-id="${windowId}"]`).click();
    await expect.poll(() => frame.locator('#hidden').textContent(), EVENTUALLY).toBe('false');
    await expect.poll(() => count('#ticks'), EVENTUALLY).toBeGreaterThan(paused);
  });

  it('checks a structured answer against the app’s schema, re-asking once', async () => {
    const frame = frameOf(lab);
    await askInLab('sim:ask-json-retry three numbers', '#ask-json');
    // The whole of what the app shows, so that a failure says where the ask stopped.
    const shown = async () => ({
      status: await frame.locator('#status').textContent(),
      value: await frame.locator('#value').textContent(),
      error: await frame.locator('#error').textContent(),
      asked: await frame.locator('body').getAttribute('data-asked'),
    });
    await expect.poll(shown, EVENTUALLY).toEqual({
      status: 'done',
      value: JSON.stringify({ items: [3, 5, 8] }),
      error: '',
      asked: 'json',
    });

    // A model that keeps answering with malformed JSON: the app gets a clear error.
    await askInLab('sim:ask-json-broken three numbers', '#ask-json');
    await expect.poll(() => frame.locator('#status').textContent(), EVENTUALLY).toBe('failed');
    const error = await frame.locator('#error').textContent();
    expect(error).toContain("did not match the app's schema, even after a re-ask");
    expect(error).toContain('[MODEL_OUTPUT_INVALID]');
    expect(pageErrors).toEqual([]);
  });

  it('refuses an ask once the daily token budget is used up, naming the limit and reset', async () => {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const usage = `${stack.prefix}:user:local:usage:${day}`;
    const before = await redis.get(usage);
    await redis.set(usage, '2000000');
    try {
      const frame = frameOf(lab);
      await askInLab('sim:ask-story once more');
      await expect.poll(() => frame.locator('#status').textContent(), EVENTUALLY).toBe('failed');
      const error = (await frame.locator('#error').textContent()) ?? '';
      expect(error).toMatch(/^Daily model-token budget used up \(2000000 of 2000000\)/);
      expect(error).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
      expect(error).toContain('[LIMIT_REACHED, daily_tokens]');
    } finally {
      await redis.set(usage, before ?? '0');
    }
  });

  it('shows what the app spent, and asks the person before the app spends more', async () => {
    const frame = frameOf(lab);
    // The asks above spent tokens: the window says how many, of the app's allowance.
    await expect
      .poll(() => windowOf(lab).getByTestId('ask-spent').textContent(), EVENTUALLY)
      .toMatch(/^\s*AI [\d,.k]+ \/ 20k today\s*$/);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    await redis.set(`${stack.prefix}:app:${lab.appId}:ask-usage:${day}`, '20000');
    await askInLab('sim:ask-story past the allowance');
    await expect.poll(() => frame.locator('#status').textContent(), EVENTUALLY).toBe('failed');
    expect(await frame.locator('#error').textContent()).toContain('ASK_CONSENT_NEEDED');
    const consent = windowOf(lab).getByTestId('ask-consent');
    await expect.poll(() => consent.textContent(), EVENTUALLY).toMatch(/spent 20k model tokens/);
    await consent.getByRole('button', { name: 'Allow' }).click();
    await consent.waitFor({ state: 'detached' });
    await askInLab('sim:ask-story now allowed');
    await expect.poll(() => frame.locator('#status').textContent(), EVENTUALLY).toBe('done');
    await expect
      .poll(() => windowOf(lab).getByTestId('ask-spent').textContent(), EVENTUALLY)
      .toMatch(/\/ 40k today/);
  });

  it('aborts the model call of an ask when its window closes', async () => {
    await fetch(`${simUrl}/sim/reset`, { method: 'POST' });
    const asksOnRun = async () => {
      const run = (await api<RunView>(stack.baseUrl, `/api/runs/${lab.runId}`)).body;
      return run.llm.detail.filter((c) => c.stage === 'app_ask').length;
    };
    const before = await asksOnRun();
    const frame = frameOf(lab);
    await askInLab('sim:ask-slow a long answer');
    // Some of the answer is on screen: the call is under way.
    await expect
      .poll(async () => Number(await frame.locator('#pieces').textContent()), EVENTUALLY)
      .toBeGreaterThan(0);
    await windowOf(lab)
      .getByRole('button', { name: /^Close/ })
      .click();
    await windowOf(lab).waitFor({ state: 'detached' });
    // The simulator saw its client go away before the answer ended...
    await expect
      .poll(
        async () =>
          (await simRequests())
            .filter((r) => r.stage === 'app_ask' && r.user.includes('sim:ask-slow'))
            .map((r) => r.status),
        EVENTUALLY,
      )
      .toEqual(['aborted']);
    // ...and the cut-off call is still recorded on the app's run.
    await expect.poll(asksOnRun, EVENTUALLY).toBe(before + 1);
  });

  it('shares context between two apps, live and across a reload', async () => {
    const [publisher, subscriber] = await Promise.all([
      importApp('CSV numbers', 'ai-publisher-app.html'),
      importApp('Numbers total', 'ai-subscriber-app.html'),
    ]);
    await openDesktop([publisher, subscriber]);
    const sub = frameOf(subscriber);
    await expect.poll(() => sub.locator('#first').textContent(), EVENTUALLY).toBe('none');
    expect(await sub.locator('#total').textContent()).toBe('none');

    await frameOf(publisher).locator('#csv').fill('a,1\nb,2\nc,4');
    await frameOf(publisher).locator('#publish').click();
    await expect.poll(() => sub.locator('#total').textContent(), EVENTUALLY).toBe('7');

    // Stored under the person's desktop: after a reload the value is still there.
    await page.reload();
    await frameReady(subscriber);
    await expect
      .poll(() => frameOf(subscriber).locator('#first').textContent(), EVENTUALLY)
      .toBe('3');
    expect(await frameOf(subscriber).locator('#total').textContent()).toBe('7');
    const stored = await api<{ key: string; appId: string }[]>(stack.baseUrl, '/api/context');
    expect(stored.body.map((e) => [e.key, e.appId])).toEqual([['csv-numbers', publisher.appId]]);
  });

  it('refuses a context value that is too large, with a clear error', async () => {
    await openDesktop([lab]);
    await frameOf(lab).locator('#big').click();
    await expect
      .poll(() => frameOf(lab).locator('#status').textContent(), EVENTUALLY)
      .toBe('failed');
    expect(await frameOf(lab).locator('#error').textContent()).toMatch(
      /^The value for "big" is \d+ bytes of JSON; a context value may be at most 16384 bytes\. \[CONTEXT_TOO_LARGE\]$/,
    );
  });

  it('refines the app of the window a prompt names ("my notes window")', async () => {
    const notes = await importApp('Notes', 'ai-notes-app.html');
    await openDesktop([lab, notes]);
    const input = page.getByLabel('Ask Hyperdesk');
    await input.fill('add a save button to my notes window');
    await input.press('Enter');
    await expect
      .poll(
        async () => (await api<AppView>(stack.baseUrl, `/api/apps/${notes.appId}`)).body.version,
        {
          timeout: 60_000,
        },
      )
      .toBe(2);
    const { body } = await api<{ versions: { version: number; runId: string | null }[] }>(
      stack.baseUrl,
      `/api/apps/${notes.appId}/versions`,
    );
    const runId = body.versions.find((v) => v.version === 2)?.runId ?? '';
    const run = await waitForRun(stack.baseUrl, runId, 60_000);
    expect(run).toMatchObject({
      intent: 'update_app',
      appId: notes.appId,
      prompt: 'add a save button to my notes window',
    });
    // The notes window itself shows the new version (the run has a window of its own too).
    await expect
      .poll(
        () =>
          page
            .locator(`main section[data-window-id="w-${notes.appId}"]`)
            .getAttribute('data-app-version'),
        EVENTUALLY,
      )
      .toBe('2');
    // The other open app was left alone.
    expect((await api<AppView>(stack.baseUrl, `/api/apps/${lab.appId}`)).body.version).toBe(1);
  });

  it('answers bad input to the ask, context and notice routes with a clear 4xx', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', `/api/apps/${lab.appId}/ask`, { prompt: '' }, 400, /prompt must not be empty/],
      [
        'POST',
        `/api/apps/${lab.appId}/ask`,
        { prompt: 'x', schema: { type: 5 } },
        400,
        /not a valid JSON Schema/,
      ],
      ['POST', '/api/apps/app_missing/ask', { prompt: 'x' }, 404, /App app_missing was not found/],
      ['PUT', '/api/context/bad key!', { value: 1 }, 400, /a context key is/],
      ['PUT', '/api/context/ok', {}, 400, /value is required/],
      ['POST', '/api/notices', { level: 'loud', text: 'x' }, 400, /Invalid notice: level/],
      [
        'POST',
        '/api/notices',
        { level: 'info', text: 'x', appId: 'app_missing' },
        404,
        /not found/,
      ],
      [
        'GET',
        '/api/context/nothing-here',
        undefined,
        404,
        /Context key nothing-here was not found/,
      ],
    ];
    for (const [method, route, body, status, message] of cases) {
      const reply = await api<{ error: string }>(stack.baseUrl, route.replace(' ', '%20'), {
        method,
        ...(body === undefined ? {} : { body }),
      });
      expect({ route, status: reply.status }).toEqual({ route, status });
      expect(reply.body.error).toMatch(message);
    }
  });

  it('limits the model calls one app may make per minute, with a 429 naming the limit', async () => {
    const probe = await importApp('Ask rate probe', 'ai-lab-app.html');
    // The limit counts per clock minute: start the burst well inside one.
    const second = new Date().getSeconds();
    if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    /** One ask straight to the gateway: its status and whole body (NDJSON when it answers). */
    const ask = async (appId: string) => {
      const res = await fetch(`${stack.baseUrl}/api/apps/${appId}/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'ping' }),
      });
      return { status: res.status, text: await res.text() };
    };
    const replies = await Promise.all(Array.from({ length: 31 }, () => ask(probe.appId)));
    const refused = replies.filter((r) => r.status === 429);
    // The default ASKS_PER_APP_PER_MINUTE is 30.
    expect(refused).toHaveLength(1);
    const body = JSON.parse(refused[0]?.text ?? '{}') as { error: string; limit: string };
    expect(body.limit).toBe('app_asks_per_minute');
    expect(body.error).toMatch(/asked the model 30 times this minute/);
    // Another app is not held back by this one's limit.
    expect((await ask(lab.appId)).status).toBe(200);
  });

  it('shows notices from apps and runs, and keeps them in the list after a reload', async () => {
    await openDesktop([lab]);
    await askInLab('Disk almost full', '#notify');
    const toast = page.getByTestId('notice-toast').filter({ hasText: 'Disk almost full' });
    await toast.waitFor();
    expect(await toast.getAttribute('data-level')).toBe('warning');
    expect(await toast.textContent()).toContain('AI lab');

    await page.reload();
    await page.getByTestId('notices-button').click();
    const list = page.getByTestId('notice-list');
    const fromApp = list.getByTestId('notice').filter({ hasText: 'Disk almost full' });
    await fromApp.waitFor();
    expect(await fromApp.getAttribute('data-level')).toBe('warning');
    // Runs raise notices too: the import of the lab ended in "ready".
    const stored = (await api<Notice[]>(stack.baseUrl, '/api/notices')).body;
    expect(stored.map((n) => n.text)).toContain('AI lab is ready.');
    await list.getByTestId('notice').filter({ hasText: 'AI lab is ready.' }).waitFor();
    expect(stored.find((n) => n.text === 'AI lab is ready.')).toMatchObject({
      level: 'success',
      runId: lab.runId,
      appId: lab.appId,
    });
  });
});
