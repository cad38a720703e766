import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notice, RunView } from '@hyperdesk/shared/contracts';
import { api } from './support/client';
import { launchBrowser } from './support/browser';
import { startStack, type Stack } from './support/stack';

const artifacts = fileURLToPath(new URL('../test-artifacts', import.meta.url));

/** How long a poll waits for the desktop, an app or a run to get there (a slow machine). */
const EVENTUALLY = { timeout: 30_000 };

/**
 * Demo mode's gallery, as a person meets it: the empty desktop suggests the sample apps,
 * each request gets its hand-written app (checked, with no repair), and each app works when
 * used. The services run from their bundles, so the samples are found from there too.
 */
describe('the demo gallery: sample apps the simulated model writes', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [stack, browser] = await Promise.all([
      startStack(
        'gallery',
        { RUNNER_WORKSPACE: mkdtempSync(path.join(tmpdir(), 'hd-ws-')) },
        { built: true },
      ),
      launchBrowser(),
    ]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(stack.baseUrl);
    await page.getByLabel('Ask Hyperdesk').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async ({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const name = task.name.replace(/\W+/g, '-').slice(0, 60);
      await page.screenshot({ path: `${artifacts}/gallery-failed-${name}.png` });
    });
    // Each sample starts from the empty desktop, whatever the one before left open.
    for (const close of await page.getByTestId('close').all()) await close.dispatchEvent('click');
  });

  const windows = () => page.locator('main section[data-window-id]');
  /** What a canvas shows, as a data URL (compared to see that it was drawn again). */
  const pixels = (canvas: Locator) =>
    canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
  const textOf = async (locator: Locator) => ((await locator.textContent()) ?? '').trim();
  const frameOf = (win: Locator): FrameLocator => win.frameLocator('[data-testid="app-frame"]');
  const suggestion = (prompt: string) =>
    page.getByTestId('demo-suggestion').filter({ hasText: new RegExp(`^${prompt}$`) });

  /** Waits for the run's window: DONE, its final document loaded. Returns it and its run. */
  async function appWindow(): Promise<{ win: Locator; run: RunView }> {
    const win = windows().last();
    await expect.poll(() => win.getAttribute('data-state'), { timeout: 60_000 }).toBe('DONE');
    await win.locator('[data-testid="app-frame"][data-mode="final"]').waitFor();
    const runId = (await win.getAttribute('data-run-id')) ?? '';
    const run = (await api<RunView>(stack.baseUrl, `/api/runs/${runId}`)).body;
    return { win, run };
  }

  /** Asks for a sample from the empty desktop's suggestion. */
  async function trySuggestion(prompt: string): Promise<{ win: Locator; run: RunView }> {
    await expect.poll(() => windows().count(), EVENTUALLY).toBe(0);
    await suggestion(prompt).click();
    return appWindow();
  }

  /** A clean sample run: the sample's title, checked once, never repaired. */
  function expectSample(run: RunView, title: string, stages = ['classify', 'app_generate']): void {
    expect(run).toMatchObject({ state: 'DONE', intent: 'new_app', title });
    // Tools are written while the app is: the calls' order between the two may vary.
    expect(run.llm.detail.map((call) => call.stage).sort()).toEqual([...stages].sort());
    const states = run.history.map((entry) => entry.state);
    expect(states).toContain('CHECKING_APP');
    expect(states).not.toContain('REPAIRING_APP');
  }

  /** Leaves a picture of the sample in use in test-artifacts, then closes its window. */
  async function close(win: Locator, name: string): Promise<void> {
    await page.screenshot({ path: `${artifacts}/gallery-${name}.png` });
    // The button's own click: a notice shown at the top may cover the title bar for a while.
    await win.getByTestId('close').dispatchEvent('click');
    await expect.poll(() => windows().count(), EVENTUALLY).toBe(0);
  }

  it('suggests the samples on the empty desktop; a pomodoro timer ticks down after Start', async () => {
    await page.getByTestId('demo-label').waitFor();
    await expect.poll(() => page.getByTestId('demo-suggestion').count(), EVENTUALLY).toBe(8);
    const { win, run } = await trySuggestion('a pomodoro timer');
    expectSample(run, 'Pomodoro Timer');
    await expect.poll(() => page.getByTestId('demo-suggestions').count(), EVENTUALLY).toBe(0);

    const app = frameOf(win);
    await expect.poll(() => textOf(app.locator('#time')), EVENTUALLY).toBe('25:00');
    await app.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => textOf(app.locator('#start')), EVENTUALLY).toBe('Pause');
    await expect.poll(() => textOf(app.locator('#time')), EVENTUALLY).toMatch(/^24:5\d$/);
    await app.getByRole('button', { name: 'Pause' }).click();
    await app.getByRole('button', { name: 'Short break' }).click();
    await expect.poll(() => textOf(app.locator('#time')), EVENTUALLY).toBe('05:00');
    await close(win, 'pomodoro');
  });

  it('markdown notes: the preview renders what is typed', async () => {
    const { win, run } = await trySuggestion('markdown notes with a live preview');
    expectSample(run, 'Markdown Notes');
    const app = frameOf(win);
    await app.getByRole('button', { name: '+ New note' }).click();
    await app.getByLabel('Note in Markdown').fill('# Groceries\n\nBuy **oat milk** and *bread*');
    await expect.poll(() => textOf(app.locator('#preview h1')), EVENTUALLY).toBe('Groceries');
    await expect.poll(() => textOf(app.locator('#preview strong')), EVENTUALLY).toBe('oat milk');
    await expect.poll(() => textOf(app.locator('#preview em')), EVENTUALLY).toBe('bread');
    // The new note is listed by its first line, before the welcome note.
    await expect.poll(() => textOf(app.locator('#list li').first()), EVENTUALLY).toBe('Groceries');
    await expect.poll(() => app.locator('#list li').count(), EVENTUALLY).toBe(2);
    await close(win, 'notes');
  });

  it('a calculator asked for in the command bar: 12×3 by clicks, then 7+2 typed', async () => {
    const input = page.getByLabel('Ask Hyperdesk');
    await input.fill('a calculator for quick sums');
    await input.press('Enter');
    const { win, run } = await appWindow();
    expectSample(run, 'Calculator');
    const app = frameOf(win);
    for (const key of ['1', '2', '×', '3', '=']) {
      await app.getByRole('button', { name: key, exact: true }).click();
    }
    await expect.poll(() => textOf(app.locator('#display')), EVENTUALLY).toBe('36');
    await expect.poll(() => textOf(app.locator('#expression')), EVENTUALLY).toBe('12 × 3 =');
    // The keyboard too, once the app has the focus.
    await app.locator('#display').click();
    await page.keyboard.type('7+2');
    await page.keyboard.press('Enter');
    await expect.poll(() => textOf(app.locator('#display')), EVENTUALLY).toBe('9');
    await close(win, 'calculator');
  });

  it('a kanban board: a card is added, then dragged from To do to Done', async () => {
    const { win, run } = await trySuggestion('a kanban board with drag and drop');
    expectSample(run, 'Kanban Board');
    await win.getByTestId('maximize').click();
    const app = frameOf(win);
    const column = (name: string) => app.locator(`.column[data-column="${name}"]`);
    await app.getByLabel('New card').fill('Water the plants');
    await app.getByRole('button', { name: 'Add card' }).click();
    const card = column('todo').locator('.card', { hasText: 'Water the plants' });
    await card.waitFor();
    await expect.poll(() => column('done').locator('.card').count(), EVENTUALLY).toBe(1);

    const from = await card.boundingBox();
    const to = await column('done').boundingBox();
    if (!from || !to) throw new Error('the card or the column has no box');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height - 30, { steps: 8 });
    await page.mouse.up();
    await column('done').locator('.card', { hasText: 'Water the plants' }).waitFor();
    await expect
      .poll(
        () => column('todo').locator('.card', { hasText: 'Water the plants' }).count(),
        EVENTUALLY,
      )
      .toBe(0);
    await expect.poll(() => textOf(column('done').locator('.count')), EVENTUALLY).toBe('2');
    await close(win, 'kanban');
  });

  it('an expense tracker: an added expense updates the total, the table and the chart', async () => {
    const { win, run } = await trySuggestion('an expense tracker with a chart');
    expectSample(run, 'Expense Tracker');
    const app = frameOf(win);
    await expect.poll(() => textOf(app.locator('#total')), EVENTUALLY).toBe('$105.70');
    const chart = app.locator('#chart');
    const drawn = () => pixels(chart);
    // Chart.js draws the doughnut (from the vendored library) once its animation ends.
    let before = '';
    await expect
      .poll(async () => {
        const now = await drawn();
        const settled = now === before;
        before = now;
        return settled;
      }, EVENTUALLY)
      .toBe(true);

    await app.getByLabel('Description', { exact: true }).fill('Lamp');
    await app.getByLabel('Amount', { exact: true }).fill('24.30');
    await app.getByLabel('Category', { exact: true }).selectOption('Home');
    await app.getByRole('button', { name: 'Add expense' }).click();
    await expect.poll(() => textOf(app.locator('#total')), EVENTUALLY).toBe('$130.00');
    await expect.poll(() => textOf(app.locator('#rows tr').first()), EVENTUALLY).toContain('Lamp');
    await expect.poll(drawn, EVENTUALLY).not.toBe(before);
    await close(win, 'expenses');
  });

  it('a unit converter: kilometres to miles, then Celsius to Fahrenheit', async () => {
    const { win, run } = await trySuggestion('a unit converter');
    expectSample(run, 'Unit Converter');
    const app = frameOf(win);
    await app.getByLabel('Value').fill('10');
    await expect.poll(() => textOf(app.locator('#result')), EVENTUALLY).toBe('6.2137 mi');
    await app.getByRole('button', { name: 'Temperature' }).click();
    await app.getByLabel('Value').fill('100');
    await app.getByRole('button', { name: 'Convert' }).click();
    await expect.poll(() => textOf(app.locator('#result')), EVENTUALLY).toBe('212 °F');
    await app.getByTitle('Swap units').click();
    await expect.poll(() => textOf(app.locator('#result')), EVENTUALLY).toBe('37.7778 °C');
    await close(win, 'converter');
  });

  it('a snake game: an arrow key starts it and the snake moves on the canvas', async () => {
    const { win, run } = await trySuggestion('a snake game');
    expectSample(run, 'Snake');
    const app = frameOf(win);
    const board = app.locator('#board');
    await expect
      .poll(() => textOf(app.locator('#status')), EVENTUALLY)
      .toBe('Press an arrow key to start');
    const still = await pixels(board);
    await board.click();
    await page.keyboard.press('ArrowDown');
    await expect
      .poll(() => textOf(app.locator('#status')), EVENTUALLY)
      .toMatch(/^(Playing|Game over)/);
    await expect.poll(() => pixels(board), EVENTUALLY).not.toBe(still);
    await page.keyboard.press(' ');
    await expect
      .poll(() => textOf(app.locator('#status')), EVENTUALLY)
      .toMatch(/^(Paused|Game over)/);
    await close(win, 'snake');
  });

  it('a system monitor: designs system_stats, then shows this machine’s numbers live', async () => {
    const { win, run } = await trySuggestion('a system monitor with a live chart');
    expectSample(run, 'System Monitor', ['classify', 'plan_tools', 'tool_write', 'app_generate']);
    const tool = await api<{ name: string; status: string }>(
      stack.baseUrl,
      '/api/tools/system_stats',
    );
    expect(tool.body).toMatchObject({ name: 'system_stats' });

    const app = frameOf(win);
    // The numbers come from the real tool, run in the sandbox on this machine.
    await expect.poll(() => textOf(app.locator('#status')), EVENTUALLY).toMatch(/^Live/);
    const cores = cpus().length;
    await expect
      .poll(() => textOf(app.locator('#cores')), EVENTUALLY)
      .toBe(`${cores} ${cores === 1 ? 'core' : 'cores'}`);
    await expect.poll(() => textOf(app.locator('#cpu')), EVENTUALLY).toMatch(/^\d{1,3}%$/);
    await expect.poll(() => textOf(app.locator('#memory')), EVENTUALLY).toMatch(/^\d{1,3}%$/);
    await expect
      .poll(() => textOf(app.locator('#memoryDetail')), EVENTUALLY)
      .toMatch(/^\d+\.\d of \d+\.\d GB$/);
    await expect
      .poll(() => textOf(app.locator('#load')), EVENTUALLY)
      .toMatch(/^\d+\.\d\d · \d+\.\d\d · \d+\.\d\d$/);
    // Live: the tool is called again and the chart gets more points.
    const frame = await (
      await win.locator('[data-testid="app-frame"]').elementHandle()
    )?.contentFrame();
    if (!frame) throw new Error('the app frame has no document');
    const points = () => frame.evaluate('series.cpu.length') as Promise<number>;
    const now = await points();
    await expect.poll(points, EVENTUALLY).toBeGreaterThan(now);
    // The app ran only once its tool was registered: no call of it failed.
    expect(await win.getByTestId('error-badge').count()).toBe(0);
    await close(win, 'system-monitor');
  });

  it('anything else gets the generic app, and the first such run says why, once', async () => {
    const notices = async () =>
      (await api<Notice[]>(stack.baseUrl, '/api/notices')).body.filter(
        (n) => n.source === 'Demo mode',
      );
    expect(await notices()).toEqual([]);
    const input = page.getByLabel('Ask Hyperdesk');
    await input.fill('a reading list');
    await input.press('Enter');
    const first = await appWindow();
    expect(first.run.title).toBe('Reading List');
    // The generic app works too: an item typed and added is listed.
    const generic = frameOf(first.win);
    await generic.getByPlaceholder('Add an item…').fill('Dune');
    await generic.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => textOf(generic.locator('#items li span')), EVENTUALLY).toBe('Dune');
    await generic.getByPlaceholder('Add an item…').fill('Emma');
    await generic.getByPlaceholder('Add an item…').press('Enter');
    await expect.poll(() => generic.locator('#items li').count(), EVENTUALLY).toBe(2);
    await page.getByTestId('notices-button').click();
    const notice = page.getByTestId('notice').filter({ hasText: 'Demo mode' });
    await expect.poll(() => textOf(notice), EVENTUALLY).toContain('knows only its sample apps');
    await expect.poll(() => textOf(notice), EVENTUALLY).toContain('LLM_PROVIDER');
    await page.getByTestId('notices-button').click();
    expect(await notices()).toHaveLength(1);

    const open = await windows().count();
    await input.fill('a birthday tracker');
    await input.press('Enter');
    // The new run's window, not the first one (already DONE) before the new one mounts.
    await expect.poll(() => windows().count(), EVENTUALLY).toBe(open + 1);
    const second = await appWindow();
    expect(second.run.id).not.toBe(first.run.id);
    expect(await notices()).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
