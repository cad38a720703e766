import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Frame, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDataView, DesktopWindow, RunView } from '@hyperdesk/shared/contracts';
import { launchBrowser } from './support/browser';
import { Session } from './support/session';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const PASSWORD = 'app data password 1';
/** How long a poll waits for the desktop, an app or a run to get there (a slow machine). */
const EVENTUALLY = { timeout: 30_000 };
/** The limits this stack runs with: small, so a test can reach them. */
const APP_LIMIT = 8192;
const PERSON_LIMIT = 12_000;

// What the tests use inside an app's frame (this project's tests have no DOM types).
declare const hyperdesk: {
  storage: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
};
declare const sessionStorage: {
  length: number;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};
declare const document: { title: string };
declare const localStorage: {
  [key: string]: unknown;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};
interface Poster {
  postMessage(message: unknown, target: string): void;
}
declare const parent: Poster & { frames: { length: number; [i: number]: Poster | undefined } };

interface App {
  appId: string;
  runId: string;
  title: string;
}

/**
 * Apps keep their data: `localStorage` in a real desktop, saved per person and app on the
 * gateway, kept across reloads and versions, shared between windows of the app, refused
 * over the limits, out of reach of other people and apps, and never touched by checks.
 */
describe('app data', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: Session;
  let bob: Session;
  let visits: App;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack('app-data', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
        AUTH_MODE: 'accounts',
        HYPERDESK_ADMIN_USER: 'admin',
        HYPERDESK_ADMIN_PASSWORD: PASSWORD,
        REQUESTS_PER_MINUTE: '100000',
        APP_DATA_BYTES: String(APP_LIMIT),
        APP_DATA_BYTES_PER_PERSON: String(PERSON_LIMIT),
      }),
      launchBrowser(),
    ]);
    admin = await Session.login(stack.baseUrl, 'admin', PASSWORD);
    const created = await admin.call('/api/admin/users', {
      body: { name: 'bob', password: PASSWORD },
    });
    expect(created.status).toBe(201);
    bob = await Session.login(stack.baseUrl, 'bob', PASSWORD);
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    const [name, value] = (admin.auth.cookie ?? '').split('=');
    await context.addCookies([{ name: name ?? '', value: value ?? '', url: stack.baseUrl }]);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function data(app: App, who = admin): Promise<Record<string, string>> {
    const reply = await who.call<AppDataView>(`/api/apps/${app.appId}/data`);
    expect(reply.status).toBe(200);
    return Object.fromEntries(reply.body.entries);
  }

  /** Saves a desktop with these windows (an app may be open twice) and loads it in the page. */
  async function openDesktop(apps: App[]): Promise<void> {
    const windows: DesktopWindow[] = apps.map((app, i) => ({
      id: `w-${i}-${app.appId}`,
      kind: 'app',
      appId: app.appId,
      runId: app.runId,
      title: app.title,
      x: 20 + i * 420,
      y: 20,
      w: 400,
      h: 460,
      z: i + 1,
      minimized: false,
      maximized: false,
    }));
    // Leave the desktop first: it saves its own layout as it goes (then no more).
    await page.goto('about:blank');
    await settledLayout();
    expect((await admin.call('/api/desktop', { method: 'PUT', body: { windows } })).status).toBe(
      200,
    );
    await page.goto(stack.baseUrl);
    for (let i = 0; i < apps.length; i++) await appFrame(windowAt(i));
  }

  /** Waits until the stored layout stops changing (a closing page's last save has landed). */
  async function settledLayout(): Promise<void> {
    const read = async () => JSON.stringify((await admin.call('/api/desktop')).body);
    let previous = await read();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const current = await read();
      if (current === previous) return;
      previous = current;
    }
  }

  const windowAt = (i: number): Locator =>
    page.locator('main section[data-testid="window"]').nth(i);

  /** The frame of a window once its app document runs (looked up until it shows the app). */
  async function appFrame(win: Locator): Promise<Frame> {
    const element = win.locator('[data-testid="app-frame"][data-mode="final"]');
    let found: Frame | null = null;
    await expect
      .poll(async () => {
        const frame = await (
          await element.elementHandle({ timeout: 1000 }).catch(() => null)
        )?.contentFrame();
        found =
          frame &&
          !frame.isDetached() &&
          (await frame
            .locator('#visits')
            .count()
            .catch(() => 0)) > 0
            ? frame
            : null;
        return found !== null;
      }, EVENTUALLY)
      .toBe(true);
    return found as unknown as Frame;
  }

  const text = (frame: Frame, selector: string) => frame.locator(selector).textContent();

  async function run(prompt: string, appId?: string): Promise<RunView> {
    const started = await admin.call<{ runId: string }>('/api/runs', {
      body: { prompt, ...(appId ? { appId } : {}) },
    });
    expect(started.status).toBe(202);
    const view = (await admin.waitForRun(started.body.runId, 90_000)) as unknown as RunView;
    expect(view.state, view.error ?? '').toBe('DONE');
    return view;
  }

  it('keeps visits and a note across a desktop reload and a refine, the checks never touching them', async () => {
    const made = await run('appdata:visits a visit counter with a note');
    visits = { appId: made.appId ?? '', runId: made.id, title: 'Visits' };
    // The app reads and writes localStorage as it loads, and passed its check at once.
    expect(made.history.map((h) => h.state)).not.toContain('REPAIRING_APP');
    expect(made.llm.detail.map((c) => c.stage)).toEqual(['classify', 'app_generate']);
    // Its check ran it against an empty store of its own: the person's store is untouched.
    expect(await data(visits)).toEqual({});

    await openDesktop([visits]);
    let frame = await appFrame(windowAt(0));
    expect(await text(frame, '#visits')).toBe('1');
    await frame.locator('#note').fill('buy milk');
    await frame.locator('#save').dispatchEvent('click');
    await expect.poll(() => data(visits), EVENTUALLY).toEqual({ visits: '1', note: 'buy milk' });

    await page.reload();
    frame = await appFrame(windowAt(0));
    expect(await text(frame, '#visits')).toBe('2');
    expect(await text(frame, '#saved')).toBe('buy milk');
    await expect.poll(() => data(visits), EVENTUALLY).toEqual({ visits: '2', note: 'buy milk' });

    // A refine, with a canary in the store that the new version throws on if its check sees it.
    await page.goto('about:blank');
    await admin.call(`/api/apps/${visits.appId}/data`, {
      method: 'PUT',
      body: { changes: [['check-canary', 'owner data']] },
    });
    const refined = await run('appdata:refine show the version', visits.appId);
    expect(refined.history.map((h) => h.state)).not.toContain('REPAIRING_APP');
    expect(await data(visits)).toEqual({
      visits: '2',
      note: 'buy milk',
      'check-canary': 'owner data',
    });
    await admin.call(`/api/apps/${visits.appId}/data`, {
      method: 'PUT',
      body: { changes: [['check-canary', null]] },
    });

    await openDesktop([visits]);
    frame = await appFrame(windowAt(0));
    expect(await text(frame, '#version')).toBe('v2');
    expect(await text(frame, '#visits')).toBe('3');
    expect(await text(frame, '#saved')).toBe('buy milk');
    expect(pageErrors).toEqual([]);
  });

  it('shows each window of an app the other’s writes, and keeps a write made just before closing', async () => {
    await openDesktop([visits, visits]);
    const [a, b] = [await appFrame(windowAt(0)), await appFrame(windowAt(1))];
    await a.evaluate(() => localStorage.setItem('shared', 'from a'));
    await expect.poll(() => text(b, '#last'), EVENTUALLY).toBe('shared=from a');
    expect(await b.evaluate(() => localStorage.getItem('shared'))).toBe('from a');
    await b.evaluate(() => {
      localStorage.removeItem('shared');
    });
    await expect.poll(() => text(a, '#last'), EVENTUALLY).toBe('shared=null');
    expect(await a.evaluate(() => Object.keys(localStorage))).not.toContain('shared');
    expect(await a.evaluate(() => 'shared' in localStorage)).toBe(false);

    // A write, then the window closes at once: the write is kept.
    const closing = windowAt(1);
    await b.evaluate(() => {
      localStorage.lastWords = 'kept';
    });
    await closing.getByTestId('close').click();
    await expect.poll(() => data(visits), EVENTUALLY).toMatchObject({ lastWords: 'kept' });
    expect(await a.evaluate(() => localStorage.getItem('lastWords'))).toBe('kept');
  });

  it('shows a change made in another tab of the desktop, with a storage event', async () => {
    await openDesktop([visits]);
    const mine = await appFrame(windowAt(0));
    const other = await context.newPage();
    try {
      await other.goto(stack.baseUrl);
      const element = other
        .locator('main section[data-testid="window"]')
        .first()
        .locator('[data-testid="app-frame"][data-mode="final"]');
      await element.waitFor(EVENTUALLY);
      const theirs = await (await element.elementHandle())?.contentFrame();
      if (!theirs) throw new Error('the other tab shows no app frame');
      await theirs.locator('#visits').waitFor({ state: 'attached', ...EVENTUALLY });
      await theirs.evaluate(() => localStorage.setItem('fromTab', 'two'));
      await expect.poll(() => text(mine, '#last'), EVENTUALLY).toBe('fromTab=two');
      expect(await mine.evaluate(() => localStorage.getItem('fromTab'))).toBe('two');
      await mine.evaluate(() => localStorage.removeItem('fromTab'));
      await expect.poll(() => text(theirs, '#last'), EVENTUALLY).toBe('fromTab=null');
    } finally {
      await other.close();
    }
  });

  it('behaves like the browser’s Web Storage, and a value with </script> round-trips', async () => {
    await openDesktop([visits]);
    let frame = await appFrame(windowAt(0));
    const shown = await frame.evaluate(() => {
      const s = localStorage as unknown as Record<string, unknown> & {
        length: number;
        key(i: number): string | null;
        setItem(k: unknown, v: unknown): void;
        getItem(k: string): string | null;
        removeItem(k: string): void;
      };
      s.setItem('n', 42);
      s.prop = true;
      const forIn: string[] = [];
      for (const key in s) forIn.push(key);
      const keys = Object.keys(s);
      const tricky = '</script><script>document.title="escaped"</script>\u2028<!--';
      s.setItem('tricky', tricky);
      let missingArgument = '';
      try {
        (s.setItem as (k: string) => void)('only a key');
      } catch (err) {
        missingArgument = (err as Error).name;
      }
      const result = {
        n: s.getItem('n'),
        prop: s.prop,
        missing: s.getItem('missing'),
        inOperator: 'n' in s,
        forIn: forIn.includes('n') && forIn.includes('prop') && !forIn.includes('getItem'),
        keys: keys.includes('n') && keys.includes('prop'),
        length: s.length === Object.keys(s).length,
        key: s.key(Object.keys(s).indexOf('n')),
        keyOutOfRange: s.key(1000),
        json: JSON.parse(JSON.stringify(s)).n as unknown,
        tag: Object.prototype.toString.call(s),
        missingArgument,
        session: (() => {
          sessionStorage.setItem('tab', 'this window');
          return sessionStorage.getItem('tab');
        })(),
      };
      delete s.prop;
      s.removeItem('n');
      return { ...result, afterDelete: s.getItem('prop'), afterRemove: s.getItem('n') };
    });
    expect(shown).toEqual({
      n: '42',
      prop: 'true',
      missing: null,
      inOperator: true,
      forIn: true,
      keys: true,
      length: true,
      key: 'n',
      keyOutOfRange: null,
      json: '42',
      tag: '[object Storage]',
      missingArgument: 'TypeError',
      session: 'this window',
      afterDelete: null,
      afterRemove: null,
    });
    await expect.poll(async () => (await data(visits)).tricky, EVENTUALLY).toBeDefined();
    // The value is put into the next document as it is, and runs nothing.
    await page.reload();
    frame = await appFrame(windowAt(0));
    expect(await frame.evaluate(() => localStorage.getItem('tricky'))).toBe(
      '</script><script>document.title="escaped"</script>\u2028<!--',
    );
    expect(await frame.evaluate(() => document.title)).toBe('Visits');
    // sessionStorage lasted as long as the window's page: a reload starts it empty.
    expect(await frame.evaluate(() => sessionStorage.length)).toBe(0);
    await frame.evaluate(() => localStorage.removeItem('tricky'));
    await expect.poll(async () => (await data(visits)).tricky, EVENTUALLY).toBeUndefined();
  });

  it('shows, exports, imports and clears an app’s data from the window’s menu', async () => {
    await openDesktop([visits]);
    const win = windowAt(0);
    await win.getByTestId('more').click();
    await page.getByTestId('open-app-data').click();
    const panel = win.getByTestId('app-data');
    await expect
      .poll(() => panel.getByTestId('app-data-size').textContent(), EVENTUALLY)
      .toMatch(/^\d+ items, [\d.]+ (B|KB) of 8\.0 KB$/);

    const download = page.waitForEvent('download');
    await panel.getByTestId('app-data-export').click();
    const exported = JSON.parse(readFileSync((await (await download).path()) ?? '', 'utf8')) as {
      entries: [string, string][];
    };
    expect(Object.fromEntries(exported.entries)).toEqual(await data(visits));

    // Import replaces the data, and the open window starts again with it.
    const chooser = page.waitForEvent('filechooser');
    await panel.getByTestId('app-data-import').click();
    await (
      await chooser
    ).setFiles({
      name: 'visits.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        JSON.stringify({
          entries: [
            ['visits', '41'],
            ['note', 'imported'],
          ],
        }),
      ),
    });
    await expect
      .poll(() => panel.getByTestId('app-data-status').textContent(), EVENTUALLY)
      .toBe('Imported.');
    let frame = await appFrame(win);
    await expect.poll(() => text(frame, '#saved'), EVENTUALLY).toBe('imported');
    expect(await text(frame, '#visits')).toBe('42');

    // Clear asks first; then the data is gone and the app starts from nothing.
    await panel.getByTestId('app-data-clear').click();
    await panel.getByTestId('app-data-clear-confirm').click();
    await expect
      .poll(() => panel.getByTestId('app-data-status').textContent(), EVENTUALLY)
      .toBe('Cleared.');
    frame = await appFrame(win);
    await expect.poll(() => text(frame, '#visits'), EVENTUALLY).toBe('1');
    await expect.poll(() => data(visits), EVENTUALLY).toEqual({ visits: '1' });
  });

  it('keeps another person and another app out of the data', async () => {
    // Another app of the same person, imported with data of its own.
    const imported = await admin.call<{ runId: string; appId: string }>('/api/apps', {
      body: {
        title: 'Other',
        html: readFileSync(path.join(scenarios, 'app-data-visits.html'), 'utf8'),
        data: [['secret', 'only the other app']],
      },
    });
    expect(imported.status).toBe(202);
    expect((await admin.waitForRun(imported.body.runId, 90_000)).state).toBe('DONE');
    const other: App = { ...imported.body, title: 'Other' };
    expect(await data(other)).toEqual({ secret: 'only the other app' });

    // Another person: the app and its data do not exist for them.
    const before = await data(visits);
    for (const route of [`/api/apps/${visits.appId}`, `/api/apps/${visits.appId}/data`]) {
      expect((await bob.call(route)).status).toBe(404);
    }
    const writes = [
      { method: 'PUT', body: { changes: [['note', 'bob was here']] } },
      { method: 'DELETE' },
    ];
    for (const write of writes) {
      expect((await bob.call(`/api/apps/${visits.appId}/data`, write)).status).toBe(404);
    }
    expect((await bob.call(`/api/apps/${visits.appId}/export`)).status).toBe(404);
    expect(await data(visits)).toEqual(before);

    // An app's frame forges bridge messages: naming the other app, and posing as the desktop
    // to the other app's frame. Neither reaches any data; the other app's is unchanged.
    await openDesktop([visits, other]);
    const [mine, theirs] = [await appFrame(windowAt(0)), await appFrame(windowAt(1))];
    expect(await mine.evaluate(() => Object.keys(localStorage))).not.toContain('secret');
    await mine.evaluate((otherId) => {
      const forged = { hyperdesk: 1, area: 'local', clear: false, appId: otherId };
      parent.postMessage({ ...forged, type: 'storage-write', changes: [['forged', 'x']] }, '*');
      for (let i = 0; i < parent.frames.length; i++) {
        parent.frames[i]?.postMessage(
          { ...forged, type: 'storage-reset', entries: [['secret', 'overwritten']] },
          '*',
        );
        parent.frames[i]?.postMessage(
          { ...forged, type: 'storage-change', key: 'secret', newValue: 'overwritten' },
          '*',
        );
      }
      localStorage.setItem('marker', 'after the forgeries');
    }, other.appId);
    await expect
      .poll(() => data(visits), EVENTUALLY)
      .toMatchObject({ marker: 'after the forgeries' });
    const own = await data(visits);
    // The bridge listens only on its document's own channel: a forged write goes nowhere.
    expect(own.forged).toBeUndefined();
    // Its own visit only (saved once its window has loaded), never a forged key.
    await expect
      .poll(async () => Object.keys(await data(other)).sort(), EVENTUALLY)
      .toEqual(['secret', 'visits']);
    expect((await data(other)).secret).toBe('only the other app');
    expect(await theirs.evaluate(() => localStorage.getItem('secret'))).toBe('only the other app');
  });

  it('refuses writes over the limits with QuotaExceededError, keeping the data, never a 5xx', async () => {
    await openDesktop([visits]);
    const frame = await appFrame(windowAt(0));
    // This visit is saved before the data is compared.
    const shown = await text(frame, '#visits');
    await expect.poll(async () => (await data(visits)).visits, EVENTUALLY).toBe(shown);
    const before = await data(visits);
    const refused = await frame.evaluate(async (size) => {
      const big = 'x'.repeat(size);
      const outcome = (err: unknown) =>
        err instanceof DOMException ? `${err.name} ${err.code}` : String(err);
      const results: string[] = [];
      try {
        localStorage.setItem('big', big);
        results.push('stored');
      } catch (err) {
        results.push(outcome(err));
      }
      try {
        localStorage.big = big;
        results.push('stored');
      } catch (err) {
        results.push(outcome(err));
      }
      try {
        await hyperdesk.storage.set('big', big);
        results.push('stored');
      } catch (err) {
        results.push(outcome(err));
      }
      return { results, big: localStorage.getItem('big'), visits: localStorage.visits };
    }, APP_LIMIT);
    expect(refused).toEqual({
      results: ['QuotaExceededError 22', 'QuotaExceededError 22', 'QuotaExceededError 22'],
      big: null,
      visits: before.visits,
    });
    // The async API works within the limit, and the gateway has what the app has.
    await frame.evaluate(() => hyperdesk.storage.set('list', [1, 2, 3]));
    expect(await frame.evaluate(() => hyperdesk.storage.get('list'))).toEqual([1, 2, 3]);
    expect(await data(visits)).toEqual({ ...before, list: '[1,2,3]' });

    // Through the API: over the app's limit, over the person's, malformed, too large.
    const put = (app: App, body: unknown) =>
      admin.call<{ code?: string }>(`/api/apps/${app.appId}/data`, { method: 'PUT', body });
    const overApp = await put(visits, { changes: [['big', 'x'.repeat(APP_LIMIT)]] });
    expect(overApp.status).toBe(413);
    expect(overApp.body.code).toBe('QUOTA_EXCEEDED');
    const second = await admin.call<{ runId: string; appId: string }>('/api/apps', {
      body: { title: 'Second', html: '<!DOCTYPE html><p id="visits">second</p>' },
    });
    expect((await admin.waitForRun(second.body.runId, 90_000)).state).toBe('DONE');
    const secondApp: App = { ...second.body, title: 'Second' };
    expect((await put(secondApp, { changes: [['half', 'y'.repeat(6000)]] })).status).toBe(200);
    const overPerson = await put(visits, { changes: [['more', 'z'.repeat(6000)]] });
    expect(overPerson.status).toBe(413);
    expect(overPerson.body.code).toBe('QUOTA_EXCEEDED');
    for (const body of [{ changes: [['k', 1]] }, { changes: 'x' }, { clear: 'yes' }]) {
      expect((await put(visits, body)).status).toBe(400);
    }
    const huge = await fetch(`${stack.baseUrl}/api/apps/${visits.appId}/data`, {
      method: 'PUT',
      headers: admin.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ changes: [['huge', 'h'.repeat(APP_LIMIT * 2 + 5 * 1024 * 1024)]] }),
    }).catch(() => null); // the gateway may close the connection mid-send
    if (huge) expect(huge.status).toBe(413);
    // Nothing refused changed anything.
    expect(await data(visits)).toEqual({ ...before, list: '[1,2,3]' });
    expect(await data(secondApp)).toEqual({ half: 'y'.repeat(6000) });
  });
});
