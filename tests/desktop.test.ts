import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DesktopLayout, ToolVersion } from '@hyperdesk/shared/contracts';
import { api, waitForRun } from './support/client';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const scenarios = fileURLToPath(new URL('./fixtures/scenarios', import.meta.url));
const artifacts = fileURLToPath(new URL('../test-artifacts', import.meta.url));

/**
 * Runs in the desktop page before its own scripts: records the page's WebSockets so a test
 * can drop them, and while `blocked` points new ones at a path that refuses the upgrade, as
 * a network outage would (the desktop keeps retrying with backoff until it is lifted). The
 * path is on the desktop's own origin: its CSP refuses any other address.
 */
const SOCKET_SWITCH = `(() => {
  if (window !== window.top) return;
  const Native = window.WebSocket;
  const open = new Set();
  window.__hdSockets = { blocked: false, dropAll() { for (const s of open) s.close(); } };
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(window.__hdSockets.blocked ? 'ws://' + location.host + '/blocked' : url, protocols);
      open.add(this);
      this.addEventListener('close', () => open.delete(this));
    }
  };
})();`;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

describe('the desktop: windows, taskbar, command bar, library, runs', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  // Windows the tests share, in the order they are made.
  let hello: Locator;
  let helloAppId = '';
  let boom: Locator;
  let words: Locator;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack('desktop', {
        LLM_SIM_SCENARIOS: scenarios,
        RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')),
      }),
      launchBrowser(),
    ]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript({ content: SOCKET_SWITCH });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    await page.getByLabel('Ask Hyperdesk').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** An element's computed text colour (run in the page, where the DOM is). */
  const colourOf = (element: unknown) =>
    (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
      element,
    ).color;
  const shot = (name: string) => page.screenshot({ path: `${artifacts}/desktop-${name}.png` });
  // A failed step leaves a picture of the desktop in test-artifacts for whoever reads the log.
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      await shot(`failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}`);
    });
  });
  const surface = () => page.locator('main[aria-label="Windows"]');
  const windows = () => page.locator('main section[data-window-id]');
  const byId = (id: string) => page.locator(`main section[data-window-id="${id}"]`);
  const frameOf = (win: Locator) => win.frameLocator('[data-testid="app-frame"]');

  async function box(locator: Locator): Promise<Box> {
    const found = await locator.boundingBox();
    if (!found) throw new Error('element has no box (hidden?)');
    return found;
  }

  /** A window's box in whole pixels (transitions leave fractions for a moment). */
  async function place(locator: Locator): Promise<Box> {
    const b = await box(locator);
    return {
      x: Math.round(b.x),
      y: Math.round(b.y),
      width: Math.round(b.width),
      height: Math.round(b.height),
    };
  }

  async function windowIds(): Promise<string[]> {
    const all = windows();
    const ids: string[] = [];
    for (let i = 0; i < (await all.count()); i++) {
      ids.push((await all.nth(i).getAttribute('data-window-id')) ?? '');
    }
    return ids;
  }

  async function zOf(win: Locator): Promise<number> {
    const style = (await win.getAttribute('style')) ?? '';
    return Number(/z-index:\s*(\d+)/.exec(style)?.[1] ?? -1);
  }

  /** Waits for a window that was not there in `before` and returns it. */
  async function newWindow(before: string[]): Promise<Locator> {
    let id = '';
    await expect
      .poll(async () => {
        id = (await windowIds()).find((w) => !before.includes(w)) ?? '';
        return id;
      })
      .not.toBe('');
    return byId(id);
  }

  /** Asks through the command bar and waits for the run's window to reach DONE. */
  async function ask(prompt: string, withApp = true): Promise<Locator> {
    const before = await windowIds();
    const input = page.getByLabel('Ask Hyperdesk');
    await input.fill(prompt);
    await input.press('Enter');
    const win = await newWindow(before);
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    if (withApp) await win.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    return win;
  }

  async function drag(from: { x: number; y: number }, dx: number, dy: number): Promise<void> {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + dx / 2, from.y + dy / 2, { steps: 4 });
    await page.mouse.move(from.x + dx, from.y + dy, { steps: 4 });
    await page.mouse.up();
  }

  /** A point on the title bar away from its buttons. */
  async function titlebarPoint(win: Locator): Promise<{ x: number; y: number }> {
    const bar = await box(win.getByTestId('titlebar'));
    return { x: bar.x + 90, y: bar.y + bar.height / 2 };
  }

  /** Brings a window to the front from its taskbar button (another may cover it). */
  async function front(win: Locator): Promise<void> {
    if ((await win.getAttribute('class'))?.includes('active')) return;
    const id = await win.getAttribute('data-window-id');
    await page.locator(`[data-testid="taskbar-window"][data-window-id="${id}"]`).click();
    await expect.poll(async () => (await win.getAttribute('class'))?.includes('active')).toBe(true);
  }

  async function openMoreItem(win: Locator, testid: string): Promise<void> {
    await front(win);
    await win.getByTestId('more').click();
    await page.getByTestId(testid).click();
  }

  it('opens the command bar with Ctrl+K and streams an app into a window', async () => {
    await page.keyboard.press('Control+k');
    await page.getByTestId('command-list').waitFor();
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(
      'Ask Hyperdesk',
    );
    await page.getByLabel('Ask Hyperdesk').fill('open');
    await shot('command-bar');
    await page.keyboard.press('Escape');
    await page.getByTestId('command-list').waitFor({ state: 'detached' });
    await page.getByLabel('Ask Hyperdesk').fill('');

    // The always-visible button does the same.
    await page.getByTestId('command-button').click();
    await page.getByTestId('command-list').waitFor();
    await page.keyboard.press('Escape');

    hello = await ask('e2e:hello a tiny hello app');
    helloAppId = (await hello.getAttribute('data-app-id')) ?? '';
    expect(helloAppId).not.toBe('');
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Hello from Hyperdesk');
    expect(await hello.getByTestId('app-frame').getAttribute('sandbox')).toBe(
      'allow-scripts allow-forms',
    );
    await shot('app-window');
  });

  it('drags a window by its title bar over covered frames and keeps it on the screen', async () => {
    const before = await box(hello);
    const from = await titlebarPoint(hello);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 60, from.y + 30, { steps: 4 });
    // While the pointer moves a window, an overlay keeps the app frames from taking it.
    expect(await page.getByTestId('drag-shield').isVisible()).toBe(true);
    await page.mouse.move(from.x + 120, from.y + 60, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('drag-shield').waitFor({ state: 'detached' });
    const moved = await box(hello);
    expect(Math.round(moved.x - before.x)).toBe(120);
    expect(Math.round(moved.y - before.y)).toBe(60);
    expect(moved.width).toBe(before.width);

    const screen = await box(surface());
    await drag(await titlebarPoint(hello), -1500, -1500);
    let placed = await box(hello);
    expect(Math.round(placed.x)).toBe(Math.round(screen.x));
    expect(Math.round(placed.y)).toBe(Math.round(screen.y));
    await drag(await titlebarPoint(hello), 1500, 1500);
    placed = await box(hello);
    expect(Math.round(placed.x + placed.width)).toBe(Math.round(screen.x + screen.width));
    expect(Math.round(placed.y + placed.height)).toBe(Math.round(screen.y + screen.height));
  });

  it('resizes a window from every edge and corner', async () => {
    const handle = async (edge: string) => {
      const b = await box(hello.locator(`[data-edge="${edge}"]`));
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    };
    // Smaller first, then into the middle, so every edge has room to grow.
    await drag(await handle('nw'), 600, 500);
    const smallest = await box(hello);
    expect(Math.round(smallest.width)).toBe(280);
    expect(Math.round(smallest.height)).toBe(180);
    await drag(await titlebarPoint(hello), -300, -200);

    for (const edge of ['e', 's', 'w', 'n', 'se', 'sw', 'ne', 'nw']) {
      const start = await box(hello);
      const dx = edge.includes('e') ? 30 : edge.includes('w') ? -30 : 0;
      const dy = edge.includes('s') ? 20 : edge.includes('n') ? -20 : 0;
      await drag(await handle(edge), dx, dy);
      const end = await box(hello);
      expect(Math.round(end.width - start.width), edge).toBe(Math.abs(dx));
      expect(Math.round(end.height - start.height), edge).toBe(Math.abs(dy));
      expect(Math.round(end.x - start.x), edge).toBe(dx < 0 ? dx : 0);
      expect(Math.round(end.y - start.y), edge).toBe(dy < 0 ? dy : 0);
    }

    // From the keyboard: the grip button moves with the arrow keys and resizes with Shift.
    const before = await place(hello);
    await hello.getByRole('button', { name: /^Move/ }).focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Shift+ArrowDown');
    expect(await place(hello)).toEqual({
      ...before,
      x: before.x - 16,
      height: before.height + 16,
    });
  });

  it('maximizes, restores, minimizes, and restores from the taskbar', async () => {
    const normal = await place(hello);
    const screen = await place(surface());
    await hello.getByTestId('maximize').click();
    await expect.poll(() => hello.getAttribute('data-maximized')).toBe('true');
    await expect.poll(() => place(hello)).toEqual(screen);
    await shot('maximized');
    await hello.getByRole('button', { name: /^Restore/ }).click();
    await expect.poll(() => place(hello)).toEqual(normal);

    // A double-click on the title bar does the same (through the locator, so that nothing
    // covers the point when it lands).
    const titlebar = hello.getByTestId('titlebar');
    const onTitle = async () => ({ x: 90, y: (await box(titlebar)).height / 2 });
    await titlebar.dblclick({ position: await onTitle() });
    await expect.poll(() => hello.getAttribute('data-maximized')).toBe('true');
    await titlebar.dblclick({ position: await onTitle() });
    await expect.poll(() => hello.getAttribute('data-maximized')).toBe('false');

    const id = (await hello.getAttribute('data-window-id')) ?? '';
    const task = page.locator(`[data-testid="taskbar-window"][data-window-id="${id}"]`);
    await hello.getByTestId('minimize').click();
    await expect.poll(() => hello.isVisible()).toBe(false);
    expect(await task.getAttribute('aria-label')).toContain('minimized');
    await task.click();
    await expect.poll(() => hello.isVisible()).toBe(true);
    await expect.poll(() => place(hello)).toEqual(normal);
    // The front window's taskbar button minimizes it.
    await task.click();
    await expect.poll(() => hello.getAttribute('data-minimized')).toBe('true');
    await task.click();
    await expect.poll(() => hello.getAttribute('data-minimized')).toBe('false');
  });

  it('brings the window a person clicks to the front and switches windows with Alt+`', async () => {
    await page.getByTestId('open-settings').click();
    const settings = page.getByTestId('settings-window');
    await settings.waitFor();
    expect(await zOf(settings)).toBeGreaterThan(await zOf(hello));
    expect(await settings.getAttribute('class')).toContain('active');

    const point = await titlebarPoint(hello);
    await page.mouse.click(point.x, point.y);
    expect(await zOf(hello)).toBeGreaterThan(await zOf(settings));
    expect(await hello.getAttribute('class')).toContain('active');

    await page.keyboard.down('Alt');
    await page.keyboard.press('Backquote');
    const switcher = page.getByTestId('window-switcher');
    await switcher.waitFor();
    const settingsId = (await settings.getAttribute('data-window-id')) ?? '';
    expect(await switcher.locator('[aria-selected="true"]').getAttribute('data-window-id')).toBe(
      settingsId,
    );
    await shot('switcher');
    await page.keyboard.up('Alt');
    await switcher.waitFor({ state: 'detached' });
    expect(await zOf(settings)).toBeGreaterThan(await zOf(hello));
    await expect
      .poll(() => page.evaluate('document.activeElement?.dataset.windowId ?? null'))
      .toBe(settingsId);

    // From the taskbar the switcher stays open; Escape closes it and changes nothing.
    await page.getByTestId('open-switcher').click();
    await switcher.waitFor();
    await page.keyboard.press('Escape');
    await switcher.waitFor({ state: 'detached' });
    expect(await zOf(settings)).toBeGreaterThan(await zOf(hello));

    // With the keyboard inside an app, the desktop's shortcuts still work.
    await front(hello);
    await frameOf(hello).locator('body').click();
    await page.keyboard.press('Control+k');
    await page.getByTestId('command-list').waitFor();
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(
      'Ask Hyperdesk',
    );
    await page.keyboard.press('Escape');
    await page.getByTestId('command-list').waitFor({ state: 'detached' });
    await frameOf(hello).locator('body').click();
    await page.keyboard.press('Alt+Backquote');
    await switcher.waitFor();
    expect(await switcher.locator('[aria-selected="true"]').getAttribute('data-window-id')).toBe(
      settingsId,
    );
    await page.keyboard.press('Enter');
    await switcher.waitFor({ state: 'detached' });
    expect(await zOf(settings)).toBeGreaterThan(await zOf(hello));
  });

  it('lists apps in the launcher: search, open in a window, delete', async () => {
    const imported = await api<{ runId: string; appId: string }>(stack.baseUrl, '/api/apps', {
      body: {
        title: 'Scratchpad',
        html: '<!DOCTYPE html><html><body><h1>Scratchpad</h1></body></html>',
      },
    });
    expect(imported.status).toBe(202);
    expect((await waitForRun(stack.baseUrl, imported.body.runId, 60_000)).state).toBe('DONE');

    // Close the hello window; it comes back from the library.
    await hello.getByRole('button', { name: /^Close/ }).click();
    await hello.waitFor({ state: 'detached' });

    await page.getByTestId('open-launcher').click();
    const launcher = page.getByTestId('launcher-window');
    const cards = launcher.getByTestId('launcher-app');
    await expect.poll(() => cards.count()).toBe(2);
    await launcher.locator('img').first().waitFor();
    await shot('launcher');

    const search = launcher.getByTestId('launcher-search');
    await search.fill('scratch');
    await expect.poll(() => cards.count()).toBe(1);
    await search.fill('nothing like this');
    await expect.poll(() => cards.count()).toBe(0);
    await launcher.getByText('No app matches').waitFor();
    await search.fill('');
    await expect.poll(() => cards.count()).toBe(2);

    const scratch = launcher.locator(`[data-app-id="${imported.body.appId}"]`);
    await scratch.getByTestId('delete-app').click();
    await scratch.getByTestId('confirm-delete').click();
    await expect.poll(() => cards.count()).toBe(1);
    const listed = await api<{ apps: { id: string }[] }>(stack.baseUrl, '/api/apps');
    expect(listed.body.apps.map((a) => a.id)).toEqual([helloAppId]);

    const before = await windowIds();
    await launcher
      .locator(`[data-app-id="${helloAppId}"]`)
      .getByRole('button', { name: /^Open/ })
      .click();
    hello = await newWindow(before);
    expect(await hello.getAttribute('data-app-id')).toBe(helloAppId);
    await hello.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Hello from Hyperdesk');
    await launcher.getByRole('button', { name: /^Close/ }).click();
  });

  it('refines an app from its bubble in the same window, then reverts from the version menu', async () => {
    const count = await windows().count();
    const runBefore = await hello.getAttribute('data-run-id');
    await hello.getByTestId('refine').click();
    const bubble = hello.getByTestId('refine-bubble');
    await bubble.getByRole('textbox').fill('apps:refine make it say goodbye');
    await shot('refine-bubble');
    await bubble.getByRole('textbox').press('Enter');
    await bubble.waitFor({ state: 'detached' });
    await expect.poll(() => hello.getAttribute('data-run-id')).not.toBe(runBefore);
    await expect.poll(() => hello.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await expect.poll(() => hello.getAttribute('data-app-version')).toBe('2');
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Goodbye from Hyperdesk');
    expect(await windows().count()).toBe(count);

    await hello.getByTestId('versions').click();
    await page.getByTestId('version-1').waitFor();
    expect(await page.getByTestId('version-2').isDisabled()).toBe(true);
    await shot('versions');
    await page.getByTestId('version-1').click();
    await expect.poll(() => hello.getAttribute('data-app-version')).toBe('3');
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Hello from Hyperdesk');
  });

  it('shows the errors an app reports and fixes them in place', async () => {
    boom = await ask('desktop:broken a button that breaks');
    const frame = frameOf(boom);
    await frame.locator('body[data-ready="yes"]').waitFor();
    await frame.locator('#boom').click();
    const errors = boom.getByTestId('window-errors');
    await errors.waitFor();
    expect(await errors.getByTestId('error-count').textContent()).toBe('1');
    expect(await errors.textContent()).toContain('desktopBoomMissing');
    expect(await boom.getByTestId('error-badge').isVisible()).toBe(true);
    await shot('errors');

    const runBefore = await boom.getAttribute('data-run-id');
    await errors.getByTestId('fix-errors').click();
    await expect.poll(() => boom.getAttribute('data-run-id')).not.toBe(runBefore);
    await expect.poll(() => boom.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await expect
      .poll(() => frameOf(boom).locator('#hello').textContent(), { timeout: 20_000 })
      .toBe('Repaired by the desktop');
    expect(await boom.getByTestId('window-errors').count()).toBe(0);
    const run = await api<{ intent: string }>(
      stack.baseUrl,
      `/api/runs/${await boom.getAttribute('data-run-id')}`,
    );
    expect(run.body.intent).toBe('diagnose_error');
  });

  it('shows a tool result as raw content with a download', async () => {
    words = await ask('tools:count-words in hello big wide world', false);
    const content = words.getByTestId('window-content');
    await expect.poll(() => content.textContent()).toContain('"words": 4');
    const href = await words.getByTestId('content-download').getAttribute('href');
    expect(href).toMatch(/^\/api\/content\/.+\?download$/);
    const res = await fetch(`${stack.baseUrl}${href}`);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    await shot('content');
  });

  it('draws the run timeline: states, model calls, tool builds and the repair diff', async () => {
    await openMoreItem(words, 'open-timeline');
    const timeline = page.getByTestId('timeline-window');
    await timeline.waitFor();
    const bars = (group: string) =>
      timeline.locator(`[data-testid="timeline-bar"][data-group="${group}"]`).count();
    await expect.poll(() => bars('state')).toBeGreaterThanOrEqual(5);
    await expect.poll(() => bars('llm')).toBeGreaterThanOrEqual(4);
    await expect.poll(() => bars('tool')).toBeGreaterThanOrEqual(3);
    const repair = timeline.getByTestId('tool-repair').first();
    await repair.waitFor();
    expect(await repair.textContent()).toContain('SyntaxError');
    expect(await repair.locator('[data-kind="added"]').count()).toBeGreaterThan(0);
    expect(await repair.locator('[data-kind="removed"]').count()).toBeGreaterThan(0);
    await timeline.getByTestId('maximize').click();
    await shot('timeline');
    await timeline.getByTestId('maximize').click();
  });

  it('lists tools in the library with their versions, diffs and a revert', async () => {
    const current = await api<ToolVersion>(stack.baseUrl, '/api/tools/word_count');
    const { name, description, args, returns, examples, code } = current.body;
    const added = await api(stack.baseUrl, '/api/tools', {
      body: {
        name,
        description,
        args,
        returns,
        examples,
        code: `${code}\n# counted on the desktop\n`,
      },
    });
    expect(added.status).toBe(201);

    await page.getByTestId('open-tools').click();
    const tools = page.getByTestId('tools-window');
    await tools.locator('[data-testid="tool-item"][data-tool="word_count"]').click();
    const detail = tools.getByTestId('tool-detail');
    await expect.poll(() => detail.getByTestId('tool-version').count()).toBe(2);
    const diff = detail.getByTestId('line-diff');
    await expect
      .poll(() => diff.locator('[data-kind="added"]').allTextContents())
      .toContainEqual(expect.stringContaining('# counted on the desktop'));
    await expect.poll(() => detail.getByTestId('tool-activity').count()).toBe(1);
    await shot('tools');

    await detail.getByTestId('tool-revert').click();
    await expect.poll(() => detail.getByTestId('tool-version').count()).toBe(3);
    const versions = await api<{ versions: ToolVersion[] }>(
      stack.baseUrl,
      '/api/tools/word_count/versions',
    );
    expect(versions.body.versions.at(-1)?.origin).toBe('reverted');
    await tools.getByRole('button', { name: /^Close/ }).click();
  });

  it('edits an app in the code drawer and saves it as a checked version', async () => {
    await openMoreItem(hello, 'open-code');
    const drawer = hello.getByTestId('code-drawer');
    // A code editor with the app's HTML, highlighted (CodeMirror, its HTML mode).
    const editor = drawer.getByTestId('code-editor');
    await expect.poll(() => editor.textContent()).toContain('Hello from Hyperdesk');
    expect(await drawer.locator('.cm-line').count()).toBeGreaterThan(5);
    const tagColour = await drawer
      .locator('.cm-line span', { hasText: /^h1$/ })
      .first()
      .evaluate(colourOf);
    expect(tagColour).not.toBe(await editor.evaluate(colourOf));
    const stored = await api<{ html: string }>(stack.baseUrl, `/api/apps/${helloAppId}`);
    await editor.fill(stored.body.html.replace('Hello from Hyperdesk', 'Edited in the drawer'));
    await shot('code-drawer');
    const versionBefore = Number(await hello.getAttribute('data-app-version'));
    await drawer.getByRole('button', { name: 'Save as new version' }).click();
    await drawer.waitFor({ state: 'detached' });
    await expect
      .poll(async () => Number(await hello.getAttribute('data-app-version')))
      .toBeGreaterThan(versionBefore);
    await expect.poll(() => hello.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Edited in the drawer');
  });

  it('shows the model and its speed in settings and switches to the light theme', async () => {
    const settings = page.getByTestId('settings-window');
    await page.getByTestId('open-settings').click();
    const health = await api<{ llmProvider: string; llmModel: string }>(stack.baseUrl, '/health');
    expect(await settings.getByTestId('settings-model').textContent()).toBe(health.body.llmModel);
    expect(await settings.getByTestId('settings-provider').textContent()).toBe(
      health.body.llmProvider,
    );
    expect(await settings.getByTestId('settings-speed').textContent()).toContain('tok/s');
    await settings.getByLabel('Light').check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await shot('settings-light');
    await expect
      .poll(async () => (await api<DesktopLayout>(stack.baseUrl, '/api/desktop')).body.theme)
      .toBe('light');
  });

  it('restores the layout after a reload', async () => {
    // A skin on one window, another minimized, a third maximized.
    await openMoreItem(hello, 'skin-ocean');
    const settings = page.getByTestId('settings-window');
    await front(settings);
    await settings.getByTestId('minimize').click();
    await front(boom);
    await boom.getByTestId('maximize').click();

    const snapshot = async () => {
      const out: Record<string, unknown>[] = [];
      for (const id of await windowIds()) {
        const win = byId(id);
        const minimized = (await win.getAttribute('data-minimized')) === 'true';
        out.push({
          id,
          kind: await win.getAttribute('data-kind'),
          minimized,
          maximized: await win.getAttribute('data-maximized'),
          box: minimized ? null : await place(win),
          version: await win.getAttribute('data-app-version'),
          skinned: ((await win.getAttribute('style')) ?? '').includes('--win-accent'),
        });
      }
      return out.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    };
    const before = await snapshot();
    expect(before.length).toBeGreaterThanOrEqual(5);
    await expect
      .poll(async () => {
        const saved = (await api<DesktopLayout>(stack.baseUrl, '/api/desktop')).body;
        return saved.windows
          .map((w) => `${w.id}:${w.minimized}:${w.maximized}:${w.skin ?? ''}`)
          .sort();
      })
      .toEqual(
        before
          .map((w) => `${w.id}:${w.minimized}:${w.maximized}:${w.skinned ? 'ocean' : ''}`)
          .sort(),
      );

    await page.reload();
    await page.getByLabel('Ask Hyperdesk').waitFor();
    await expect.poll(async () => (await windowIds()).length).toBe(before.length);
    await hello.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    await expect.poll(snapshot).toEqual(before);
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    // An app window shows the app's current version.
    await expect
      .poll(() => frameOf(hello).locator('#hello').textContent())
      .toBe('Edited in the drawer');
    await expect
      .poll(() => frameOf(boom).locator('#hello').textContent())
      .toBe('Repaired by the desktop');
    await shot('restored');
    await boom.getByTestId('maximize').click();
  });

  it('replays the events it missed after the connection drops', async () => {
    const before = await windowIds();
    const input = page.getByLabel('Ask Hyperdesk');
    await input.fill('desktop:slow a slowly written app');
    await input.press('Enter');
    const slow = await newWindow(before);
    await expect
      .poll(() => slow.getAttribute('data-state'), { timeout: 30_000 })
      .toBe('GENERATING_APP');
    await slow.locator('[data-testid="app-frame"][data-mode="streaming"]').waitFor();
    await frameOf(slow).locator('#hello').waitFor();

    await page.evaluate('window.__hdSockets.blocked = true; window.__hdSockets.dropAll()');
    await page.getByText('Reconnecting…').waitFor();
    await shot('reconnecting');
    const runId = (await slow.getAttribute('data-run-id')) ?? '';
    expect((await waitForRun(stack.baseUrl, runId, 60_000)).state).toBe('DONE');
    // The end of the run happened while the desktop could not hear it.
    expect(await slow.getAttribute('data-state')).not.toBe('DONE');

    await page.evaluate('window.__hdSockets.blocked = false');
    await expect.poll(() => slow.getAttribute('data-state'), { timeout: 30_000 }).toBe('DONE');
    await slow.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    await frameOf(slow).locator('body[data-ready="yes"]').waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
  });

  it('fills the screen with each window on a small screen', async () => {
    const normal = await place(hello);
    await page.setViewportSize({ width: 600, height: 800 });
    await expect.poll(() => place(hello)).toEqual(await place(surface()));
    expect(await hello.getByTestId('maximize').count()).toBe(0);
    await shot('small-screen');
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(() => place(hello)).toEqual(normal);
    // The only error is the one the broken app throws on purpose.
    expect(pageErrors.filter((e) => !e.includes('desktopBoomMissing'))).toEqual([]);
  });
});
